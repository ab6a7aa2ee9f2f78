"""Content-addressed conversation bodies, their full-text index and their facets."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from threadsmith.model import Conversation
from threadsmith.store import codec
from threadsmith.store.lookup import CHUNK, where_in



@dataclass(frozen=True, slots=True)
class PreparedContent:
    """A content ready to store: its bytes and digest, and what the index and the filters need."""

    hash: bytes
    body: bytes
    stats: codec.ContentStats
    facets: tuple[tuple[str, str], ...]
    #: The text per index column; None when indexing is deferred (computed from ``body`` if needed).
    text: tuple[str, str, str, str] | None = None


def prepare(conversation: Conversation, *, with_text: bool = True) -> PreparedContent:
    """Everything the store keeps about one conversation's content (pure; runs in worker processes)."""
    body, stats, facets = codec.encode_with_stats(conversation)
    text = codec.text_columns(conversation) if with_text else None
    return PreparedContent(codec.content_hash(body), body, stats, tuple(facets), text)


class Contents:
    """The ``contents`` table, its FTS index and facets."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def add(self, items: Sequence[PreparedContent], *, index: bool = True) -> tuple[list[int], int]:
        """Store contents not stored yet (identical content is stored once); each item's id, and how many were new.

        With ``index=False`` the new contents wait in ``text_pending`` until :meth:`index_pending`.
        """
        known = self.ids([item.hash for item in items])
        fresh: dict[bytes, PreparedContent] = {}
        for item in items:
            if item.hash not in known and item.hash not in fresh:
                fresh[item.hash] = item
        if fresh:
            next_id = int(self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM contents").fetchone()[0])
            rows = []
            for offset, item in enumerate(fresh.values()):
                known[item.hash] = next_id + offset
                rows.append((next_id + offset, item))
            self.conn.executemany(
                "INSERT INTO contents (id, hash, body, turns, chars, roles) VALUES (?, ?, ?, ?, ?, ?)",
                ((cid, it.hash, it.body, it.stats.turns, it.stats.chars, it.stats.roles) for cid, it in rows))
            if index:
                self.conn.executemany(
                    "INSERT INTO content_text (rowid, system, user, assistant, other) VALUES (?, ?, ?, ?, ?)",
                    ((cid, *(it.text or codec.text_columns_of_body(it.body))) for cid, it in rows))
            else:
                self.conn.executemany("INSERT INTO text_pending (content_id) VALUES (?)", ((cid,) for cid, _ in rows))
            self.conn.executemany(
                "INSERT INTO content_facets (kind, value, content_id) VALUES (?, ?, ?)",
                ((kind, value, cid) for cid, it in rows for kind, value in it.facets))
        return [known[item.hash] for item in items], len(fresh)

    def has_pending(self) -> bool:
        """True when some contents are not in the full-text index yet."""
        return self.conn.execute("SELECT 1 FROM text_pending LIMIT 1").fetchone() is not None

    def index_pending_chunk(self, size: int) -> int:
        """Index up to ``size`` pending contents (call inside a write); how many were indexed."""
        ids = [cid for (cid,) in self.conn.execute(
            "SELECT content_id FROM text_pending ORDER BY content_id LIMIT ?", (size,))]
        if not ids:
            return 0
        rows = self.conn.execute("SELECT id, body FROM contents WHERE id >= ? AND id <= ? AND id IN "
                                 "(SELECT content_id FROM text_pending)", (ids[0], ids[-1]))
        self.conn.executemany(
            "INSERT INTO content_text (rowid, system, user, assistant, other) VALUES (?, ?, ?, ?, ?)",
            ((cid, *codec.text_columns_of_body(bytes(body))) for cid, body in rows))
        self.conn.execute("DELETE FROM text_pending WHERE content_id <= ?", (ids[-1],))
        return len(ids)

    def pending_count(self) -> int:
        """How many contents wait for the full-text index."""
        return int(self.conn.execute("SELECT count(*) FROM text_pending").fetchone()[0])

    def bulk_indexing(self) -> bool:
        """True while a bulk build of the index is under way (or was interrupted)."""
        return self.conn.execute("SELECT 1 FROM meta WHERE key = 'text_bulk'").fetchone() is not None

    def begin_bulk_index(self) -> None:
        """Stop FTS5's incremental merging while many contents are indexed (twice as fast); call inside a write."""
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('text_bulk', '1')")
        self.conn.execute("INSERT INTO content_text (content_text, rank) VALUES ('automerge', 0)")
        self.conn.execute("INSERT INTO content_text (content_text, rank) VALUES ('crisismerge', 2000)")

    def end_bulk_index(self) -> None:
        """Merge the index into one segment and restore incremental merging (small edits then stay small)."""
        self.conn.execute("INSERT INTO content_text (content_text) VALUES ('optimize')")
        self.conn.execute("INSERT INTO content_text (content_text, rank) VALUES ('automerge', 4)")
        self.conn.execute("INSERT INTO content_text (content_text, rank) VALUES ('crisismerge', 16)")
        self.conn.execute("DELETE FROM meta WHERE key = 'text_bulk'")

    def ids(self, hashes: Iterable[bytes]) -> dict[bytes, int]:
        """The stored contents among ``hashes``: hash -> id."""
        return dict(where_in(self.conn, "SELECT hash, id FROM contents WHERE hash IN ({marks})", hashes))

    def body(self, content_id: int) -> bytes:
        """The stored bytes of one content."""
        return bytes(self.conn.execute("SELECT body FROM contents WHERE id = ?", (content_id,)).fetchone()[0])

    def bodies(self, content_ids: Iterable[int]) -> dict[int, bytes]:
        """Several bodies at once: id -> bytes."""
        rows = where_in(self.conn, "SELECT id, body FROM contents WHERE id IN ({marks})", content_ids)
        return {cid: bytes(body) for cid, body in rows}

    def hashed_bodies(self, content_ids: Iterable[int]) -> dict[int, tuple[bytes, bytes]]:
        """Several contents at once: id -> (hash, body)."""
        rows = where_in(self.conn, "SELECT id, hash, body FROM contents WHERE id IN ({marks})", content_ids)
        return {cid: (bytes(digest), bytes(body)) for cid, digest, body in rows}

    def hash_of(self, content_id: int) -> bytes:
        """The digest of one content."""
        return bytes(self.conn.execute("SELECT hash FROM contents WHERE id = ?", (content_id,)).fetchone()[0])

    def iter_bodies(self, content_ids: Iterable[int], chunk: int = CHUNK) -> Iterator[tuple[int, bytes]]:
        """``(id, body)`` for each id, in the order given, fetched in chunks."""
        pending: list[int] = []
        for cid in content_ids:
            pending.append(cid)
            if len(pending) >= chunk:
                found = self.bodies(pending)
                yield from ((c, found[c]) for c in pending)
                pending = []
        if pending:
            found = self.bodies(pending)
            yield from ((c, found[c]) for c in pending)
