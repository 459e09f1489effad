"""ISO weeks and typed datetimes: the one grammar every command, importer and planner uses.

Weeks: ``2026-W48``, also ``2026-W7``, ``2026W07`` or ``2026w7`` (with spaces around), always
printed and stored as ``YYYY-Www`` (``2026-W07``), so a week typed either way is the same week in
the database. Week 53 exists only in years that have it.

Datetimes: an ISO 8601 date *and* time (``2026-11-30T09:00``, a space for ``T``, seconds and an
offset or ``Z`` optional); without an offset it is wall-clock time in the configured time zone.
A date alone is refused where a moment is meant (``--at``, an imported ``at``): midnight is
rarely what anyone means. ``--since`` takes a date (midnight) or such a datetime.

A typo is an error naming the text and the expected form, never a guess.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache

from bot.schedule.wall_clock import as_utc

_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
_DATE_AND_TIME = re.compile(r"\d[T ]\d")
_DATETIME_EXAMPLE = "e.g. 2026-11-30T09:00 or 2026-11-30T09:00+09:00"


def weeks_in_year(year: int) -> int:
    """52 or 53: an ISO year has week 53 exactly when 28 December falls in it."""
    return date(year, 12, 28).isocalendar().week


def make_week(year: int, week: int) -> str:
    """``YYYY-Www`` for a year and week number, or ValueError saying why it does not exist."""
    if not 1 <= year <= 9999:
        raise ValueError(f"year {year} is out of range")
    last = weeks_in_year(year)
    if not 1 <= week <= last:
        raise ValueError(f"{year} has weeks 1 to {last}, not {week}")
    return f"{year:04d}-W{week:02d}"


def parse_week(text: str) -> str:
    """The week `text` names, as ``YYYY-Www``; ValueError naming what is wrong."""
    match = _WEEK.match(text)
    if not match:
        raise ValueError(f"{text!r} is not an ISO week (expected YYYY-Www, e.g. 2026-W48)")
    year, week = int(match.group(1)), int(match.group(2))
    if 1 <= year <= 9999 and not 1 <= week <= weeks_in_year(year):
        raise ValueError(
            f"{text!r} is not an ISO week of that year: {year} has weeks 01 to "
            f"{weeks_in_year(year)}"
        )
    return make_week(year, week)


def week_of(moment: datetime, tz: tzinfo) -> str:
    """The ISO week of the calendar date `moment` falls on in `tz` (`moment` must be aware)."""
    iso = as_utc(moment, "moment").astimezone(tz).isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def week_monday(week: str) -> date:
    """The Monday that starts `week` (any spelling `parse_week` accepts)."""
    normal = parse_week(week)
    return date.fromisocalendar(int(normal[:4]), int(normal[6:]), 1)


@lru_cache(maxsize=256)
def week_monday_ordinal(week: str) -> int:
    """The Monday's ordinal: weeks compare and subtract as plain integers when planning."""
    return week_monday(week).toordinal()


def parse_local_datetime(text: str) -> datetime:
    """An ISO 8601 date and time; naive when it has no offset (the caller applies the tz)."""
    raw = text.strip()
    try:
        if not _DATE_AND_TIME.search(raw):
            raise ValueError
        return datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{raw!r} is not an ISO 8601 datetime: it needs a date and a time, {_DATETIME_EXAMPLE}"
        ) from None


def parse_datetime(text: str, tz: tzinfo) -> datetime:
    """A typed moment, in UTC; without an offset it is wall-clock time in `tz`."""
    value = parse_local_datetime(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def parse_date(text: str, tz: tzinfo) -> datetime:
    """A date (its midnight in `tz`) or a datetime, in UTC: for `--since`."""
    raw = text.strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return parse_datetime(raw, tz)
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
