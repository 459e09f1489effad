"""`paperbot engagement`'s output: a week's posts with what each earned, highest total first.
Without click, so that bot/cli/fast.py prints exactly what the command prints."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from zoneinfo import ZoneInfo

    from bot.cli.table import Cell
    from bot.store.reader import Reader

COLUMNS = ("entry", "title", "channel", "likes", "reposts", "replies", "quotes", "read")


def read_engagement(
    reading: AbstractContextManager[Reader], week: str | None, now: datetime, tz: ZoneInfo
) -> dict[str, Any]:
    """The engagement document of `week` (YYYY-Www; None: the week of `now` in `tz`)."""
    from bot.reports.engagement import engagement_document
    from bot.schedule.weeks import parse_week, week_of

    the_week = parse_week(week) if week else week_of(now, tz)
    with reading as reader:
        return engagement_document(reader, the_week, tz)


def print_engagement(document: dict[str, Any]) -> None:
    """The document as a table with the week's totals, or a line when nothing was posted."""
    from bot.cli.table import print_table

    if not document["entries"]:
        sys.stdout.write(f"Nothing posted in {document['week']} yet.\n")
        sys.stdout.flush()
        return
    rows: list[list[Cell]] = []
    for entry in document["entries"]:
        for number, post in enumerate(entry["posts"]):
            counts = post["engagement"] or {}
            quotes = counts.get("quotes")
            rows.append(
                [
                    str(entry["id"]) if number == 0 else "",
                    str(entry["title"] or entry["url"]) if number == 0 else "",
                    post["channel"] + (" (gone)" if post["gone_at"] else ""),
                    *(str(counts.get(name, "-")) for name in ("likes", "reposts", "replies")),
                    "-" if quotes is None else str(quotes),
                    (counts.get("read_at") or "not yet")[:16].replace("T", " "),
                ]
            )
    totals = document["totals"]
    print_table(
        COLUMNS,
        rows,
        title=f"Engagement, {document['week']}",
        caption=(
            f"week total: {totals['all']} ({totals['likes']} likes, {totals['reposts']} reposts,"
            f" {totals['replies']} replies, {totals['quotes']} quotes)"
        ),
    )
