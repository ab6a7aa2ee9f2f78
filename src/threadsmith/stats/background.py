"""A statistics pass run in a forked process while this one does other work.

Statistics are one pass in one process (~0.4 ms a conversation). Two places run part of that
work beside the rest, on large inputs, where processes fork and there are two cores:

* ``threadsmith report`` needs an audit and the statistics of the same files: the whole
  statistics pass (:func:`collect`) runs beside the audit's workers, instead of after them;
* ``threadsmith stats`` counts the assistant turns' 3-grams (about half of its work) in a
  process of their own (:func:`ngram_pass`), beside the pass that makes everything else.

The forked process only reads the input files and returns its result; it makes the same
updates in the same order as one process would, so the output is the same. If it fails, its
work is done here after all (the same result, later).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from threadsmith.audit import ProgressCallback
from threadsmith.config import Config
from threadsmith.formats import read_file
from threadsmith.formats.reader import Item
from threadsmith.stats.collector import StatsCollector, count_ngrams
from threadsmith.stats.result import DatasetStats
from threadsmith.stats.sketches import TopCounter
from threadsmith.workers import MIN_PARALLEL_BYTES, quiet_worker, worker_count

T = TypeVar("T")


def read_items(files: Sequence[str], config: Config, progress: ProgressCallback | None = None) -> Iterator[Item]:
    """Every item of ``files`` in order, as ``read_file`` yields them (``progress(path, done, total)``
    in bytes, each file ending at its size)."""
    for path in files:
        total = os.path.getsize(path) if progress else 0
        report = (lambda done, p=path, t=total: progress(p, done, t)) if progress else None
        yield from read_file(path, role_map=config.roles, progress=report)
        if progress:
            progress(path, total, total)


def collect(files: Sequence[str], config: Config, kind: str | None) -> DatasetStats:
    """The statistics of ``files`` (``kind``: known already, or None to detect), as the report
    makes them (the default ``top``, no tokenizer)."""
    collector = StatsCollector(kind=kind)
    for item in read_items(files, config):
        collector.add(item)
    return collector.result(list(files))


def ngram_pass(files: Sequence[str], config: Config, top: int) -> TopCounter:
    """The assistant turns' 3-gram counter of ``files`` (see :func:`count_ngrams`)."""
    return count_ngrams(read_items(files, config), top)


class Beside(Generic[T]):
    """``work(*args)`` started in a forked process; :meth:`result` waits for it."""

    def __init__(self, work: Callable[..., T], args: tuple[Any, ...], process: Any, conn: Connection | None) -> None:
        self.work, self.args = work, args
        self.process, self.conn = process, conn

    @classmethod
    def start(cls, work: Callable[..., T], args: tuple[Any, ...], size: int) -> Beside[T]:
        """Fork the work when it pays (two cores or more, ``size`` bytes of input at least
        :data:`MIN_PARALLEL_BYTES`, fork available); otherwise :meth:`result` does it here."""
        if size < MIN_PARALLEL_BYTES or worker_count() < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return cls(work, args, None, None)
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe(duplex=False)
        process = context.Process(target=_serve, args=(theirs, work, args, ours), daemon=True)
        process.start()
        theirs.close()
        return cls(work, args, process, ours)

    @property
    def forked(self) -> bool:
        """Whether the work is being done in the forked process."""
        return self.conn is not None

    def result(self) -> T:
        """The result: the forked process's, or the work done here if it failed or never started."""
        if self.conn is not None:
            with contextlib.suppress(EOFError, OSError):
                status, payload = self.conn.recv()
                if status == "ok":
                    self.close(answered=True)
                    return payload  # type: ignore[no-any-return]
            self.close()
        return self.work(*self.args)

    def close(self, answered: bool = False) -> None:
        """Let the forked process end (``answered``: it sent its result and is leaving), or stop
        it at once (it is still working and the caller gave up)."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.process is not None:
            self.process.join(timeout=5 if answered else 0)
            if self.process.is_alive():
                self.process.terminate()
                self.process.join()
            self.process = None


@contextlib.contextmanager
def beside(work: Callable[..., T], args: tuple[Any, ...], size: int) -> Iterator[Beside[T]]:
    """:class:`Beside` for a ``with`` block: the process never outlives the block."""
    job = Beside.start(work, args, size)
    try:
        yield job
    finally:
        job.close()


def _serve(conn: Connection, work: Callable[..., Any], args: tuple[Any, ...], parent_end: Connection) -> None:
    quiet_worker()
    parent_end.close()
    try:
        found: tuple[str, Any] = ("ok", work(*args))
    except Exception as exc:  # noqa: BLE001 - the parent does the work itself, and meets the error there
        found = ("error", repr(exc))
    with contextlib.suppress(OSError):
        conn.send(found)
    conn.close()
