"""API: trainer-ready exports of a dataset version (the same library call as ``threadsmith export``)."""

from __future__ import annotations

import shutil
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import Field

from threadsmith.export import TARGET_NAMES, ExportOptions, ExportResult, Filters, SplitSpec
from threadsmith.rendering.chat_template import NAMED
from threadsmith.web.exports import ExportPlace
from threadsmith.web.payloads import _Body
from threadsmith.web.security import PLAIN_NAME
from threadsmith.web.workspaces import WorkspacePool, pool

router = APIRouter(prefix="/api/datasets/{dataset}/exports", tags=["export"])
Pool = Annotated[WorkspacePool, Depends(pool)]
Code = Annotated[str, Field(min_length=2, max_length=40)]
Tag = Annotated[str, Field(min_length=1, max_length=200)]


class ExportRequest(_Body):
    """One export: where (a folder name under the workspace's ``exports/``), what, how."""

    folder: Annotated[str, Field(min_length=1, max_length=100, pattern=PLAIN_NAME.pattern,
                                 description="A new folder under exports/ beside the workspace database.")]
    target: Literal[TARGET_NAMES] = "jsonl"  # type: ignore[valid-type]
    version: Annotated[str, Field(max_length=100, description="A number, a tag, latest or latest~N.")] = "latest"
    split: Annotated[str | None, Field(max_length=100, description="Ratios (0.9,0.05,0.05) or counts.")] = None
    seed: Annotated[int, Field(ge=0, le=2**31)] = 0
    stratify: Literal["tag", "character"] | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    drop_severity: Literal["error", "warning", "info"] | None = None
    drop_codes: Annotated[list[Code], Field(max_length=50)] = []
    min_score: Annotated[float | None, Field(ge=0, le=100)] = None
    tokenizer: Annotated[str | None, Field(max_length=100, description="One of GET .../exports/options tokenizers.")] = None
    template: Literal[tuple(NAMED)] | None = None  # type: ignore[valid-type]
    name: Annotated[str | None, Field(max_length=100)] = None
    base_model: Annotated[str | None, Field(max_length=200)] = None
    skip_unsupported: bool = Field(False, description="Leave out (and count) entries the target cannot take.")


def options_for(body: ExportRequest, place: ExportPlace) -> ExportOptions:
    """The library's export options for a request (the CLI's ``_options``, from JSON)."""
    split = body.split.strip() if body.split else None
    spec = SplitSpec.parse(split, seed=body.seed, stratify=body.stratify) if split else None
    filters = Filters(tags=tuple(dict.fromkeys(t.strip() for t in body.tags if t.strip())),
                      drop_severity=body.drop_severity, drop_codes=tuple(c.strip() for c in body.drop_codes if c.strip()),
                      min_score=body.min_score)
    tokenizer = place.tokenizer(body.tokenizer) if body.tokenizer else None
    return ExportOptions(target=body.target, split=spec, filters=filters, tokenizer=tokenizer,
                         template=body.template if tokenizer else None, name=body.name or None,
                         base_model=body.base_model or None, skip_unsupported=body.skip_unsupported)


def export_view(result: ExportResult, folder: str) -> dict[str, Any]:
    return {"folder": folder, **asdict(result)}


@router.get("/options")
def export_options(dataset: str, workspaces: Pool) -> dict[str, Any]:
    """What the export form offers: targets, named chat templates, the tokenizers in ``tokenizers/``."""
    ws = workspaces.get()
    ws.dataset(dataset)
    place = ExportPlace.of(ws.path)
    return {"targets": list(TARGET_NAMES), "templates": list(NAMED), "tokenizers": place.tokenizers(),
            "folder": str(place.exports)}


@router.get("")
def list_exports(dataset: str, workspaces: Pool) -> dict[str, Any]:
    """The exports of this dataset found under ``exports/``, newest first."""
    ws = workspaces.get()
    ws.dataset(dataset)
    return {"exports": ExportPlace.of(ws.path).listing(dataset)}


@router.get("/{folder}")
def get_export(dataset: str, folder: str, workspaces: Pool) -> dict[str, Any]:
    """The manifest of one export (counts, files with SHA-256, token statistics, split and leakage)."""
    ws = workspaces.get()
    ws.dataset(dataset)
    return ExportPlace.of(ws.path).manifest(folder)


@router.post("")
def create_export(dataset: str, body: ExportRequest, workspaces: Pool) -> dict[str, Any]:
    """Export a version for a trainer into ``exports/FOLDER`` (never overwritten); returns what was written."""
    ws = workspaces.get()
    ws.dataset(dataset)
    place = ExportPlace.of(ws.path)
    options = options_for(body, place)
    target = place.new_folder(body.folder)
    try:
        result = ws.export_for_training(dataset, target, options, version=body.version)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # the folder was new and empty: leave nothing half-written
        raise
    return export_view(result, body.folder)
