"""`paperbot history`: what went out (or failed), with links to the posts."""

from __future__ import annotations

import csv
import sys
from typing import Any

import click

from bot.cli.context import App, pass_app, translate_errors
from bot.cli.output import emit_json

HISTORY_STATUSES = ("posted", "failed", "retrying", "posting")
# The newest engagement snapshot, flattened for CSV (empty where never read).
ENGAGEMENT_COLUMNS = (
    "likes",
    "reposts",
    "replies",
    "quotes",
    "engagement_read_at",
)


@click.command()
@click.option("--week", help="Only entries of this ISO week (YYYY-Www).")
@click.option("--since", help="Only posts attempted since this date or datetime.")
@click.option("--status", type=click.Choice(HISTORY_STATUSES), help="Only posts in this state.")
@click.option("--channel", help="Only this channel (x, bluesky, mastodon, dry-run).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@pass_app
@translate_errors
def history(
    app: App,
    week: str | None,
    since: str | None,
    status: str | None,
    channel: str | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Show posts and failures, newest first, with every attempt.

    \b
    Example:
      paperbot history --since 2026-11-23 --csv > week.csv
    """
    from bot.cli.context import BadInput
    from bot.reports.history import history_items
    from bot.schedule.weeks import parse_date, parse_week
    from bot.store.read_records import HistoryFilter

    if as_json and as_csv:
        raise BadInput("choose one of --json and --csv")
    filters = HistoryFilter(
        week=parse_week(week) if week else None,
        since=parse_date(since, app.tz) if since else None,
        status=status,
        channel=channel,
    )
    with app.reader() as reader:
        items = history_items(reader, filters, app.tz)
    if as_json:
        emit_json(items)
    elif as_csv:
        _write_csv(items)
    else:
        _print(items)


def _write_csv(items: list[dict[str, Any]]) -> None:
    columns = [
        "entry_id",
        "week",
        "channel",
        "status",
        "posted_at",
        "remote_url",
        "url",
        "title",
        "attempts",
        "last_error",
        "text",
        "cost",
        *ENGAGEMENT_COLUMNS,
        "gone_at",
    ]
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for item in items:
        counts = item.get("engagement") or {}
        writer.writerow(
            {
                **item,
                "attempts": len(item["attempts"]),
                **{
                    column: counts.get(column.removeprefix("engagement_"))
                    for column in ENGAGEMENT_COLUMNS
                },
            }
        )


def _print(items: list[dict[str, Any]]) -> None:
    from bot.cli.table import print_table

    if not items:
        click.echo("Nothing posted yet.")
        return
    rows = [
        [
            str(item["entry_id"]),
            item["week"],
            item["channel"],
            item["status"],
            (item["posted_at"] or item["updated_at"] or "")[:16].replace("T", " "),
            str(len(item["attempts"])),
            item["remote_url"] or item["last_error"] or "",
        ]
        for item in items
    ]
    print_table(("entry", "week", "channel", "status", "when", "attempts", "link / error"), rows)
