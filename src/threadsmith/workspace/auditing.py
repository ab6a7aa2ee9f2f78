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
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

import threadsmith.checks as checks_package
from threadsmith.audit import AuditReport, AuditSummary
from threadsmith.checks import CheckSet, Runner, build_checks
from threadsmith.checks.profile import CheckContext, kind_of_votes, kind_votes
from threadsmith.config import Config
from threadsmith.model import Family, Finding, Fix, FixSafety, Severity
from threadsmith.store import DatasetRow, Slot, Store
from threadsmith.store.audit_cache import CachedResult, dump_summaries, load_summaries
from threadsmith.store.codec import NO_ENTITY, decode
from threadsmith.workers import quiet_worker, worker_count
from threadsmith.workspace.finding_rows import finding_row, relocate_at
from threadsmith.workspace.observation import lanes, observe_version
from threadsmith.workspace.versioning import utc_now

#: ``progress(done, total)``: entries audited so far.
AuditProgress = Callable[[int, int], None]
#: Computed results: content id -> (finding rows, encoded summaries, see ``dump_summaries``).
Computed = dict[int, tuple[list[list[Any]], bytes]]
_CHUNK = 2000
#: Contents checked per batch (and per write transaction) when filling the cache.
_FILL_CHUNK = 4096
_PARALLEL_MIN = 256
#: Contents a batching check (the template checks render a batch at once) prepares for at a time.
_PREPARE_CHUNK = 512


@dataclass(frozen=True, slots=True)
class CheckPlan:
    """The checks of one audit and the fingerprint its cache is keyed by."""

    config: Config
    context: CheckContext
    checks: CheckSet
    fingerprint: str


def plan_checks(config: Config, kind: str, tokens: CheckContext | None = None) -> CheckPlan:
    """Build the checks for ``config`` and dataset kind ``kind``, with their cache fingerprint;
    ``tokens`` lends its tokenizer, ``train_on`` and ``max_tokens`` (template checks, real counts)."""
    context = CheckContext(kind=kind) if tokens is None else replace(tokens, kind=kind)
    checks = build_checks(config.select, config.ignore, config.checks, context)
    identity = {"codes": checks.codes, "options": config.checks, "kind": kind, "code": _checks_code_digest(),
                "threadsmith": _VERSION}
    if context.tokenizer is not None:
        identity["tokenizer"] = [context.tokenizer.fingerprint, context.train_on, context.max_tokens]
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
    """The configured kind, or the kind detected from the first ``size`` entries (remembered per
    sample; the votes of the dataset's last sample are kept too, so a sample that changed in a
    few entries decodes only those)."""
    if config.kind != "auto":
        return config.kind
    ids = store.states.included_content_ids(dataset.id, version, size)
    salt = f"{_checks_code_digest()} {_VERSION}"
    digest = hashlib.sha256(f"{salt} ".encode() + orjson.dumps(ids)).hexdigest()[:32]
    key = f"kind:{digest}"
    known = store.audit.remembered(key)
    if known is not None:
        return known
    votes = _kind_votes(store, dataset, ids, salt)
    kind = kind_of_votes([votes[cid] for cid in ids])
    if not store.db.conn.in_transaction:
        with store.write():
            store.audit.remember(key, kind)
            store.audit.remember(f"kind-votes:{dataset.id}", orjson.dumps({"salt": salt, "votes": votes},
                                                                          option=orjson.OPT_NON_STR_KEYS).decode())
    return kind


def _kind_votes(store: Store, dataset: DatasetRow, ids: list[int], salt: str) -> dict[int, tuple[bool, bool]]:
    """Each sampled content's kind votes: the dataset's last sample's where they still count, the others decoded."""
    votes: dict[int, tuple[bool, bool]] = {}
    try:
        last = orjson.loads(store.audit.remembered(f"kind-votes:{dataset.id}") or "{}")
        if last.get("salt") == salt:
            wanted = set(ids)
            votes = {int(cid): (bool(v[0]), bool(v[1])) for cid, v in last["votes"].items() if int(cid) in wanted}
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        votes = {}
    todo = [cid for cid in dict.fromkeys(ids) if cid not in votes]
    bodies = store.contents.bodies(todo)
    votes.update((cid, kind_votes(decode(bodies[cid], NO_ENTITY))) for cid in todo)
    return votes


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
            for cid, (rows, blob) in self._compute_and_store(missing).items():
                found[cid] = CachedResult(rows, _summaries_of(blob))
        return found

    def recompute(self, content_id: int) -> tuple[list[list[Any]], tuple[Any, ...]]:
        """One content's finding rows and summaries, computed (and cached) now: for a result that
        is missing or will not load when the version is observed."""
        result = self.results([content_id])[content_id]
        return result.findings, result.summaries

    def fill(self, content_ids: Sequence[int], progress: Callable[[int], None] | None = None) -> None:
        """Compute and cache the results of contents not cached yet, a chunk at a time.

        While the workers check one chunk, this process stores the one before and reads the next.
        """
        waiting: Callable[[], Computed] | None = None
        done = 0
        for start in range(0, len(content_ids), _FILL_CHUNK):
            chunk = content_ids[start:start + _FILL_CHUNK]
            bodies = self.store.contents.bodies(chunk)
            submitted = self._submit([(cid, bodies[cid]) for cid in chunk])
            if waiting is not None:
                done += self._store(waiting())
                if progress is not None:
                    progress(done)
            waiting = submitted
        if waiting is not None:
            done += self._store(waiting())
            if progress is not None:
                progress(done)

    def _compute_and_store(self, content_ids: Sequence[int]) -> Computed:
        bodies = self.store.contents.bodies(content_ids)
        computed = self._submit([(cid, bodies[cid]) for cid in content_ids])()
        self._store(computed)
        return computed

    def _store(self, computed: Computed) -> int:
        with self.store.write():
            self.store.audit.store(self.config_id, computed)
        self.computed += len(computed)
        return len(computed)

    def _submit(self, items: list[tuple[int, bytes]]) -> Callable[[], Computed]:
        """Start checking ``items`` (in the workers when many); a call that waits for the results."""
        if len(items) >= _PARALLEL_MIN and worker_count() > 1:
            if self._pool is None:
                method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
                spec = (self.plan.config.select, self.plan.config.ignore, self.plan.config.checks, self.plan.context)
                self._pool = multiprocessing.get_context(method).Pool(worker_count(), _init, (spec,))
            size = max(16, len(items) // (4 * worker_count()))
            pending = self._pool.map_async(_check_part, [items[i:i + size] for i in range(0, len(items), size)])
            return lambda: {cid: result for part in pending.get() for cid, result in part}
        computed = dict(check_contents(self.runner, items))
        return lambda: computed

    def close(self, abort: bool = False) -> None:
        """Stop the worker processes, if any (``abort``: at once, dropping their work)."""
        if self._pool is not None:
            if abort:
                self._pool.terminate()
            else:
                self._pool.close()
            self._pool.join()
            self._pool = None


def _summaries_of(blob: bytes) -> tuple[Any, ...]:
    return load_summaries(blob) or ()


def check_contents(runner: Runner, items: Sequence[tuple[int, bytes]]) -> list[tuple[int, tuple[list[list[Any]], bytes]]]:
    """Check stored contents: ``(content id, (finding rows, encoded summaries))`` each."""
    out = []
    first = lanes(runner.checks.dataset)[0]  # summaries kept in the two lanes observation reads them in
    for start in range(0, len(items), _PREPARE_CHUNK):
        part = items[start:start + _PREPARE_CHUNK]
        conversations = [decode(body, NO_ENTITY) for _, body in part]
        runner.prepare(conversations)  # checks that batch (template checks) see the batch first
        results = [runner.process(conversation, settle=False) for conversation in conversations]
        runner.settle([result.summaries for result in results])  # a batch at a time: one MinHash call for all
        for (cid, _), result in zip(part, results):
            out.append((cid, ([finding_row(f) for f in result.findings], dump_summaries(runner.stored(result.summaries), first))))
    return out


_worker_runner: Runner | None = None


def _init(spec: tuple[Any, ...]) -> None:
    global _worker_runner
    quiet_worker()
    select, ignore, options, context = spec
    _worker_runner = Runner(build_checks(select, ignore, options, context))


def _check_part(items: list[tuple[int, bytes]]) -> list[tuple[int, tuple[list[list[Any]], bytes]]]:
    assert _worker_runner is not None
    return check_contents(_worker_runner, items)


def audit_version(store: Store, dataset: DatasetRow, version: int, config: Config,
                  progress: AuditProgress | None = None, tokens: CheckContext | None = None,
                  refresh: bool = False) -> AuditReport:
    """Audit one version, reusing cached results; the report follows the audit JSON contract.

    A version already audited under this configuration is answered from what that audit
    stored (see :func:`stored_report`) unless ``refresh``. Otherwise the contents without a
    cached result under this configuration are checked (in worker processes when many) and
    cached; then one streaming query hands every included entry's cached findings and
    summaries, in order, to the dataset checks. Unchanged entries are never read or decoded again.
    """
    started = time.perf_counter()
    plan = plan_checks(config, detect_version_kind(store, dataset, version, config), tokens)
    source = ResultSource(store, plan)
    if not refresh:
        report = stored_report(store, dataset, version, plan, source.config_id, started)
        if report is not None:
            if progress is not None:
                progress(report.summary.records, report.summary.records)
            return report
    entries = store.versions.get(dataset, version).entries
    missing = store.audit.missing(source.config_id, dataset.id, version)
    total = entries + len(missing)
    try:
        source.fill(missing, None if progress is None else lambda done: progress(done, total))
        findings, dataset_findings, ordinal = observe_version(
            store, dataset, version, source.config_id, plan.checks, source.recompute, entries, progress,
            len(missing), total)
    except BaseException:  # Ctrl-C or an error: the workers stop now, not after their work
        source.close(abort=True)
        raise
    source.close()
    findings += dataset_findings
    findings.sort(key=_report_order)
    summary = summarize(findings, dataset.name, version, ordinal, config, plan, time.perf_counter() - started)
    _save_run(store, dataset, version, source.config_id, summary, dataset_findings)
    return AuditReport(tuple(findings), summary)


def stored_report(store: Store, dataset: DatasetRow, version: int, plan: CheckPlan, config_id: int,
                  started: float) -> AuditReport | None:
    """The report of a version audited before under this configuration, from what that audit stored:
    the entries' cached findings and the run's dataset findings (the dataset checks are not run
    again: a version never changes). None when there is no such run, a result is no longer cached,
    or what is stored does not add up (the caller then audits in full)."""
    try:
        run = store.audit.run(dataset.id, version, config_id)
        if run is None:
            return None
        findings: list[Finding] = []
        entries = store.versions.get(dataset, version).entries
        for ordinal, key, path, line, rows, cached in store.audit.entry_findings(config_id, dataset.id, version):
            if not cached:
                return None
            findings += [relocate_at(row, path, ordinal, key, line) for row in orjson.loads(rows)]
        dataset_findings = [finding_of(d) for d in run.dataset_findings]
    except (ValueError, TypeError, KeyError, IndexError):  # a damaged run or result: audit in full
        return None
    findings += dataset_findings
    findings.sort(key=_report_order)
    records = int(run.summary.get("records", -1))
    summary = summarize(findings, dataset.name, version, records, plan.config, plan, time.perf_counter() - started)
    if summary.by_code != run.summary.get("by_code") or records > entries:
        return None
    return AuditReport(tuple(findings), summary)


def _report_order(f: Finding) -> tuple[int, int, str]:
    """Findings in report order: by entry (dataset-wide ones last), then message, then code."""
    return (f.entry_index if f.entry_index is not None else 1 << 62,
            f.message_index if f.message_index is not None else -1, f.code)


def finding_of(data: dict[str, Any]) -> Finding:
    """A finding back from :meth:`Finding.to_dict` (the fix is spelled ``description (safety fix)``)."""
    fix = None
    if data["fix"] is not None:
        description, _, safety = str(data["fix"]).rpartition(" (")
        fix = Fix(description, FixSafety(safety.removesuffix(" fix)")))
    return Finding(data["code"], data["name"], Family(data["family"]), Severity(data["severity"]), data["message"],
                   data["path"], data["entry_index"], data["entry_id"], data["message_index"], data["line"],
                   data["column"], fix)


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
