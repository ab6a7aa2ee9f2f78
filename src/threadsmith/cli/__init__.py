"""The command line: thin shells over the library (parse, one call, render).

Exit codes: 0 clean, 1 findings at or above the fail level, 2 the invocation could not run.
"""

from __future__ import annotations

import os
import sys

import click

from threadsmith.cli.commands import audit_command, checks_command, convert_command, explain_command
from threadsmith.cli.curation_commands import COMMANDS as CURATION_COMMANDS
from threadsmith.cli.edit_commands import edit_group
from threadsmith.cli.export_commands import export_command
from threadsmith.cli.insights import report_command, stats_command
from threadsmith.cli.probe_commands import COMMANDS as PROBE_COMMANDS
from threadsmith.cli.render_commands import render_command
from threadsmith.cli.serve_commands import serve_command
from threadsmith.cli.train_commands import COMMANDS as TRAIN_COMMANDS
from threadsmith.cli.workspace_commands import COMMANDS as WORKSPACE_COMMANDS
from threadsmith.errors import ThreadsmithError

EXIT_ERROR = 2


class _Group(click.Group):
    """Translates our errors into a message and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ThreadsmithError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            if exc.hint:
                click.echo(f"  hint: {exc.hint}", err=True)
            sys.exit(EXIT_ERROR)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug of ours: say so plainly, keep the traceback for who asks
            if os.environ.get("THREADSMITH_DEBUG"):
                raise
            click.secho(f"internal error: {type(exc).__name__}: {exc}", fg="red", err=True)
            click.echo("  hint: this is a threadsmith bug; rerun with THREADSMITH_DEBUG=1 and report the traceback.",
                       err=True)
            sys.exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="threadsmith")
def cli() -> None:
    """Threadsmith: audit, curate and export conversational fine-tuning datasets."""


cli.add_command(audit_command)
cli.add_command(convert_command)
cli.add_command(explain_command)
cli.add_command(checks_command)
cli.add_command(stats_command)
cli.add_command(report_command)
cli.add_command(render_command)
for _command in WORKSPACE_COMMANDS + CURATION_COMMANDS + PROBE_COMMANDS + TRAIN_COMMANDS:
    cli.add_command(_command)
cli.add_command(edit_group)
cli.add_command(serve_command)
cli.add_command(export_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="threadsmith")
