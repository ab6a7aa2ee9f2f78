"""The command line: thin shells over the library (parse, one call, render).

Exit codes: 0 clean, 1 findings at or above the fail level, 2 the invocation could not run.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from threadsmith.errors import ThreadsmithError

EXIT_ERROR = 2

#: Every command: its name -> (module, attribute). A command's module is imported only when that
#: command runs (or help lists it), so ``threadsmith audit FILE`` does not import the workspace,
#: the exporter or the web app. tests/cli/test_lazy_commands.py keeps this table complete.
COMMANDS: dict[str, tuple[str, str]] = {
    "accelerate-config": ("train_commands", "accelerate_config_command"),
    "audit": ("commands", "audit_command"),
    "backup": ("workspace_commands", "backup_command"),
    "characters": ("curation_commands", "characters_group"),
    "chat": ("train_commands", "chat_command"),
    "checks": ("commands", "checks_command"),
    "compare": ("probe_commands", "compare_command"),
    "convert": ("commands", "convert_command"),
    "datasets": ("workspace_commands", "datasets_command"),
    "diff": ("workspace_commands", "diff_command"),
    "edit": ("edit_commands", "edit_group"),
    "explain": ("commands", "explain_command"),
    "export": ("export_commands", "export_command"),
    "fix": ("curation_commands", "fix_command"),
    "import": ("workspace_commands", "import_command"),
    "log": ("workspace_commands", "log_command"),
    "merge": ("curation_commands", "merge_command"),
    "probe": ("probe_commands", "probe_group"),
    "prompts": ("curation_commands", "prompts_group"),
    "prune": ("workspace_commands", "prune_command"),
    "render": ("render_commands", "render_command"),
    "report": ("insights", "report_command"),
    "restore": ("workspace_commands", "restore_command"),
    "runs": ("train_commands", "runs_group"),
    "search": ("workspace_commands", "search_command"),
    "serve": ("serve_commands", "serve_command"),
    "serve-model": ("probe_commands", "serve_model_command"),
    "show": ("workspace_commands", "show_command"),
    "stats": ("insights", "stats_command"),
    "tag": ("workspace_commands", "tag_command"),
    "tags": ("curation_commands", "tags_group"),
    "train": ("train_commands", "train_command"),
}


class _Group(click.Group):
    """Loads each command when it is needed (see :data:`COMMANDS`); translates our errors into a
    message and exit code 2, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(f"threadsmith.cli.{module}"), attribute), cmd_name)
        return self.commands.get(cmd_name)

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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="threadsmith")
