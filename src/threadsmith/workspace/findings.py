"""Findings of an audited version for review, read from what its audit stored (no report is built).

Per code: how many findings are open and dismissed (the run's counts less the dismissed
entries'), and a page of findings in dataset order, keyset-paged by entry: the entries come
from the per-content code index (``finding_codes``) and the run's dataset-level entries
(``run_entry_codes``), so a page reads only the entries it shows. The order and content are
those of the audit report (entry, then turn; an entry's own findings before dataset-level ones).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from threadsmith.config import Config
from threadsmith.errors import NotFound, UserError
from threadsmith.model import Finding, Severity
from threadsmith.store import DatasetRow, Store
from threadsmith.store.audit_cache import RunRow
from threadsmith.workspace.auditing import detect_version_kind, finding_of, plan_checks
from threadsmith.workspace.finding_rows import relocate_at


@dataclass(frozen=True, slots=True)
class FindingHit:
    """One open finding of a code: the entry (None for a dataset-wide finding), the turn, the message."""

    key: str | None
    message_index: int | None
    message: str
    dataset_level: bool


@dataclass(frozen=True, slots=True)
class CodeFindings:
    """One code's findings in a version: counts and a page of open findings."""

    code: str
    name: str
    family: str
    severity: str
    fix: str | None
    fix_safety: str | None
    #: Open findings (not dismissed).
    count: int
    dismissed: int
    entries: tuple[FindingHit, ...]
    #: Pass as ``cursor`` for the next page (None at the end).
    next_cursor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {**asdict(self), "entries": [asdict(hit) for hit in self.entries]}


@dataclass(frozen=True, slots=True)
class FamilyFindings:
    """A family's codes (most open findings first)."""

    family: str
    count: int
    codes: tuple[CodeFindings, ...]


@dataclass(frozen=True, slots=True)
class FindingsOverview:
    """Families (most open findings first) and the audit summary of a version."""

    dataset: str
    version: int
    summary: dict[str, Any]
    families: tuple[FamilyFindings, ...]

    def families_dict(self) -> list[dict[str, Any]]:
        """The families as plain data."""
        return [{"family": f.family, "count": f.count, "codes": [c.to_dict() for c in f.codes]} for f in self.families]


@dataclass(frozen=True, slots=True)
class StoredRun:
    """An audit run to read findings from, with its dataset-level findings by code."""

    dataset: DatasetRow
    version: int
    config_id: int
    run: RunRow
    dataset_findings: dict[str, list[Finding]]
    dismissed: dict[tuple[str, str], str]


#: Dataset-level findings of recent runs, grouped by code, keyed by (workspace file, run id, run
#: time): a run's findings never change (a re-audit stores a new run), and decoding them costs
#: about a second per request at 1M entries.
_GROUPED: dict[tuple[str, int, str], dict[str, list[Finding]]] = {}
_GROUPED_MAX = 4


def stored_run(store: Store, dataset: DatasetRow, version: int, config: Config) -> StoredRun | None:
    """The stored audit of a version under ``config`` (as the web audits: no tokenizer); None when not audited."""
    plan = plan_checks(config, detect_version_kind(store, dataset, version, config))
    config_id = store.audit.find_config(plan.fingerprint)
    try:
        run = store.audit.run(dataset.id, version, config_id, with_findings=False) if config_id is not None else None
        if run is None or not isinstance(run.summary.get("by_code"), dict):
            return None
        by_code = _grouped(store, dataset, version, run)
    except (ValueError, TypeError, KeyError):
        return None
    assert config_id is not None
    dismissed = {(d.entry_key, d.code): d.reason for d in store.dismissals.of_dataset(dataset.id)}
    return StoredRun(dataset, version, config_id, run, by_code, dismissed)


def _grouped(store: Store, dataset: DatasetRow, version: int, run: RunRow) -> dict[str, list[Finding]]:
    key = (str(store.path), run.id, run.created_at)
    if key not in _GROUPED:
        full = store.audit.run(dataset.id, version, run.config_id)
        if full is None or full.id != run.id:
            raise ValueError("the audit run changed while it was read")
        by_code: dict[str, list[Finding]] = defaultdict(list)
        for data in full.dataset_findings:
            finding = finding_of(data)
            by_code[finding.code].append(finding)
        if len(_GROUPED) >= _GROUPED_MAX:
            _GROUPED.pop(next(iter(_GROUPED)))
        _GROUPED[key] = dict(by_code)
    return _GROUPED[key]


def overview(store: Store, source: StoredRun, config: Config, per_code: int = 100) -> FindingsOverview:
    """Every code's counts and first ``per_code`` open findings."""
    dismissed = _dismissed_counts(store, source)
    codes = []
    for code, total in source.run.summary["by_code"].items():
        codes.append(code_page(store, source, code, limit=per_code, dismissed=dismissed.get(code, 0), total=total,
                               exact=True))
    families: dict[str, list[CodeFindings]] = defaultdict(list)
    for item in sorted(codes, key=lambda c: (-c.count, c.code)):
        families[item.family].append(item)
    grouped = sorted((FamilyFindings(name, sum(c.count for c in items), tuple(items)) for name, items in families.items()),
                     key=lambda f: (-f.count, f.family))
    return FindingsOverview(source.dataset.name, source.version, _summary(source.run.summary, config), tuple(grouped))


def code_page(store: Store, source: StoredRun, code: str, cursor: str | None = None, limit: int = 100,
              dismissed: int | None = None, total: int | None = None, exact: bool = False) -> CodeFindings:
    """One code's open findings in report order after ``cursor``, counts included (pass them when known).

    A page holds whole entries: at least ``limit`` findings (fewer at the end). With ``exact``, exactly
    ``limit``: when that stops inside an entry, the next page starts at that entry again."""
    run = source.run
    total = int(run.summary["by_code"].get(code, 0)) if total is None else total
    if dismissed is None:
        dismissed = _dismissed_counts(store, source, code).get(code, 0)
    hits: list[FindingHit] = []
    first: Finding | None = None
    after = _parse_cursor(cursor)
    wide, extra = _dataset_level(source, code)
    # Walk the version in order when the code is on more than ~1 entry in 70 (a page of 200 then reads
    # ~14,000 states; measured at 1M: 10-12 ms against ~100 ms for sorting 15-23k entries); otherwise
    # collect the code's entries and sort them (1-30 ms for up to a few thousand).
    dense = total * 70 >= int(run.summary.get("records") or 0)
    next_cursor = None
    while len(hits) < limit:
        rows = store.audit.code_entries(source.config_id, run.id, source.dataset.id, source.version, code, after, 200,
                                        dense=dense)
        for position, entry_id, key, findings in rows:
            found = _entry_findings(code, key, findings, extra.get(key, ()))
            first = first or (found[0] if found else None)
            before = after
            if (key, code) not in source.dismissed:
                hits += [FindingHit(key, f.message_index, f.message, f.entry_index is None) for f in found]
            after = (position, entry_id)
            if len(hits) >= limit:
                if exact and len(hits) > limit:  # stopped inside this entry: the next page starts at it again
                    del hits[limit:]
                    after = before
                next_cursor = "start" if after is None else f"{after[0]!r}:{after[1]}"
                break
        if len(rows) < 200:
            break
    if next_cursor is None:
        first = first or (wide[0] if wide else None)
        if ("", code) not in source.dismissed:
            hits += [FindingHit(None, f.message_index, f.message, True) for f in wide]
    if first is None and cursor is None:
        raise NotFound(f"No findings of {code} in {source.dataset.name} version {source.version}.")
    if first is None:  # every finding of the code is on an earlier page: read the first for its name and fix
        return _described(code_page(store, source, code, None, 1, dismissed, total), total - dismissed, hits,
                          next_cursor)
    return CodeFindings(code, first.name, first.family.value, first.severity.value,
                        str(first.fix) if first.fix else None, first.fix.safety.value if first.fix else None,
                        total - dismissed, dismissed, tuple(hits), next_cursor)


def _dataset_level(source: StoredRun, code: str) -> tuple[list[Finding], dict[str, list[Finding]]]:
    """The run's dataset-level findings of ``code``: those of no entry, and those of each entry key."""
    wide: list[Finding] = []
    by_key: dict[str, list[Finding]] = defaultdict(list)
    for f in source.dataset_findings.get(code, ()):
        if f.entry_id is None:
            wide.append(f)
        else:
            by_key[f.entry_id].append(f)
    return wide, by_key


def _described(model: CodeFindings, count: int, hits: list[FindingHit], next_cursor: str | None) -> CodeFindings:
    return CodeFindings(model.code, model.name, model.family, model.severity, model.fix, model.fix_safety, count,
                        model.dismissed, tuple(hits), next_cursor)


def _entry_findings(code: str, key: str, findings: bytes | None, extra: Sequence[Finding]) -> list[Finding]:
    """An entry's findings of ``code`` in report order: by turn, its own before the dataset-level ones."""
    own = [relocate_at(row, None, 0, key, None) for row in (orjson.loads(findings) if findings else ()) if row[0] == code]
    return sorted([*own, *extra], key=lambda f: f.message_index if f.message_index is not None else -1)


def _dismissed_counts(store: Store, source: StoredRun, code: str | None = None) -> dict[str, int]:
    """Findings per code on the dismissed (entry, code) pairs of this version."""
    pairs = [(key, c) for key, c in source.dismissed if code is None or c == code]
    rows = store.audit.findings_of_keys(source.config_id, source.dataset.id, source.version, {k for k, _ in pairs})
    counts: dict[str, int] = defaultdict(int)
    for key, c in pairs:
        counts[c] += sum(1 for row in orjson.loads(rows[key]) if row[0] == c) if key in rows else 0
        counts[c] += sum(1 for f in source.dataset_findings.get(c, ()) if (f.entry_id or "") == key)
    return dict(counts)


def _summary(stored: dict[str, Any], config: Config) -> dict[str, Any]:
    """The stored summary, its verdict under the current ``fail_on``."""
    threshold = None if config.fail_on == "never" else Severity(config.fail_on).rank
    failed = threshold is not None and any(n and Severity(s).rank >= threshold
                                           for s, n in stored.get("by_severity", {}).items())
    return {**stored, "fail_on": config.fail_on, "failed": failed}


def _parse_cursor(cursor: str | None) -> tuple[float, int] | None:
    if cursor is None or cursor == "start":
        return None
    position, _, entry_id = cursor.rpartition(":")
    try:
        return float(position), int(entry_id)
    except ValueError:
        raise UserError(f"Not a findings cursor: {cursor!r}.", hint="Pass the next_cursor of the previous page.") from None
