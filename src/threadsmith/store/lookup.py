"""Looking rows up by many keys at once: ``... IN (?, ?, ...)`` a chunk of keys per query."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

#: Keys per query (SQLite's default limit on variables is 32,766; short statements cache well).
CHUNK = 500


def where_in(conn: sqlite3.Connection, sql: str, keys: Iterable[object], params: tuple[object, ...] = (),
             chunk: int = CHUNK) -> Iterator[tuple]:
    """The rows of ``sql`` over the distinct ``keys``, a chunk of them per query.

    ``sql`` has one ``{marks}`` where the chunk's placeholders go, e.g. ``"SELECT key, id FROM
    entries WHERE dataset_id = ? AND key IN ({marks})"``; ``params`` bind the placeholders
    before it. Keys are deduplicated, first occurrence first.
    """
    wanted = list(dict.fromkeys(keys))
    for start in range(0, len(wanted), chunk):
        part = wanted[start:start + chunk]
        yield from conn.execute(sql.format(marks=",".join("?" * len(part))), (*params, *part))
