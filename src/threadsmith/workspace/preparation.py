"""Preparing the records of a file for the store, in worker processes for large JSONL files.

The main process only cuts the file into byte ranges at line ends and counts the lines in
each (vectorized), so every range knows its first line number and entry index. Each worker
reads its ranges from the file itself, decodes and prepares the records (canonical bytes,
digest, stats, facets) and sends back flat tuples (:data:`~threadsmith.store.bulk.Record`):
no raw line crosses a pipe, and no per-record object is built for the writer. Results come
back in file order.

Line numbers, entry indices and assigned ids are exactly those of
:func:`threadsmith.formats.read_file` (blank lines skipped, a byte order mark removed).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import threading
from collections import deque
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

from threadsmith.errors import UserError
from threadsmith.formats import RecordContext, decode_line, jsonl_chunks, read_file
from threadsmith.model import Conversation, RecordProblem
from threadsmith.store import prepare
from threadsmith.store.bulk import Record
from threadsmith.workers import MIN_PARALLEL_BYTES, quiet_worker, worker_count

#: Records and problems of one chunk, in file order within each list.
Prepared = tuple[list[Record], list[RecordProblem]]
#: ``(start, end, lines before, records before)`` of one byte range.
Task = tuple[int, int, int, int]
#: Bytes per range handed to a worker (about 400 conversations of the benchmark data).
RANGE_BYTES = 1 << 20
#: Records per chunk when reading in this process.
SEQUENTIAL_CHUNK = 1000
#: Ranges sent ahead to each worker, so none waits for the next while the writer is busy.
_AHEAD = 3
_BOM = b"\xef\xbb\xbf"
#: ``bytes.strip`` whitespace and the line end: a line that begins with one may be blank.
_LINE_SPACE = b"\n \t\r\x0b\x0c"
_SPACE_TABLE = bytes(byte in _LINE_SPACE for byte in range(256))


def prepare_record(conversation: Conversation) -> Record:
    """The flat record of one conversation read from a file (pure; runs in worker processes)."""
    content = prepare(conversation, with_text=False)
    source = conversation.source
    return (conversation.id, None if conversation.id_assigned else conversation.id, source.line, source.index,
            source.format, content.hash, content.body, content.stats.turns, content.stats.chars,
            content.stats.roles, content.facets)


def prepared_chunks(path: str, role_map: dict[str, str]) -> Iterator[Prepared]:
    """The records of one file, prepared, in file order, in chunks (in parallel for large JSONL)."""
    workers = worker_count()
    if workers > 1 and os.path.getsize(path) >= MIN_PARALLEL_BYTES and jsonl_chunks(path) is not None:
        with _Pool(path, role_map, workers) as pool:
            yield from pool.results(plan_ranges(path, RANGE_BYTES))
        return
    records: list[Record] = []
    problems: list[RecordProblem] = []
    for item in read_file(path, role_map=role_map):
        if isinstance(item, RecordProblem):
            problems.append(item)
            continue
        records.append(prepare_record(item))
        if len(records) >= SEQUENTIAL_CHUNK:
            yield records, problems
            records, problems = [], []
    if records or problems:
        yield records, problems


def plan_ranges(path: str, size: int = RANGE_BYTES) -> Iterator[Task]:
    """Byte ranges of about ``size`` cut after a line end, with the lines and records before each."""
    import numpy as np

    offset = lines = records = 0
    with open(path, "rb") as handle:
        while True:
            handle.seek(offset)
            block = handle.read(size)
            if not block:
                return
            cut = block.rfind(b"\n") + 1
            while cut == 0:  # a line longer than the block
                more = handle.read(len(block))
                if not more:
                    cut = len(block)  # the last line, without a line end
                    break
                block += more
                cut = block.rfind(b"\n") + 1
            ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8, count=cut) == 0x0A)
            ended = len(ends) > 0 and int(ends[-1]) == cut - 1
            count = len(ends) + (not ended)
            yield offset, offset + cut, lines, records
            records += count - _blank_lines(block, cut, ends[:-1] + 1 if ended else ends + 1, offset == 0)
            lines += count
            offset += cut


def _blank_lines(block: bytes, cut: int, starts: Any, first: bool) -> int:
    """How many lines of ``block[:cut]`` (the later ones beginning at ``starts``) the readers skip as blank."""
    import numpy as np

    opening = np.frombuffer(block, dtype=np.uint8, count=cut)[starts]
    if block[:1] not in _LINE_SPACE and not (first and block.startswith(_BOM)) and \
            not np.frombuffer(_SPACE_TABLE, dtype=np.uint8)[opening].any():
        return 0
    lines = block[:cut].split(b"\n")
    if block[cut - 1:cut] == b"\n":
        lines.pop()
    if first:
        lines[0] = lines[0].removeprefix(_BOM)
    return sum(1 for line in lines if not line.strip())


def prepare_range(path: str, handle: Any, task: Task, role_map: dict[str, str]) -> Prepared:
    """Decode and prepare the lines of one byte range (runs in a worker process)."""
    start, end, line_no, index = task
    handle.seek(start)
    data = handle.read(end - start)
    records: list[Record] = []
    problems: list[RecordProblem] = []
    pos = 0
    while pos < len(data):
        stop = data.find(b"\n", pos) + 1 or len(data)
        raw = data[pos:stop]
        pos = stop
        line_no += 1
        if line_no == 1:
            raw = raw.removeprefix(_BOM)
        if not raw.strip():
            continue
        item = decode_line(raw, RecordContext(path, index, line_no, role_map))
        index += 1
        if isinstance(item, RecordProblem):
            problems.append(item)
        else:
            records.append(prepare_record(item))
    return records, problems


class _Pool:
    """Worker processes preparing the ranges of one file; results come back in order.

    A thread per worker moves each finished result from the pipe into a queue, so a worker never
    waits for the writer to take its result.
    """

    def __init__(self, path: str, role_map: dict[str, str], workers: int) -> None:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        labels = {label.strip().lower(): role for label, role in role_map.items()}
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        self.queues: list[queue.SimpleQueue[Prepared | str | None]] = []
        self.threads: list[threading.Thread] = []
        for _ in range(workers):
            parent, child = context.Pipe()
            self.conns.append(parent)
            # A forked worker closes its copies of the main process's ends, so that it sees the end
            # of its pipe (and stops) when the main process is gone, even after a kill.
            inherited = list(self.conns) if method == "fork" else []
            proc = context.Process(target=_serve, args=(child, path, labels, inherited), daemon=True)
            proc.start()
            child.close()
            self.procs.append(proc)
        for parent in self.conns:  # threads start after the last fork
            inbox: queue.SimpleQueue[Prepared | str | None] = queue.SimpleQueue()
            thread = threading.Thread(target=_receive, args=(parent, inbox), daemon=True)
            thread.start()
            self.queues.append(inbox)
            self.threads.append(thread)

    def results(self, tasks: Iterator[Task]) -> Iterator[Prepared]:
        """The prepared chunk of each task, in task order."""
        waiting: deque[int] = deque()
        sent = 0

        def send() -> None:
            nonlocal sent
            task = next(tasks, None)
            if task is not None:
                worker = sent % len(self.conns)
                self.conns[worker].send(task)
                waiting.append(worker)
                sent += 1

        for _ in range(_AHEAD * len(self.conns)):
            send()
        while waiting:
            result = self.queues[waiting.popleft()].get()
            if result is None:
                raise UserError("A worker process preparing the import stopped unexpectedly; nothing was imported.",
                                hint="Check free memory, or import with THREADSMITH_WORKERS=1.")
            if isinstance(result, str):
                raise RuntimeError(f"preparing the import failed in a worker process:\n{result}")
            send()
            yield result

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        for conn in self.conns:
            try:
                conn.send(None)  # the worker stops after its current range; its receiver then sees the end
            except OSError:
                pass
        for thread, proc in zip(self.threads, self.procs):
            thread.join(timeout=10)
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        for conn in self.conns:
            conn.close()


def _receive(conn: Connection, inbox: queue.SimpleQueue[Prepared | str | None]) -> None:
    """Move every result of one worker from its pipe to ``inbox``; None when the worker is gone.

    Results are unpickled here: the writer spends most of its time in SQLite, which releases
    the interpreter lock, so this overlaps with the writing instead of adding to it.
    """
    while True:
        try:
            inbox.put(pickle.loads(conn.recv_bytes()))
        except (EOFError, OSError):
            inbox.put(None)
            return


def _serve(conn: Connection, path: str, role_map: dict[str, str], inherited: list[Connection]) -> None:
    """A worker: prepare each range received until told to stop (None) or the main process is gone."""
    import traceback

    quiet_worker()
    for other in inherited:
        other.close()
    with open(path, "rb") as handle:
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):
                return
            if task is None:
                return
            try:
                result: Prepared | str = prepare_range(path, handle, task, role_map)
            except Exception:
                result = traceback.format_exc()
            try:
                conn.send(result)
            except (BrokenPipeError, OSError):
                return

