"""`paperbot engagement`: what each post of a week earned (likes, reposts, replies, quotes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.context import App, pass_app, translate_errors
from bot.cli.output import emit_json

if TYPE_CHECKING:
    from bot.posting.engagement_reads import ReadReport


@click.command()
@click.option("--week", help="The ISO week (YYYY-Www); default: the current week.")
@click.option(
    "--refresh",
    is_flag=True,
    help="Read the week's counts now from every enabled channel (on X within the budget).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
@translate_errors
def engagement(app: App, week: str | None, refresh: bool, as_json: bool) -> None:
    """Show what each post of a week earned, per entry and channel, highest total first.

    The daemon reads the counts by itself at the post ages of `[engagement] at` (default 1 h,
    24 h and 7 days); --refresh reads them now. On X every post a read returns is billed.

    \b
    Example:
      paperbot engagement --week 2026-W49 --refresh
      paperbot engagement --json
    """
    from bot.cli.engagement_view import print_engagement, read_engagement
    from bot.schedule.weeks import parse_week, week_of

    the_week = parse_week(week) if week else week_of(app.now(), app.tz)
    if refresh:
        for report in _refresh(app, the_week):
            _say_refreshed(report)
    document = read_engagement(app.reader(), the_week, app.now(), app.tz)
    if as_json:
        emit_json(document)
    else:
        print_engagement(document)


def _refresh(app: App, week: str) -> list[ReadReport]:
    """Read every posted post of ``week`` on each enabled channel, now; one line per failure."""
    from bot.channels.base import ChannelError
    from bot.channels.engagement import EngagementSource
    from bot.cli.wiring import build_workers, read_schedule
    from bot.posting.engagement_reads import read_due
    from bot.store.reader import ENTRY_STATUSES

    with app.reader() as reader:
        entry_ids = [e.id for e in reader.entries(week=week, statuses=ENTRY_STATUSES)]
    if not entry_ids:
        return []
    schedule = read_schedule(app)
    reports = []
    for worker in build_workers(app, dry_run=False):
        channel = worker.channel
        try:
            if isinstance(channel, EngagementSource):
                reports.append(
                    read_due(
                        app.engine,
                        channel,
                        ages=schedule.ages,
                        now=app.now(),
                        entry_ids=entry_ids,
                        costs=schedule.costs_for(app.engine, channel),
                    )
                )
        except ChannelError as error:
            click.echo(f"paperbot: reading {channel.name}: {error.message}", err=True)
        finally:
            channel.close()
    return reports


def _say_refreshed(report: ReadReport) -> None:
    line = f"{report.channel}: {report.read} posts read in {report.requests} requests"
    if report.gone:
        line += f", {report.gone} gone"
    if report.skipped:
        line += f"; {len(report.unread)} not read: {report.skipped}"
    click.echo(line, err=True)
