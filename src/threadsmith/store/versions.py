"""Datasets, their linear history of versions, and named tags on versions."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from threadsmith.errors import NotFound, UserError

_RELATIVE = re.compile(r"^(?P<base>.+?)~(?P<back>\d+)$")


@dataclass(frozen=True, slots=True)
class DatasetRow:
    """A dataset: its name and latest version number (0 before its first version)."""

    id: int
    name: str
    created_at: str
    head: int


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One version of a dataset: what made it, who, when, and how many entries it changed."""

    number: int
    kind: str
    message: str
    author: str
    created_at: str
    entries: int
    added: int
    removed: int
    changed: int
    tags: tuple[str, ...] = ()


class Versions:
    """Datasets, versions and tags over one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def dataset(self, name: str) -> DatasetRow:
        """The dataset called ``name``; :class:`NotFound` names the datasets that exist."""
        row = self.conn.execute("SELECT id, name, created_at, head FROM datasets WHERE name = ?", (name,)).fetchone()
        if row is None:
            names = [d.name for d in self.datasets()]
            known = f" Datasets here: {', '.join(names)}." if names else " This workspace has no datasets yet."
            raise NotFound(f"No dataset named {name!r}.{known}",
                           hint="Create one with: threadsmith import FILE --dataset NAME")
        return DatasetRow(*row)

    def find_dataset(self, name: str) -> DatasetRow | None:
        """The dataset called ``name``, or None."""
        row = self.conn.execute("SELECT id, name, created_at, head FROM datasets WHERE name = ?", (name,)).fetchone()
        return DatasetRow(*row) if row else None

    def create_dataset(self, name: str, now: str) -> DatasetRow:
        """A new, empty dataset (version 0)."""
        if not name.strip():
            raise UserError("A dataset name cannot be empty.")
        cur = self.conn.execute("INSERT INTO datasets (name, created_at, head) VALUES (?, ?, 0)", (name, now))
        return DatasetRow(int(cur.lastrowid or 0), name, now, 0)

    def datasets(self) -> list[DatasetRow]:
        """Every dataset, by name."""
        rows = self.conn.execute("SELECT id, name, created_at, head FROM datasets ORDER BY name").fetchall()
        return [DatasetRow(*row) for row in rows]

    def add(self, dataset: DatasetRow, row: VersionRow) -> None:
        """Record version ``row.number`` (must be the head + 1) and move the head to it."""
        self.conn.execute(
            "INSERT INTO versions (dataset_id, number, kind, message, author, created_at, entries, added, removed, "
            "changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (dataset.id, row.number, row.kind, row.message, row.author, row.created_at, row.entries, row.added,
             row.removed, row.changed))
        self.conn.execute("UPDATE datasets SET head = ? WHERE id = ?", (row.number, dataset.id))

    def head(self, dataset_id: int) -> int:
        """The dataset's latest version number, read now (inside a write: the locked value)."""
        return int(self.conn.execute("SELECT head FROM datasets WHERE id = ?", (dataset_id,)).fetchone()[0])

    def history(self, dataset: DatasetRow) -> list[VersionRow]:
        """Every version, newest first, with its tags."""
        tags: dict[int, list[str]] = {}
        for name, number in self.conn.execute(
                "SELECT name, number FROM version_tags WHERE dataset_id = ? ORDER BY created_at, name", (dataset.id,)):
            tags.setdefault(number, []).append(name)
        rows = self.conn.execute(
            "SELECT number, kind, message, author, created_at, entries, added, removed, changed FROM versions "
            "WHERE dataset_id = ? ORDER BY number DESC", (dataset.id,)).fetchall()
        return [VersionRow(*row, tags=tuple(tags.get(row[0], ()))) for row in rows]

    def get(self, dataset: DatasetRow, number: int) -> VersionRow:
        """One version."""
        row = self.conn.execute(
            "SELECT number, kind, message, author, created_at, entries, added, removed, changed FROM versions "
            "WHERE dataset_id = ? AND number = ?", (dataset.id, number)).fetchone()
        if row is None:
            raise NotFound(f"Dataset {dataset.name!r} has no version {number}.", hint=_LOG_HINT.format(dataset.name))
        names = tuple(n for (n,) in self.conn.execute(
            "SELECT name FROM version_tags WHERE dataset_id = ? AND number = ? ORDER BY name", (dataset.id, number)))
        return VersionRow(*row, tags=names)

    def tag(self, dataset: DatasetRow, number: int, name: str, now: str, *, move: bool = False) -> None:
        """Name a version; an existing tag moves only with ``move``."""
        if not name.strip() or name == "latest" or name.isdigit() or _RELATIVE.match(name):
            raise UserError(f"{name!r} cannot be a tag name: it reads as a version reference.",
                            hint="Use letters in the name, e.g. trained-run-3.")
        existing = self.conn.execute("SELECT number FROM version_tags WHERE dataset_id = ? AND name = ?",
                                     (dataset.id, name)).fetchone()
        if existing and not move:
            raise UserError(f"Tag {name!r} already names version {existing[0]} of {dataset.name!r}.",
                            hint="Choose another name, or move it with --move.")
        self.conn.execute("INSERT OR REPLACE INTO version_tags (dataset_id, name, number, created_at) VALUES (?, ?, ?, ?)",
                          (dataset.id, name, number, now))

    def resolve(self, dataset: DatasetRow, ref: str | int | None) -> int:
        """A version number from a reference: a number, a tag, ``latest`` or ``latest~N`` (also ``TAG~N``)."""
        if ref is None:
            ref = "latest"
        if isinstance(ref, int):
            number = ref
        else:
            number = self._resolve_text(dataset, ref.strip())
        if number < 1 or number > dataset.head:
            if dataset.head == 0:
                raise NotFound(f"Dataset {dataset.name!r} has no versions yet.")
            raise NotFound(f"Dataset {dataset.name!r} has no version {ref} (versions 1 to {dataset.head}).",
                           hint=_LOG_HINT.format(dataset.name))
        return number

    def _resolve_text(self, dataset: DatasetRow, ref: str) -> int:
        if ref.isdigit():
            return int(ref)
        relative = _RELATIVE.match(ref)
        if relative:
            return self._resolve_text(dataset, relative["base"]) - int(relative["back"])
        if ref in ("latest", "head", "HEAD"):
            return dataset.head
        row = self.conn.execute("SELECT number FROM version_tags WHERE dataset_id = ? AND name = ?",
                                (dataset.id, ref)).fetchone()
        if row is None:
            raise NotFound(f"{ref!r} is not a version of {dataset.name!r}: not a number, a tag, or latest~N.",
                           hint=_LOG_HINT.format(dataset.name))
        return int(row[0])


_LOG_HINT = "List the versions and tags with: threadsmith log --dataset {}"
