"""The export pages: the form (target, version, filters, split, tokenizer) and one export's manifest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from threadsmith.export import TARGET_NAMES
from threadsmith.rendering.chat_template import NAMED
from threadsmith.web.exports import ExportPlace
from threadsmith.web.rendering import render
from threadsmith.web.workspaces import WorkspacePool, pool

router = APIRouter(include_in_schema=False)
Pool = Annotated[WorkspacePool, Depends(pool)]
#: One line on each target, shown beside the choice.
TARGET_NOTES = {
    "openai": "OpenAI fine-tuning chat JSONL (messages, weight per assistant turn)",
    "trl": "TRL SFTTrainer conversational (messages)",
    "trl-prompt-completion": "TRL prompt-completion (the last assistant turn is the completion)",
    "sharegpt": "ShareGPT conversations (from / value)",
    "alpaca": "Alpaca instruction / input / output",
    "hf": "Hugging Face dataset: Parquet, a dataset card and a save_to_disk copy",
    "axolotl": "Axolotl chat_template JSONL with axolotl.yaml",
    "llamafactory": "LLaMA-Factory ShareGPT JSONL with dataset_info.json",
    "jsonl": "JSONL, each record in its own format (lossless)",
}


@router.get("/datasets/{dataset}/export", response_class=HTMLResponse)
def export_page(request: Request, dataset: str, workspaces: Pool) -> HTMLResponse:
    ws = workspaces.get()
    info = ws.version(dataset)
    place = ExportPlace.of(ws.path)
    summary = ws.audit_summary(dataset)
    return render(request, "export.html", title=f"Export · {dataset}", dataset=dataset, version=info,
                  targets=[(name, TARGET_NOTES.get(name, "")) for name in TARGET_NAMES], templates=list(NAMED),
                  tokenizers=place.tokenizers(), exports=place.listing(dataset), folder=str(place.exports),
                  codes=sorted((summary or {}).get("by_code", {})), suggested=place.suggest(f"{dataset}-v{info.number}"))


@router.get("/datasets/{dataset}/exports/{folder}", response_class=HTMLResponse)
def manifest_page(request: Request, dataset: str, folder: str, workspaces: Pool) -> HTMLResponse:
    ws = workspaces.get()
    ws.dataset(dataset)
    place = ExportPlace.of(ws.path)
    manifest = place.manifest(folder)
    return render(request, "manifest.html", title=f"Export {folder} · {dataset}", dataset=dataset, name=folder,
                  manifest=manifest, path=str(place.exports / folder))
