"""Pruning derived data: audit results cached under check configurations nobody uses any more.

Every audit caches each content's findings and summaries under its check configuration (codes,
options, dataset kind, the checks' code, the tokenizer). A new threadsmith version or other check
options make a new configuration and the old results are never read again, yet they stay: at a
million entries that is gigabytes. Pruning deletes the cached results (and their finding-code
index) of the configurations the caller does not keep; the audit runs themselves (each
version's summary and dataset findings) are history and stay. Nothing here is a user's data:
whatever is pruned is computed again by the next audit that needs it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass

import orjson


@dataclass(frozen=True, slots=True)
class ConfigUse:
    """One check configuration's cached results and when an audit last used it."""

    config_id: int
    #: How many checks it runs, and for which dataset kind (as recorded; "" when unknown).
    checks: int
    kind: str
    #: The latest audit run under it (ISO time), or None when no audit finished under it.
    last_used: str | None
    results: int
    #: Bytes of cached findings and summaries (the file shrinks by about this after a vacuum).
    size: int


class Pruning:
    """The statements that measure and prune cached audit results."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def configurations(self) -> list[ConfigUse]:
        """Every configuration with cached results, with their count and size (reads them all: slow on big workspaces)."""
        rows = self.conn.execute(
            "SELECT c.id, c.detail, (SELECT max(created_at) FROM audit_runs r WHERE r.config_id = c.id), "
            "count(a.id), coalesce(sum(length(a.summaries) + coalesce(length(a.findings), 0)), 0) "
            "FROM check_configs c JOIN audit_results a ON a.config_id = c.id GROUP BY c.id ORDER BY c.id")
        return [ConfigUse(int(cid), *_described(detail), used, int(count), int(size))
                for cid, detail, used, count, size in rows]

    def drop_results(self, config_ids: Collection[int]) -> int:
        """Delete the cached results of these configurations (call inside a write); how many."""
        removed = 0
        for config_id in config_ids:
            removed += self.conn.execute("DELETE FROM audit_results WHERE config_id = ?", (config_id,)).rowcount
            self.conn.execute("DELETE FROM finding_codes WHERE config_id = ?", (config_id,))
        return removed

    def free_bytes(self) -> int:
        """Bytes of the file's free pages (what a vacuum would give back to the disk)."""
        free = self.conn.execute("PRAGMA freelist_count").fetchone()[0]
        return int(free) * int(self.conn.execute("PRAGMA page_size").fetchone()[0])

    def meta_keys(self, prefix: str) -> list[str]:
        """The keys of the remembered values that start with ``prefix``."""
        return [key for (key,) in self.conn.execute("SELECT key FROM meta WHERE key >= ? AND key < ?",
                                                     (prefix, prefix + "\U0010ffff"))]

    def drop_meta(self, keys: Collection[str]) -> int:
        """Forget these remembered values (call inside a write); how many."""
        self.conn.executemany("DELETE FROM meta WHERE key = ?", [(key,) for key in keys])
        return len(keys)


def _described(detail: str) -> tuple[int, str]:
    """(number of checks, dataset kind) of a configuration's recorded detail."""
    try:
        data = orjson.loads(detail)
        return len(data.get("codes") or ()), str(data.get("kind") or "")
    except (ValueError, TypeError, AttributeError):
        return 0, ""
