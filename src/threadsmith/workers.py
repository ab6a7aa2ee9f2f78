"""Parallel audit: JSONL lines are checked in worker processes, in order.

The main process reads raw lines and hands out chunks; each worker decodes, fixes, checks
and summarizes its chunk, settles the chunk's dataset-check summaries together (one MinHash
call for the chunk, see :meth:`Runner.settle`) and returns small results (findings, summaries,
the fixed record as bytes). The main process feeds the summaries to the dataset checks in input
order, so results are identical to a sequential run.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

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


class LineResult(NamedTuple):
    """One line's outcome, as the main process needs it.

    A named tuple, not a dataclass: thousands a second are pickled from the workers, and a
    tuple loads several times faster than a frozen dataclass (whose state is set field by field).
    """

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
    return check_items([item], runner, write, encode)[0]


def check_items(items: Sequence[Conversation | RecordProblem], runner: Runner, write: bool,
                encode: bool) -> list[LineResult]:
    """Check (and fix) read items, their dataset summaries settled together (see
    :meth:`Runner.settle`); ``encode`` turns the records to write into bytes."""
    runner.prepare([item for item in items if not isinstance(item, RecordProblem)])
    results = [None if isinstance(item, RecordProblem) else runner.process(item, settle=False) for item in items]
    if runner.fix and any(r is not None and r.parts for r in results):  # a fix split entries: check each part
        items, results = _with_parts(items, results, runner)
    runner.settle([r.summaries for r in results if r is not None and r.conversation is not None])
    out = []
    for item, result in zip(items, results):
        if result is None:
            out.append(LineResult(problem=runner.problem_finding(item), unreadable=True))  # type: ignore[arg-type]
            continue
        conversation = result.conversation
        if conversation is None:
            out.append(LineResult(fixes_applied=result.fixes_applied, dropped=True))
            continue
        record: Conversation | bytes | None = None
        if write:
            record = dumps(to_record(conversation)) if encode else conversation
        source = item.source  # type: ignore[union-attr]
        out.append(LineResult(None, False, tuple(result.findings), tuple(result.summaries),
                              (source.index, conversation.id, source.line), result.fixes_applied, False, record))
    return out


def _with_parts(items: Sequence[Conversation | RecordProblem], results: list[Any],
                runner: Runner) -> tuple[list[Conversation | RecordProblem], list[Any]]:
    """Items and results with the parts of split entries after their entry (same source)."""
    out_items: list[Conversation | RecordProblem] = []
    out_results: list[Any] = []
    for item, result in zip(items, results):
        out_items.append(item)
        out_results.append(result)
        for part in result.parts if result is not None else ():
            out_items.append(part)
            out_results.append(runner.process(part, settle=False))
    return out_items, out_results


_runner: Runner | None = None
_spec: WorkerSpec | None = None


def worker_count() -> int:
    """Workers to use: THREADSMITH_WORKERS, else one per core (1 means in-process)."""
    configured = os.environ.get("THREADSMITH_WORKERS")
    if configured and configured.isdigit():
        return max(1, int(configured))
    return os.cpu_count() or 1


def quiet_worker() -> None:
    """Call first in every worker process: Ctrl-C reaches the whole process group, and only the
    main process should answer it (it stops the workers); a worker would print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _init(spec: WorkerSpec) -> None:
    global _runner, _spec
    quiet_worker()
    checks = build_checks(spec.select, spec.ignore, spec.options, spec.context)
    _runner = Runner(checks, fix=spec.fix, unsafe_fixes=spec.unsafe_fixes)
    _spec = spec


def check_chunk(path: str, chunk: Sequence[tuple[int, int, bytes]]) -> list[LineResult]:
    """Decode, fix, check and summarize one chunk of lines (runs in a worker)."""
    assert _runner is not None and _spec is not None
    runner, spec = _runner, _spec
    items = [decode_line(raw, RecordContext(path, index, line, spec.role_map)) for index, line, raw in chunk]
    return check_items(items, runner, spec.write, True)


def _run(args: tuple[str, Sequence[tuple[int, int, bytes]]]) -> list[LineResult]:
    return check_chunk(*args)


def check_lines(path: str, chunks: Iterable[Sequence[tuple[int, int, bytes]]], spec: WorkerSpec,
                workers: int) -> Iterator[list[LineResult]]:
    """Every chunk's line results, in input order, computed by ``workers`` processes."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with context.Pool(workers, initializer=_init, initargs=(spec,)) as pool:
        yield from pool.imap(_run, ((path, chunk) for chunk in chunks), chunksize=1)
