"""``threadsmith export``: a file or a workspace dataset version, ready for a trainer.

Parses the options, makes one library call (``threadsmith.export.export`` on a file, or
``Workspace.export_for_training``) and renders what was written.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from threadsmith.cli.render import console
from threadsmith.cli.workspace_commands import opened, workspace_option
from threadsmith.cli.workspace_render import print_json
from threadsmith.config import load_config
from threadsmith.errors import UserError
from threadsmith.export import TARGET_NAMES, ExportOptions, ExportResult, Filters, SplitSpec, export, file_source


def _options(to: str, split: str | None, seed: int, stratify: str | None, opts: dict[str, Any]) -> ExportOptions:
    spec = SplitSpec.parse(split, seed=seed, stratify=stratify) if split else None
    if spec is None and stratify:
        raise UserError("--stratify needs --split.", hint="Add e.g. --split 0.9,0.05,0.05.")
    filters = Filters(tags=opts["tags"], drop_severity=opts["drop_severity"],
                      drop_codes=tuple(c for v in opts["drop_codes"] for c in v.split(",") if c),
                      min_score=opts["min_score"])
    return ExportOptions(target=to, split=spec, filters=filters, tokenizer=opts["tokenizer"],
                         template=opts["template"], model=opts["model"], price_table=opts["price_table"],
                         epochs=opts["epochs"], name=opts["name"], base_model=opts["base_model"],
                         skip_unsupported=opts["skip_unsupported"])


@click.command("export")
@click.argument("source", required=False, type=click.Path())
@click.option("-d", "--dataset", help="Export a workspace dataset instead of a file.")
@click.option("--version", "version", default="latest", show_default=True, help="With --dataset: version, tag, latest~N.")
@click.option("-o", "--output", required=True, type=click.Path(),
              help="Output folder (created), or a .jsonl file for a single-file export without a split.")
@click.option("--to", "to", type=click.Choice(TARGET_NAMES), default="jsonl", show_default=True,
              help="Trainer format; jsonl keeps each record's own format (lossless).")
@click.option("--split", help="Ratios (0.9,0.05,0.05) or counts (8000,1000,1000): train, validation[, test].")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the split.")
@click.option("--stratify", type=click.Choice(["tag", "character"]), help="Keep each tag set / character in proportion.")
@click.option("--tag", "tags", multiple=True, help="Only entries with this tag (repeatable: all must hold).")
@click.option("--drop-severity", type=click.Choice(["error", "warning", "info"]),
              help="Leave out entries with a finding at or above this severity (runs the audit).")
@click.option("--drop-code", "drop_codes", multiple=True,
              help="Leave out entries with findings of this code, prefix or family (repeatable; runs the audit).")
@click.option("--min-score", type=float, help="Leave out entries whose quality score (0-100) is below this.")
@click.option("--tokenizer", help="tokenizer.json(.gz), model folder, GGUF or hub id: exact token statistics.")
@click.option("--template", help="Chat template: a named one or a Jinja file (default: the tokenizer's).")
@click.option("--model", help="OpenAI model priced in the cost estimate (default: the price table's).")
@click.option("--price-table", type=click.Path(dir_okay=False), help="TOML file of OpenAI prices (see docs/export.md).")
@click.option("--epochs", type=int, default=3, show_default=True, help="Epochs in the OpenAI cost estimate.")
@click.option("--name", help="Dataset name in trainer configs (default: the output folder's name).")
@click.option("--base-model", help="Axolotl: the base_model written into axolotl.yaml.")
@click.option("--skip-unsupported", is_flag=True,
              help="Leave out (and count) entries the target cannot take instead of stopping at the first.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Settings file (roles, checks).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@workspace_option
def export_command(source: str | None, dataset: str | None, version: str, output: str, to: str, split: str | None,
                   seed: int, stratify: str | None, config_path: str | None, fmt: str, workspace: str | None,
                   **opts: Any) -> None:
    """Export a dataset file or a workspace dataset for a trainer: filters, leakage-free splits, manifest."""
    if (source is None) == (dataset is None):
        raise UserError("Give either a SOURCE file or --dataset NAME.", hint="threadsmith export chats.jsonl -o out/")
    options, config = _options(to, split, seed, stratify, opts), load_config(config_path)
    with console(stderr=True).status("exporting ..."):
        if dataset is not None:
            with opened(workspace) as ws:
                result = ws.export_for_training(dataset, output, options, version=version, config=config)
        else:
            result = export(file_source(source, config=config), output, options)  # type: ignore[arg-type]
    print_json(result) if fmt == "json" else render_export(result)
    sys.exit(0)


def render_export(result: ExportResult) -> None:
    """Files written, counts per split, leakage, tokens and the cost estimate."""
    out = console(stderr=True)
    table = Table(title=f"{result.target} export: {escape(result.output)}", title_justify="left")
    for column in ("file", "split", "records", "bytes", "sha256"):
        table.add_column(column, justify="right" if column in ("records", "bytes") else "left")
    for f in result.files:
        table.add_row(escape(f.path), f.split or "", "" if f.records is None else f"{f.records:,}", f"{f.bytes:,}",
                      f.sha256[:12])
    out.print(table)
    c = result.counts
    out.print(f"[green]wrote[/] {c['written']:,} of {c['read']:,} entries"
              + "".join(f", {c[k]:,} {k}" for k in ("excluded", "filtered", "unreadable", "unused", "unsupported")
                        if c.get(k))
              + (f" ({', '.join(f'{k}: {v:,}' for k, v in result.dropped.items())})" if result.dropped else ""))
    if result.leakage is not None:
        sizes = ", ".join(f"{k} {v:,}" for k, v in result.sizes.items())
        leaks = sum(result.leakage.values())
        style = "green" if leaks == 0 else "bold red"
        detail = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.leakage.items())
        out.print(f"split: {sizes}; [{style}]leakage {leaks}[/] ({detail})")
    for split, s in result.tokens.get("splits", {}).items():
        out.print(f"tokens {split}: {s['tokens']:,} ({s['trained_tokens']:,} trained), median {s['p50']:,}, "
                  f"p95 {s['p95']:,}, max {s['max']:,}")
    out.print(f"[dim]token counts: {escape(result.tokens.get('method', ''))}[/]")
    if result.cost:
        cost = result.cost
        out.print(f"OpenAI {cost['model']}: {cost['billed_tokens_per_epoch']:,} billed tokens per epoch, "
                  f"{_usd(cost['cost_per_epoch_usd'])} per epoch, {_usd(cost['cost_usd'])} for {cost['epochs']} "
                  f"(prices as of {cost['prices_as_of']}; {cost['over_context']:,} over the {cost['context']:,}-token limit)")
    for problem in result.problems[:5]:
        out.print(f"[yellow]note[/] {escape(problem)}")
    out.print(f"manifest: {escape(result.manifest)}")


def _usd(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"
