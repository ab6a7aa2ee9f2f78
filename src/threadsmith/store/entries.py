"""Entries: the stable identity of a conversation in a dataset, and where it came from.

An entry's ``key`` never changes. It is the record's own id when the data has one (kept
verbatim in ``record_id`` and written back on export), otherwise the reader's assigned id
(``<file stem>:<index>``); a key already taken in the dataset gets a ``~2``, ``~3`` ... suffix.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from threadsmith.errors import NotFound
from threadsmith.store.lookup import where_in


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to create: the key it asks for, its id in the data, and its provenance."""

    wanted_key: str
    record_id: str | None
    source_path: str | None = None
    source_line: int | None = None
    source_index: int | None = None
    source_format: str | None = None
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class EntryRow:
    """A stored entry: id, key, the id found in the data, and provenance."""

    id: int
    key: str
    record_id: str | None
    batch_id: int | None
    source_path: str | None
    source_line: int | None
    source_index: int | None
    source_format: str | None
    origin: str | None


_COLUMNS = "id, key, record_id, batch_id, source_path, source_line, source_index, source_format, origin"


class Entries:
    """The ``entries`` table."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def add(self, dataset_id: int, batch_id: int | None, items: Sequence[NewEntry]) -> list[tuple[int, str]]:
        """Create entries with unique keys; ``(entry id, key)`` of each item, in order."""
        keys = self.unique_keys(dataset_id, [item.wanted_key for item in items])
        next_id = int(self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM entries").fetchone()[0])
        rows = [(next_id + i, dataset_id, key, item.record_id, batch_id, item.source_path, item.source_line,
                 item.source_index, item.source_format, item.origin) for i, (key, item) in enumerate(zip(keys, items))]
        self.conn.executemany(f"INSERT INTO entries ({_COLUMNS}, dataset_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              ((r[0], *r[2:], r[1]) for r in rows))
        return [(r[0], r[2]) for r in rows]

    def unique_keys(self, dataset_id: int, wanted: Sequence[str]) -> list[str]:
        """Each wanted key, or the first free ``key~N`` when it is taken (in the dataset or earlier in the list)."""
        taken = self.taken(dataset_id, wanted)
        out: list[str] = []
        for key in wanted:
            final = key
            n = 1
            while final in taken:
                n += 1
                final = f"{key}~{n}"
                if final not in taken:
                    taken |= self.taken(dataset_id, [final])
            taken.add(final)
            out.append(final)
        return out

    def taken(self, dataset_id: int, keys: Iterable[str]) -> set[str]:
        """The keys among ``keys`` that the dataset already uses."""
        sql = "SELECT key FROM entries WHERE dataset_id = ? AND key IN ({marks})"
        return {k for (k,) in where_in(self.conn, sql, keys, (dataset_id,))}

    def by_key(self, dataset_id: int, key: str, dataset_name: str = "") -> EntryRow:
        """The entry with this key; :class:`NotFound` otherwise."""
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM entries WHERE dataset_id = ? AND key = ?",
                                (dataset_id, key)).fetchone()
        if row is None:
            raise NotFound(f"Dataset {dataset_name!r} has no entry {key!r}.",
                           hint=f"Find entries with: threadsmith search --dataset {dataset_name} QUERY")
        return EntryRow(*row)

    def ids_for_keys(self, dataset_id: int, keys: Iterable[str]) -> dict[str, int]:
        """Entry ids of the given keys that exist: key -> id."""
        sql = "SELECT key, id FROM entries WHERE dataset_id = ? AND key IN ({marks})"
        return dict(where_in(self.conn, sql, keys, (dataset_id,)))

    def by_ids(self, entry_ids: Iterable[int]) -> dict[int, EntryRow]:
        """Several entries: id -> row."""
        rows = where_in(self.conn, f"SELECT {_COLUMNS} FROM entries WHERE id IN ({{marks}})", entry_ids)
        return {row[0]: EntryRow(*row) for row in rows}
