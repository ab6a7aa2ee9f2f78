"""The workspace database: one SQLite file, WAL, foreign keys, numbered migrations, bounded waits.

Every write is one ``BEGIN IMMEDIATE ... COMMIT`` transaction (:meth:`Database.write`): a crash
in the middle leaves the previous state, and a second writer waits up to ``busy_timeout`` for
the lock, then gets :class:`~threadsmith.errors.StoreBusy`. Readers never wait for writers
(WAL) and see a consistent snapshot inside :meth:`Database.read`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator

from threadsmith.errors import SchemaTooNew, StoreBusy, StoreError
from threadsmith.store.migrations import APPLICATION_ID, MIGRATIONS

#: Seconds a writer waits for another writer's lock before giving up.
DEFAULT_BUSY_TIMEOUT = 5.0
_PAGE_CACHE_KIB = 64 * 1024
#: Bytes of the file a mapped scan may read through a memory map (SQLite caps it, 2 GB by default).
_MMAP_BYTES = 1 << 31


class Database:
    """An open workspace database file."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
                 migrations: tuple[tuple[str, str], ...] = MIGRATIONS) -> None:
        self.path = os.fspath(path)
        self.busy_timeout = busy_timeout
        try:
            self.conn = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None,
                                        check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the workspace database {self.path}: {exc}.") from None
        self._depth = 0
        try:
            self._configure()
            migrate(self, migrations)
        except BaseException:
            self.conn.close()
            raise

    def _configure(self) -> None:
        with translate_errors(self.path):
            mode = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                raise StoreError(f"The workspace {self.path} cannot use write-ahead logging (journal mode {mode}).",
                                 hint="Put the workspace on a local disk.")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            self.conn.execute(f"PRAGMA cache_size=-{_PAGE_CACHE_KIB}")
            self.conn.execute("PRAGMA temp_store=MEMORY")

    @contextlib.contextmanager
    def mapped(self) -> Iterator[None]:
        """Reads through a memory map instead of read() calls while inside (for long scans: a
        re-audit streams every entry's cached results, ~4 KB each, in 0.35 s instead of 0.6 s at
        100k). Not on for good: a file that grows while mapped is mapped again and again (a 1M
        import took 60% more CPU). The workspace is on a local disk already (WAL needs one)."""
        self.conn.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")
        try:
            yield
        finally:
            self.conn.execute("PRAGMA mmap_size=0")

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (nested calls join the outer one)."""
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        with translate_errors(self.path):
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.conn
            except BaseException:
                self._depth = 0
                self.conn.rollback()
                raise
            self._depth = 0
            self.conn.commit()

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several queries (inside a write: that transaction)."""
        if self._depth:
            yield self.conn
            return
        with translate_errors(self.path):
            self.conn.execute("BEGIN")
            self._depth = 1
            try:
                yield self.conn
            finally:
                self._depth = 0
                self.conn.rollback()

    @contextlib.contextmanager
    def large_cache(self, kib: int = 256 * 1024) -> Iterator[None]:
        """A bigger page cache for a bulk write, so its indexes stay in memory while the rows stream past."""
        self.conn.execute(f"PRAGMA cache_size=-{kib}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA cache_size=-{_PAGE_CACHE_KIB}")

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and truncate the log."""
        with translate_errors(self.path):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close the connection (uncommitted work, if any, is rolled back)."""
        self.conn.close()


def is_busy(exc: sqlite3.Error) -> bool:
    """True when SQLite gave up waiting for a lock."""
    name = getattr(exc, "sqlite_errorname", "")
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(exc)


@contextlib.contextmanager
def translate_errors(path: str) -> Iterator[None]:
    """Turn SQLite's errors about the file (busy, full, read-only, damaged) into ours."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise StoreBusy(f"The workspace {path} is busy: another process is writing to it.") from None
        text = str(exc)
        if "disk is full" in text or "readonly" in text or "unable to open" in text or "disk I/O" in text:
            raise StoreError(f"Cannot write the workspace {path}: {text}.",
                             hint="Check free disk space and that the workspace folder is writable.") from None
        raise
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.IntegrityError):
            raise
        raise StoreError(f"{path} is not a usable threadsmith workspace: {exc}.",
                         hint="Open the right file, or restore the workspace from a backup (threadsmith backup).") from None


def split_statements(script: str) -> list[str]:
    """The SQL statements of a script (executescript would commit the open transaction)."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements


def migrate(db: Database, migrations: tuple[tuple[str, str], ...] = MIGRATIONS) -> int:
    """Bring the schema up to date in one transaction; the schema version it ends at."""
    current = _schema_version(db, len(migrations))
    if current == len(migrations):
        return current
    with db.write() as conn:
        current = _schema_version(db, len(migrations))
        if current == 0:
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        for number in range(current + 1, len(migrations) + 1):
            for statement in split_statements(migrations[number - 1][1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={number}")
    return len(migrations)


def _schema_version(db: Database, known: int) -> int:
    with translate_errors(db.path):
        version = db.conn.execute("PRAGMA user_version").fetchone()[0]
        app = db.conn.execute("PRAGMA application_id").fetchone()[0]
        tables = db.conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
    if app not in (0, APPLICATION_ID) or (app == 0 and tables):
        raise StoreError(f"{db.path} is an SQLite database, but not a threadsmith workspace.",
                         hint="Pass --workspace a folder for a new workspace, or an existing workspace.sqlite.")
    if version > known:
        raise SchemaTooNew(
            f"The workspace {db.path} has schema version {version}, but this threadsmith knows only up to "
            f"{known}: it was written by a newer threadsmith.")
    return version
