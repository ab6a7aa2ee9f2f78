"""Statistics computed in a forked process while this one does other work (the report's audit).

``threadsmith report`` needs an audit and the statistics of the same files: two full passes, the
statistics one in a single process (~0.4 ms a conversation). Forked before the audit starts,
the statistics pass runs beside the audit's workers, so a large report costs about the CPU of
both over both cores instead of one pass after the other. The forked process only reads the
input files. If it fails, the statistics are computed here after all (the same result, later).
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

from threadsmith.config import Config
from threadsmith.formats import read_file
from threadsmith.stats.collector import StatsCollector
from threadsmith.stats.result import DatasetStats
from threadsmith.workers import MIN_PARALLEL_BYTES, quiet_worker, worker_count


def collect(files: Sequence[str], config: Config, kind: str | None) -> DatasetStats:
    """The statistics of ``files`` in this process (``kind``: known already, or None to detect)."""
    collector = StatsCollector(kind=kind)
    for path in files:
        for item in read_file(path, role_map=config.roles):
            collector.add(item)
    return collector.result(list(files))


class BackgroundStats:
    """:func:`collect` started in a forked process now; :meth:`result` waits for it."""

    def __init__(self, files: Sequence[str], config: Config, kind: str | None, process: Any,
                 conn: Connection | None) -> None:
        self.files, self.config, self.kind = list(files), config, kind
        self.process, self.conn = process, conn

    @classmethod
    def start(cls, files: Sequence[str], config: Config, kind: str | None, size: int) -> BackgroundStats:
        """Fork the statistics pass when it pays (two cores or more, ``size`` bytes of input at
        least :data:`MIN_PARALLEL_BYTES`, fork available); otherwise :meth:`result` computes here."""
        if size < MIN_PARALLEL_BYTES or worker_count() < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return cls(files, config, kind, None, None)
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe(duplex=False)
        process = context.Process(target=_serve, args=(theirs, list(files), config, kind, ours), daemon=True)
        process.start()
        theirs.close()
        return cls(files, config, kind, process, ours)

    @property
    def forked(self) -> bool:
        """Whether the statistics are being computed in the forked process."""
        return self.conn is not None

    def result(self) -> DatasetStats:
        """The statistics: the forked process's, or computed here if it failed or never started."""
        if self.conn is not None:
            with contextlib.suppress(EOFError, OSError):
                status, payload = self.conn.recv()
                if status == "ok":
                    self.close(answered=True)
                    return payload  # type: ignore[no-any-return]
            self.close()
        return collect(self.files, self.config, self.kind)

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
def background_stats(files: Sequence[str], config: Config, kind: str | None, size: int) -> Iterator[BackgroundStats]:
    """:class:`BackgroundStats` for a ``with`` block: the process never outlives the block."""
    job = BackgroundStats.start(files, config, kind, size)
    try:
        yield job
    finally:
        job.close()


def _serve(conn: Connection, files: list[str], config: Config, kind: str | None, parent_end: Connection) -> None:
    quiet_worker()
    parent_end.close()
    try:
        found: tuple[str, Any] = ("ok", collect(files, config, kind))
    except Exception as exc:  # noqa: BLE001 - the parent computes the statistics itself, and meets the error there
        found = ("error", repr(exc))
    with contextlib.suppress(OSError):
        conn.send(found)
    conn.close()
