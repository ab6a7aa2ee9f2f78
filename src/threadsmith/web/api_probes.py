"""Probe results stored in the workspace: the API (list, one run, a comparison) and the pages (runs
per dataset, and the compare view with per-behavior scores and intervals, the worst examples and
"what to fix in the dataset next" linking the dataset version's findings and insights pages)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Param
from fastapi.responses import HTMLResponse

from threadsmith.errors import UserError
from threadsmith.web.rendering import render
from threadsmith.web.workspaces import WorkspacePool, pool

router = APIRouter(tags=["probes"])
Pool = Annotated[WorkspacePool, Depends(pool)]
Name = Annotated[str | None, Param(max_length=100)]
Runs = Annotated[list[str], Param(max_length=12, description="Probe runs (probe-N, or run-N: a training run's "
                                                             "newest); the first is the base.")]


def _families(codes: tuple[str, ...]) -> list[str]:
    """The check families of some codes, in first-seen order (for links to the findings page)."""
    from threadsmith.checks.registry import get_check
    from threadsmith.errors import UnknownCheck

    out: list[str] = []
    for code in codes:
        try:
            family = get_check(code).family.value
        except UnknownCheck:
            continue
        if family not in out:
            out.append(family)
    return out


def _ordered(ws: Any, runs: list[str], base: str | None) -> list[str]:
    """The base first (default: the oldest), then the others oldest first; duplicates dropped."""
    chosen = list(dict.fromkeys([*runs, *([base] if base else [])]))
    if len(chosen) < 2:
        raise UserError("pick at least two probe runs to compare", hint="Tick two or more runs on the probes page.")
    ids = {name: ws.probe_run(name).id for name in chosen}
    first = base or min(chosen, key=ids.__getitem__)
    return [first, *sorted((n for n in chosen if n != first), key=ids.__getitem__)]


def _comparison(ws: Any, names: list[str]) -> dict[str, Any]:
    from threadsmith.probe.records import compare_stored

    comparison, links, runs = compare_stored(ws, names)
    linked = [r.metadata for r in runs if r.metadata.get("dataset") and r.metadata.get("version")]
    target = (str(linked[-1]["dataset"]), int(linked[-1]["version"])) if linked else None
    fixes = [{**asdict(link), "findings": [f.to_dict() for f in link.findings], "families": _families(link.codes)}
             for link in links]
    return {"runs": names, "comparison": asdict(comparison), "fix": fixes,
            "dataset": target[0] if target else None, "version": target[1] if target else None}


@router.get("/api/probes")
def list_probe_runs(workspaces: Pool, dataset: Name = None, training_run: Name = None,
                    suite: Name = None) -> dict[str, Any]:
    """Stored probe runs (of one dataset, training run or suite), newest first."""
    found = workspaces.get().probe_runs(dataset, training_run=training_run, suite=suite)
    return {"probe_runs": [r.to_dict() for r in found]}


@router.get("/api/probes/compare")
def compare_probe_runs(workspaces: Pool, runs: Runs, base: Name = None) -> dict[str, Any]:
    """Stored runs compared (the base first): per-behavior scores, paired deltas with 95% intervals,
    worst examples, and what to fix in the dataset next."""
    ws = workspaces.get()
    return _comparison(ws, _ordered(ws, runs, base))


@router.get("/api/probes/{name}")
def probe_run(name: str, workspaces: Pool) -> dict[str, Any]:
    """One stored run with every probe's score."""
    ws = workspaces.get()
    run = ws.probe_run(name)
    probes = [{"probe_id": o.probe_id, "behavior": o.behavior, "score": o.score} for o in ws.probe_results(run.name)]
    return {"probe_run": run.to_dict(), "probes": probes}


@router.get("/probes", response_class=HTMLResponse, include_in_schema=False)
def probes_page(request: Request, workspaces: Pool) -> HTMLResponse:
    return _list_page(request, workspaces, None)


@router.get("/datasets/{dataset}/probes", response_class=HTMLResponse, include_in_schema=False)
def dataset_probes_page(request: Request, dataset: str, workspaces: Pool) -> HTMLResponse:
    return _list_page(request, workspaces, dataset)


def _list_page(request: Request, workspaces: WorkspacePool, dataset: str | None) -> HTMLResponse:
    runs = workspaces.get().probe_runs(dataset)
    groups: dict[str, list[Any]] = {}
    for run in runs:
        groups.setdefault(run.dataset or "", []).append(run)
    behaviors = list(dict.fromkeys(b for run in runs for b in run.scores))
    context = {"dataset": dataset} if dataset else {}
    return render(request, "probes.html", title=f"Probes · {dataset}" if dataset else "Probes", groups=groups,
                  behaviors=behaviors, **context)


@router.get("/probes/compare", response_class=HTMLResponse, include_in_schema=False)
def compare_page(request: Request, workspaces: Pool, runs: Runs, base: Name = None) -> HTMLResponse:
    ws = workspaces.get()
    data = _comparison(ws, _ordered(ws, runs, base))
    comparison = data["comparison"]
    table: dict[str, dict[str, Any]] = {}
    for d in comparison["deltas"]:
        table.setdefault(d["behavior"], {})[d["variant"]] = d
    context = {"dataset": data["dataset"]} if data["dataset"] else {}
    return render(request, "probe_compare.html", title="Compare probe runs", data=data, comparison=comparison,
                  table=table, version=data["version"], **context)
