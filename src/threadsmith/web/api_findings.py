"""API: audit a dataset, review its findings, preview and apply fixes, dismiss findings with a reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi import Query as Param

from threadsmith.web.payloads import DismissRequest, FixAllRequest, FixRequest, edit_view, messages_view, turn_view
from threadsmith.web.workspaces import WorkspacePool, pool

router = APIRouter(prefix="/api/datasets/{dataset}", tags=["findings"])
Pool = Annotated[WorkspacePool, Depends(pool)]
Code = Annotated[str, Param(min_length=2, max_length=20, pattern=r"^[A-Za-z]{2}[0-9]{3}$")]
PathCode = Annotated[str, Path(min_length=2, max_length=20, pattern=r"^[A-Za-z]{2}[0-9]{3}$")]


@router.post("/audit")
def audit(dataset: str, workspaces: Pool) -> dict[str, Any]:
    """Audit the latest version (incremental: cached per content); its summary."""
    return workspaces.get().audit(dataset).summary.to_dict()


@router.get("/findings")
def findings(dataset: str, workspaces: Pool,
             per_code: Annotated[int, Param(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """Findings of the latest version by family and code (audited now when needed), dismissed ones counted apart;
    read from the stored audit. Each code's ``next_cursor`` pages on with ``/findings/{code}``."""
    found = workspaces.get().findings(dataset, per_code=per_code)
    return {"version": found.version, "summary": found.summary, "families": found.families_dict()}


@router.get("/findings/{code}")
def code_findings(dataset: str, code: PathCode, workspaces: Pool, cursor: Annotated[str | None, Param(max_length=100)] = None,
                  limit: Annotated[int, Param(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """A page of one code's open findings in dataset order (whole entries; ``next_cursor`` pages on)."""
    return workspaces.get().code_findings(dataset, code, cursor=cursor, limit=limit).to_dict()


@router.get("/entries/{key}/fix-preview")
def fix_preview(dataset: str, key: str, code: Code, workspaces: Pool, unsafe: bool = True) -> dict[str, Any]:
    """What the fix of ``code`` would do to the entry (nothing is written)."""
    ws = workspaces.get()
    preview = ws.preview_fix(dataset, key, [code.upper()], unsafe=unsafe)
    return {"key": key, "codes": list(preview.codes), "changes": preview.changes, "drops": preview.after is None,
            "fixes_applied": preview.fixes_applied, "before": messages_view(preview.before),
            "after": messages_view(preview.after), "turns": [turn_view(t) for t in preview.turns()],
            "base_version": ws.entry(dataset, key).since}


@router.post("/entries/{key}/fix")
def fix_entry(dataset: str, key: str, body: FixRequest, workspaces: Pool) -> dict[str, Any]:
    """Apply the fixes of ``codes`` to one entry (409 when it changed after ``base_version``)."""
    codes = [c.upper() for c in body.codes]
    return edit_view(workspaces.get().fix_entry(dataset, key, codes, base_version=body.base_version))


@router.post("/findings/{code}/fix")
def fix_code(dataset: str, code: str, body: FixAllRequest, workspaces: Pool) -> dict[str, Any]:
    """Apply one code's fixes to every entry that has it (dismissed ones left alone), as one version."""
    return edit_view(workspaces.get().fix_code(dataset, code.upper(), unsafe=body.unsafe))


@router.post("/entries/{key}/dismissals")
def dismiss(dataset: str, key: str, body: DismissRequest, workspaces: Pool) -> dict[str, Any]:
    """Dismiss a finding code on an entry, with the reason (kept across versions)."""
    d = workspaces.get().dismiss(dataset, key, body.code, body.reason)
    return {"key": d.entry_key, "code": d.code, "reason": d.reason, "created_at": d.created_at}


@router.delete("/entries/{key}/dismissals/{code}")
def undismiss(dataset: str, key: str, code: str, workspaces: Pool) -> dict[str, Any]:
    """Forget a dismissal: the finding is shown again."""
    workspaces.get().undismiss(dataset, key, code)
    return {"key": key, "code": code.upper(), "dismissed": False}
