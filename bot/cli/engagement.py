"""`paperbot engagement`: what each post of a week earned (likes, reposts, replies, quotes)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from bot.cli.context import App, pass_app, translate_errors
from bot.cli.output import console, emit_json

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
    from bot.reports.engagement import engagement_document
    from bot.schedule.weeks import parse_week, week_of

    the_week = parse_week(week) if week else week_of(app.now(), app.tz)
    if refresh:
        for report in _refresh(app, the_week):
            _say_refreshed(report)
    with app.reader() as reader:
        document = engagement_document(reader, the_week, app.tz)
    if as_json:
        emit_json(document)
    else:
        _print(document)


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


def _print(document: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    if not document["entries"]:
        click.echo(f"Nothing posted in {document['week']} yet.")
        return
    table = Table(title=f"Engagement, {document['week']}")
    for column in ("entry", "title", "channel", "likes", "reposts", "replies", "quotes", "read"):
        table.add_column(column, overflow="fold")
    for entry in document["entries"]:
        for number, post in enumerate(entry["posts"]):
            counts = post["engagement"] or {}
            quotes = counts.get("quotes")
            table.add_row(
                str(entry["id"]) if number == 0 else "",
                escape(entry["title"] or entry["url"]) if number == 0 else "",
                post["channel"] + (" (gone)" if post["gone_at"] else ""),
                *(str(counts.get(name, "-")) for name in ("likes", "reposts", "replies")),
                "-" if quotes is None else str(quotes),
                (counts.get("read_at") or "not yet")[:16].replace("T", " "),
            )
    totals = document["totals"]
    table.caption = (
        f"week total: {totals['all']} ({totals['likes']} likes, {totals['reposts']} reposts, "
        f"{totals['replies']} replies, {totals['quotes']} quotes)"
    )
    console().print(table)
    sys.stdout.flush()
