"""Insights commands: ``stats`` (numbers in the terminal or JSON) and ``report`` (one offline HTML page)."""

from __future__ import annotations

import sys

import click
import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from threadsmith.cli.render import console, progress_bar
from threadsmith.cli.options import chat_tokenizer
from threadsmith.config import load_config
from threadsmith.report import write_report
from threadsmith.stats import DatasetStats, Distribution, Ranking, dataset_stats

_SPARKS = " ▁▂▃▄▅▆▇█"
_config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                              help="Settings file (default: nearest threadsmith.toml or pyproject.toml).")


@click.command("stats")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: tables for people; json: every number, for tools.")
@click.option("--top", type=int, default=10, show_default=True, help="Rows in each ranked list.")
@click.option("--tokenizer", "tokenizer", help="Count exact tokens per conversation with this tokenizer "
                                               "(tokenizer.json[.gz], folder, .gguf or hub id).")
@click.option("--template", "template", help="With --tokenizer: the chat template (see `threadsmith render --help`).")
@_config_option
def stats_command(paths: tuple[str, ...], fmt: str, top: int, tokenizer: str | None, template: str | None,
                  config_path: str | None) -> None:
    """Describe dataset files: lengths, turns, openers, phrases, voice, system prompts, tags, characters."""
    tok = chat_tokenizer(tokenizer, template, False)
    with progress_bar(enabled=fmt == "text", verb="reading") as progress:
        result = dataset_stats(paths, config=load_config(config_path), top=max(1, top), progress=progress,
                               tokenizer=tok)
    if fmt == "json":
        sys.stdout.buffer.write(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    else:
        render_stats(result, top=max(1, top))


@click.command("report")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", default="report.html", show_default=True, type=click.Path(dir_okay=False),
              help="The HTML file to write.")
@click.option("--examples", type=int, default=5, show_default=True, help="Example entries listed per finding code.")
@click.option("--tokenizer", "tokenizer", help="Count exact tokens (charts per conversation and per assistant "
                                               "turn) and run the template checks with this tokenizer.")
@click.option("--template", "template", help="With --tokenizer: the chat template (see `threadsmith render --help`).")
@_config_option
def report_command(paths: tuple[str, ...], output: str, examples: int, tokenizer: str | None, template: str | None,
                   config_path: str | None) -> None:
    """Write a self-contained HTML report: quality score, findings with examples, and charts."""
    tok = chat_tokenizer(tokenizer, template, False)
    with progress_bar(enabled=True, verb="reporting") as progress:
        report = write_report(paths, output, config=load_config(config_path), examples=examples, progress=progress,
                              tokenizer=tok)
    score = report.score
    console(stderr=True).print(f"[green]wrote[/] {escape(str(report.output))}: quality score "
                               f"[bold]{score.rounded}[/]/100 ({score.grade}), {report.audit.summary.findings:,} findings")


def sparkline(dist: Distribution) -> str:
    """The histogram as one line of block characters (empty buckets at both ends dropped)."""
    used = [i for i, n in enumerate(dist.counts) if n]
    if not used:
        return ""
    counts = dist.counts[used[0]:used[-1] + 1]
    top = max(counts)
    return "".join(_SPARKS[0 if n == 0 else max(1, round(8 * n / top))] for n in counts)


def render_stats(stats: DatasetStats, *, top: int = 10) -> None:
    """The statistics as terminal tables."""
    out = console()
    unreadable = f", [red]{stats.unreadable:,} unreadable[/]" if stats.unreadable else ""
    out.print(f"[bold]{stats.conversations:,} conversations[/] in {len(stats.files)} file"
              f"{'s' if len(stats.files) != 1 else ''}{unreadable}; kind: [bold]{stats.kind}[/]")
    _lengths(out, stats)
    voice = stats.voice.shares()
    out.print(f"assistant text: dialogue {voice['dialogue']:.1%}, *action* {voice['action']:.1%}, "
              f"narration {voice['narration']:.1%}; markup: "
              + ", ".join(f"{style} {n:,}" for style, n in stats.markup.items()))
    system = stats.system_prompts
    out.print(f"system prompts: {system.with_system:,} conversations, {system.distinct:,} distinct, "
              f"top one in {system.top_share:.1%} of them")
    _ranked(out, "top assistant openers", stats.openers, top)
    _ranked(out, "most repeated 3-grams (assistant turns using each)", stats.ngrams, top)
    _ranked(out, "tags (conversations)", stats.tags, top)
    _ranked(out, "characters (messages)", stats.characters, top)
    if stats.calling:
        out.print(f"tool calls: {stats.functions.total:,} in {stats.calling:,} conversations "
                  f"({stats.calling / max(stats.conversations, 1):.1%})")
        _ranked(out, "functions called (calls)", stats.functions, top)


def _lengths(out: Console, stats: DatasetStats) -> None:
    table = Table(header_style="bold", box=None, pad_edge=False, title_justify="left")
    for column, justify in (("", "left"), ("count", "right"), ("median", "right"), ("p90", "right"),
                            ("max", "right"), ("~tokens", "right"), ("distribution", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    tokens = stats.estimated_tokens()
    for role, dist in stats.words.items():
        table.add_row(f"{escape(role)} words", *_numbers(dist), f"{tokens.get(role, 0):,}", f"[magenta]{sparkline(dist)}[/]")
    table.add_row("turns / conversation", *_numbers(stats.turns), "", f"[magenta]{sparkline(stats.turns)}[/]")
    table.add_row("~tokens / conversation", *_numbers(stats.tokens), "", f"[magenta]{sparkline(stats.tokens)}[/]")
    if stats.exact_tokens is not None:
        table.add_row("tokens / conversation", *_numbers(stats.exact_tokens), "",
                      f"[magenta]{sparkline(stats.exact_tokens)}[/]")
        if stats.exact_reply_tokens is not None:
            table.add_row("tokens / assistant turn", *_numbers(stats.exact_reply_tokens), "",
                          f"[magenta]{sparkline(stats.exact_reply_tokens)}[/]")
        table.caption = f"tokens counted with {escape(stats.tokenizer or '')}"
    out.print(table)


def _numbers(dist: Distribution) -> tuple[str, str, str, str]:
    return f"{dist.count:,}", f"{dist.quantile(0.5):,.0f}", f"{dist.quantile(0.9):,.0f}", f"{dist.maximum:,}"


def _ranked(out: Console, title: str, ranking: Ranking, top: int) -> None:
    if not ranking.items:
        return
    note = " [dim](approximate)[/]" if ranking.approximate else ""
    out.rule(f"[bold]{title}[/]{note}", align="left")
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column()
    table.add_column(justify="right")
    table.add_column(justify="right")
    table.add_column()
    largest = ranking.items[0][1] or 1
    for value, count in ranking.items[:top]:
        table.add_row(escape(value), f"{count:,}", f"{ranking.share(count):.1%}",
                      "[magenta]" + "█" * max(1, round(20 * count / largest)) + "[/]")
    out.print(table)
