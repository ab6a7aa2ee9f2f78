"""Dismissed findings: "code X on entry K is not a problem, because ...", kept per dataset and entry key."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DismissalRow:
    """One dismissed finding code on one entry."""

    entry_key: str
    code: str
    reason: str
    created_at: str


class Dismissals:
    """The ``dismissals`` table."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def save(self, dataset_id: int, entry_key: str, code: str, reason: str, now: str) -> None:
        """Dismiss ``code`` on an entry (a second dismissal replaces the reason)."""
        self.conn.execute(
            "INSERT INTO dismissals (dataset_id, entry_key, code, reason, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (dataset_id, entry_key, code) DO UPDATE SET reason = excluded.reason, "
            "created_at = excluded.created_at", (dataset_id, entry_key, code, reason, now))

    def remove(self, dataset_id: int, entry_key: str, code: str) -> bool:
        """Undo a dismissal; whether there was one."""
        cur = self.conn.execute("DELETE FROM dismissals WHERE dataset_id = ? AND entry_key = ? AND code = ?",
                                (dataset_id, entry_key, code))
        return cur.rowcount > 0

    def of_dataset(self, dataset_id: int) -> list[DismissalRow]:
        """Every dismissal of a dataset, by entry and code."""
        rows = self.conn.execute("SELECT entry_key, code, reason, created_at FROM dismissals WHERE dataset_id = ? "
                                 "ORDER BY entry_key, code", (dataset_id,)).fetchall()
        return [DismissalRow(*row) for row in rows]

    def of_entry(self, dataset_id: int, entry_key: str) -> list[DismissalRow]:
        """The dismissals of one entry."""
        rows = self.conn.execute("SELECT entry_key, code, reason, created_at FROM dismissals "
                                 "WHERE dataset_id = ? AND entry_key = ? ORDER BY code", (dataset_id, entry_key)).fetchall()
        return [DismissalRow(*row) for row in rows]
