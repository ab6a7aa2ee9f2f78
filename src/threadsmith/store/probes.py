"""Probe runs: one row per run of a probe suite (model, adapter, linked training run and dataset
version, settings, per-behavior scores), and one row per probe with its score and full result."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from threadsmith.errors import NotFound

_COLUMNS = ("p.id, p.name, p.suite, p.suite_hash, p.model, p.adapter, p.variant, p.run_id, t.name, p.dataset_id, "
            "d.name, p.version, p.settings, p.scores, p.created_at")
_FROM = ("probe_runs p LEFT JOIN training_runs t ON t.id = p.run_id "
         "LEFT JOIN datasets d ON d.id = p.dataset_id")
_HINT = "threadsmith probe runs lists the stored probe runs."


@dataclass(frozen=True, slots=True)
class ProbeRunRow:
    """A stored probe run (JSON columns decoded; training run and dataset names joined in)."""

    id: int
    name: str
    suite: str
    suite_hash: str
    model: str
    adapter: str | None
    variant: str
    run_id: int | None
    run_name: str | None
    dataset_id: int | None
    dataset: str | None
    version: int | None
    settings: dict[str, Any]
    scores: dict[str, float | None]
    created_at: str


@dataclass(frozen=True, slots=True)
class ProbeRow:
    """One probe's outcome in a run: its score and the full result (replies, checks ...) as JSON-ready data."""

    probe_id: str
    behavior: str
    score: float | None
    detail: dict[str, Any]


def _row(raw: tuple[Any, ...]) -> ProbeRunRow:
    return ProbeRunRow(*raw[:12], orjson.loads(raw[12]), orjson.loads(raw[13]), raw[14])


class Probes:
    """The ``probe_runs`` and ``probe_results`` tables."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def create(self, *, suite: str, suite_hash: str, model: str, adapter: str | None, variant: str,
               run_id: int | None, dataset_id: int | None, version: int | None, settings: dict[str, Any],
               scores: dict[str, float | None], probes: Sequence[ProbeRow], now: str) -> ProbeRunRow:
        """Store a probe run and its per-probe results; it is named ``probe-N``."""
        number = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM probe_runs").fetchone()[0]
        cur = self.conn.execute(
            "INSERT INTO probe_runs (name, suite, suite_hash, model, adapter, variant, run_id, dataset_id, version, "
            "settings, scores, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (f"probe-{number}", suite, suite_hash, model, adapter, variant, run_id, dataset_id, version,
             orjson.dumps(settings).decode(), orjson.dumps(scores).decode(), now))
        run = int(cur.lastrowid or 0)
        self.conn.executemany(
            "INSERT INTO probe_results (probe_run_id, position, probe_id, behavior, score, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(run, n, p.probe_id, p.behavior, p.score, orjson.dumps(p.detail)) for n, p in enumerate(probes)])
        return self.get(run)

    def get(self, probe_run_id: int) -> ProbeRunRow:
        """One probe run by id."""
        raw = self.conn.execute(f"SELECT {_COLUMNS} FROM {_FROM} WHERE p.id = ?", (probe_run_id,)).fetchone()
        if raw is None:
            raise NotFound(f"No probe run {probe_run_id}.", hint=_HINT)
        return _row(raw)

    def find(self, name: str) -> ProbeRunRow:
        """One probe run by name (``probe-3``) or id (``3``)."""
        if name.isascii() and name.isdigit():
            return self.get(int(name))
        raw = self.conn.execute(f"SELECT {_COLUMNS} FROM {_FROM} WHERE p.name = ?", (name,)).fetchone()
        if raw is None:
            raise NotFound(f"No probe run named {name!r}.", hint=_HINT)
        return _row(raw)

    def all(self, *, dataset_id: int | None = None, run_id: int | None = None,
            suite: str | None = None) -> list[ProbeRunRow]:
        """Probe runs (of one dataset, one training run, one suite), newest first."""
        where, args = [], []
        for column, value in (("p.dataset_id", dataset_id), ("p.run_id", run_id), ("p.suite", suite)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM {_FROM}{clause} ORDER BY p.id DESC", args).fetchall()
        return [_row(r) for r in rows]

    def results(self, probe_run_id: int) -> list[ProbeRow]:
        """A run's per-probe results, in the suite's order."""
        rows = self.conn.execute("SELECT probe_id, behavior, score, detail FROM probe_results WHERE probe_run_id = ? "
                                 "ORDER BY position", (probe_run_id,)).fetchall()
        return [ProbeRow(p, b, s, orjson.loads(d)) for p, b, s, d in rows]

    def delete(self, probe_run_id: int) -> None:
        """Remove a probe run and its results."""
        self.conn.execute("DELETE FROM probe_results WHERE probe_run_id = ?", (probe_run_id,))
        self.conn.execute("DELETE FROM probe_runs WHERE id = ?", (probe_run_id,))
