"""README.md's command reference is the commands' own `--help` (scripts/gen-cli-reference writes
it), and every command's help ends its description with an example a curator can copy."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import click

from bot.cli import cli
from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "gen-cli-reference"


def commands(command: click.Command, ctx: click.Context) -> Iterator[click.Context]:
    """The context of every command below `ctx`'s, groups and their subcommands included."""
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            sub_ctx = click.Context(sub, info_name=name, parent=ctx)
            yield sub_ctx
            yield from commands(sub, sub_ctx)


def test_readme_command_reference_matches_the_commands_help() -> None:
    checked = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_every_command_has_help_with_an_example() -> None:
    root = click.Context(cli, info_name="paperbot", **cli.context_settings)
    seen: list[str] = []
    for ctx in commands(cli, root):
        help_text = ctx.command.help or ""
        assert help_text.strip(), f"{ctx.command_path} has no help text"
        lines = [line.strip() for line in help_text.splitlines()]
        assert "Example:" in lines or "Examples:" in lines, f"{ctx.command_path}: no example"
        after = lines[max(i for i, line in enumerate(lines) if line.startswith("Example")) :]
        runs_it = any(f" {ctx.command_path} " in f" {line} " for line in after)
        assert runs_it, f"{ctx.command_path}: its example does not run {ctx.command_path}"
        seen.append(ctx.command_path)
    # The walk reached every command (a group whose subcommands went missing would pass above).
    assert {"paperbot add", "paperbot db", "paperbot db upgrade", "paperbot db copy"} <= set(seen)
