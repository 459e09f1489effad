"""What is planned and how posting goes: `schedule` and `status` (read-only)."""

from __future__ import annotations

import click

from bot.cli.context import App, pass_app, translate_errors
from bot.cli.output import emit_json


@click.command()
@click.option(
    "--days", default=7, show_default=True, type=click.IntRange(1, 60), help="How many days ahead."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
@translate_errors
def schedule(app: App, days: int, as_json: bool) -> None:
    """Show the coming slots and which entry fills each.

    With X enabled: what each coming X post will cost (X bills per request; see [x.costs]),
    what the arXiv-id citation saves on it, and the total for the days shown.

    \b
    Example:
      paperbot schedule --days 3
    """
    from bot.cli.schedule_view import print_schedule, read_schedule

    document, plan = read_schedule(app.settings, app.reader(), app.now(), days=days)
    print_schedule(app.settings, document, plan, days=days, as_json=as_json)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
@translate_errors
def status(app: App, as_json: bool) -> None:
    """Is the daemon running, what is next, how big is the queue, what went wrong last.

    Also what X has cost this calendar month (UTC) against [x] monthly_budget, and when X
    posts held by the budget resume.

    \b
    Example:
      paperbot status --json
    """
    from bot.cli.status_view import print_status, read_status

    document = read_status(app.settings, app.reader(), app.now())
    if as_json:
        emit_json(document)
        return
    print_status(document)
