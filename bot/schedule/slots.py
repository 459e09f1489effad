"""Slot lines and quiet days as the config spells them, parsed into rules a date can be tested by.

Split from `bot.schedule.timetable` so the grammar (day names, ranges that wrap past Sunday,
five-field
cron with Vixie's either-day rule) can be read and tested apart from the planning that uses it.
Config loading calls `parse_slot` to name a bad line before the daemon starts. Pure: no clock,
no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

__all__ = ["SlotRule", "TimetableError", "parse_quiet_days", "parse_slot", "slot_jitter"]


class TimetableError(ValueError):
    """A timetable setting that cannot work; the message says which and why."""


_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_ALL_WEEKDAYS = frozenset(range(7))
_ALL_DAYS_OF_MONTH = frozenset(range(1, 32))
_ALL_MONTHS = frozenset(range(1, 13))
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # leap years count
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SlotRule(NamedTuple):
    """One parsed slot line: the local wall-clock times it names, on the days it matches.

    A NamedTuple rather than a frozen dataclass: config loading parses the slots at every
    command's start, and on Python 3.11 dataclasses (with inspect) cost ~7 ms to import.
    """

    spec: str
    times: tuple[tuple[int, int], ...]  # (hour, minute), sorted, unique
    weekdays: frozenset[int] = _ALL_WEEKDAYS  # date.weekday(): 0 = Monday
    days_of_month: frozenset[int] = _ALL_DAYS_OF_MONTH
    months: frozenset[int] = _ALL_MONTHS
    either_day: bool = False  # cron with both day fields restricted: Vixie matches either

    def matches(self, day: date) -> bool:
        """Whether the rule fires on this local calendar day."""
        if day.month not in self.months:
            return False
        in_month = day.day in self.days_of_month
        in_week = day.weekday() in self.weekdays
        return (in_month or in_week) if self.either_day else (in_month and in_week)


def parse_slot(spec: str) -> SlotRule:
    """Parse one slot line, so config loading can name a bad one before the daemon starts.

    Accepted: ``"Mon-Fri 09:00"``, ``"Sat 10:30"``, ``"Mon,Wed,Fri 08:15"``, ``"daily 12:00"``,
    ``"weekdays 09:00,13:00"``, ``"weekends 11:00"`` and ``"cron: 0 9 * * 1-5"`` (five fields:
    minute hour day-of-month month day-of-week, with ``*``, lists, ranges, steps and names).
    """
    if not isinstance(spec, str):
        raise TimetableError(f"a slot must be a string, not {type(spec).__name__}")
    text = spec.strip()
    if not text:
        raise TimetableError("empty slot (expected e.g. 'Mon-Fri 09:00' or 'cron: 0 9 * * 1-5')")
    if text.lower().startswith("cron:"):
        return _parse_cron(spec, text[5:])
    return _parse_simple(spec, text)


def _parse_simple(spec: str, text: str) -> SlotRule:
    parts = re.sub(r"\s*([,-])\s*", r"\1", text).split()
    if len(parts) != 2:
        raise TimetableError(
            "expected days and a time, e.g. 'Mon-Fri 09:00', 'daily 12:00' or 'cron: 0 9 * * 1-5'"
        )
    days, times = parts
    return SlotRule(spec=spec, times=_parse_times(times), weekdays=_parse_days(days))


def _parse_days(text: str) -> frozenset[int]:
    lowered = text.lower()
    if lowered in ("daily", "everyday"):
        return _ALL_WEEKDAYS
    if lowered == "weekdays":
        return frozenset(range(5))
    if lowered == "weekends":
        return frozenset({5, 6})
    days: set[int] = set()
    for item in lowered.split(","):
        first, dash, last = item.partition("-")
        a = _day_number(first)
        b = _day_number(last) if dash else a
        # A range may wrap past Sunday ("Fri-Mon"): the week is a cycle to a person.
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days)


def _day_number(name: str) -> int:
    if name in _DAY_NAMES:
        return _DAY_NAMES.index(name)
    if name in _FULL_DAY_NAMES:
        return _FULL_DAY_NAMES.index(name)
    raise TimetableError(
        f"unknown day {name!r} (use Mon..Sun, ranges like Mon-Fri, lists like Mon,Wed,Fri, "
        "or 'daily', 'weekdays', 'weekends')"
    )


def _parse_times(text: str) -> tuple[tuple[int, int], ...]:
    times: set[tuple[int, int]] = set()
    for item in text.split(","):
        match = _TIME.match(item)
        if not match:
            raise TimetableError(f"bad time {item!r} (expected 24-hour HH:MM, e.g. 09:00)")
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise TimetableError(f"bad time {item!r}: hours run 00-23 and minutes 00-59")
        times.add((hour, minute))
    return tuple(sorted(times))


def _parse_cron(spec: str, body: str) -> SlotRule:
    fields = body.split()
    if len(fields) != 5:
        raise TimetableError(
            f"a cron line needs 5 fields (minute hour day-of-month month day-of-week), "
            f"got {len(fields)}: {body.strip()!r}"
        )
    minutes, _ = _cron_field(fields[0], "minute", 0, 59, ())
    hours, _ = _cron_field(fields[1], "hour", 0, 23, ())
    doms, dom_star = _cron_field(fields[2], "day-of-month", 1, 31, ())
    months, _ = _cron_field(fields[3], "month", 1, 12, _MONTH_NAMES, first_name=1)
    dows, dow_star = _cron_field(fields[4], "day-of-week", 0, 7, _CRON_DAYS, sunday_end=True)
    weekdays = frozenset((d - 1) % 7 for d in dows)  # cron 0/7 = Sunday -> weekday() 6
    either = not dom_star and not dow_star
    if not dom_star and not either and all(min(doms) > _DAYS_IN_MONTH[m - 1] for m in months):
        raise TimetableError(f"cron line {body.strip()!r} never fires (no such day in month)")
    return SlotRule(
        spec=spec,
        times=tuple((h, m) for h in sorted(hours) for m in sorted(minutes)),
        weekdays=weekdays,
        days_of_month=doms,
        months=months,
        either_day=either,
    )


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _cron_field(
    text: str,
    name: str,
    lo: int,
    hi: int,
    names: tuple[str, ...],
    *,
    first_name: int = 0,
    sunday_end: bool = False,
) -> tuple[frozenset[int], bool]:
    """Values of one cron field, and whether it starts with ``*`` (Vixie's day-matching rule)."""

    def value(token: str) -> int:
        if token.isdigit():
            number = int(token)
        elif token.lower() in names:
            number = names.index(token.lower()) + first_name
        else:
            raise TimetableError(f"{name} field {text!r}: {token!r} is not a number or name")
        if not lo <= number <= hi:
            raise TimetableError(f"{name} field {text!r}: {number} is outside {lo}-{hi}")
        return number

    values: set[int] = set()
    for item in text.split(","):
        span, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise TimetableError(f"{name} field {text!r}: bad step {step_text!r}")
            step = int(step_text)
        if span == "*":
            first, last = lo, hi
        elif "-" in span:
            a, _, b = span.partition("-")
            first, last = value(a), value(b)
            if sunday_end and last == 0 and first > 0:
                last = 7  # "Fri-Sun": Sunday closes the week here
            if first > last:
                raise TimetableError(f"{name} field {text!r}: range {span!r} runs backwards")
        elif span:
            first = value(span)
            last = hi if slash else first
        else:
            raise TimetableError(f"{name} field {text!r}: empty item")
        values.update(range(first, last + 1, step))
    return frozenset(values), text.startswith("*")


def parse_quiet_days(items: Iterable[str]) -> tuple[frozenset[int], frozenset[date]]:
    """The weekdays (``date.weekday()`` numbers) and dates that ``quiet_days`` names."""
    quiet_weekdays: set[int] = set()
    quiet_dates: set[date] = set()
    for item in items:
        text = item.strip().lower() if isinstance(item, str) else ""
        if _ISO_DATE.match(text):
            try:
                quiet_dates.add(date.fromisoformat(text))
            except ValueError:
                raise TimetableError(f"quiet_days: {item!r} is not a real date") from None
        elif text in _DAY_NAMES or text in _FULL_DAY_NAMES:
            quiet_weekdays.add(_day_number(text))
        else:
            raise TimetableError(
                f"quiet_days: {item!r} is neither a weekday (Mon..Sun) nor a date (YYYY-MM-DD)"
            )
    return frozenset(quiet_weekdays), frozenset(quiet_dates)


def slot_jitter(day: date, hour: int, minute: int, minutes: int) -> timedelta:
    """A slot's shift within +-``minutes``: a hash of its local date and time, so a restart
    never moves it."""
    if minutes == 0:
        return timedelta(0)
    span = minutes * 60
    import hashlib  # here: loading OpenSSL costs every command's start ~3 ms, planning only

    digest = hashlib.sha256(f"{day.isoformat()}T{hour:02d}:{minute:02d}".encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % (2 * span + 1) - span)
