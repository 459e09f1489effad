"""Time-zone arithmetic the timetable relies on: aware instants, wall-clock times, ISO weeks.

Split from `bot.schedule.timetable` because these few rules (a naive datetime is a bug, a wall-clock
time in a DST gap or overlap stands for exactly one instant, weeks compare as day ordinals) are
shared by slot planning and queue ordering, and are easiest to check on their own. Pure.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

__all__ = ["as_utc", "local_monday", "wall_to_utc"]


def as_utc(value: datetime, name: str) -> datetime:
    """UTC view of an aware datetime; a naive one is a bug upstream, never a guess here."""
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, not {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


def wall_to_utc(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """The one instant a local wall-clock time stands for: first of two, or shifted past a gap."""
    wall = datetime(day.year, day.month, day.day, hour, minute)
    first = wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: the earlier reading
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In a spring gap no clock shows this time; the two folds read it with the offsets before and
    # after the jump, and the later instant is the wall time moved forward by the gap.
    return max(first, wall.replace(tzinfo=tz, fold=1).astimezone(UTC))


def local_monday(t: datetime, tz: ZoneInfo) -> int:
    """Ordinal of the Monday of the local week `t` falls in, comparable with
    bot/schedule/weeks.py's `week_monday_ordinal`."""
    local = t.astimezone(tz).date()
    return local.toordinal() - local.weekday()
