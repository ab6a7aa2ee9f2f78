"""API: the character library (with SillyTavern card import) and system-prompt templates."""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from threadsmith.errors import UserError
from threadsmith.web.payloads import PromptRequest
from threadsmith.web.workspaces import WorkspacePool, pool

router = APIRouter(prefix="/api", tags=["library"])
Pool = Annotated[WorkspacePool, Depends(pool)]
#: The largest card file accepted (PNG cards carry an image).
MAX_CARD_BYTES = 8 * 1024 * 1024


def character_view(row: Any) -> dict[str, Any]:
    out = asdict(row)
    out.pop("card", None)
    return out


@router.get("/characters")
def list_characters(workspaces: Pool) -> dict[str, Any]:
    """Every character in the library."""
    return {"characters": [character_view(c) for c in workspaces.get().characters()]}


@router.post("/characters", openapi_extra={"requestBody": {"content": {"application/octet-stream": {
    "schema": {"type": "string", "format": "binary"}}}, "required": True}})
async def import_character(request: Request, workspaces: Pool) -> dict[str, Any]:
    """Import a SillyTavern card: the raw .json or .png bytes as the body (at most 8 MiB)."""
    body = await request.body()
    if not body:
        raise UserError("The request body is empty.", hint="Send the card file's bytes as the body.")
    if len(body) > MAX_CARD_BYTES:
        raise UserError(f"The card is larger than {MAX_CARD_BYTES // (1024 * 1024)} MiB.")
    suffix = ".png" if body[:8] == b"\x89PNG\r\n\x1a\n" else ".json"
    handle, path = tempfile.mkstemp(suffix=suffix, prefix="threadsmith-card-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
        character, created = workspaces.get().import_character(path)
    finally:
        os.unlink(path)
    return {"character": character_view(character), "created": created}


@router.get("/prompts")
def list_prompts(workspaces: Pool) -> dict[str, Any]:
    """Every system-prompt template, with how many entries use it."""
    return {"prompts": [asdict(p) for p in workspaces.get().prompts()]}


@router.post("/prompts")
def add_prompt(body: PromptRequest, workspaces: Pool) -> dict[str, Any]:
    """Add a system-prompt template."""
    return {"prompt": asdict(workspaces.get().add_prompt(body.name, body.text))}
