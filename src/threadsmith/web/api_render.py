"""API: one entry as a workspace tokenizer's chat template renders it (``threadsmith render`` over HTTP)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi import Query as Param

from threadsmith.web.render_view import TEMPLATE_CHOICES, TokenizerCache, entry_render, tokenizer_cache
from threadsmith.web.workspaces import WorkspacePool, pool

router = APIRouter(prefix="/api", tags=["render"])
Pool = Annotated[WorkspacePool, Depends(pool)]
Cache = Annotated[TokenizerCache, Depends(tokenizer_cache)]


@router.get("/datasets/{dataset}/entries/{key}/render")
def render_entry(dataset: str, key: str, workspaces: Pool, cache: Cache,
                 tokenizer: Annotated[str, Param(min_length=1, max_length=100,
                                                 description="A tokenizer in the workspace's tokenizers/ folder "
                                                             "(GET /api/datasets/{dataset}/exports/options lists them).")],
                 template: Annotated[Literal[TEMPLATE_CHOICES] | None,  # type: ignore[valid-type]
                                     Param(description="The tokenizer's own (tokenizer) or a named template; "
                                                       "default: its own, else the one its vocabulary fits.")] = None,
                 train_on: Literal["all", "last"] = "all",
                 version: Annotated[int | None, Param(ge=1)] = None) -> dict[str, Any]:
    """The entry rendered by the chat template: the text in pieces (``trained``: the model learns
    from them), tokens per message, total and trained tokens, and the template checks' findings."""
    ws = workspaces.get()
    view = entry_render(ws, cache, dataset, key, tokenizer=tokenizer, template=template, train_on=train_on,
                        version=version)
    return view.as_dict()
