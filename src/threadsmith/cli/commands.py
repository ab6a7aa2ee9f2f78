"""The commands: each parses its options, makes one library call and renders the result."""

from __future__ import annotations

import sys

import click
import orjson

from threadsmith.audit import audit
from threadsmith.checks import all_checks, get_check
from threadsmith.cli.render import console, progress_bar, render_audit, render_check_list, render_explain
from threadsmith.cli.options import chat_tokenizer, tokenizer_options, workspace_option
from threadsmith.config import FAIL_LEVELS, load_config
from threadsmith.convert import convert
from threadsmith.errors import UserError
from threadsmith.formats import WRITE_FORMATS

_config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                              help="Settings file (default: nearest threadsmith.toml or pyproject.toml).")


@click.command("audit")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Report format; json follows the documented contract (docs/audit-json.md).")
@click.option("--select", multiple=True, help="Only these codes, prefixes or families (repeatable, or comma-separated).")
@click.option("--ignore", multiple=True, help="Skip these codes, prefixes or families.")
@click.option("--fix", is_flag=True, help="Write a fixed copy with every safe fix applied (inputs are never modified).")
@click.option("--unsafe-fixes", is_flag=True, help="Apply unsafe fixes too (implies --fix).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Where --fix writes (default: NAME.fixed.jsonl).")
@click.option("--fail-on", type=click.Choice(FAIL_LEVELS), help="Exit 1 on findings at or above this severity [default: warning].")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--limit", type=int, default=10, show_default=True, help="Text format: entries shown per code (0 = all).")
@tokenizer_options
@click.option("--max-tokens", type=int, help="With --tokenizer: the training sequence length (token budget of LN001, "
                                             "truncation of TM005).")
@_config_option
@click.option("-d", "--dataset", help="Audit a workspace dataset instead of files (incremental: cached per content).")
@click.option("--version", "version", default="latest", show_default=True, help="With --dataset: the version to audit.")
@click.option("--refresh", is_flag=True,
              help="With --dataset: audit again from scratch instead of reusing the version's stored audit.")
@workspace_option
def audit_command(paths: tuple[str, ...], fmt: str, select: tuple[str, ...], ignore: tuple[str, ...], fix: bool,
                  unsafe_fixes: bool, output: str | None, fail_on: str | None, exit_zero: bool, limit: int,
                  config_path: str | None, dataset: str | None, version: str, workspace: str | None,
                  tokenizer: str | None, template: str | None, train_on: str, trust_remote_code: bool,
                  max_tokens: int | None, refresh: bool) -> None:
    """Audit dataset files (or folders), or a workspace dataset, for structural and quality problems.

    With --tokenizer, also the template and loss-mask checks (TM) and exact token counts (LN001)."""
    config = load_config(config_path).overridden(select=_split(select), ignore=_split(ignore), fail_on=fail_on)
    tok = chat_tokenizer(tokenizer, template, trust_remote_code)
    if dataset is not None:
        from threadsmith.cli.workspace_commands import audit_dataset  # opens a workspace: imported when needed

        report = audit_dataset(workspace, dataset, version, config, fixing=fix or unsafe_fixes or output is not None,
                               tokenizer=tok, train_on=train_on, max_tokens=max_tokens, refresh=refresh)
    else:
        if refresh:
            raise UserError("--refresh applies to --dataset: a file audit always checks everything.")
        with progress_bar(enabled=fmt == "text") as progress:
            report = audit(paths, config=config, fix=fix, unsafe_fixes=unsafe_fixes, output=output, progress=progress,
                           tokenizer=tok, train_on=train_on, max_tokens=max_tokens)
    if fmt == "json":
        sys.stdout.buffer.write(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    else:
        render_audit(report, limit=limit)
    sys.exit(0 if exit_zero else report.exit_code)


@click.command("convert")
@click.argument("source", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Output JSONL file.")
@click.option("--to", "to", required=True, type=click.Choice(WRITE_FORMATS), help="Output format.")
@click.option("--skip-unsupported", is_flag=True,
              help="Leave out (and list) conversations the format cannot hold instead of stopping at the first.")
@_config_option
def convert_command(source: str, output: str, to: str, skip_unsupported: bool, config_path: str | None) -> None:
    """Convert a dataset file to another chat format."""
    result = convert(source, output, to=to, config=load_config(config_path), skip_unsupported=skip_unsupported)
    err = console(stderr=True)
    err.print(f"[green]wrote[/] {result.written} conversations to {result.output} ({to})")
    for problem in result.skipped:
        err.print(f"[yellow]skipped[/] line {problem.line}: {problem.detail}", highlight=False)
    for refusal in result.refused[:20]:
        err.print(f"[yellow]left out[/] {refusal}", highlight=False)
    if len(result.refused) > 20:
        err.print(f"[yellow]left out[/] {len(result.refused) - 20:,} more that {to} cannot hold")
    sys.exit(1 if result.skipped or result.refused else 0)


@click.command("explain")
@click.argument("code")
def explain_command(code: str) -> None:
    """Print the documentation of one check (by code, e.g. ST004, or name)."""
    render_explain(get_check(code))


@click.command("checks")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def checks_command(fmt: str) -> None:
    """List every check: code, name, family, severity and fix."""
    checks = all_checks()
    if fmt == "json":
        rows = [{"code": c.code, "name": c.name, "family": c.family.value, "severity": c.severity.value,
                 "fix": c.fix_safety.value if c.fix_safety else None, "summary": c.summary()} for c in checks]
        sys.stdout.buffer.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        render_check_list(checks)


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part for value in values for part in value.split(",") if part.strip())
