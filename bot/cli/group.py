"""The click group: each command's module is imported on first use (name -> "module:attribute"),
so `paperbot --help` and every command import only what they use."""

from __future__ import annotations

import importlib

import click

COMMANDS = {
    "add": "bot.cli.entries:add",
    "list": "bot.cli.listing:list_",
    "show": "bot.cli.listing:show",
    "edit": "bot.cli.entries:edit",
    "skip": "bot.cli.entries:skip",
    "retry": "bot.cli.entries:retry",
    "remove": "bot.cli.entries:remove",
    "preview": "bot.cli.previewing:preview",
    "post": "bot.cli.posting:post",
    "schedule": "bot.cli.plans:schedule",
    "run": "bot.cli.posting:run",
    "status": "bot.cli.plans:status",
    "check": "bot.cli.posting:check",
    "resolve": "bot.cli.resolve:resolve",
    "import": "bot.cli.digests:import_",
    "digest": "bot.cli.digests:digest",
    "history": "bot.cli.history:history",
    "engagement": "bot.cli.engagement:engagement",
    "db": "bot.cli.dbcmd:db",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="paperbot")
def cli() -> None:
    """paperbot: post your week's paper comments to X, one at a time, at good hours.

    \b
    Quick start (no credentials needed):
      paperbot add https://arxiv.org/abs/2009.01835 --comment "Flow edges guide completion."
      paperbot preview
      paperbot run --once --dry-run

    Configuration: config/paperbot.toml (PAPERBOT_CONFIG); secrets in the environment or .env;
    database: PAPERBOT_DATABASE_URL (default sqlite:///paperbot.db).
    """
