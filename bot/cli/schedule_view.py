"""`paperbot schedule`'s output: the coming slots as a table (or one JSON document), with what
each coming X post will cost. Without click, so that bot/cli/fast.py prints exactly what the
command prints."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.cli.output import emit_json

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from bot.config.settings import Settings
    from bot.schedule.timetable import Assignment
    from bot.store.reader import Reader


def read_schedule(
    settings: Settings, reading: AbstractContextManager[Reader], now: datetime, *, days: int
) -> tuple[dict[str, Any], list[Assignment]]:
    """The plan for the next `days` days, read through the reader `reading` opens: the JSON
    document and the assignments it was made from."""
    from bot.config.pure_views import checked_compose_settings, timetable_config
    from bot.posting.x_costs import x_cost_policy
    from bot.reports.schedule import schedule_report

    config = timetable_config(settings)
    on_x = "x" in settings.channels.post_to
    pricing = (checked_compose_settings(settings), x_cost_policy(settings.x))
    with reading as reader:
        return schedule_report(
            reader,
            config,
            now,
            days=days,
            timezone=settings.timezone,
            channel=settings.channels.post_to[0],
            x_costs=pricing if on_x else None,
        )


def print_schedule(
    settings: Settings,
    document: dict[str, Any],
    plan: list[Assignment],
    *,
    days: int,
    as_json: bool,
) -> None:
    """`read_schedule`'s plan as a table with the X costs, or as its JSON document."""
    on_x = "x" in settings.channels.post_to
    rows, free = document["posts"], document["free_slots"]
    if as_json:
        emit_json(document)
        return
    from bot.cli.plain import print_lines
    from bot.cli.table import Cell, print_table

    headers = ["day", "time", "entry", "title", "why"] + (["X cost"] if on_x else [])
    table: list[list[Cell]] = []
    last_day = ""
    for row, assignment in zip(rows, plan, strict=True):
        local = assignment.when.astimezone(settings.tz)
        day = local.strftime("%a %d %b")
        table.append(
            [
                "" if day == last_day else day,
                local.strftime("%H:%M"),
                str(row["entry_id"]),
                str(row["title"] or row["url"]),
                str(row["reason"]),
                *([_x_cost(row)] if on_x else []),
            ]
        )
        last_day = day
    print_table(headers, table, title=f"Plan for the next {days} days ({settings.timezone})")
    priced = on_x and any(row["x_cost"] is not None for row in rows)
    total = f"; on X {usd_text(document['x_cost_total'])}" if priced else ""
    print_lines([[(f"{len(rows)} posts planned, {len(free)} free slots{total}.", "")]])


def usd_text(value: float) -> str:
    """A dollar amount of a JSON document (float USD) as the tables show it."""
    from bot.store.money import MICROS, dollars

    return dollars(round(value * MICROS))


def _x_cost(row: dict[str, Any]) -> str:
    """The X post's price, and what the arXiv-id citation saves on it."""
    if row["x_cost"] is None:
        return ""
    saving = f" (saves {usd_text(row['x_saving'])})" if row["x_saving"] else ""
    return usd_text(row["x_cost"]) + saving
