"""Workspace commands: import, datasets, log, diff, restore, tag, backup, prune, search, show (export: export_commands.py).

Each opens the workspace (``--workspace`` / THREADSMITH_WORKSPACE / ./threadsmith-workspace),
makes one library call and renders the result.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import click

from threadsmith.cli.render import console
from threadsmith.cli.workspace_render import (
    entry_dict,
    print_json,
    render_datasets,
    render_diff,
    render_entry,
    render_import,
    render_log,
    render_prune,
    render_search,
    render_version,
)
from threadsmith.audit import AuditReport
from threadsmith.config import Config, load_config
from threadsmith.cli.options import dataset_option, workspace_option
from threadsmith.errors import UserError
from threadsmith.workspace import Workspace
from threadsmith.workspace.query import Query

_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                       help="text for people, json for tools.")


@contextlib.contextmanager
def opened(workspace: str | None, *, create: bool = False) -> Iterator[Workspace]:
    """The workspace, closed afterwards (only import creates one)."""
    with Workspace.open(workspace, create=create, config=load_config()) as ws:
        yield ws


def query_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The filters shared by search and bulk edits."""
    options = [
        click.option("--role", "roles", multiple=True, help="Match text only in turns of this role (repeatable)."),
        click.option("--tag", "--where-tag", "tags", multiple=True,
                     help="Only entries with this tag (repeatable: all must hold)."),
        click.option("--character", "characters", multiple=True, help="Only entries with a turn by this speaker name."),
        click.option("--code", "--where-code", "codes", multiple=True,
                     help="Only entries with findings of this code, prefix or family (runs the audit if needed)."),
        click.option("--min-chars", type=int, help="At least this many characters of text."),
        click.option("--max-chars", type=int, help="At most this many characters of text."),
        click.option("--min-turns", type=int, help="At least this many turns."),
        click.option("--max-turns", type=int, help="At most this many turns."),
        click.option("--excluded", "excluded", flag_value="only", help="Only excluded entries."),
        click.option("--all", "excluded", flag_value="all", help="Excluded and included entries."),
        click.option("--fts", is_flag=True, help="QUERY is raw SQLite FTS5 syntax (OR, NOT, NEAR, prefix*)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def build_query(text: str | None, opts: dict[str, Any]) -> Query:
    """A :class:`Query` from the shared filter options."""
    excluded = {"only": True, "all": None}.get(opts.get("excluded") or "", False)
    return Query(text=text, fts=opts["fts"], roles=opts["roles"], tags=opts["tags"], characters=opts["characters"],
                 codes=tuple(c for v in opts["codes"] for c in v.split(",") if c), min_chars=opts["min_chars"],
                 max_chars=opts["max_chars"], min_turns=opts["min_turns"], max_turns=opts["max_turns"],
                 excluded=excluded)


def audit_dataset(workspace: str | None, dataset: str, version: str, config: Config, *, fixing: bool,
                  **tokens: Any) -> AuditReport:
    """``audit --dataset``: the workspace's incremental audit of one version (``tokens``: tokenizer,
    train_on, max_tokens)."""
    if fixing:
        raise UserError("audit --dataset reports findings; fixes on a dataset make a new version.",
                        hint=f"Run: threadsmith fix --dataset {dataset}")
    with opened(workspace) as ws:
        return ws.audit(dataset, version=version, config=config, **tokens)


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@dataset_option
@click.option("-m", "--message", help="Version message (default: the files and the count).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Settings file (for [roles]).")
@workspace_option
def import_command(paths: tuple[str, ...], dataset: str, message: str | None, config_path: str | None,
                   workspace: str | None) -> None:
    """Import dataset files (any format threadsmith reads) into a dataset, as one new version."""
    with opened(workspace, create=True) as ws, console(stderr=True).status("importing ...") as status:
        def progress(path: str, done: int) -> None:
            status.update(f"importing {os.path.basename(path)}: {done:,} records")

        result = ws.import_files(paths, dataset, message=message, config=load_config(config_path), progress=progress)
    render_import(result)


@click.command("datasets")
@_FORMAT
@workspace_option
def datasets_command(fmt: str, workspace: str | None) -> None:
    """List the datasets of the workspace with their latest version."""
    with opened(workspace) as ws:
        datasets = ws.datasets()
    print_json(datasets) if fmt == "json" else render_datasets(datasets)


@click.command("log")
@dataset_option
@_FORMAT
@workspace_option
def log_command(dataset: str, fmt: str, workspace: str | None) -> None:
    """Show the versions of a dataset, newest first: message, author, time, counts, tags."""
    with opened(workspace) as ws:
        versions = ws.log(dataset)
    print_json(versions) if fmt == "json" else render_log(versions)


@click.command("diff")
@click.argument("before")
@click.argument("after", default="latest")
@dataset_option
@click.option("--limit", type=int, default=20, show_default=True, help="Entries shown with their text diff (0 = all).")
@click.option("--findings/--no-findings", default=True, show_default=True,
              help="Show the change in findings per family.")
@_FORMAT
@workspace_option
def diff_command(before: str, after: str, dataset: str, limit: int, findings: bool, fmt: str,
                 workspace: str | None) -> None:
    """Show what changed from version BEFORE to AFTER (default latest): entries, turns, findings.

    Versions are numbers, tags, latest or latest~N.
    """
    with opened(workspace) as ws:
        diff = ws.diff(dataset, before, after, limit=None if fmt == "json" or limit <= 0 else limit,
                       findings=findings)
    print_json(diff) if fmt == "json" else render_diff(diff, limit=limit)


@click.command("restore")
@click.argument("version")
@dataset_option
@click.option("-m", "--message", help="Version message (default: restore version N).")
@workspace_option
def restore_command(version: str, dataset: str, message: str | None, workspace: str | None) -> None:
    """Make a dataset what it was at VERSION again, as a new version (history is never rewritten)."""
    with opened(workspace) as ws:
        render_version("restored", dataset, ws.restore(dataset, version, message=message))


@click.command("tag")
@click.argument("version")
@click.argument("name")
@dataset_option
@click.option("--move", is_flag=True, help="Move the tag if it already names another version.")
@workspace_option
def tag_command(version: str, name: str, dataset: str, move: bool, workspace: str | None) -> None:
    """Name VERSION of a dataset (e.g. trained-run-3); the name works wherever a version is asked for."""
    with opened(workspace) as ws:
        tagged = ws.tag(dataset, version, name, move=move)
    console(stderr=True).print(f"[green]tagged[/] version {tagged.number} of {dataset} as {name}")


@click.command("show")
@click.argument("key")
@dataset_option
@click.option("--version", "version", default="latest", show_default=True, help="Version, tag, or latest~N.")
@_FORMAT
@workspace_option
def show_command(key: str, dataset: str, version: str, fmt: str, workspace: str | None) -> None:
    """Show entry KEY: its numbered turns, tags, content hash, the version it dates from, provenance."""
    with opened(workspace) as ws:
        entry = ws.entry(dataset, key, version=version)
    print_json(entry_dict(entry)) if fmt == "json" else render_entry(entry)


@click.command("backup")
@click.argument("output", type=click.Path())
@workspace_option
def backup_command(output: str, workspace: str | None) -> None:
    """Copy the whole workspace to OUTPUT (a new file or a folder), safely while it is in use."""
    with opened(workspace) as ws:
        target = ws.backup(output)
    console(stderr=True).print(f"[green]backed up[/] the workspace to {target}")


@click.command("prune")
@click.option("--keep-days", type=click.FloatRange(min=0), default=7, show_default=True,
              help="Also keep the results of any check settings an audit used in the last DAYS days.")
@click.option("--dry-run", is_flag=True, help="Only show what would be removed.")
@click.option("--no-vacuum", is_flag=True,
              help="Skip compacting the file (the workspace reuses the space, the disk does not get it back).")
@workspace_option
def prune_command(keep_days: float, dry_run: bool, no_vacuum: bool, workspace: str | None) -> None:
    """Free disk space: delete the audit results cached under check settings no audit uses now
    (an older threadsmith, other options or tokenizer), then compact the file. Datasets,
    versions and audit history are never touched; pruned results are recomputed when needed."""
    with opened(workspace) as ws:
        report = ws.prune(keep_days=keep_days, dry_run=dry_run, vacuum=not no_vacuum)
    render_prune(report)


@click.command("search")
@click.argument("query", required=False)
@dataset_option
@query_options
@click.option("--version", "version", default="latest", show_default=True, help="Version, tag, or latest~N.")
@click.option("--limit", type=int, default=20, show_default=True, help="Hits per page.")
@click.option("--cursor", help="Continue after the previous page (printed at its end).")
@click.option("--count", is_flag=True, help="Also count every match.")
@_FORMAT
@workspace_option
def search_command(query: str | None, dataset: str, version: str, limit: int, cursor: str | None, count: bool,
                   fmt: str, workspace: str | None, **filters: Any) -> None:
    """Search message text (words, "phrases", prefix*) with filters; no QUERY lists by filters alone."""
    with opened(workspace) as ws, console(stderr=True).status("searching ...") as status:
        def progress(done: int) -> None:
            status.update(f"building the search index (once after an import): {done:,} conversations")

        result = ws.search(dataset, build_query(query, filters), version=version, cursor=cursor, limit=limit,
                           count=count, progress=progress)
    print_json(result) if fmt == "json" else render_search(result)


#: ``export`` lives in export_commands.py (files and dataset versions, every trainer target).
COMMANDS = [import_command, datasets_command, log_command, diff_command, restore_command, tag_command,
            backup_command, search_command, show_command]
