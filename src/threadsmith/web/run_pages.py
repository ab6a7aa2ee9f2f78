"""The run pages: training runs (all, or one dataset's), one run with its curves, and runs compared.

Everything shown comes from the workspace's run records (settings, data, environment, summary,
per-step metrics); the curves are server-rendered SVG (:mod:`threadsmith.web.curves`).
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Param
from fastapi.responses import HTMLResponse

from threadsmith.web.api_runs import compared_names
from threadsmith.web.curves import PALETTE, compare_charts, run_charts
from threadsmith.web.rendering import render
from threadsmith.web.workspaces import WorkspacePool, pool
from threadsmith.workspace.runs import Run, flatten

router = APIRouter(include_in_schema=False)
Pool = Annotated[WorkspacePool, Depends(pool)]
STATUS_CLASSES = {"finished": "added", "failed": "removed", "interrupted": "warn", "running": "changed"}
#: Summary figures shown first on the run page and in the runs table, in this order.
HEADLINE = ("steps", "first_loss", "final_loss", "eval_loss", "tokens_per_s", "peak_gpu_gib", "seconds")


def outputs(run: Run) -> list[tuple[str, str]]:
    """What the run left behind: ``(label, path)`` for the adapter (or full model) and the merged model."""
    if not run.output or run.status != "finished":
        return []
    folder = PurePath(run.output)
    found = [("model" if run.config.get("method") == "full" else "adapter",
              str(folder / ("model" if run.config.get("method") == "full" else "adapter")))]
    if run.config.get("merge") and run.config.get("method") != "full":
        found.append(("merged model", str(folder / "merged")))
    return found


def figures(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    """The summary's figures: the headline ones first, then the rest (empty values left out)."""
    keys = [k for k in HEADLINE if k in summary] + sorted(k for k in summary if k not in HEADLINE)
    return [(key, summary[key]) for key in keys if summary[key] is not None]


def shown(value: Any) -> str:
    """A setting or figure as text: floats short (``0.0001`` -> ``1e-04``), lists joined, None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value)
    return str(value)


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, workspaces: Pool) -> HTMLResponse:
    return render(request, "runs.html", title="Runs", runs=workspaces.get().runs(), scope=None,
                  status_classes=STATUS_CLASSES, shown=shown)


@router.get("/datasets/{dataset}/runs", response_class=HTMLResponse)
def dataset_runs_page(request: Request, dataset: str, workspaces: Pool) -> HTMLResponse:
    return render(request, "runs.html", title=f"Runs · {dataset}", runs=workspaces.get().runs(dataset), scope=dataset,
                  dataset=dataset, status_classes=STATUS_CLASSES, shown=shown)


@router.get("/runs/compare", response_class=HTMLResponse)
def compare_page(request: Request, workspaces: Pool,
                 runs: Annotated[list[str] | None, Param()] = None) -> HTMLResponse:
    ws = workspaces.get()
    comparison = ws.compare_runs(compared_names(runs or []))
    charts = compare_charts([(run.name, ws.run_metrics(run.name)) for run in comparison.runs])
    names = [run.name for run in comparison.runs]
    return render(request, "run_compare.html", title="Compare " + " · ".join(names), comparison=comparison,
                  charts=charts, colours=PALETTE, status_classes=STATUS_CLASSES, shown=shown)


@router.get("/runs/{name}", response_class=HTMLResponse)
def run_page(request: Request, name: str, workspaces: Pool) -> HTMLResponse:
    ws = workspaces.get()
    run = ws.run(name)
    settings = sorted(flatten(run.config).items())
    scope = {"dataset": run.dataset} if run.dataset else {}  # the dataset's links in the top bar
    return render(request, "run.html", title=run.name, run=run, charts=run_charts(ws.run_metrics(run.name)),
                  settings=settings, figures=figures(run.summary), outputs=outputs(run),
                  libraries=sorted((run.environment.get("libraries") or {}).items()),
                  status_classes=STATUS_CLASSES, shown=shown, **scope)
