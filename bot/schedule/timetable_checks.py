"""The timetable settings' checks, apart from the planner (bot/schedule/timetable.py).

Config loading runs them at every command's start so that a bad slot or cap is named before
anything else happens; here they cost the slot grammar (bot/schedule/slots.py) alone, where the
planner and its dataclasses would add ~12 ms to `paperbot list`. The planner's TimetableConfig
runs the same checks when it is made. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from bot.schedule.slots import SlotRule, TimetableError, parse_quiet_days, parse_slot

MAX_JITTER_MINUTES = 720


def check_timetable(
    *,
    tz: object,
    slots: Sequence[str],
    jitter_minutes: object,
    posts_per_day: object,
    daily_limit_24h: object,
    quiet_days: Sequence[str],
    catch_up: object,
    catch_up_spacing_minutes: object,
) -> tuple[tuple[SlotRule, ...], frozenset[int], frozenset[date]]:
    """The parsed slots and quiet days; raises TimetableError naming the first bad field."""
    for name, value in (("slots", slots), ("quiet_days", quiet_days)):
        if isinstance(value, str):
            raise TimetableError(f"{name}: must be a list of strings, not one string")
    if not isinstance(tz, ZoneInfo):
        raise TimetableError(f"tz: must be a zoneinfo.ZoneInfo, not {tz!r}")
    _check_int("jitter_minutes", jitter_minutes, 0, MAX_JITTER_MINUTES)
    _check_int("posts_per_day", posts_per_day, 0, 10_000)
    if daily_limit_24h is not None:
        _check_int("daily_limit_24h", daily_limit_24h, 0, 100_000)
    _check_int("catch_up_spacing_minutes", catch_up_spacing_minutes, 0, 24 * 60)
    if catch_up not in ("spread", "next-slots"):
        raise TimetableError(f"catch_up: must be 'spread' or 'next-slots', not {catch_up!r}")
    rules = []
    for spec in slots:
        try:
            rules.append(parse_slot(spec))
        except TimetableError as exc:
            raise TimetableError(f"slots: {spec!r}: {exc}") from None
    quiet_weekdays, quiet_dates = parse_quiet_days(quiet_days)
    return tuple(rules), quiet_weekdays, quiet_dates


def _check_int(name: str, value: object, lo: int, hi: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TimetableError(f"{name}: must be a whole number, not {value!r}")
    if not lo <= value <= hi:
        raise TimetableError(f"{name}: must be between {lo} and {hi}, not {value}")
