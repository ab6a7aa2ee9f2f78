"""``threadsmith render``: one entry as a tokenizer's chat template renders it, trained spans highlighted."""

from __future__ import annotations

import sys
from itertools import islice
from typing import Any

import click
import orjson
from rich.table import Table
from rich.text import Text

from threadsmith.cli.render import console
from threadsmith.cli.options import chat_tokenizer, tokenizer_options, workspace_option
from threadsmith.cli.workspace_commands import opened
from threadsmith.errors import NotFound, UserError
from threadsmith.formats import read_file
from threadsmith.model import Conversation
from threadsmith.rendering import ChatTokenizer, Rendered

TRAINED_STYLE = "bold black on green"


@click.command("render")
@click.argument("path", required=False, type=click.Path())
@tokenizer_options
@click.option("--entry", "entry", default="0", show_default=True,
              help="The entry: its 0-based position in the file, or its key with --dataset.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-d", "--dataset", help="Render an entry of a workspace dataset instead of a file.")
@click.option("--version", "version", default="latest", show_default=True, help="With --dataset: the version.")
@workspace_option
def render_command(path: str | None, tokenizer: str | None, template: str | None, train_on: str,
                   trust_remote_code: bool, entry: str, fmt: str, dataset: str | None, version: str,
                   workspace: str | None) -> None:
    """Show one entry as the chat template renders it, with the trained (loss-masked) tokens highlighted."""
    tok = chat_tokenizer(tokenizer, template, trust_remote_code)
    if tok is None:
        raise UserError("render needs --tokenizer.", hint="Pass a tokenizer.json (or .json.gz), folder or GGUF file.")
    conversation = _dataset_entry(workspace, dataset, entry, version) if dataset else _file_entry(path, entry)
    rendered = tok.render(conversation, train_on="last" if train_on == "last" else "all")
    if fmt == "json":
        sys.stdout.buffer.write(orjson.dumps(_as_dict(tok, conversation, rendered), option=orjson.OPT_INDENT_2) + b"\n")
    else:
        _show(tok, conversation, rendered)


def _file_entry(path: str | None, entry: str) -> Conversation:
    if path is None:
        raise UserError("Pass a dataset file, or --dataset NAME.")
    if not entry.isdigit():
        raise UserError(f"--entry {entry!r} is not a position; in a file, entries are numbered from 0.")
    index = int(entry)
    item = next(islice(read_file(path), index, None), None)
    if item is None:
        raise NotFound(f"{path} has no entry {index}.")
    if not isinstance(item, Conversation):
        raise UserError(f"Entry {index} of {path} cannot be read: {item.detail}.",
                        hint=f"Run: threadsmith audit {path}")
    return item


def _dataset_entry(workspace: str | None, dataset: str, key: str, version: str) -> Conversation:
    with opened(workspace) as ws:
        return ws.entry(dataset, key, version=version).conversation


def _as_dict(tok: ChatTokenizer, conversation: Conversation, rendered: Rendered) -> dict[str, Any]:
    return {
        "entry_id": conversation.id, "tokenizer": tok.name, "template": tok.template_name,
        "mask_source": rendered.mask_source, "tokens": len(rendered.input_ids),
        "trained_tokens": rendered.trained_tokens, "text": rendered.text,
        "trained_spans": [list(s) for s in rendered.trained_spans],
        "messages": [{"index": s.index, "role": s.role, "start": s.start, "end": s.end,
                      "content": list(s.content) if s.content else None, "token_start": s.token_start,
                      "token_end": s.token_end, "tokens": s.tokens, "trained": list(s.trained) if s.trained else None}
                     for s in rendered.spans],
        "input_ids": rendered.input_ids, "assistant_mask": rendered.assistant_mask,
    }


def _show(tok: ChatTokenizer, conversation: Conversation, rendered: Rendered) -> None:
    out = console()
    out.print(f"[bold]{conversation.id}[/]  tokenizer {tok.name}  template [bold]{tok.template_name}[/]  "
              f"mask from {rendered.mask_source}")
    text = Text(rendered.text)
    for start, end in rendered.trained_spans:
        text.stylize(TRAINED_STYLE, start, end)
    out.print(text)
    table = Table("#", "role", "tokens", "trained", box=None, pad_edge=False)
    mask = rendered.assistant_mask
    for span in rendered.spans:
        trained = sum(mask[span.token_start:span.token_end])
        role = span.role if span.content is not None else f"{span.role} [red](not rendered)[/]"
        table.add_row(str(span.index), role, f"{span.tokens:,}", f"{trained:,}" if trained else "-")
    out.print(table)
    out.print(f"{len(rendered.input_ids):,} tokens, [{TRAINED_STYLE}] {rendered.trained_tokens:,} trained [/]")
