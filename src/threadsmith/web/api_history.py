"""API: a dataset's versions, the diff between two, restoring one, tagging one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi import Query as Param

from threadsmith.web.payloads import RestoreRequest, TagRequest, version_view
from threadsmith.web.workspaces import WorkspacePool, pool

router = APIRouter(prefix="/api/datasets/{dataset}", tags=["history"])
Pool = Annotated[WorkspacePool, Depends(pool)]
Ref = Annotated[str | None, Param(max_length=100, description="A version number, a tag, latest or latest~N.")]


@router.get("/versions")
def list_versions(dataset: str, workspaces: Pool) -> dict[str, Any]:
    """Every version, newest first."""
    return {"versions": [version_view(v) for v in workspaces.get().log(dataset)]}


@router.get("/diff")
def diff(dataset: str, workspaces: Pool, before: Ref = None, after: Ref = None,
         limit: Annotated[int, Param(ge=1, le=5000)] = 200, findings: bool = True) -> dict[str, Any]:
    """What changed from ``before`` (default: the version before ``after``) to ``after`` (default: latest)."""
    ws = workspaces.get()
    b = ws.resolve(dataset, after or "latest")
    a = ws.resolve(dataset, before) if before else max(b - 1, 1)
    return ws.diff(dataset, a, b, limit=limit, findings=findings).to_dict()


@router.post("/restore")
def restore(dataset: str, body: RestoreRequest, workspaces: Pool) -> dict[str, Any]:
    """A new version whose entries are those of ``version`` (nothing is lost: history keeps every version)."""
    version = workspaces.get().restore(dataset, body.version, message=body.message)
    return {"version": version_view(version)}


@router.post("/tags")
def tag(dataset: str, body: TagRequest, workspaces: Pool) -> dict[str, Any]:
    """Name a version (``move`` takes the name from another version)."""
    return {"version": version_view(workspaces.get().tag(dataset, body.version, body.name, move=body.move))}
