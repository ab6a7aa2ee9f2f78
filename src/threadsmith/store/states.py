"""States: which content each entry holds, where and whether excluded, from one version to another.

A row says "entry E holds content C at position P (excluded with reason X, or not) from
version ``valid_from`` until version ``valid_to``" (NULL: still current). Version V of a
dataset is the rows with ``valid_from <= V`` and (``valid_to`` NULL or ``> V``). A new version
closes the rows of the entries it changes and inserts their new rows: O(changed entries).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from threadsmith.store.lookup import where_in

#: The states visible in a version. The unary ``+`` keeps the planner from reading them through
#: ``states_by_start`` (every state starts at or before the head, so that index selects all of
#: them and forces a sort); the position or content index is the right one for these queries.
VISIBLE = "s.dataset_id = ? AND +s.valid_from <= ? AND (s.valid_to IS NULL OR s.valid_to > ?)"
#: States read in dataset order (the planner, without statistics, may prefer a worse index).
BY_POSITION = "states s INDEXED BY states_by_position"
SLOT_COLUMNS = ("s.id, s.entry_id, e.key, e.record_id, s.content_id, s.position, s.excluded, s.valid_from, "
                 "e.source_path, e.source_line, e.source_index, e.source_format, e.batch_id, e.origin")


@dataclass(frozen=True, slots=True)
class Slot:
    """An entry as one version holds it: the state row plus the entry's key and provenance."""

    state_id: int
    entry_id: int
    key: str
    record_id: str | None
    content_id: int
    position: float
    excluded: str | None
    since: int
    source_path: str | None
    source_line: int | None
    source_index: int | None
    source_format: str | None
    batch_id: int | None
    origin: str | None

    @property
    def value(self) -> StateValue:
        """What this state says (content, position, exclusion)."""
        return StateValue(self.content_id, self.position, self.excluded)


@dataclass(frozen=True, slots=True)
class StateValue:
    """What a state says about its entry (equal values mean no change)."""

    content_id: int
    position: float
    excluded: str | None


@dataclass(frozen=True, slots=True)
class Change:
    """One entry's change in a new version: close ``closes`` (a state id) and/or open ``value``."""

    entry_id: int
    closes: int | None
    value: StateValue | None


@dataclass(frozen=True, slots=True)
class Transition:
    """How one entry differs between two versions: its value at each (None: not there)."""

    entry_id: int
    before: StateValue | None
    after: StateValue | None


class States:
    """The ``states`` table."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def slots(self, dataset_id: int, version: int, *, after: tuple[float, int] | None = None,
              limit: int | None = None) -> Iterator[Slot]:
        """The entries of a version in order, from after ``(position, entry id)`` (keyset pagination)."""
        sql = f"SELECT {SLOT_COLUMNS} FROM {BY_POSITION} JOIN entries e ON e.id = s.entry_id WHERE {VISIBLE}"
        params: list[object] = [dataset_id, version, version]
        if after is not None:
            sql += " AND (s.position, s.entry_id) > (?, ?)"
            params += [after[0], after[1]]
        sql += " ORDER BY s.position, s.entry_id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        for row in self.conn.execute(sql, params):
            yield Slot(*row)

    def slots_with_bodies(self, dataset_id: int, version: int) -> Iterator[tuple[Slot, bytes]]:
        """Every entry of a version in order, with its content's body (one streaming query)."""
        sql = (f"SELECT {SLOT_COLUMNS}, c.body FROM {BY_POSITION} JOIN entries e ON e.id = s.entry_id "
               f"JOIN contents c ON c.id = s.content_id WHERE {VISIBLE} ORDER BY s.position, s.entry_id")
        for row in self.conn.execute(sql, (dataset_id, version, version)):
            yield Slot(*row[:-1]), bytes(row[-1])

    def included_content_ids(self, dataset_id: int, version: int, limit: int) -> list[int]:
        """The content ids of the first ``limit`` included entries of a version, in order."""
        return [cid for (cid,) in self.conn.execute(
            f"SELECT s.content_id FROM {BY_POSITION} WHERE {VISIBLE} AND s.excluded IS NULL "
            "ORDER BY s.position, s.entry_id LIMIT ?", (dataset_id, version, version, limit))]

    def slot(self, dataset_id: int, entry_id: int, version: int) -> Slot | None:
        """One entry as version ``version`` holds it, or None."""
        row = self.conn.execute(
            f"SELECT {SLOT_COLUMNS} FROM states s INDEXED BY states_by_entry JOIN entries e ON e.id = s.entry_id "
            f"WHERE s.entry_id = ? AND {VISIBLE}", (entry_id, dataset_id, version, version)).fetchone()
        return Slot(*row) if row else None

    def current(self, entry_ids: Iterable[int]) -> dict[int, Slot]:
        """The current slot of each entry that has one: entry id -> slot."""
        rows = where_in(self.conn, f"SELECT {SLOT_COLUMNS} FROM states s INDEXED BY states_by_entry JOIN entries e "
                        "ON e.id = s.entry_id WHERE s.entry_id IN ({marks}) AND s.valid_to IS NULL", entry_ids)
        return {row[1]: Slot(*row) for row in rows}

    def apply(self, dataset_id: int, version: int, changes: Sequence[Change]) -> None:
        """Write version ``version``: close the replaced states and insert the new ones."""
        self.conn.executemany("UPDATE states SET valid_to = ? WHERE id = ? AND valid_to IS NULL",
                              ((version, c.closes) for c in changes if c.closes is not None))
        self.conn.executemany(
            "INSERT INTO states (dataset_id, entry_id, content_id, position, excluded, valid_from) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            ((dataset_id, c.entry_id, c.value.content_id, c.value.position, c.value.excluded, version)
             for c in changes if c.value is not None))

    def insert_new(self, rows: Iterable[tuple[int, int, int, float, str | None, int]]) -> None:
        """Bulk insert of states for new entries: ``(dataset, entry, content, position, excluded, version)``."""
        self.conn.executemany(
            "INSERT INTO states (dataset_id, entry_id, content_id, position, excluded, valid_from) "
            "VALUES (?, ?, ?, ?, ?, ?)", rows)

    def transitions(self, dataset_id: int, a: int, b: int) -> list[Transition]:
        """Every entry whose state differs between versions ``a`` and ``b`` (O(rows changed between them))."""
        low, high = min(a, b), max(a, b)
        before: dict[int, StateValue] = {}
        after: dict[int, StateValue] = {}
        for entry_id, content_id, position, excluded, valid_from, valid_to in self.conn.execute(
                "SELECT entry_id, content_id, position, excluded, valid_from, valid_to FROM states "
                "INDEXED BY states_by_start WHERE dataset_id = ? AND valid_from > ? AND valid_from <= ? "
                "UNION ALL SELECT entry_id, content_id, position, excluded, valid_from, valid_to FROM states "
                "INDEXED BY states_by_end WHERE dataset_id = ? AND valid_to IS NOT NULL AND valid_to > ? AND valid_to <= ? AND valid_from <= ?",
                (dataset_id, low, high, dataset_id, low, high, low)):
            value = StateValue(content_id, position, excluded)
            if valid_from <= low:
                before[entry_id] = value
            elif valid_to is None or valid_to > high:
                after[entry_id] = value
        out = []
        for entry_id in sorted(before.keys() | after.keys()):
            old, new = before.get(entry_id), after.get(entry_id)
            if old != new:
                out.append(Transition(entry_id, old, new) if a <= b else Transition(entry_id, new, old))
        return out

    def next_position(self, dataset_id: int) -> float:
        """A position after every entry the dataset ever held."""
        top = self.conn.execute("SELECT max(position) FROM states WHERE dataset_id = ?", (dataset_id,)).fetchone()[0]
        return 0.0 if top is None else float(int(top) + 1)

    def following_position(self, dataset_id: int, position: float) -> float | None:
        """The position of the first current entry after ``position``, or None at the end."""
        nxt = self.conn.execute(
            "SELECT min(position) FROM states WHERE dataset_id = ? AND position > ? AND valid_to IS NULL",
            (dataset_id, position)).fetchone()[0]
        return None if nxt is None else float(nxt)
