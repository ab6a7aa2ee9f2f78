"""Training runs kept in the workspace, linked to the dataset version they trained on.

``threadsmith train`` records a run when it starts (settings, data, library versions, device),
its per-step metrics as they are logged, and how it ended (adapter folder, final losses).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from threadsmith.store import Store
from threadsmith.store.runs import RunRow
from threadsmith.workspace.versioning import utc_now


@dataclass(frozen=True, slots=True)
class Run:
    """One training run: what it trained on, with which settings, where, and how it ended."""

    id: int
    name: str
    dataset: str | None
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class RunMetric:
    """The metrics logged at one step: ``kind`` is ``train`` (loss, learning rate, tokens/s, memory) or ``eval``."""

    kind: str
    step: int
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunComparison:
    """Runs side by side: the settings that differ, and each run's final figures."""

    runs: tuple[Run, ...]
    #: setting -> value per run (only settings that differ).
    settings: dict[str, tuple[Any, ...]]
    #: figure -> value per run (final train loss, eval loss, tokens/s, peak memory, time).
    figures: dict[str, tuple[Any, ...]]


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"lora": {"r": 8}}`` -> ``{"lora.r": 8}``."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def compare(runs: Sequence[Run]) -> RunComparison:
    """The settings that differ between runs (data included) and their final figures."""
    flat = [flatten({**run.config, "data": run.data.get("describe")}) for run in runs]
    keys = sorted({key for item in flat for key in item})
    settings = {key: tuple(item.get(key) for item in flat) for key in keys
                if len({repr(item.get(key)) for item in flat}) > 1}
    names = sorted({key for run in runs for key in run.summary})
    figures = {key: tuple(run.summary.get(key) for run in runs) for key in names}
    return RunComparison(tuple(runs), settings, figures)


class RunMethods:
    """Mixed into :class:`~threadsmith.workspace.Workspace`."""

    store: Store

    def start_run(self, *, dataset: str | None, version: int | None, data: dict[str, Any], config: dict[str, Any],
                  environment: dict[str, Any]) -> Run:
        """Record a run that is starting (status ``running``) and return it."""
        with self.store.write():
            dataset_id = self.store.versions.dataset(dataset).id if dataset else None
            row = self.store.runs.create(dataset_id=dataset_id, version=version, data=data, config=config,
                                         environment=environment, now=utc_now())
        return self._run(row)

    def log_run_metrics(self, run: int, kind: str, rows: Sequence[tuple[int, dict[str, Any]]]) -> None:
        """Append per-step metrics to a run."""
        with self.store.write():
            self.store.runs.add_metrics(run, kind, list(rows))

    def finish_run(self, run: int, *, status: str, output: str | None = None, summary: dict[str, Any] | None = None,
                   error: str | None = None) -> Run:
        """Record how a run ended: ``finished`` (with its output folder and figures) or ``failed`` (with the error)."""
        with self.store.write():
            self.store.runs.finish(run, status=status, now=utc_now(), output=output, summary=summary, error=error)
            return self._run(self.store.runs.get(run))

    def runs(self, dataset: str | None = None) -> list[Run]:
        """Every training run (of one dataset), newest first."""
        with self.store.read():
            dataset_id = self.store.versions.dataset(dataset).id if dataset else None
            return [self._run(row) for row in self.store.runs.all(dataset_id)]

    def run(self, name: str | int) -> Run:
        """One run by name (``run-3``) or id."""
        with self.store.read():
            return self._run(self.store.runs.find(str(name)))

    def run_metrics(self, name: str | int, kind: str | None = None) -> list[RunMetric]:
        """A run's per-step metrics (``train``, ``eval`` or both), in step order."""
        with self.store.read():
            row = self.store.runs.find(str(name))
            return [RunMetric(k, step, values) for k, step, values in self.store.runs.metrics(row.id, kind)]

    def compare_runs(self, names: Sequence[str | int]) -> RunComparison:
        """Runs side by side: differing settings and final figures."""
        return compare([self.run(name) for name in names])

    def _run(self, row: RunRow) -> Run:
        dataset = self.store.runs.dataset_name(row.dataset_id) if row.dataset_id is not None else None
        return Run(row.id, row.name, dataset, row.version, row.data, row.config, row.environment, row.status,
                   row.output, row.summary, row.error, row.started_at, row.finished_at)
