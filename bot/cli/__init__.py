"""The command line: the composition root that builds settings, database, channel and scheduler.

Command modules import only click at module level, so `paperbot --help` stays fast; each command
imports the heavy parts (SQLAlchemy, tweepy, APScheduler) it needs when it runs. The click group
itself (bot/cli/group.py) is imported on first use of `cli`: `paperbot list ... --json` into a
pipe, the commonest call of scripts, the `list` table, `schedule`, `status` and `engagement` are
answered without click (bot/cli/fast.py; ~25 ms of imports, a fifth of the command), and fall
back to click for anything else.
"""

from __future__ import annotations

import sys
from typing import Any


def __getattr__(name: str) -> Any:
    """`cli` and `COMMANDS` (bot/cli/group.py), imported when first asked for."""
    if name in ("cli", "COMMANDS"):
        from bot.cli import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    try:
        if sys.argv[1:2] in (
            ["list"],
            ["schedule"],
            ["status"],
            ["engagement"],
        ):  # what bot/cli/fast.py may answer
            from bot.cli.fast import answer

            if answer(sys.argv[1:]):
                return
        from bot.cli.group import cli

        cli.main(prog_name="paperbot")
    except KeyboardInterrupt:
        sys.exit(130)
