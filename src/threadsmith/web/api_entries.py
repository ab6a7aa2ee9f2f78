"""API: datasets, the entry browser, one entry, and edits to it (every save is a version)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Param

from threadsmith.web.filters import BrowseFilters, browse_filters
from threadsmith.web.payloads import (
    BaseRequest,
    EditRequest,
    dataset_view,
    edit_view,
    entry_view,
    hit_view,
    to_operation,
)
from threadsmith.web.workspaces import WorkspacePool, pool
from threadsmith.workspace import Workspace

router = APIRouter(prefix="/api", tags=["entries"])
Pool = Annotated[WorkspacePool, Depends(pool)]
Cursor = Annotated[str | None, Param(max_length=200)]
Limit = Annotated[int, Param(ge=1, le=500)]
VersionParam = Annotated[int | None, Param(ge=1)]


@router.get("/session")
def session(request: Request) -> dict[str, Any]:
    """The CSRF token same-origin scripts send as X-CSRF-Token on state-changing requests."""
    return {"csrf_token": request.app.state.settings.csrf_secret}


@router.get("/datasets")
def list_datasets(workspaces: Pool) -> dict[str, Any]:
    """Every dataset: entries, latest version, and the summary of its latest audit (null when not audited)."""
    ws = workspaces.get()
    return {"datasets": [dataset_view(info, ws.audit_summary(info.name)) for info in ws.datasets()]}


@router.get("/datasets/{dataset}/entries")
def list_entries(dataset: str, workspaces: Pool, filters: Annotated[BrowseFilters, Depends(browse_filters)],
                 cursor: Cursor = None, limit: Limit = 50, version: VersionParam = None,
                 count: bool = False) -> dict[str, Any]:
    """A page of entries (keyset paging: pass ``next_cursor`` back), filtered; ``count`` also counts matches."""
    ws = workspaces.get()
    result = ws.search(dataset, filters.query(), version=version, cursor=cursor, limit=limit, count=count,
                       sort=filters.sort)
    return {"entries": [hit_view(h) for h in result.hits], "next_cursor": result.next_cursor, "total": result.total,
            "sort": filters.sort}


@router.get("/datasets/{dataset}/tags")
def list_tags(dataset: str, workspaces: Pool, version: VersionParam = None,
              limit: Annotated[int, Param(ge=1, le=10_000)] = 200) -> dict[str, Any]:
    """The tags of a version, most used first, with their entry counts and categories."""
    ws = workspaces.get()
    return {"tags": [asdict(t) for t in tag_counts(ws, dataset, version, limit)]}


#: Tag counts by (workspace, dataset, version, limit): a version never changes, and counting reads
#: every tagged entry (about half a second at 1M). Kept small: the latest few versions browsed.
_TAGS: dict[tuple[object, ...], list[Any]] = {}


def tag_counts(ws: Workspace, dataset: str, version: int | None, limit: int) -> list[Any]:
    """``ws.tags`` of a version, remembered (categories may go stale until the version changes)."""
    number = ws.resolve(dataset, version)
    key = (ws.path, dataset, number, limit)
    if key not in _TAGS:
        if len(_TAGS) >= 32:
            _TAGS.pop(next(iter(_TAGS)))
        _TAGS[key] = ws.tags(dataset, version=number, limit=limit)
    return _TAGS[key]


@router.get("/datasets/{dataset}/entries/{key}")
def get_entry(dataset: str, key: str, workspaces: Pool, version: VersionParam = None) -> dict[str, Any]:
    """One entry: its turns, tags, the version that gave it this state (``since``: send it back as
    ``base_version`` when saving), and its findings."""
    ws = workspaces.get()
    entry = ws.entry(dataset, key, version=version)
    findings = ws.entry_findings(dataset, key, version=version)
    dismissed = {d.code: d.reason for d in ws.dismissals(dataset, key=key)}
    return entry_view(entry, findings, dismissed)


@router.post("/datasets/{dataset}/entries/{key}/edits")
def edit_entry(dataset: str, key: str, body: EditRequest, workspaces: Pool) -> dict[str, Any]:
    """Apply edits to one entry as one version; 409 ``conflict`` when it changed after ``base_version``."""
    ws = workspaces.get()
    operations = [to_operation(key, op) for op in body.operations]
    return edit_view(ws.apply(dataset, operations, message=body.message, base_version=body.base_version))


@router.post("/datasets/{dataset}/entries/{key}/undo")
def undo_entry(dataset: str, key: str, body: BaseRequest, workspaces: Pool) -> dict[str, Any]:
    """Put the entry back to its previous state (a new version; history keeps both)."""
    return edit_view(workspaces.get().undo_entry(dataset, key, base_version=body.base_version))
