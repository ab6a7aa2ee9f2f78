"""``threadsmith edit ...``: change entries, one at a time or in bulk on a query; each call is one version.

Turns are numbered from 0. ``--base-version N`` refuses the edit if the entry changed after
version N (what you looked at); ``--expect HASH`` refuses it unless the entry still holds that
content. Bulk edits (``tags``, ``exclude``, ``include``, ``delete`` with ``--where*``) select
entries like ``threadsmith search`` and change them all in one version.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from threadsmith.cli.workspace_commands import build_query, dataset_option, opened, query_options, workspace_option
from threadsmith.cli.workspace_render import render_edit
from threadsmith.errors import UserError
from threadsmith.workspace import operations as ops


@click.group("edit")
def edit_group() -> None:
    """Edit entries of a dataset (each command makes one new version)."""


def _edit_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        dataset_option,
        click.option("--base-version", help="Refuse if the entry changed after this version (what you looked at)."),
        click.option("--expect", help="Refuse unless the entry still holds this content hash (from search/show)."),
        click.option("-m", "--message", help="Version message."),
        workspace_option,
    ]):
        command = option(command)
    return command


def _text(value: str) -> str:
    """The text argument, or standard input when it is ``-``."""
    return sys.stdin.read() if value == "-" else value


def _apply(workspace: str | None, dataset: str, operations: list[ops.Operation], base_version: str | None,
           message: str | None) -> None:
    with opened(workspace) as ws:
        render_edit(ws.apply(dataset, operations, message=message, base_version=base_version))


@edit_group.command("set-text")
@click.argument("key")
@click.argument("turn", type=int)
@click.argument("text")
@_edit_options
def set_text(key: str, turn: int, text: str, dataset: str, base_version: str | None, expect: str | None,
             message: str | None, workspace: str | None) -> None:
    """Replace the text of turn TURN of entry KEY (TEXT '-' reads standard input)."""
    _apply(workspace, dataset, [ops.SetText(key, turn, _text(text), expect)], base_version, message)


@edit_group.command("set-role")
@click.argument("key")
@click.argument("turn", type=int)
@click.argument("role")
@_edit_options
def set_role(key: str, turn: int, role: str, dataset: str, base_version: str | None, expect: str | None,
             message: str | None, workspace: str | None) -> None:
    """Give turn TURN of entry KEY another ROLE (system, user, assistant, tool)."""
    _apply(workspace, dataset, [ops.SetRole(key, turn, role, expect)], base_version, message)


@edit_group.command("insert-turn")
@click.argument("key")
@click.argument("turn", type=int)
@click.argument("role")
@click.argument("text")
@_edit_options
def insert_turn(key: str, turn: int, role: str, text: str, dataset: str, base_version: str | None,
                expect: str | None, message: str | None, workspace: str | None) -> None:
    """Insert a turn at index TURN of entry KEY (the number of turns appends)."""
    _apply(workspace, dataset, [ops.InsertTurn(key, turn, role, _text(text), expect)], base_version, message)


@edit_group.command("delete-turn")
@click.argument("key")
@click.argument("turn", type=int)
@_edit_options
def delete_turn(key: str, turn: int, dataset: str, base_version: str | None, expect: str | None,
                message: str | None, workspace: str | None) -> None:
    """Delete turn TURN of entry KEY."""
    _apply(workspace, dataset, [ops.DeleteTurn(key, turn, expect)], base_version, message)


@edit_group.command("move-turn")
@click.argument("key")
@click.argument("source", type=int)
@click.argument("target", type=int)
@_edit_options
def move_turn(key: str, source: int, target: int, dataset: str, base_version: str | None, expect: str | None,
              message: str | None, workspace: str | None) -> None:
    """Move turn SOURCE of entry KEY to index TARGET."""
    _apply(workspace, dataset, [ops.MoveTurn(key, source, target, expect)], base_version, message)


@edit_group.command("split")
@click.argument("key")
@click.argument("turn", type=int)
@_edit_options
def split(key: str, turn: int, dataset: str, base_version: str | None, expect: str | None, message: str | None,
          workspace: str | None) -> None:
    """Split entry KEY before turn TURN into two entries; both keep the system prompt."""
    _apply(workspace, dataset, [ops.Split(key, turn, expect)], base_version, message)


@edit_group.command("join")
@click.argument("keys", nargs=-1, required=True)
@_edit_options
def join(keys: tuple[str, ...], dataset: str, base_version: str | None, expect: str | None, message: str | None,
         workspace: str | None) -> None:
    """Join entries KEYS into the first one (its turns, then the others'); the others are deleted."""
    if len(keys) < 2:
        raise UserError("join needs at least two entry keys.")
    _apply(workspace, dataset, [ops.Join(keys[0], tuple(keys[1:]), expect)], base_version, message)


@edit_group.command("duplicate")
@click.argument("key")
@_edit_options
def duplicate(key: str, dataset: str, base_version: str | None, expect: str | None, message: str | None,
              workspace: str | None) -> None:
    """Copy entry KEY into a new entry right after it."""
    _apply(workspace, dataset, [ops.Duplicate(key, expect)], base_version, message)


def _bulk_or_single(workspace: str | None, dataset: str, key: str | None, operation: ops.Operation,
                    where: str | None, filters: dict[str, Any], base_version: str | None, message: str | None) -> None:
    query = build_query(where, filters)
    if key is not None:
        _apply(workspace, dataset, [operation.__class__(**{**_fields(operation), "key": key})], base_version, message)
        return
    if query.is_empty() and not filters.get("everything"):
        raise UserError("Name an entry KEY, or select entries with --where/--tag/--code/... (or --everything).")
    with opened(workspace) as ws:
        render_edit(ws.apply_where(dataset, query, operation, message=message))


def _fields(operation: ops.Operation) -> dict[str, Any]:
    return {name: getattr(operation, name) for name in operation.__dataclass_fields__}


def _bulk_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = query_options(command)
    command = click.option("--everything", is_flag=True, help="Apply to every entry (no filter).")(command)
    return click.option("--where", help="Select entries whose text matches (as in search).")(command)


@edit_group.command("tags")
@click.argument("key", required=False)
@click.option("--add", "add", multiple=True, help="Tag to add (repeatable).")
@click.option("--remove", "remove", multiple=True, help="Tag to remove (repeatable).")
@click.option("--set", "replace_with", multiple=True, help="Replace all tags with these (repeatable).")
@_bulk_options
@_edit_options
def tags(key: str | None, add: tuple[str, ...], remove: tuple[str, ...], replace_with: tuple[str, ...],
         where: str | None, dataset: str, base_version: str | None, expect: str | None, message: str | None,
         workspace: str | None, **filters: Any) -> None:
    """Add, remove or set tags of entry KEY, or of every entry a query selects."""
    operation = ops.SetTags(None, add, remove, replace_with or None, expect)
    _bulk_or_single(workspace, dataset, key, operation, where, filters, base_version, message)


@edit_group.command("exclude")
@click.argument("key", required=False)
@click.option("--reason", required=True, help="Why (shown in search, diff and log).")
@_bulk_options
@_edit_options
def exclude(key: str | None, reason: str, where: str | None, dataset: str, base_version: str | None,
            expect: str | None, message: str | None, workspace: str | None, **filters: Any) -> None:
    """Keep entry KEY (or the selected entries) but leave it out of exports and audits."""
    _bulk_or_single(workspace, dataset, key, ops.Exclude(None, reason, expect), where, filters, base_version, message)


@edit_group.command("include")
@click.argument("key", required=False)
@_bulk_options
@_edit_options
def include(key: str | None, where: str | None, dataset: str, base_version: str | None, expect: str | None,
            message: str | None, workspace: str | None, **filters: Any) -> None:
    """Bring excluded entry KEY (or the selected excluded entries) back."""
    filters["excluded"] = filters.get("excluded") or "only"
    _bulk_or_single(workspace, dataset, key, ops.Include(None, expect), where, filters, base_version, message)


@edit_group.command("delete")
@click.argument("key", required=False)
@_bulk_options
@_edit_options
def delete(key: str | None, where: str | None, dataset: str, base_version: str | None, expect: str | None,
           message: str | None, workspace: str | None, **filters: Any) -> None:
    """Delete entry KEY (or the selected entries) from the dataset; earlier versions keep it."""
    _bulk_or_single(workspace, dataset, key, ops.Delete(None, expect), where, filters, base_version, message)
