"""API: training runs recorded in the workspace (list, one run with its per-step metrics, compare)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi import Query as Param

from threadsmith.errors import UserError
from threadsmith.web.workspaces import WorkspacePool, pool
from threadsmith.workspace.runs import RunMetric

router = APIRouter(prefix="/api/runs", tags=["runs"])
Pool = Annotated[WorkspacePool, Depends(pool)]
#: Compare at most this many runs at once (one colour each on the overlaid charts).
MAX_COMPARED = 6


def metric_view(metric: RunMetric) -> dict[str, Any]:
    """One metrics row, JSON-ready."""
    return {"kind": metric.kind, "step": metric.step, "values": metric.values}


def compared_names(runs: list[str]) -> list[str]:
    """The runs to compare, checked: two to :data:`MAX_COMPARED`, each named once."""
    names = list(dict.fromkeys(name.strip() for name in runs if name.strip()))
    if not 2 <= len(names) <= MAX_COMPARED:
        raise UserError(f"Comparing needs 2 to {MAX_COMPARED} different runs ({len(names)} given).",
                        hint="Pick the runs on the runs page, or pass ?runs=run-1&runs=run-2.")
    return names


@router.get("")
def list_runs(workspaces: Pool, dataset: Annotated[str | None, Param(max_length=200)] = None) -> dict[str, Any]:
    """Every training run (of one dataset), newest first."""
    return {"runs": [run.to_dict() for run in workspaces.get().runs(dataset)]}


@router.get("/compare")
def compare_runs(workspaces: Pool,
                 runs: Annotated[list[str] | None, Param(description="Run names (or ids), 2 to 6.")] = None
                 ) -> dict[str, Any]:
    """Runs side by side: the settings that differ and the final figures."""
    comparison = workspaces.get().compare_runs(compared_names(runs or []))
    return {"runs": [run.name for run in comparison.runs], "settings": comparison.settings,
            "figures": comparison.figures}


@router.get("/{name}")
def show_run(name: str, workspaces: Pool,
             kind: Annotated[str | None, Param(pattern="^(train|eval)$")] = None) -> dict[str, Any]:
    """One run (by name or id) and its per-step metrics (``train``, ``eval`` or both), in step order."""
    ws = workspaces.get()
    return {"run": ws.run(name).to_dict(), "metrics": [metric_view(m) for m in ws.run_metrics(name, kind)]}
