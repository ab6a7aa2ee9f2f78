"""Parallel audit: JSONL lines are checked in worker processes, in order.

The main process reads raw lines and hands out chunks; each worker decodes, fixes, checks
and summarizes its chunk and returns small results (findings, dataset-check summaries, the
fixed record as bytes). The main process feeds the summaries to the dataset checks in input
order, so results are identical to a sequential run.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from threadsmith.checks import Runner, build_checks
from threadsmith.checks.profile import CheckContext
from threadsmith.formats import RecordContext, decode_line, dumps, to_record
from threadsmith.model import Conversation, Finding, RecordProblem

#: Lines per chunk handed to a worker: big enough to amortize pickling, small enough to stream.
CHUNK_LINES = 512
#: Files smaller than this are audited in-process (starting workers costs more than it saves).
MIN_PARALLEL_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """Everything a worker needs to rebuild the runner (must pickle)."""

    select: tuple[str, ...]
    ignore: tuple[str, ...]
    options: Mapping[str, Mapping[str, Any]]
    context: CheckContext
    fix: bool
    unsafe_fixes: bool
    role_map: Mapping[str, str]
    write: bool


@dataclass(frozen=True, slots=True)
class LineResult:
    """One line's outcome, as the main process needs it."""

    problem: Finding | None = None
    unreadable: bool = False
    findings: tuple[Finding, ...] = ()
    summaries: tuple[Any, ...] = ()
    ref: tuple[int | None, str, int | None] | None = None  # (entry index, entry id, line)
    fixes_applied: int = 0
    dropped: bool = False
    #: What to write to a fixed copy: the encoded record (from a worker) or the conversation.
    record: Conversation | bytes | None = None


def line_result(item: Conversation | RecordProblem, runner: Runner, write: bool, encode: bool) -> LineResult:
    """Check (and fix) one read item; ``encode`` turns the record to write into bytes."""
    if isinstance(item, RecordProblem):
        return LineResult(problem=runner.problem_finding(item), unreadable=True)
    result = runner.process(item)
    conversation = result.conversation
    if conversation is None:
        return LineResult(fixes_applied=result.fixes_applied, dropped=True)
    record: Conversation | bytes | None = None
    if write:
        record = dumps(to_record(conversation)) if encode else conversation
    return LineResult(
        findings=tuple(result.findings), summaries=tuple(result.summaries),
        ref=(item.source.index, conversation.id, item.source.line), fixes_applied=result.fixes_applied, record=record,
    )


_runner: Runner | None = None
_spec: WorkerSpec | None = None


def worker_count() -> int:
    """Workers to use: THREADSMITH_WORKERS, else one per core (1 means in-process)."""
    configured = os.environ.get("THREADSMITH_WORKERS")
    if configured and configured.isdigit():
        return max(1, int(configured))
    return os.cpu_count() or 1


def _init(spec: WorkerSpec) -> None:
    global _runner, _spec
    checks = build_checks(spec.select, spec.ignore, spec.options, spec.context)
    _runner = Runner(checks, fix=spec.fix, unsafe_fixes=spec.unsafe_fixes)
    _spec = spec


def check_chunk(path: str, chunk: Sequence[tuple[int, int, bytes]]) -> list[LineResult]:
    """Decode, fix, check and summarize one chunk of lines (runs in a worker)."""
    assert _runner is not None and _spec is not None
    runner, spec = _runner, _spec
    return [
        line_result(decode_line(raw, RecordContext(path, index, line, spec.role_map)), runner, spec.write, True)
        for index, line, raw in chunk
    ]


def _run(args: tuple[str, Sequence[tuple[int, int, bytes]]]) -> list[LineResult]:
    return check_chunk(*args)


def check_lines(path: str, chunks: Iterable[Sequence[tuple[int, int, bytes]]], spec: WorkerSpec,
                workers: int) -> Iterator[LineResult]:
    """Every line's result, in input order, computed by ``workers`` processes."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with context.Pool(workers, initializer=_init, initargs=(spec,)) as pool:
        for results in pool.imap(_run, ((path, chunk) for chunk in chunks), chunksize=1):
            yield from results
