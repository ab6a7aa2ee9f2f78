"""The render page: one entry as a workspace tokenizer's chat template renders it, trained text highlighted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Param
from fastapi.responses import HTMLResponse

from threadsmith.errors import NotFound, UserError
from threadsmith.rendering.chat_template import NAMED
from threadsmith.web.exports import TOKENIZERS, ExportPlace
from threadsmith.web.render_view import TokenizerCache, entry_render, tokenizer_cache
from threadsmith.web.rendering import render
from threadsmith.web.workspaces import WorkspacePool, pool

router = APIRouter(include_in_schema=False)
Pool = Annotated[WorkspacePool, Depends(pool)]
Cache = Annotated[TokenizerCache, Depends(tokenizer_cache)]
Choice = Annotated[str, Param(max_length=100)]


@router.get("/datasets/{dataset}/entries/{key}/render", response_class=HTMLResponse)
def render_page(request: Request, dataset: str, key: str, workspaces: Pool, cache: Cache, tokenizer: Choice = "",
                template: Choice = "", train_on: Choice = "all",
                version: Annotated[int | None, Param(ge=1)] = None) -> HTMLResponse:
    ws = workspaces.get()
    entry = ws.entry(dataset, key, version=version)
    place = ExportPlace.of(ws.path)
    offered = place.tokenizers()
    tokenizer = tokenizer or (offered[0] if offered else "")
    view, error, status = None, None, 200
    if tokenizer:
        try:
            view = entry_render(ws, cache, dataset, key, tokenizer=tokenizer, template=template or None,
                                train_on="last" if train_on == "last" else "all", version=version)
        except NotFound:
            raise
        except UserError as exc:
            error, status = {"message": str(exc), "hint": exc.hint}, 400
    return render(request, "render.html", status, title=f"Render {key} · {dataset}", dataset=dataset, entry=entry,
                  viewing=version, view=view, error=error, tokenizers=offered, templates=list(NAMED),
                  chosen={"tokenizer": tokenizer, "template": template, "train_on": train_on},
                  folder=str(place.root / TOKENIZERS))
