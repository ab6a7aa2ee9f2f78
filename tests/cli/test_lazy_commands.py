"""The CLI loads a command's module only when the command runs; the table of commands is complete."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import click

import threadsmith.cli as cli_package
from threadsmith.cli import COMMANDS, cli


def _commands_defined_in_modules() -> dict[str, str]:
    """Every top-level command a cli module defines (name -> module), found by importing them all;
    a group's subcommands are not top-level."""
    modules = [importlib.import_module(f"threadsmith.cli.{info.name}") for info in pkgutil.iter_modules(cli_package.__path__)]
    nested = {id(sub) for module in modules for value in vars(module).values() if isinstance(value, click.Group)
              for sub in value.commands.values()}
    return {value.name: module.__name__.rsplit(".", 1)[1] for module in modules for value in vars(module).values()
            if isinstance(value, click.Command) and value is not cli and id(value) not in nested
            and getattr(value.callback, "__module__", None) == module.__name__}


def test_every_command_is_in_the_table_and_loads() -> None:
    defined = _commands_defined_in_modules()
    assert {name: module for name, (module, _) in COMMANDS.items()} == defined
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name


def test_auditing_a_file_does_not_import_the_workspace_or_the_exporter() -> None:
    code = ("import sys; from click.testing import CliRunner; from threadsmith.cli import cli; "
            "r = CliRunner().invoke(cli, ['audit', '--help']); assert r.exit_code == 0, r.output; "
            "print(sorted(m for m in sys.modules if m.startswith(('threadsmith.workspace', 'threadsmith.export', "
            "'threadsmith.store', 'threadsmith.web', 'threadsmith.train', 'threadsmith.probe'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_an_unknown_command_is_a_usage_error() -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2 and "No such command" in result.output
