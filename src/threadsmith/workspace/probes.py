"""Probe runs kept in the workspace, linked to the training run they probed and its dataset version.

``threadsmith probe run ... --record`` stores each run: the suite (name and hash), model, adapter,
settings, per-behavior scores and every probe's result. ``threadsmith compare`` and the web
probe page read them back, so a second training cycle shows its behavior change against the
first. The workspace stores what the probe layer hands it as plain data (it does not import
:mod:`threadsmith.probe`, which sits above it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from threadsmith.errors import NotFound, UserError
from threadsmith.store import Store
from threadsmith.store.probes import ProbeRow, ProbeRunRow
from threadsmith.workspace.versioning import utc_now


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    """One probe's outcome in a stored run: its score and the full result (replies, checks ...)."""

    probe_id: str
    behavior: str
    score: float | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProbeRun:
    """A stored probe run: which suite, model and adapter, which training run and dataset version it
    is about (None for a base model probed on its own), its settings and per-behavior scores."""

    id: int
    name: str
    suite: str
    suite_hash: str
    model: str
    adapter: str | None
    variant: str
    training_run: str | None
    dataset: str | None
    version: int | None
    settings: dict[str, Any]
    scores: dict[str, float | None]
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _probe_run(row: ProbeRunRow) -> ProbeRun:
    return ProbeRun(row.id, row.name, row.suite, row.suite_hash, row.model, row.adapter, row.variant, row.run_name,
                    row.dataset, row.version, row.settings, row.scores, row.created_at)


class ProbeMethods:
    """Mixed into :class:`~threadsmith.workspace.Workspace`."""

    store: Store

    def record_probe_run(self, *, suite: str, suite_hash: str, model: str, variant: str,
                         scores: dict[str, float | None], probes: Sequence[ProbeOutcome], adapter: str | None = None,
                         settings: dict[str, Any] | None = None, training_run: str | int | None = None,
                         dataset: str | None = None, version: str | int | None = None) -> ProbeRun:
        """Store a probe run. ``training_run`` links it to a run (and, unless ``dataset`` says otherwise,
        to the dataset version that run trained on); ``dataset`` (+ ``version``, default latest) links
        a base-model run to the data it is meant to judge."""
        with self.store.write():
            run_id, dataset_id, number = None, None, None
            if training_run is not None:
                run = self.store.runs.find(str(training_run))
                run_id, dataset_id, number = run.id, run.dataset_id, run.version
            if dataset is not None:
                row = self.store.versions.dataset(dataset)
                dataset_id, number = row.id, self.store.versions.resolve(row, version)
            rows = [ProbeRow(p.probe_id, p.behavior, p.score, p.detail) for p in probes]
            stored = self.store.probes.create(suite=suite, suite_hash=suite_hash, model=model, adapter=adapter,
                                              variant=variant, run_id=run_id, dataset_id=dataset_id, version=number,
                                              settings=settings or {}, scores=scores, probes=rows, now=utc_now())
            return _probe_run(stored)

    def probe_runs(self, dataset: str | None = None, *, training_run: str | int | None = None,
                   suite: str | None = None) -> list[ProbeRun]:
        """Stored probe runs (of one dataset, training run or suite), newest first."""
        with self.store.read():
            dataset_id = self.store.versions.dataset(dataset).id if dataset else None
            run_id = self.store.runs.find(str(training_run)).id if training_run is not None else None
            return [_probe_run(r) for r in self.store.probes.all(dataset_id=dataset_id, run_id=run_id, suite=suite)]

    def probe_run(self, name: str | int) -> ProbeRun:
        """One stored probe run by name (``probe-3``) or id; a training run's name (``run-2``) gives its
        newest probe run."""
        ref = str(name)
        with self.store.read():
            if ref.startswith("run-"):
                run = self.store.runs.find(ref)
                found = self.store.probes.all(run_id=run.id)
                if not found:
                    raise NotFound(f"Training run {run.name} has no stored probe runs.",
                                   hint=f"threadsmith probe run SUITE --run {run.name} --record")
                return _probe_run(found[0])
            return _probe_run(self.store.probes.find(ref))

    def probe_results(self, name: str | int) -> list[ProbeOutcome]:
        """Every probe's outcome in a stored run, in the suite's order."""
        run = self.probe_run(name)
        with self.store.read():
            return [ProbeOutcome(r.probe_id, r.behavior, r.score, r.detail) for r in self.store.probes.results(run.id)]

    def delete_probe_run(self, name: str | int) -> None:
        """Remove a stored probe run and its results."""
        ref = str(name)
        if ref.startswith("run-"):
            raise UserError(f"{ref} names a training run; name the probe run to delete (probe-N)")
        with self.store.write():
            self.store.probes.delete(self.store.probes.find(ref).id)
