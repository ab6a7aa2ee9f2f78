"""Curation commands over the workspace: fix, merge, and the libraries (characters, prompts, tags)."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from threadsmith.checks.windows import FIX_STRATEGIES
from threadsmith.cli.render import console
from threadsmith.cli.options import chat_tokenizer, tokenizer_options
from threadsmith.cli.workspace_commands import build_query, dataset_option, opened, query_options, workspace_option
from threadsmith.cli.workspace_render import print_json, render_edit
from threadsmith.config import load_config
from threadsmith.errors import UserError
from threadsmith.workspace.merging import POLICIES


@click.command("fix")
@dataset_option
@click.option("--codes", multiple=True, help="Only the fixes of these codes, prefixes or families (default: all).")
@click.option("--unsafe", is_flag=True, help="Apply unsafe fixes too.")
@click.option("-m", "--message", help="Version message.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Settings file (check options).")
@tokenizer_options
@click.option("--max-tokens", type=int, help="With --tokenizer: the training sequence length (LN001's budget).")
@click.option("--over-budget", "long_strategy", type=click.Choice(FIX_STRATEGIES[:-1]),
              help="With --tokenizer --unsafe: how LN001 fixes an entry over the budget: truncate at a turn "
                   "boundary, split into windows that keep the system prompt, or drop [default: the "
                   "fix_strategy setting, else truncate].")
@workspace_option
def fix_command(dataset: str, codes: tuple[str, ...], unsafe: bool, message: str | None, config_path: str | None,
                workspace: str | None, tokenizer: str | None, template: str | None, train_on: str,
                trust_remote_code: bool, max_tokens: int | None, long_strategy: str | None) -> None:
    """Apply the audit's fixes to a dataset as one new version (dropped entries are excluded, not deleted)."""
    selected = tuple(c for value in codes for c in value.split(",") if c)
    tok = chat_tokenizer(tokenizer, template, trust_remote_code)
    config = load_config(config_path)
    if long_strategy is not None:
        if tok is None or not unsafe:
            raise UserError("--over-budget needs --tokenizer and --unsafe: LN001 fixes only with real token "
                            "counts, and its fixes are unsafe (they cut or drop turns).",
                            hint=f"Run: threadsmith fix --dataset {dataset} --codes LN001 --unsafe --tokenizer T "
                                 f"--max-tokens N --over-budget {long_strategy}")
        config = config.overridden(checks={**config.checks, "LN001": {**config.checks.get("LN001", {}),
                                                                      "fix_strategy": long_strategy}})
    with opened(workspace) as ws:
        render_edit(ws.fix(dataset, codes=selected, unsafe=unsafe, config=config, message=message, tokenizer=tok,
                           train_on=train_on, max_tokens=max_tokens))


@click.command("merge")
@click.argument("sources", nargs=-1, required=True)
@click.option("--into", required=True, help="The dataset to merge into (created when missing).")
@click.option("--policy", type=click.Choice(POLICIES), default="keep-first", show_default=True,
              help="keep-first: skip entries whose content or id is already there; skip-exact: skip identical "
                   "content only; keep-all: keep everything.")
@click.option("-m", "--message", help="Version message.")
@workspace_option
def merge_command(sources: tuple[str, ...], into: str, policy: str, message: str | None, workspace: str | None) -> None:
    """Merge datasets SOURCES (latest versions; NAME@VERSION for another) into one, provenance kept."""
    names = [s.rsplit("@", 1)[0] if "@" in s else s for s in sources]
    versions = [s.rsplit("@", 1)[1] if "@" in s else None for s in sources]
    with opened(workspace) as ws:
        render_edit(ws.merge(names, into, policy=policy, message=message, versions=versions))


@click.group("characters")
def characters_group() -> None:
    """The character library (imports SillyTavern cards: V1/V2/V3 .json and .png)."""


@characters_group.command("import")
@click.argument("cards", nargs=-1, required=True, type=click.Path())
@workspace_option
def characters_import(cards: tuple[str, ...], workspace: str | None) -> None:
    """Import character cards; a card whose name exists replaces that character."""
    out = console(stderr=True)
    with opened(workspace, create=True) as ws:
        for card in cards:
            character, new = ws.import_character(card)
            out.print(f"[green]{'added' if new else 'updated'}[/] {escape(character.name)} from {escape(card)}")


@characters_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@workspace_option
def characters_list(fmt: str, workspace: str | None) -> None:
    """List the characters of the library."""
    with opened(workspace) as ws:
        characters = ws.characters()
    if fmt == "json":
        print_json([{k: v for k, v in vars_of(c).items() if k != "card"} for c in characters])
        return
    table = Table(header_style="bold")
    for column in ("name", "tags", "description", "first message"):
        table.add_column(column)
    for c in characters:
        table.add_row(escape(c.name), escape(", ".join(c.tags)), escape(c.description[:60]), escape(c.first_message[:60]))
    console().print(table)


def vars_of(row: Any) -> dict[str, Any]:
    """A slotted dataclass as a dict."""
    return {name: getattr(row, name) for name in row.__dataclass_fields__}


@click.group("prompts")
def prompts_group() -> None:
    """System prompt templates: entries that use one show its new text when it changes (as new versions)."""


@prompts_group.command("add")
@click.argument("name")
@click.argument("text")
@workspace_option
def prompts_add(name: str, text: str, workspace: str | None) -> None:
    """Add template NAME with TEXT."""
    with opened(workspace, create=True) as ws:
        ws.add_prompt(name, text)
    console(stderr=True).print(f"[green]added[/] prompt template {escape(name)}")


@prompts_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@workspace_option
def prompts_list(fmt: str, workspace: str | None) -> None:
    """List the templates and how many entries use each."""
    with opened(workspace) as ws:
        prompts = ws.prompts()
    if fmt == "json":
        print_json([vars_of(p) for p in prompts])
        return
    for p in prompts:
        console().print(f"[bold]{escape(p.name)}[/] [dim]({p.uses:,} entries, updated {p.updated_at})[/]\n    "
                        f"{escape(p.text[:200])}")


@prompts_group.command("use")
@click.argument("name")
@click.option("--where", help="Select entries whose text matches (as in search).")
@dataset_option
@query_options
@click.option("-m", "--message", help="Version message.")
@workspace_option
def prompts_use(name: str, where: str | None, dataset: str, message: str | None, workspace: str | None,
                **filters: Any) -> None:
    """Make the selected entries use template NAME (their system prompt becomes its text), one version."""
    with opened(workspace) as ws:
        render_edit(ws.use_prompt(name, dataset, build_query(where, filters), message=message))


@prompts_group.command("set")
@click.argument("name")
@click.argument("text")
@click.option("-m", "--message", help="Version message.")
@workspace_option
def prompts_set(name: str, text: str, message: str | None, workspace: str | None) -> None:
    """Change template NAME's text; each dataset using it gets one new version with the new text."""
    with opened(workspace) as ws:
        results = ws.set_prompt(name, text, message=message)
    for result in results:
        render_edit(result)
    if not results:
        console(stderr=True).print(f"updated {escape(name)}; no entries use it yet")


@click.group("tags")
def tags_group() -> None:
    """Tags of a dataset, and their categories."""


@tags_group.command("list")
@dataset_option
@click.option("--version", "version", default="latest", show_default=True)
@workspace_option
def tags_list(dataset: str, version: str, workspace: str | None) -> None:
    """The tags of a dataset version, with counts and categories."""
    with opened(workspace) as ws:
        tags = ws.tags(dataset, version=version)
    for tag in tags:
        category = f" [dim]({escape(tag.category)})[/]" if tag.category else ""
        console().print(f"{tag.count:>8,}  {escape(tag.tag)}{category}")


@tags_group.command("categorize")
@click.argument("tag")
@click.argument("category", required=False)
@workspace_option
def tags_categorize(tag: str, category: str | None, workspace: str | None) -> None:
    """File TAG under CATEGORY (no CATEGORY: remove it from its category)."""
    with opened(workspace, create=True) as ws:
        ws.categorize_tag(tag, category)


COMMANDS = [fix_command, merge_command, characters_group, prompts_group, tags_group]
