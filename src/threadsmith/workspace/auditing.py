"""Incremental audit of a workspace version: per-content results come from the cache.

Per-conversation findings and dataset-check summaries are cached per (check configuration,
content). Auditing a version checks only contents it has not seen under this configuration,
then feeds every entry's summary to the dataset checks in order (they need all of them) and
stores the run, so diffs and finding filters can use it. Check logic is the runner's.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

import threadsmith.checks as checks_package
from threadsmith.audit import AuditReport, AuditSummary
from threadsmith.checks import CheckSet, EntryRef, Runner, build_checks
from threadsmith.checks.profile import CheckContext, detect_kind
from threadsmith.config import Config
from threadsmith.model import Family, Finding, Fix, FixSafety, Severity, Source
from threadsmith.store import DatasetRow, Slot, Store
from threadsmith.store.audit_cache import CachedResult, dump_summaries, load_summaries
from threadsmith.store.codec import Entity, decode
from threadsmith.workers import worker_count
from threadsmith.workspace.reading import conversation_of
from threadsmith.workspace.versioning import utc_now

#: ``progress(done, total)``: entries audited so far.
AuditProgress = Callable[[int, int], None]
_CHUNK = 2000
_PARALLEL_MIN = 256


@dataclass(frozen=True, slots=True)
class CheckPlan:
    """The checks of one audit and the fingerprint its cache is keyed by."""

    config: Config
    context: CheckContext
    checks: CheckSet
    fingerprint: str


def plan_checks(config: Config, kind: str) -> CheckPlan:
    """Build the checks for ``config`` and dataset kind ``kind``, with their cache fingerprint."""
    context = CheckContext(kind=kind)
    checks = build_checks(config.select, config.ignore, config.checks, context)
    identity = {"codes": checks.codes, "options": config.checks, "kind": kind, "code": _checks_code_digest(),
                "threadsmith": _VERSION}
    digest = hashlib.sha256(orjson.dumps(identity, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()
    return CheckPlan(config, context, checks, digest)


_CODE_DIGEST: list[str] = []
try:
    _VERSION = metadata.version("threadsmith")
except metadata.PackageNotFoundError:  # a source tree that is not installed
    _VERSION = "0+unknown"


def _checks_code_digest() -> str:
    """A digest of the check modules' source: cached results never outlive a change to a check."""
    if not _CODE_DIGEST:
        folder = Path(checks_package.__file__).parent
        sha = hashlib.sha256()
        for path in sorted(folder.glob("*.py")):
            sha.update(path.name.encode() + path.read_bytes())
        _CODE_DIGEST.append(sha.hexdigest()[:16])
    return _CODE_DIGEST[0]


def finding_row(finding: Finding) -> list[Any]:
    """The parts of a finding that depend only on the content (cached)."""
    fix = finding.fix
    return [finding.code, finding.name, finding.family.value, finding.severity.value, finding.message,
            finding.message_index, finding.column, fix.description if fix else None, fix.safety.value if fix else None]


def relocate(row: Sequence[Any], slot: Slot, ordinal: int) -> Finding:
    """A cached finding row placed at one entry of a version."""
    fix = Fix(row[7], FixSafety(row[8])) if row[7] is not None else None
    return Finding(row[0], row[1], Family(row[2]), Severity(row[3]), row[4], slot.source_path, ordinal, slot.key,
                   row[5], slot.source_line, row[6], fix)


def included_slots(store: Store, dataset: DatasetRow, version: int) -> Iterator[list[Slot]]:
    """The version's included entries in order, a chunk at a time (a version never changes)."""
    after = None
    while True:
        chunk = list(store.states.slots(dataset.id, version, after=after, limit=_CHUNK))
        if not chunk:
            return
        after = (chunk[-1].position, chunk[-1].entry_id)
        yield [s for s in chunk if s.excluded is None]


def detect_version_kind(store: Store, dataset: DatasetRow, version: int, config: Config, size: int = 2000) -> str:
    """The configured kind, or the kind detected from the first ``size`` entries."""
    if config.kind != "auto":
        return config.kind
    sample = []
    for chunk in included_slots(store, dataset, version):
        bodies = store.contents.bodies(s.content_id for s in chunk)
        sample += [conversation_of(s, bodies[s.content_id]) for s in chunk]
        if len(sample) >= size:
            break
    return detect_kind(sample[:size])


class ResultSource:
    """Cached per-content results, computing (in worker processes when many) and caching what is missing."""

    def __init__(self, store: Store, plan: CheckPlan) -> None:
        self.store = store
        self.plan = plan
        with store.write():
            self.config_id = store.audit.config_id(plan.fingerprint, {"codes": plan.checks.codes,
                                                                       "kind": plan.context.kind})
        self.runner = Runner(plan.checks)
        self.computed = 0
        self._pool: Any = None

    def results(self, content_ids: Sequence[int]) -> dict[int, CachedResult]:
        """Every content's result, from the cache or computed now (and cached)."""
        found = self.store.audit.cached(self.config_id, content_ids)
        missing = [cid for cid in dict.fromkeys(content_ids) if cid not in found]
        if missing:
            bodies = self.store.contents.bodies(missing)
            computed = self._compute([(cid, bodies[cid]) for cid in missing])
            with self.store.write():
                self.store.audit.store(self.config_id, computed)
            for cid, (rows, blob) in computed.items():
                found[cid] = CachedResult(rows, _summaries_of(blob))
            self.computed += len(missing)
        return found

    def _compute(self, items: list[tuple[int, bytes]]) -> dict[int, tuple[list[list[Any]], bytes]]:
        if len(items) >= _PARALLEL_MIN and worker_count() > 1:
            if self._pool is None:
                method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
                spec = (self.plan.config.select, self.plan.config.ignore, self.plan.config.checks, self.plan.context)
                self._pool = multiprocessing.get_context(method).Pool(worker_count(), _init, (spec,))
            size = max(16, len(items) // (4 * worker_count()))
            parts = [items[i:i + size] for i in range(0, len(items), size)]
            return {cid: result for part in self._pool.map(_check_part, parts) for cid, result in part}
        return dict(check_contents(self.runner, items))

    def close(self) -> None:
        """Stop the worker processes, if any."""
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None


def _summaries_of(blob: bytes) -> tuple[Any, ...]:
    return load_summaries(blob) or ()


def check_contents(runner: Runner, items: Sequence[tuple[int, bytes]]) -> list[tuple[int, tuple[list[list[Any]], bytes]]]:
    """Check stored contents: ``(content id, (finding rows, pickled summaries))`` each."""
    out = []
    for cid, body in items:
        result = runner.process(decode(body, Entity(None, "", Source())))
        out.append((cid, ([finding_row(f) for f in result.findings], dump_summaries(result.summaries))))
    return out


_worker_runner: Runner | None = None


def _init(spec: tuple[Any, ...]) -> None:
    global _worker_runner
    select, ignore, options, context = spec
    _worker_runner = Runner(build_checks(select, ignore, options, context))


def _check_part(items: list[tuple[int, bytes]]) -> list[tuple[int, tuple[list[list[Any]], bytes]]]:
    assert _worker_runner is not None
    return check_contents(_worker_runner, items)


def audit_version(store: Store, dataset: DatasetRow, version: int, config: Config,
                  progress: AuditProgress | None = None) -> AuditReport:
    """Audit one version, reusing cached results; the report follows the audit JSON contract."""
    started = time.perf_counter()
    plan = plan_checks(config, detect_version_kind(store, dataset, version, config))
    source = ResultSource(store, plan)
    runner = Runner(plan.checks)
    findings: list[Finding] = []
    ordinal = 0
    total = store.versions.get(dataset, version).entries
    try:
        for chunk in included_slots(store, dataset, version):
            results = source.results([s.content_id for s in chunk])
            for slot in chunk:
                result = results[slot.content_id]
                findings += [relocate(row, slot, ordinal) for row in result.findings]
                runner.observe(result.summaries, EntryRef(slot.source_path, ordinal, slot.key, slot.source_line))
                ordinal += 1
            if progress is not None:
                progress(ordinal, total)
    finally:
        source.close()
    dataset_findings = runner.finish()
    findings += dataset_findings
    findings.sort(key=lambda f: (f.entry_index if f.entry_index is not None else 1 << 62,
                                 f.message_index if f.message_index is not None else -1, f.code))
    summary = summarize(findings, dataset.name, version, ordinal, config, plan, time.perf_counter() - started)
    _save_run(store, dataset, version, source.config_id, summary, dataset_findings)
    return AuditReport(tuple(findings), summary)


def summarize(findings: list[Finding], dataset: str, version: int, entries: int, config: Config, plan: CheckPlan,
              seconds: float) -> AuditSummary:
    """The summary object of the audit JSON contract, for a workspace version."""
    severities = Counter(f.severity.value for f in findings)
    threshold = None if config.fail_on == "never" else Severity(config.fail_on).rank
    return AuditSummary(
        files=(f"workspace:{dataset}@{version}",), records=entries, conversations=entries, unreadable=0,
        findings=len(findings), by_severity={s.value: severities.get(s.value, 0) for s in Severity},
        by_family=dict(Counter(f.family.value for f in findings).most_common()),
        by_code=dict(sorted(Counter(f.code for f in findings).items())),
        fixable=sum(1 for f in findings if f.fix is not None and f.fix.safety is FixSafety.SAFE),
        unsafe_fixable=sum(1 for f in findings if f.fix is not None and f.fix.safety is FixSafety.UNSAFE),
        fixes_applied=0, dropped=0, output=None, written=None, fail_on=config.fail_on,
        failed=threshold is not None and any(f.severity.rank >= threshold for f in findings),
        seconds=seconds, checks=tuple(plan.checks.codes), kind=plan.context.kind)


def _save_run(store: Store, dataset: DatasetRow, version: int, config_id: int, summary: AuditSummary,
              dataset_findings: list[Finding]) -> None:
    keys = {f.entry_id for f in dataset_findings if f.entry_id is not None}
    with store.write():
        ids = store.entries.ids_for_keys(dataset.id, keys)
        codes = [(f.code, ids[f.entry_id]) for f in dataset_findings if f.entry_id in ids]
        store.audit.save_run(dataset.id, version, config_id, utc_now(), summary.to_dict(),
                             [f.to_dict() for f in dataset_findings], codes)
