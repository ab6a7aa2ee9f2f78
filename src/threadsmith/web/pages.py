"""The pages: server-rendered HTML over the same workspace calls as the API (no data via JavaScript
on first paint; the scripts only send edits and reload)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Param
from fastapi.responses import HTMLResponse, RedirectResponse

from threadsmith.model import Family
from threadsmith.report.sections import composition_section, shape_section, style_section
from threadsmith.report.style import CSS as REPORT_CSS
from threadsmith.web.filters import BrowseFilters, browse_filters
from threadsmith.web.rendering import render
from threadsmith.web.workspaces import WorkspacePool, pool

router = APIRouter(include_in_schema=False)
Pool = Annotated[WorkspacePool, Depends(pool)]
Ref = Annotated[str | None, Param(max_length=100)]
FAMILIES = tuple(f.value for f in Family)
#: The browser's orders, as its Sort menu names them.
SORT_LABELS = {"position": "dataset order", "chars": "shortest first (characters)", "-chars": "longest first (characters)",
               "turns": "fewest turns first", "-turns": "most turns first", "changed": "last changed first",
               "findings": "most findings first"}
#: The datasets page scores datasets up to this size (the score reads every finding; larger ones: Insights).
SCORE_LIMIT = 200_000
#: Scores by (workspace, dataset, version, audit run): a version never changes.
_SCORES: dict[tuple[object, ...], object] = {}


@router.get("/", response_class=HTMLResponse)
def datasets_page(request: Request, workspaces: Pool) -> HTMLResponse:
    ws = workspaces.get()
    rows = []
    for info in ws.datasets():
        summary = ws.audit_summary(info.name)
        score = None
        if summary is not None and info.entries <= SCORE_LIMIT:
            key = (ws.path, info.name, info.head, summary.get("seconds"))
            score = _SCORES.get(key) or _SCORES.setdefault(key, ws.quality(info.name))
        rows.append({"info": info, "summary": summary, "score": score})
    return render(request, "datasets.html", title="Datasets", rows=rows, workspace=ws.path)


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    return RedirectResponse("/static/favicon.svg")


@router.get("/datasets/{dataset}", response_class=HTMLResponse)
def browser_page(request: Request, dataset: str, workspaces: Pool,
                 filters: Annotated[BrowseFilters, Depends(browse_filters)],
                 cursor: Annotated[str | None, Param(max_length=200)] = None, count: bool = False) -> HTMLResponse:
    ws = workspaces.get()
    info = ws.version(dataset)
    result = ws.search(dataset, filters.query(), cursor=cursor, limit=50, count=count, sort=filters.order)
    summary = ws.audit_summary(dataset)
    codes = sorted((summary or {}).get("by_code", {})) if summary else []
    return render(request, "browser.html", title=dataset, dataset=dataset, version=info, result=result,
                  filters=filters, params=filters.params(), families=FAMILIES, codes=codes, cursor=cursor,
                  audited=summary is not None, sorts=SORT_LABELS)


@router.get("/datasets/{dataset}/entries/{key}", response_class=HTMLResponse)
def editor_page(request: Request, dataset: str, key: str, workspaces: Pool,
                version: Annotated[int | None, Param(ge=1)] = None) -> HTMLResponse:
    ws = workspaces.get()
    entry = ws.entry(dataset, key, version=version)
    head = ws.resolve(dataset)
    findings = ws.entry_findings(dataset, key, version=version)
    dismissed = {d.code: d.reason for d in ws.dismissals(dataset, key=key)}
    by_turn: dict[int | None, list] = {}
    for f in findings:
        by_turn.setdefault(f.message_index, []).append(f)
    return render(request, "editor.html", title=f"{key} · {dataset}", dataset=dataset, entry=entry, head=head,
                  viewing=version, by_turn=by_turn, findings=findings, dismissed=dismissed,
                  roles=("system", "user", "assistant", "tool"))


@router.get("/datasets/{dataset}/history", response_class=HTMLResponse)
def history_page(request: Request, dataset: str, workspaces: Pool) -> HTMLResponse:
    ws = workspaces.get()
    return render(request, "history.html", title=f"History · {dataset}", dataset=dataset, versions=ws.log(dataset))


@router.get("/datasets/{dataset}/diff", response_class=HTMLResponse)
def diff_page(request: Request, dataset: str, workspaces: Pool, before: Ref = None, after: Ref = None) -> HTMLResponse:
    ws = workspaces.get()
    b = ws.resolve(dataset, after or "latest")
    a = ws.resolve(dataset, before) if before else max(b - 1, 1)
    diff = ws.diff(dataset, a, b, limit=500, findings=True)
    return render(request, "diff.html", title=f"Diff {a} → {b} · {dataset}", dataset=dataset, diff=diff)


@router.get("/datasets/{dataset}/findings", response_class=HTMLResponse)
def findings_page(request: Request, dataset: str, workspaces: Pool,
                  family: Annotated[str | None, Param(max_length=40)] = None) -> HTMLResponse:
    ws = workspaces.get()
    found = ws.findings(dataset, per_code=50)
    return render(request, "findings.html", title=f"Findings · {dataset}", dataset=dataset, families=found.families,
                  summary=found.summary, version=found.version, opened=family, dismissals=ws.dismissals(dataset))


@router.get("/datasets/{dataset}/insights", response_class=HTMLResponse)
def insights_page(request: Request, dataset: str, workspaces: Pool,
                  version: Annotated[int | None, Param(ge=1)] = None) -> HTMLResponse:
    found = workspaces.get().insights(dataset, version=version)
    charts = shape_section(found.stats) + style_section(found.stats) + composition_section(found.stats)
    return render(request, "insights.html", title=f"Insights · {dataset}", dataset=dataset, insights=found,
                  charts=charts, report_css=REPORT_CSS)


@router.get("/library", response_class=HTMLResponse)
def library_page(request: Request, workspaces: Pool) -> HTMLResponse:
    ws = workspaces.get()
    return render(request, "library.html", title="Library", characters=ws.characters(), prompts=ws.prompts())
