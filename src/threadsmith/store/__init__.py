"""The store: the only place with SQL. One SQLite file per workspace (stdlib sqlite3, WAL, FTS5).

:class:`Store` bundles the repositories over one connection; the workspace facade is its only
user. Nothing here knows about the command line. Keeping every statement in this package is
what would let a server database be added later behind the same repository methods.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3

import orjson

from threadsmith.errors import StoreError
from threadsmith.store.audit_cache import AuditCache
from threadsmith.store.bulk import BulkImport
from threadsmith.store.connection import DEFAULT_BUSY_TIMEOUT, Database, translate_errors
from threadsmith.store.contents import Contents, PreparedContent, prepare
from threadsmith.store.dismissals import Dismissals
from threadsmith.store.entries import Entries, EntryRow, NewEntry
from threadsmith.store.library import Library
from threadsmith.store.probes import Probes
from threadsmith.store.pruning import Pruning
from threadsmith.store.runs import Runs
from threadsmith.store.search import Search
from threadsmith.store.states import Change, Slot, States, StateValue, Transition
from threadsmith.store.versions import DatasetRow, Versions, VersionRow

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "Change",
    "DatasetRow",
    "EntryRow",
    "NewEntry",
    "PreparedContent",
    "Slot",
    "StateValue",
    "Store",
    "Transition",
    "VersionRow",
    "prepare",
]


class Store:
    """A workspace database and its repositories."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self.db = Database(path, busy_timeout=busy_timeout)
        conn = self.db.conn
        self.versions = Versions(conn)
        self.contents = Contents(conn)
        self.entries = Entries(conn)
        self.states = States(conn)
        self.search = Search(conn)
        self.audit = AuditCache(conn)
        self.library = Library(conn)
        self.dismissals = Dismissals(conn)
        self.runs = Runs(conn)
        self.probes = Probes(conn)
        self.pruning = Pruning(conn)

    @property
    def path(self) -> str:
        """The database file."""
        return self.db.path

    def write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """One write transaction: ``with store.write(): ...``."""
        return self.db.write()

    def read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A consistent read snapshot: ``with store.read(): ...``."""
        return self.db.read()

    def mapped(self) -> contextlib.AbstractContextManager[None]:
        """Long scans read the file through a memory map while inside: ``with store.mapped(): ...``."""
        return self.db.mapped()

    def bulk_import(self, dataset_id: int, batch_id: int, version: int, position: float) -> BulkImport:
        """A loader for the records of one import (use inside :meth:`write`; call its ``finish`` before commit)."""
        return BulkImport(self.db.conn, dataset_id, batch_id, version, position)

    def add_batch(self, dataset_id: int, version: int, detail: dict[str, object], now: str) -> int:
        """Record an import batch (its files and counts); its id."""
        cur = self.db.conn.execute("INSERT INTO batches (dataset_id, version, detail, created_at) VALUES (?, ?, ?, ?)",
                                   (dataset_id, version, orjson.dumps(detail).decode(), now))
        return int(cur.lastrowid or 0)

    def batch(self, batch_id: int) -> dict[str, object]:
        """An import batch's detail."""
        row = self.db.conn.execute("SELECT version, detail, created_at FROM batches WHERE id = ?", (batch_id,)).fetchone()
        if row is None:
            return {}
        return {"id": batch_id, "version": row[0], "created_at": row[2], **orjson.loads(row[1])}

    def backup(self, target: str) -> None:
        """Copy the whole database to ``target`` with SQLite's online backup API (consistent while in use)."""
        try:
            out = sqlite3.connect(target)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot create the backup {target}: {exc}.") from None
        try:
            with translate_errors(self.path):
                self.db.conn.backup(out, pages=4096)
                out.execute("PRAGMA journal_mode=DELETE")
        finally:
            out.close()

    def vacuum(self) -> None:
        """Rebuild the file without its free pages, so the disk gets them back (needs free disk
        about the file's size, and the workspace alone: StoreBusy while another process uses it)."""
        with translate_errors(self.path):
            self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.conn.execute("VACUUM")
            self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file."""
        self.db.checkpoint()

    def integrity(self) -> str:
        """``PRAGMA integrity_check``: ``ok`` or the problems found."""
        with translate_errors(self.path):
            rows = self.db.conn.execute("PRAGMA integrity_check").fetchall()
        return "\n".join(str(r[0]) for r in rows)

    def close(self) -> None:
        """Close the database."""
        self.db.close()
