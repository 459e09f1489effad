"""ISO weeks and user-typed datetimes, parsed strictly (a typo is an error, never a guess)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo

_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)


def weeks_in_year(year: int) -> int:
    """52 or 53: Dec 28 is always in the last ISO week of its year."""
    return date(year, 12, 28).isocalendar().week


def parse_week(text: str) -> str:
    """Normalise `2026-W48` (or `2026W48`); raises ValueError naming what is wrong."""
    match = _WEEK.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an ISO week (expected YYYY-Www, e.g. 2026-W48)")
    year, week = int(match.group(1)), int(match.group(2))
    if not 1 <= week <= weeks_in_year(year):
        raise ValueError(f"{text!r}: {year} has weeks 01 to {weeks_in_year(year)}")
    return f"{year:04d}-W{week:02d}"


def week_of(moment: datetime, tz: tzinfo) -> str:
    """The ISO week of `moment` as seen on a calendar in `tz`."""
    iso = moment.astimezone(tz).isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def week_monday(week: str) -> date:
    year, number = int(week[:4]), int(week[6:8])
    return date.fromisocalendar(year, number, 1)


def parse_datetime(text: str, tz: tzinfo) -> datetime:
    """An ISO 8601 datetime; without an offset it is wall-clock time in `tz`."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 datetime (e.g. 2026-11-30T09:00 or "
            "2026-11-30T09:00+09:00)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def parse_date(text: str, tz: tzinfo) -> datetime:
    """A date (midnight in `tz`) or a datetime, for `--since`."""
    raw = text.strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return parse_datetime(raw, tz)
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
