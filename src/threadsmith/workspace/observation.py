"""Observation: a version's cached summaries fed, in order, to the dataset checks.

Once every entry's result is cached, the dataset checks must still see every entry's summary in
order (they decide at the end), and the entries' findings are placed at their ordinals. That
pass is all a re-audit of a slightly changed version costs, so on a large version it runs in two
processes: the dataset checks are split into two *lanes* of about equal cost
(:attr:`DatasetCheck.observe_cost`); this process reads the rows, places the findings and
observes its lane, and hands each chunk's raw summaries to a forked process that decodes and
observes the other lane (a thread writes them, so this process reads on meanwhile). The forked
process never touches the database (a SQLite connection must not cross a fork), so the checks
that read entries back at the end (:attr:`DatasetCheck.recalls`) are observed here. Each check
sees exactly what it would see alone, and the dataset findings are put back in check order, so
the report is identical to a one-process pass.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import queue
import threading
import traceback
from array import array
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

import orjson

from threadsmith.checks import CheckSet, EntryRef, Runner
from threadsmith.checks.base import DatasetCheck, Recall
from threadsmith.model import Conversation, Finding
from threadsmith.store import DatasetRow, Store
from threadsmith.store.audit_cache import LaneLayout, dump_lane, load_lane, load_summaries
from threadsmith.store.codec import NO_ENTITY, decode
from threadsmith.workers import quiet_worker, worker_count
from threadsmith.workspace.finding_rows import relocate_at

#: Entries a version needs before its observation is split across two processes (below it,
#: starting a process costs more than it saves).
PARALLEL_MIN_ENTRIES = 20_000
_CHUNK = 2000
#: What reading the rows, placing findings and handing chunks over costs this process, in the
#: units of :attr:`DatasetCheck.observe_cost` (so its lane is the lighter one).
_READER_COST = 16.0
#: Chunks handed over but not yet taken by the second process: this process reads on meanwhile.
_AHEAD = 6

#: ``progress(done, total)``: entries observed so far.
Progress = Callable[[int, int], None]
#: Computes one content's result now (when its cached one is missing or will not load): finding rows, summaries.
Recompute = Callable[[int], tuple[list[list[Any]], tuple[Any, ...]]]


def lanes(checks: Sequence[DatasetCheck], reader_cost: float = _READER_COST) -> tuple[list[int], list[int]]:
    """Positions of the checks observed here and of those observed by the second process.

    This process keeps the costliest check (whose summaries are the largest, as a rule: they then
    never cross to the other process) and every check that reads entries back
    (:attr:`DatasetCheck.recalls`: only this process reads the database) on top of reading; the
    others go, costliest first, each to the lane with less work so far. A check that shares its
    summaries' values with another (:attr:`DatasetCheck.observe_with`) goes where that one goes.
    """
    codes = {type(check).code: d for d, check in enumerate(checks)}
    partner = {d: codes.get(type(check).observe_with or "", -1) for d, check in enumerate(checks)}
    cost = {d: type(check).observe_cost for d, check in enumerate(checks)}
    for d, p in partner.items():
        if p >= 0:
            cost[p] += cost[d]
    order = sorted((d for d in range(len(checks)) if partner[d] < 0), key=lambda d: -cost[d])
    here = order[:1] + [d for d in order[1:] if type(checks[d]).recalls]
    order = [d for d in order if d not in here]
    there: list[int] = []
    load_here, load_there = reader_cost + sum(cost[d] for d in here), 0.0
    for d in order:
        if load_there <= load_here:
            there.append(d)
            load_there += cost[d]
        else:
            here.append(d)
            load_here += cost[d]
    joined = set(here)
    here += [d for d, p in partner.items() if p in joined]
    there += [d for d, p in partner.items() if p >= 0 and p not in joined]
    return sorted(here), sorted(there)


def observe_version(store: Store, dataset: DatasetRow, version: int, config_id: int, checks: CheckSet,
                    recompute: Recompute, entries: int, progress: Progress | None = None,
                    done: int = 0, total: int = 0) -> tuple[list[Finding], list[Finding], int]:
    """Feed every included entry's cached results to the dataset checks; (entry findings,
    dataset findings in check order, entries). ``entries`` (the version's size) decides whether
    a second process helps."""
    count = len(checks.dataset)
    split = (count > 1 and entries >= PARALLEL_MIN_ENTRIES and worker_count() > 1
             and "fork" in multiprocessing.get_all_start_methods())
    here, there = lanes(checks.dataset) if split else (list(range(count)), [])
    helper = _Lane.start(checks.dataset, there) if there else None
    try:
        with _collector_paused(), store.mapped():
            findings, by_check, ordinal = _observe(store, dataset, version, config_id, checks, here, recompute,
                                                   helper, progress, done, total)
        if helper is not None:
            by_check |= _lane_findings(helper, store, dataset, version, config_id, checks, there, recompute)
    finally:
        if helper is not None:
            helper.close()
    if progress is not None and not ordinal:
        progress(done, total)
    return findings, [f for d in range(count) for f in by_check[d]], ordinal


def _observe(store: Store, dataset: DatasetRow, version: int, config_id: int, checks: CheckSet, here: list[int],
             recompute: Recompute, helper: _Lane | None, progress: Progress | None, done: int,
             total: int) -> tuple[list[Finding], dict[int, list[Finding]], int]:
    """One pass over the version: place the entries' findings, observe the checks at ``here``
    (positions in ``checks.dataset``) and hand every chunk's other summaries to ``helper``;
    (entry findings, the findings of each check at ``here`` by position, entries)."""
    runner = Runner(CheckSet([], [checks.dataset[d] for d in here], {}))
    lanes_of = _LaneReader(checks.dataset, here, recompute)
    findings: list[Finding] = []
    ordinal = 0
    contents = array("q")  # each entry's content id, by ordinal: what the checks read back
    runner.recall_with(_reader(store, contents))
    for chunk in store.audit.entry_results(config_id, dataset.id, version, _CHUNK):
        contents.extend([entry[0] for entry in chunk])
        rows, others = lanes_of.chunk(chunk)
        for i, entry in enumerate(chunk):
            found = lanes_of.recomputed.pop(i, None)
            if found is None and entry[4] is not None:
                found = orjson.loads(entry[4])
            if found:
                findings += [relocate_at(row, entry[2], ordinal + i, entry[1], entry[3]) for row in found]
        places = [(key, path, line) for _, key, path, line, _, _ in chunk]
        if helper is not None:
            helper.send(others, places, ordinal)
        refs = [EntryRef(path, ordinal + i, key, line) for i, (key, path, line) in enumerate(places)]
        runner.observe_many(rows, refs)
        ordinal += len(chunk)
        if progress is not None:
            progress(done + ordinal, total)
    return findings, dict(zip(here, runner.finish_each())), ordinal


def _reader(store: Store, contents: array) -> Recall:
    """Reads observed entries back, by ordinal (their content ids in ``contents``)."""
    def recall(refs: Sequence[EntryRef]) -> list[Conversation]:
        ids = [contents[ref.entry_index] for ref in refs]  # type: ignore[index]
        bodies = store.contents.bodies(ids)
        return [decode(bodies[cid], NO_ENTITY) for cid in ids]
    return recall


class _LaneReader:
    """Decodes a chunk's cached summaries: this lane's, and the other lane's still encoded (what
    the second process is handed). A result that is missing or will not load is computed again."""

    def __init__(self, checks: Sequence[DatasetCheck], here: list[int], recompute: Recompute) -> None:
        self.count, self.here, self.recompute = len(checks), tuple(here), recompute
        self.there = tuple(d for d in range(self.count) if d not in set(here))
        first = tuple(lanes(checks)[0])  # the lanes cached summaries are written in
        self.layout = LaneLayout(self.count, first)
        #: Which of a blob's lanes is this one's (0 or 1; None: neither, so blobs are decoded whole).
        self.mine = 0 if self.here == first else 1 if self.there == first else None
        #: Finding rows of the entries of the last chunk computed again, by index in the chunk.
        self.recomputed: dict[int, list[list[Any]]] = {}

    def chunk(self, chunk: Sequence[tuple[Any, ...]]) -> tuple[list[Any], list[bytes | memoryview]]:
        """(this lane's summaries of each entry, the other lane's encoded)."""
        rows: list[Any] = []
        others: list[bytes | memoryview] = []
        here, size, mine, split = self.here, len(self.here), self.mine, self.layout.split
        for i, entry in enumerate(chunk):
            blob = entry[5]
            parts = split(blob) if blob is not None and mine is not None else None
            summaries = load_lane(parts[mine], size) if parts is not None else None  # type: ignore[index]
            if summaries is not None:
                rows.append(summaries)
                others.append(parts[1 - mine])  # type: ignore[index, operator]
                continue
            full = load_summaries(blob) if blob is not None else None
            if full is None or len(full) != self.count:  # not cached yet, or a result that will not load
                self.recomputed[i], computed = self.recompute(entry[0])
                full = (*computed, *(None,) * self.count)[:self.count]
            rows.append([full[d] for d in here])
            others.append(dump_lane([full[d] for d in self.there]))
        return rows, others


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for one pass: the pass makes a few hundred thousand small
    objects that live until it ends (no cycles to find), and the collector's repeated walks over
    them cost ~10% of the pass. Memory is still freed by reference counting."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _lane_findings(helper: _Lane, store: Store, dataset: DatasetRow, version: int, config_id: int,
                   checks: CheckSet, positions: list[int], recompute: Recompute) -> dict[int, list[Finding]]:
    """The second lane's findings by check position; observed here in a second pass if its
    process failed (slower, the same findings; a check's own error surfaces as in one process)."""
    try:
        return helper.finish()
    except LaneFailed:
        pass
    _, found, _ = _observe(store, dataset, version, config_id, checks, positions, recompute, None, None, 0, 0)
    return found


class _Lane:
    """The second process: decodes the summaries it is handed and observes its checks.

    Chunks are written to it by a thread of this process, up to :data:`_AHEAD` chunks behind:
    this process goes on reading and observing while the other takes a chunk (a write to a pipe
    waits for the reader, and lets go of the interpreter while it waits).
    """

    def __init__(self, process: Any, conn: Connection, positions: list[int]) -> None:
        self.process, self.conn, self.positions = process, conn, positions
        self.failed = False
        self._queue: queue.Queue[tuple[Any, bytes] | None] = queue.Queue(_AHEAD)
        self._writer = threading.Thread(target=self._write, name="threadsmith-lane-writer", daemon=True)
        self._writer.start()

    @classmethod
    def start(cls, checks: Sequence[DatasetCheck], positions: list[int]) -> _Lane:
        """Fork the process (it inherits the checks, not yet fed anything)."""
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        # The process closes its copy of our end first: when we close ours, its next read ends.
        process = context.Process(target=_serve, args=(theirs, [checks[d] for d in positions], ours), daemon=True)
        process.start()
        theirs.close()
        return cls(process, ours, positions)

    def send(self, others: list[bytes | memoryview], places: list[tuple[str, str | None, int | None]],
             ordinal: int) -> None:
        """Hand over one chunk: its entries' summaries of the lane, encoded, and where the entries are."""
        if not self.failed:
            self._queue.put(((array("I", map(len, others)).tobytes(), places, ordinal), b"".join(others)))

    def _write(self) -> None:
        """The writing thread: every chunk queued, in order, then None (the end)."""
        while (item := self._queue.get()) is not None:
            if self.failed:
                continue
            try:
                self.conn.send(item[0])
                self.conn.send_bytes(item[1])
            except OSError:  # the process stopped (it said why, or it died): this lane is observed here
                self.failed = True

    def _drain(self) -> None:
        """Let the writing thread end, once it wrote what is queued."""
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join()

    def finish(self) -> dict[int, list[Finding]]:
        """The dataset findings of the lane's checks, by check position (:class:`LaneFailed` if
        its process failed)."""
        self._drain()
        try:
            if not self.failed:
                self.conn.send(None)
            status, payload = self.conn.recv()
        except (EOFError, OSError):
            status, payload = "error", "the observing process stopped"
        if status == "ok" and not self.failed:
            return dict(zip(self.positions, payload))
        raise LaneFailed(payload)

    def close(self) -> None:
        if self._writer.is_alive():  # the pass stopped: what is queued is not written
            self.failed = True
            with contextlib.suppress(queue.Empty):
                while True:
                    self._queue.get_nowait()
            self._queue.put(None)
            self._writer.join(timeout=5)
            if self._writer.is_alive():  # stuck writing to a process that no longer reads
                self.process.kill()
                self._writer.join()
        self.conn.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class LaneFailed(RuntimeError):
    """The second observing process failed (its traceback is the message)."""


def _serve(conn: Connection, checks: list[DatasetCheck], parent_end: Connection | None = None) -> None:
    """The second process's loop: observe every chunk it is sent, then send the findings."""
    quiet_worker()
    if parent_end is not None:
        parent_end.close()
    runner = Runner(CheckSet([], checks, {}))
    size = len(checks)
    gc.disable()  # see _collector_paused; this process ends when the lane does
    try:
        while (message := conn.recv()) is not None:
            lengths, places, ordinal = message
            data = memoryview(conn.recv_bytes())
            rows, at = [], 0
            for length in array("I", lengths):
                rows.append(_lane_of(data[at:at + length], size))
                at += length
            refs = [EntryRef(path, ordinal + i, key, line) for i, (key, path, line) in enumerate(places)]
            runner.observe_many(rows, refs)
        conn.send(("ok", runner.finish_each()))
    except (EOFError, OSError):  # the parent is gone or stopped the pass (Ctrl-C, an error): nothing to tell
        pass
    except Exception:  # noqa: BLE001 - reported to the parent, which observes the lane itself
        with contextlib.suppress(OSError):
            conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def _lane_of(part: memoryview, size: int) -> tuple[Any, ...]:
    summaries = load_lane(part, size)
    if summaries is None:  # the parent decoded its own lane only: its second pass computes this again
        raise ValueError("a cached result that will not load")
    return summaries
