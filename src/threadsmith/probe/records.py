"""Probe runs stored in the workspace: recording a run, and reading stored runs back as
:class:`~threadsmith.probe.results.RunResult` for :func:`~threadsmith.probe.compare.compare_runs`.

A stored run is linked to the training run it probed (its adapter or model) and to the dataset
version that run trained on, or, for a base model, to the dataset version it is meant to judge.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

from threadsmith.errors import UserError
from threadsmith.probe.compare import Comparison, compare_runs
from threadsmith.probe.report import FixLink, dataset_links
from threadsmith.probe.results import RunResult, probe_from_dict
from threadsmith.probe.suite import Suite
from threadsmith.probe.suite_file import compile_suite

if TYPE_CHECKING:
    from threadsmith.model import Finding
    from threadsmith.workspace import Workspace
    from threadsmith.workspace.probes import ProbeRun


def suite_hash(suite: Suite) -> str:
    """A stable hash of the compiled suite: two runs compare probe for probe only when it matches."""
    return hashlib.sha256(compile_suite(suite).encode()).hexdigest()[:16]


def record_run(ws: Workspace, run: RunResult, suite: Suite, *, adapter: str | None = None,
               training_run: str | None = None, dataset: str | None = None,
               version: str | int | None = None) -> ProbeRun:
    """Store ``run`` in the workspace, linked to a training run and/or a dataset version."""
    from threadsmith.workspace.probes import ProbeOutcome

    probes = [ProbeOutcome(r.probe_id, r.behavior, r.score, asdict(r)) for r in run.results]
    settings = {"system_prompt_baseline": run.system_prompt_baseline, "created": run.created,
                "metadata": run.metadata, "suite_version": suite.version}
    return ws.record_probe_run(suite=run.suite, suite_hash=suite_hash(suite), model=run.model, variant=run.variant,
                               scores=run.behavior_scores(), probes=probes, adapter=adapter, settings=settings,
                               training_run=training_run, dataset=dataset, version=version)


def stored_result(ws: Workspace, name: str | int) -> RunResult:
    """A stored probe run (``probe-3``, or ``run-2``: a training run's newest) as a run result."""
    stored = ws.probe_run(name)
    try:
        results = tuple(probe_from_dict(o.detail) for o in ws.probe_results(stored.name))
    except (KeyError, TypeError) as exc:
        raise UserError(f"probe run {stored.name}: its stored results cannot be read ({exc})") from None
    metadata: dict[str, Any] = {**stored.settings.get("metadata", {}), "probe_run": stored.name}
    if stored.training_run:
        metadata["run"] = stored.training_run
    if stored.dataset:
        metadata.update(dataset=stored.dataset, version=stored.version)
    return RunResult(stored.suite, stored.model, stored.variant, bool(stored.settings.get("system_prompt_baseline")),
                     results, stored.created_at, metadata)


def stored_results(ws: Workspace, names: Sequence[str | int]) -> list[RunResult]:
    """Several stored runs, labelled apart: a variant label shared by two runs (``tuned`` for cycle 1
    and cycle 2) gets the training run's (or probe run's) name appended."""
    runs = [stored_result(ws, name) for name in names]
    hashes = {ws.probe_run(str(run.metadata["probe_run"])).suite_hash for run in runs}
    if len(hashes) > 1:
        raise UserError("the stored runs used different versions of the suite; their probes do not pair",
                        hint="Probe both models with the same suite file.")
    counts = Counter(run.variant for run in runs)
    return [run if counts[run.variant] == 1 else
            replace(run, variant=f"{run.variant}@{run.metadata.get('run') or run.metadata['probe_run']}")
            for run in runs]


def workspace_findings(ws: Workspace, dataset: str, version: int | None,
                       per_behavior: int = 5) -> Callable[[tuple[str, ...]], tuple[Finding, ...]]:
    """A finder for :func:`~threadsmith.probe.report.dataset_links`: the top findings with some check
    codes in a workspace dataset version. One audit with the workspace's settings (cached per content,
    so cheap after the first), filtered by code."""
    audited: list[list[Finding]] = []

    def find(codes: tuple[str, ...]) -> tuple[Finding, ...]:
        if not audited:
            audited.append(ws.audit(dataset, version=version).findings)
        return tuple(f for f in audited[0] if f.code in codes)[:per_behavior]

    return find


def fix_links(comparison: Comparison, runs: Sequence[RunResult], ws: Workspace | None,
              dataset_file: str | None = None) -> list[FixLink]:
    """"What to fix in the dataset next": from a dataset file when given, else from the workspace
    dataset version the last linked run is about (its training data, for a tuned run)."""
    linked = [r.metadata for r in runs if r.metadata.get("dataset") and r.metadata.get("version")]
    if ws is None or dataset_file or not linked:
        return dataset_links(comparison, dataset_file)
    name, version = str(linked[-1]["dataset"]), int(linked[-1]["version"])
    return dataset_links(comparison, None, finder=workspace_findings(ws, name, version),
                         command=f"threadsmith audit --dataset {name} --version {version}")


def compare_stored(ws: Workspace, names: Sequence[str | int]) -> tuple[Comparison, list[FixLink], list[RunResult]]:
    """Compare stored probe runs (the first is the base): the comparison, its dataset links, the runs."""
    runs = stored_results(ws, names)
    comparison = compare_runs(runs)
    return comparison, fix_links(comparison, runs, ws), runs
