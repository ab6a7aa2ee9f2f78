"""Rendering workspace results for people (tables, diffs) and for tools (JSON)."""

from __future__ import annotations

import sys
from dataclasses import asdict, is_dataclass
from typing import Any

import orjson
from rich.markup import escape
from rich.table import Table

from threadsmith.cli.render import console
from threadsmith.formats import to_record
from threadsmith.model.calls import call_line
from threadsmith.workspace import DatasetInfo, Diff, EditResult, Entry, ImportResult, SearchResult, Version
from threadsmith.workspace.maintenance import PruneReport


def print_json(value: Any) -> None:
    """Any result as indented JSON on stdout."""
    data = [_plain(v) for v in value] if isinstance(value, list) else _plain(value)
    sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str) + b"\n")


def _plain(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


def entry_dict(entry: Entry) -> dict[str, Any]:
    """An entry as JSON: the record as export writes it, plus its place in the workspace."""
    return {"key": entry.key, "since": entry.since, "content_hash": entry.content_hash, "excluded": entry.excluded,
            "provenance": asdict(entry.provenance), "record": to_record(entry.conversation)}


def render_entry(entry: Entry) -> None:
    """One entry: numbered turns, then tags, hash, version and provenance."""
    out = console()
    flag = f"  [red]excluded: {escape(entry.excluded)}[/]" if entry.excluded else ""
    out.print(f"[bold]{escape(entry.key)}[/]  [dim]since version {entry.since}, content {entry.content_hash[:12]}[/]{flag}")
    for index, message in enumerate(entry.conversation.messages):
        name = f" ({escape(message.name)})" if message.name else ""
        out.print(f"[cyan]{index:>3} {escape(message.role)}{name}[/]  {escape(message.text)}")
        for call in message.tool_calls:
            out.print(f"      [magenta]→ {escape(call_line(call))}[/]")
        if message.tool_call_id:
            out.print(f"      [dim]↳ result of {escape(message.tool_call_id)}[/]")
    if entry.conversation.tags:
        out.print(f"[dim]tags: {escape(', '.join(entry.conversation.tags))}[/]")
    out.print(f"[dim]from: {escape(entry.provenance.describe())}[/]")


def render_import(result: ImportResult) -> None:
    """What an import stored."""
    out = console(stderr=True)
    version = result.version.number if result.version else "-"
    out.print(f"[green]imported[/] {result.imported:,} entries into [bold]{escape(result.dataset)}[/] as version "
              f"{version} ({result.new_contents:,} new contents) in {result.seconds:.1f}s")
    for problem in result.problems[:10]:
        out.print(f"[yellow]skipped[/] {escape(problem.path or '')} line {problem.line}: {escape(problem.detail)}")
    if len(result.problems) > 10:
        out.print(f"[yellow]... and {len(result.problems) - 10:,} more unreadable records[/]")


def render_datasets(datasets: list[DatasetInfo]) -> None:
    """The datasets of a workspace as a table."""
    if not datasets:
        console().print("no datasets yet: threadsmith import FILE --dataset NAME")
        return
    table = Table(header_style="bold")
    for column in ("dataset", "version", "entries", "updated"):
        table.add_column(column)
    for d in datasets:
        table.add_row(escape(d.name), str(d.head), f"{d.entries:,}", d.updated_at or "")
    console().print(table)


def render_log(versions: list[Version]) -> None:
    """Versions, newest first, like git log --oneline with counts."""
    out = console()
    for v in versions:
        tags = f" [yellow]({escape(', '.join(v.tags))})[/]" if v.tags else ""
        counts = f"+{v.added} -{v.removed} ~{v.changed}"
        out.print(f"[bold]{v.number}[/]{tags} {v.created_at} {escape(v.author)} [dim]{v.kind} {counts} "
                  f"-> {v.entries:,} entries[/]\n    {escape(v.message)}")


def render_diff(diff: Diff, *, limit: int) -> None:
    """Counts, findings per family, then each changed entry with its turn-level text diff."""
    out = console()
    out.print(f"[bold]{escape(diff.dataset)}[/] version {diff.before} -> {diff.after}: [green]+{diff.added} added[/], "
              f"[red]-{diff.removed} removed[/], [yellow]~{diff.changed} changed[/], {diff.moved} moved, "
              f"{diff.excluded} excluded, {diff.included} included")
    if diff.findings is not None:
        scope = f" [dim]({diff.findings_scope})[/]" if diff.findings_scope else ""
        out.print(f"findings per family{scope}:")
        for delta in diff.findings:
            sign = "green" if delta.change < 0 else "red" if delta.change > 0 else "dim"
            out.print(f"  {delta.family:<16} {delta.before:>7,} -> {delta.after:>7,}  [{sign}]{delta.change:+,}[/]")
    shown = diff.changes if limit <= 0 else diff.changes[:limit]
    for change in shown:
        _render_change(change)
    if len(diff.changes) > len(shown):
        out.print(f"[dim]... and {len(diff.changes) - len(shown):,} more entries (--limit 0 shows all)[/]")


def _render_change(change: Any) -> None:
    out = console()
    style = {"added": "green", "removed": "red", "changed": "yellow"}.get(change.kind, "cyan")
    out.print(f"[{style}]{change.kind:>8}[/] [bold]{escape(change.key)}[/]")
    for note in change.notes:
        out.print(f"           [dim]{escape(note)}[/]")
    for turn in change.turns:
        where = turn.after_index if turn.after_index is not None else turn.before_index
        role = turn.after_role or turn.before_role
        out.print(f"           turn {where} ({escape(role or '')}) {turn.kind}")
        for line in turn.lines[:40]:
            color = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            out.print(f"             [{color}]{escape(line)}[/]")


def render_version(action: str, dataset: str, version: Version | None) -> None:
    """One line about a version that a command made (or that nothing changed)."""
    out = console(stderr=True)
    if version is None:
        out.print(f"nothing changed in [bold]{escape(dataset)}[/]; no version made")
    else:
        out.print(f"[green]{action}[/] [bold]{escape(dataset)}[/] -> version {version.number}: {escape(version.message)}")


def render_edit(result: EditResult) -> None:
    """What an edit, fix or merge committed."""
    render_version("edited", result.dataset, result.version)
    if result.version is not None:
        console(stderr=True).print(f"  {result.changed:,} changed, {result.added:,} added, {result.removed:,} removed"
                                   + "".join(f", {k} {v}" for k, v in result.details.items()))


def render_search(result: SearchResult) -> None:
    """Hits with snippets, then the cursor for the next page."""
    out = console()
    for hit in result.hits:
        flag = f" [red](excluded: {escape(hit.excluded)})[/]" if hit.excluded else ""
        out.print(f"[bold]{escape(hit.key)}[/]{flag}  {escape(hit.snippet)}")
    if result.total is not None:
        out.print(f"[dim]{result.total:,} entries match[/]")
    if result.next_cursor:
        out.print(f"[dim]more: --cursor {result.next_cursor}[/]")
    if not result.hits:
        out.print("no entries match")


def render_prune(report: PruneReport) -> None:
    """The check settings whose cached audit results were removed (or would be) and the space freed."""
    out = console(stderr=True)
    table = Table(box=None, pad_edge=False)
    for column in ("", "settings", "last audit", "results", "size"):
        table.add_column(column)
    for mark, uses in (("[red]remove[/]", report.removed), ("[green]keep[/]", report.kept)):
        for use in uses:
            settings = f"#{use.config_id}: {use.checks} checks" + (f", {escape(use.kind)}" if use.kind else "")
            table.add_row(mark, settings, use.last_used or "never", f"{use.results:,}", _mb(use.size))
    if report.removed or report.kept:
        out.print(table)
    verb = "would remove" if report.dry_run else "removed"
    out.print(f"[bold]{verb}[/] {report.results_removed:,} cached results ({_mb(report.bytes_removed)}) "
              f"and {report.stale_insights:,} stale insights")
    if report.vacuumed:
        out.print(f"[green]compacted[/] the workspace: {_mb(report.size_before)} -> {_mb(report.size_after)}")
    elif report.dry_run and report.removed:
        out.print("[dim]run without --dry-run to remove them[/]")


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"
