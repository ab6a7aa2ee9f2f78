"""The audit facade: read dataset files, run the checks, optionally write a fixed copy.

This is the library call behind ``threadsmith audit``. It streams: memory holds the findings
and what dataset-level checks need, never the dataset itself.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threadsmith.checks import EntryRef, Runner, build_checks
from threadsmith.checks.profile import CheckContext, detect_kind
from threadsmith.config import Config
from threadsmith.errors import InputNotFound, UserError
from threadsmith.formats import DATASET_SUFFIXES, jsonl_chunks, read_file, write_jsonl
from threadsmith.model import Conversation, Finding, FixSafety, Severity
if TYPE_CHECKING:
    from threadsmith.rendering import ChatTokenizer
from threadsmith.workers import (
    CHUNK_LINES,
    MIN_PARALLEL_BYTES,
    LineResult,
    WorkerSpec,
    check_items,
    check_lines,
    worker_count,
)

#: ``progress(path, bytes_done, bytes_total)`` is called now and then while a file is read.
ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class AuditSummary:
    """Counts that describe one audit run (the ``summary`` object of the JSON contract)."""

    files: tuple[str, ...]
    records: int
    conversations: int
    unreadable: int
    findings: int
    by_severity: dict[str, int]
    by_family: dict[str, int]
    by_code: dict[str, int]
    fixable: int
    unsafe_fixable: int
    fixes_applied: int
    dropped: int
    output: str | None
    written: int | None
    fail_on: str
    failed: bool
    seconds: float
    checks: tuple[str, ...] = field(default=())
    kind: str = "assistant"

    def to_dict(self) -> dict[str, Any]:
        """The summary as the JSON contract spells it (docs/audit-json.md)."""
        return {
            "files": list(self.files),
            "records": self.records,
            "conversations": self.conversations,
            "unreadable_records": self.unreadable,
            "findings": self.findings,
            "by_severity": self.by_severity,
            "by_family": self.by_family,
            "by_code": self.by_code,
            "fixable": self.fixable,
            "unsafe_fixable": self.unsafe_fixable,
            "fixes_applied": self.fixes_applied,
            "dropped": self.dropped,
            "output": self.output,
            "written": self.written,
            "fail_on": self.fail_on,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "checks": list(self.checks),
            "kind": self.kind,
        }


@dataclass(frozen=True, slots=True)
class AuditReport:
    """Findings in file order plus the summary."""

    findings: tuple[Finding, ...]
    summary: AuditSummary

    def to_dict(self) -> dict[str, Any]:
        """``{"findings": [...], "summary": {...}}``: the audit JSON contract."""
        return {"findings": [f.to_dict() for f in self.findings], "summary": self.summary.to_dict()}

    @property
    def exit_code(self) -> int:
        """0 when nothing reaches the fail level, 1 otherwise."""
        return 1 if self.summary.failed else 0


#: Files a folder holds beside the data that are not datasets: Hugging Face ``save_to_disk``'s
#: metadata and an export's manifest (read when named, never when a folder is expanded).
NOT_DATA = frozenset({"dataset_info.json", "state.json", "dataset_dict.json", "manifest.json"})


def expand_paths(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Files as given, folders expanded to the dataset files inside them (sorted; :data:`NOT_DATA` left out)."""
    out: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(DATASET_SUFFIXES)
                           and p.name.lower() not in NOT_DATA)
            if not found:
                raise InputNotFound(f"The folder {path} holds no dataset files ({', '.join(DATASET_SUFFIXES)}).")
            out += found
        elif path.is_file():
            out.append(str(path))
        else:
            raise InputNotFound(f"No such file or folder: {path}")
    if not out:
        raise InputNotFound("No input files given.", hint="Pass one or more dataset files or folders.")
    return out


def default_output(path: str) -> str:
    """Where ``--fix`` writes when no output is given: ``name.fixed.jsonl`` beside the input."""
    p = Path(path)
    stem = p.name.split(".", 1)[0]
    return str(p.with_name(f"{stem}.fixed.jsonl"))


def audit(
    paths: Sequence[str | os.PathLike[str]],
    *,
    config: Config | None = None,
    fix: bool = False,
    unsafe_fixes: bool = False,
    output: str | os.PathLike[str] | None = None,
    progress: ProgressCallback | None = None,
    tokenizer: ChatTokenizer | None = None,
    train_on: str = "all",
    max_tokens: int | None = None,
) -> AuditReport:
    """Audit dataset files; with ``fix``, write a fixed copy to ``output`` (inputs are never modified).

    With ``tokenizer`` (:func:`threadsmith.rendering.load_tokenizer`) the template checks (TM) run
    and the length checks count real tokens; ``train_on`` ("all" or "last") and ``max_tokens`` (the
    training sequence length) are what training will use.
    """
    started = time.perf_counter()
    config = config or Config()
    files = expand_paths(paths)
    fix = fix or unsafe_fixes
    target = _output_path(files, output, fix)
    context = CheckContext(kind=config.kind if config.kind != "auto" else sample_kind(files, config),
                           tokenizer=tokenizer, train_on=train_on, max_tokens=max_tokens)
    checks = build_checks(config.select, config.ignore, config.checks, context)
    runner = Runner(checks, fix=fix, unsafe_fixes=unsafe_fixes)
    spec = WorkerSpec(config.select, config.ignore, config.checks, context, fix, unsafe_fixes, config.roles,
                      write=target is not None)
    state = _RunState()
    entries = _entries(files, runner, spec, state, progress)
    written = None
    if target is not None:
        written = write_jsonl(entries, target).records
    else:
        for _ in entries:
            pass
    findings = state.findings + runner.finish()
    order = {path: i for i, path in enumerate(files)}
    findings.sort(key=lambda f: (order.get(f.path, len(order)), f.entry_index if f.entry_index is not None else 1 << 62,
                                 f.message_index if f.message_index is not None else -1, f.code))
    summary = _summarize(findings, files, state, config, target, written, time.perf_counter() - started, runner,
                         context.kind)
    return AuditReport(tuple(findings), summary)


@dataclass(slots=True)
class _RunState:
    records: int = 0
    conversations: int = 0
    unreadable: int = 0
    fixes_applied: int = 0
    dropped: int = 0
    findings: list[Finding] = field(default_factory=list)


def _entries(
    files: list[str], runner: Runner, spec: WorkerSpec, state: _RunState, progress: ProgressCallback | None,
) -> Iterator[Conversation | bytes]:
    """Every conversation to write, in input order, with the findings gathered on the way."""
    workers = worker_count()
    for path in files:
        total = os.path.getsize(path)
        report = (lambda done, p=path, t=total: progress(p, done, t)) if progress else None
        chunks = jsonl_chunks(path, progress=report) if workers > 1 and total >= MIN_PARALLEL_BYTES else None
        if chunks is not None:
            batches = check_lines(path, chunks, spec, workers)
        else:
            items = read_file(path, role_map=spec.role_map, progress=report)
            batches = (check_items(batch, runner, spec.write, False) for batch in _batched(items, CHUNK_LINES))
        for results in batches:
            yield from _account(results, runner, state, path)
        if progress:
            progress(path, total, total)


def _batched(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _account(results: list[LineResult], runner: Runner, state: _RunState, path: str) -> list[Conversation | bytes]:
    """Count a batch of lines' outcomes, keep their findings, feed the dataset checks (one call
    per check for the batch); the records to write."""
    rows, refs, records = [], [], []
    for result in results:
        state.records += 1
        if result.unreadable:
            state.unreadable += 1
            if result.problem is not None:
                state.findings.append(result.problem)
            continue
        state.conversations += 1
        state.fixes_applied += result.fixes_applied
        if result.dropped or (runner.fix and runner.drops(result.summaries)):
            state.fixes_applied += 0 if result.dropped else 1
            state.dropped += 1
            continue
        if result.findings:
            state.findings += result.findings
        assert result.ref is not None
        rows.append(result.summaries)
        refs.append(EntryRef(path, *result.ref))
        if result.record is not None:
            records.append(result.record)
    runner.observe_many(rows, refs)
    return records


def sample_kind(files: Sequence[str], config: Config, size: int = 2000) -> str:
    """The dataset kind detected from the first ``size`` conversations of the inputs."""

    def sample() -> Iterator[Conversation]:
        taken = 0
        for path in files:
            for item in read_file(path, role_map=config.roles):
                if isinstance(item, Conversation):
                    yield item
                    taken += 1
                    if taken >= size:
                        return

    return detect_kind(sample())


def _output_path(files: list[str], output: str | os.PathLike[str] | None, fix: bool) -> str | None:
    if output is None:
        if not fix:
            return None
        if len(files) > 1:
            raise UserError("--fix with several inputs needs one output file.", hint="Add -o FIXED.jsonl.")
        output = default_output(files[0])
    target = os.path.abspath(os.fspath(output))
    if any(os.path.abspath(f) == target for f in files):
        raise UserError(f"Refusing to overwrite the input {output}; threadsmith never modifies inputs in place.",
                        hint="Choose another output path with -o.")
    return target


def _summarize(
    findings: list[Finding], files: list[str], state: _RunState, config: Config,
    target: str | None, written: int | None, seconds: float, runner: Runner, kind: str,
) -> AuditSummary:
    severities = Counter(f.severity.value for f in findings)
    fixable = sum(1 for f in findings if f.fix is not None and f.fix.safety is FixSafety.SAFE)
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.safety is FixSafety.UNSAFE)
    threshold = None if config.fail_on == "never" else Severity(config.fail_on).rank
    failed = threshold is not None and any(f.severity.rank >= threshold for f in findings)
    return AuditSummary(
        files=tuple(files),
        records=state.records,
        conversations=state.conversations,
        unreadable=state.unreadable,
        findings=len(findings),
        by_severity={s.value: severities.get(s.value, 0) for s in Severity},
        by_family=dict(Counter(f.family.value for f in findings).most_common()),
        by_code=dict(sorted(Counter(f.code for f in findings).items())),
        fixable=fixable,
        unsafe_fixable=unsafe,
        fixes_applied=state.fixes_applied,
        dropped=state.dropped,
        output=target,
        written=written,
        fail_on=config.fail_on,
        failed=failed,
        seconds=seconds,
        checks=tuple(runner.checks.codes),
        kind=kind,
    )
