"""Rendering for people: colour when the terminal has it, tables, bars, progress."""

from __future__ import annotations

import contextlib
import os
from collections import defaultdict
from collections.abc import Iterator

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from threadsmith.audit import AuditReport, ProgressCallback
from threadsmith.checks import Check
from threadsmith.model import Finding, Severity

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_BIG_FILE = 8 * 1024 * 1024


def console(*, stderr: bool = False) -> Console:
    """A console that colours only real terminals (and honours NO_COLOR)."""
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


@contextlib.contextmanager
def progress_bar(*, enabled: bool, verb: str = "auditing") -> Iterator[ProgressCallback | None]:
    """A progress callback drawing a bar on stderr for large inputs, when stderr is a terminal."""
    err = console(stderr=True)
    if not enabled or not err.is_terminal:
        yield None
        return
    bars = Progress(TextColumn(f"[bold]{verb}[/] {{task.description}}"), BarColumn(), DownloadColumn(),
                    TimeRemainingColumn(), console=err, transient=True)
    tasks: dict[str, int] = {}

    def update(path: str, done: int, total: int) -> None:
        if total < _BIG_FILE:
            return
        if path not in tasks:
            tasks[path] = bars.add_task(os.path.basename(path), total=total)
        bars.update(tasks[path], completed=done)

    with bars:
        yield update


def _where(finding: Finding) -> str:
    parts = []
    if finding.line is not None:
        parts.append(f"line {finding.line}" + (f":{finding.column}" if finding.column else ""))
    if finding.entry_index is not None:
        parts.append(f"entry {finding.entry_index}")
    if finding.message_index is not None:
        parts.append(f"msg {finding.message_index}")
    return ", ".join(parts) or "dataset"


def render_audit(report: AuditReport, *, limit: int = 10) -> None:
    """The human report: findings grouped by family and code, then counts and what to do next."""
    out = console()
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_code[finding.code].append(finding)
    families: dict[str, list[str]] = defaultdict(list)
    for code, items in by_code.items():
        families[items[0].family.value].append(code)
    for family in sorted(families, key=lambda f: -sum(len(by_code[c]) for c in families[f])):
        out.rule(f"[bold]{family}[/]", align="left")
        for code in sorted(families[family]):
            items = by_code[code]
            first = items[0]
            style = _SEVERITY_STYLE[first.severity]
            fixable = next((f.fix for f in items if f.fix is not None), None)
            fix = f"  [green]{fixable.safety.value} fix[/]" if fixable else ""
            out.print(f"[{style}]{code}[/] [bold]{first.name}[/]  {len(items)} finding{'s' if len(items) != 1 else ''}{fix}")
            shown = items if limit <= 0 else items[:limit]
            for finding in shown:
                path = os.path.basename(finding.path) if finding.path else ""
                out.print(f"  [dim]{escape(path)} {_where(finding)}[/]  {escape(finding.message)}")
            if len(items) > len(shown):
                out.print(f"  [dim]... and {len(items) - len(shown)} more (--limit 0 shows all, --format json lists all)[/]")
    _render_summary(out, report)


def _render_summary(out: Console, report: AuditReport) -> None:
    s = report.summary
    out.rule("[bold]summary[/]", align="left")
    files = f"{len(s.files)} file{'s' if len(s.files) != 1 else ''}"
    unreadable = f", [red]{s.unreadable} unreadable[/]" if s.unreadable else ""
    out.print(f"{s.conversations:,} conversations in {files}{unreadable}, {s.seconds:.2f}s")
    if s.by_family:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("family")
        table.add_column("findings", justify="right")
        table.add_column("")
        top = max(s.by_family.values())
        for family, count in s.by_family.items():
            table.add_row(family, f"{count:,}", "[magenta]" + "█" * max(1, round(24 * count / top)) + "[/]")
        out.print(table)
    sev = s.by_severity
    out.print(f"[bold red]{sev['error']:,} errors[/], [yellow]{sev['warning']:,} warnings[/], [cyan]{sev['info']:,} info[/]")
    if s.output:
        out.print(f"[green]wrote {s.written:,} conversations to {escape(s.output)}[/]: {s.fixes_applied:,} fixes applied"
                  + (f", {s.dropped:,} entries dropped" if s.dropped else "")
                  + (f", {s.unreadable:,} unreadable records left out" if s.unreadable else ""))
    if s.fixable and not s.output:
        out.print(f"{s.fixable:,} fixable with [bold]--fix[/]" + (f"; {s.unsafe_fixable:,} more with --unsafe-fixes" if s.unsafe_fixable else ""))
    elif s.unsafe_fixable:
        out.print(f"{s.unsafe_fixable:,} unsafe fixes held back (add [bold]--unsafe-fixes[/] to apply them)")
    if s.findings:
        out.print("[dim]threadsmith explain CODE tells what a finding means and how to fix it[/]")
    else:
        out.print("[bold green]no findings[/]")


def render_explain(check: type[Check]) -> None:
    """One check's documentation."""
    out = console()
    fix = check.fix_safety.value + " fix" if check.fix_safety else "no automatic fix"
    out.print(f"[bold]{check.code}[/] {check.name}  [dim]({check.family.value}, {check.severity.value}, {fix})[/]")
    out.print(escape(check.doc()))


def render_check_list(checks: list[type[Check]]) -> None:
    """Every check as a table."""
    table = Table(header_style="bold")
    for column in ("code", "name", "family", "severity", "fix", "what it finds"):
        table.add_column(column)
    for c in checks:
        table.add_row(c.code, c.name, c.family.value, c.severity.value,
                      c.fix_safety.value if c.fix_safety else "", escape(c.summary()))
    console().print(table)
