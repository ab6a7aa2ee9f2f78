"""Bulk loading of an import: flat prepared records in, contents, entries and states out.

An import of a million conversations makes millions of rows, so this path avoids per-row
Python objects: a record arrives as one flat tuple (:data:`Record`, pickled cheaply by the
worker that prepared it), ids are counted here instead of asked for per chunk, contents that
wait for the full-text index are marked with one ``INSERT ... SELECT`` per chunk, and the first
import into an empty workspace builds the ``states`` indexes (and the ``contents`` length indexes)
once at the end instead of row by row. Everything happens inside the caller's write transaction: a kill leaves nothing behind
(the dropped indexes come back with the rollback).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from threadsmith.store.contents import Contents
from threadsmith.store.entries import Entries

#: One prepared record: the entry's wanted key, record id, line, index and format, then the
#: content's digest, canonical bytes, turns, characters, role bits and facets.
Record = tuple[str, str | None, int | None, int | None, str | None, bytes, bytes, int, int, int,
               tuple[tuple[str, str], ...]]
KEY, RECORD_ID, LINE, INDEX, FORMAT, HASH, BODY, TURNS, CHARS, ROLES, FACETS = range(11)


class BulkImport:
    """Stores the records of one import as new entries of one version (use inside a write)."""

    def __init__(self, conn: sqlite3.Connection, dataset_id: int, batch_id: int, version: int, position: float) -> None:
        self.conn = conn
        self.contents = Contents(conn)
        self.entries = Entries(conn)
        self.dataset_id, self.batch_id, self.version, self.position = dataset_id, batch_id, version, position
        self.next_content = _next_id(conn, "contents")
        self.next_entry = _next_id(conn, "entries")
        self._indexes: list[str] = []
        if conn.execute("SELECT 1 FROM states LIMIT 1").fetchone() is None:
            found = conn.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'index' "
                                 "AND tbl_name IN ('states', 'contents') AND sql IS NOT NULL").fetchall()
            for name, sql in found:
                conn.execute(f'DROP INDEX "{name}"')
                self._indexes.append(sql)

    def add(self, path: str | None, records: Sequence[Record]) -> int:
        """Store one chunk of records, in order, after those stored before; how many contents were new."""
        if not records:
            return 0
        known = self.contents.ids([r[HASH] for r in records])
        first = self.next_content
        fresh: list[tuple[int, Record]] = []
        content_ids = []
        for record in records:
            cid = known.get(record[HASH])
            if cid is None:
                cid = known[record[HASH]] = self.next_content
                self.next_content += 1
                fresh.append((cid, record))
            content_ids.append(cid)
        if fresh:
            self.conn.executemany(
                "INSERT INTO contents (id, hash, body, turns, chars, roles) VALUES (?, ?, ?, ?, ?, ?)",
                [(cid, r[HASH], r[BODY], r[TURNS], r[CHARS], r[ROLES]) for cid, r in fresh])
            self.conn.execute("INSERT INTO text_pending (content_id) SELECT id FROM contents WHERE id >= ? AND id < ?",
                              (first, self.next_content))
            self.conn.executemany("INSERT INTO content_facets (kind, value, content_id) VALUES (?, ?, ?)",
                                  [(kind, value, cid) for cid, r in fresh if r[FACETS] for kind, value in r[FACETS]])
        self._add_entries(path, records, content_ids)
        return len(fresh)

    def _add_entries(self, path: str | None, records: Sequence[Record], content_ids: list[int]) -> None:
        keys = self.entries.unique_keys(self.dataset_id, [r[KEY] for r in records])
        first, dataset, position = self.next_entry, self.dataset_id, self.position
        self.next_entry += len(records)
        self.position += len(records)
        self.conn.executemany(
            "INSERT INTO entries (id, dataset_id, key, record_id, batch_id, source_path, source_line, source_index, "
            "source_format) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(first + i, dataset, key, r[RECORD_ID], self.batch_id, path, r[LINE], r[INDEX], r[FORMAT])
             for i, (key, r) in enumerate(zip(keys, records))])
        version = self.version
        self.conn.executemany(
            "INSERT INTO states (dataset_id, entry_id, content_id, position, excluded, valid_from) "
            "VALUES (?, ?, ?, ?, NULL, ?)",
            [(dataset, first + i, cid, position + i, version) for i, cid in enumerate(content_ids)])

    def finish(self) -> None:
        """Build the indexes left out during the load (before anything reads the states again)."""
        for sql in self._indexes:
            self.conn.execute(sql)
        self._indexes = []


def _next_id(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0])
