"""Training runs: one row per run (settings, data, environment, status, outputs) and per-step metrics."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from threadsmith.errors import NotFound

_COLUMNS = ("id, name, dataset_id, version, data, config, environment, status, output, summary, error, "
            "started_at, finished_at")


@dataclass(frozen=True, slots=True)
class RunRow:
    """A stored training run (JSON columns decoded)."""

    id: int
    name: str
    dataset_id: int | None
    version: int | None
    data: dict[str, Any]
    config: dict[str, Any]
    environment: dict[str, Any]
    status: str
    output: str | None
    summary: dict[str, Any]
    error: str | None
    started_at: str
    finished_at: str | None


def _row(raw: tuple[Any, ...]) -> RunRow:
    return RunRow(raw[0], raw[1], raw[2], raw[3], orjson.loads(raw[4]), orjson.loads(raw[5]), orjson.loads(raw[6]),
                  raw[7], raw[8], orjson.loads(raw[9]), raw[10], raw[11], raw[12])


class Runs:
    """The ``training_runs`` and ``run_metrics`` tables."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def create(self, *, dataset_id: int | None, version: int | None, data: dict[str, Any], config: dict[str, Any],
               environment: dict[str, Any], now: str) -> RunRow:
        """A new run in status ``running``, named ``run-N``."""
        number = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM training_runs").fetchone()[0]
        cur = self.conn.execute(
            "INSERT INTO training_runs (name, dataset_id, version, data, config, environment, status, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'running', ?)",
            (f"run-{number}", dataset_id, version, orjson.dumps(data).decode(), orjson.dumps(config).decode(),
             orjson.dumps(environment).decode(), now))
        return self.get(int(cur.lastrowid or 0))

    def finish(self, run_id: int, *, status: str, now: str, output: str | None = None,
               summary: dict[str, Any] | None = None, error: str | None = None) -> None:
        """Record how a run ended (``finished`` or ``failed``), its output folder and summary figures."""
        self.conn.execute("UPDATE training_runs SET status = ?, finished_at = ?, output = coalesce(?, output), "
                          "summary = ?, error = ? WHERE id = ?",
                          (status, now, output, orjson.dumps(summary or {}).decode(), error, run_id))

    def add_metrics(self, run_id: int, kind: str, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Per-step metrics (``train`` or ``eval``): a step number and a dict of values each."""
        self.conn.executemany("INSERT OR REPLACE INTO run_metrics (run_id, step, kind, values_json) VALUES (?, ?, ?, ?)",
                              [(run_id, step, kind, orjson.dumps(values).decode()) for step, values in rows])

    def get(self, run_id: int) -> RunRow:
        """One run by id."""
        raw = self.conn.execute(f"SELECT {_COLUMNS} FROM training_runs WHERE id = ?", (run_id,)).fetchone()
        if raw is None:
            raise NotFound(f"No training run {run_id}.", hint="threadsmith runs list shows the runs.")
        return _row(raw)

    def find(self, name: str) -> RunRow:
        """One run by name (``run-3``) or id (``3``)."""
        if name.isascii() and name.isdigit():  # '¹'.isdigit() is True but int('¹') fails
            return self.get(int(name))
        raw = self.conn.execute(f"SELECT {_COLUMNS} FROM training_runs WHERE name = ?", (name,)).fetchone()
        if raw is None:
            raise NotFound(f"No training run named {name!r}.", hint="threadsmith runs list shows the runs.")
        return _row(raw)

    def all(self, dataset_id: int | None = None) -> list[RunRow]:
        """Every run (of one dataset), newest first."""
        if dataset_id is None:
            rows = self.conn.execute(f"SELECT {_COLUMNS} FROM training_runs ORDER BY id DESC").fetchall()
        else:
            rows = self.conn.execute(f"SELECT {_COLUMNS} FROM training_runs WHERE dataset_id = ? ORDER BY id DESC",
                                     (dataset_id,)).fetchall()
        return [_row(r) for r in rows]

    def dataset_name(self, dataset_id: int) -> str | None:
        """The name of the dataset a run trained on (None if it was removed)."""
        found = self.conn.execute("SELECT name FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
        return found[0] if found else None

    def metrics(self, run_id: int, kind: str | None = None) -> list[tuple[str, int, dict[str, Any]]]:
        """(kind, step, values) rows of a run, by kind then step."""
        if kind is None:
            rows = self.conn.execute("SELECT kind, step, values_json FROM run_metrics WHERE run_id = ? "
                                     "ORDER BY kind, step", (run_id,)).fetchall()
        else:
            rows = self.conn.execute("SELECT kind, step, values_json FROM run_metrics WHERE run_id = ? AND kind = ? "
                                     "ORDER BY step", (run_id, kind)).fetchall()
        return [(k, s, orjson.loads(v)) for k, s, v in rows]
