"""Options shared by many commands, in a module that imports nothing heavy (no workspace, no
tokenizer), so a command that does not open a workspace does not pay for importing one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from threadsmith.errors import UserError

if TYPE_CHECKING:
    from threadsmith.rendering import ChatTokenizer


def workspace_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--workspace PATH`` (env THREADSMITH_WORKSPACE; default ./threadsmith-workspace)."""
    return click.option("--workspace", "workspace", envvar="THREADSMITH_WORKSPACE", type=click.Path(),
                        help="Workspace folder or .sqlite file [env THREADSMITH_WORKSPACE; default "
                             "./threadsmith-workspace].")(command)


def dataset_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--dataset NAME`` (required)."""
    return click.option("-d", "--dataset", required=True, help="Dataset name in the workspace.")(command)


def tokenizer_options(command: Any) -> Any:
    """``--tokenizer``, ``--template``, ``--train-on`` and ``--trust-remote-code`` (render, audit, fix, report)."""
    from threadsmith.rendering import NAMED

    for option in reversed([
        click.option("--tokenizer", "tokenizer", help="tokenizer.json (or .json.gz), model folder, .gguf file or hub id."),
        click.option("--template", "template",
                     help=f"Chat template: {', '.join(NAMED)}, 'tokenizer' (its own), or a .jinja file "
                          "[default: the tokenizer's own, else guessed from its special tokens]."),
        click.option("--train-on", "train_on", type=click.Choice(["all", "last"]), default="all", show_default=True,
                     help="Assistant turns training learns from."),
        click.option("--trust-remote-code", is_flag=True, help="Allow a hub tokenizer's own code to run (off by default)."),
    ]):
        command = option(command)
    return command


def chat_tokenizer(tokenizer: str | None, template: str | None, trust_remote_code: bool) -> ChatTokenizer | None:
    """The tokenizer the options name (None without --tokenizer; --template alone is an error)."""
    if tokenizer is None:
        if template is not None:
            raise UserError("--template needs --tokenizer.", hint="Pass --tokenizer with a tokenizer.json, folder or GGUF.")
        return None
    from threadsmith.rendering import load_tokenizer

    return load_tokenizer(tokenizer, template=template, trust_remote_code=trust_remote_code)
