"""When queued entries are posted: pure planning over a time zone's wall clock.

Nothing here reads the clock, the database or the network. `now`, the queue and the recent posts
are arguments, so every rule below is tested with fixed datetimes, and `paperbot schedule`, the
daemon and `run --once` all see the same answer. APScheduler is deliberately not used for slot
maths: in 3.x a daily job inside the repeated autumn hour fires twice (see FACTS.md).

Rules, in the order `plan` applies them:

1. An entry with `at` is due at `at` (a past `at` at once, i.e. at `now`), whatever the slots and
   `posts_per_day` say; only `daily_limit_24h` delays it, to when the rolling 24 h window frees.
   These entries are planned first, so a timetable post never pushes an explicit `at` back.
   They count toward `posts_per_day`.
2. Other entries fill timetable slots in queue order: entries of the week in force at the slot
   (by `position`), then leftovers of older weeks (oldest week first). Entries of a later week
   wait until that week begins in the configured time zone: the curator put them in that week.
3. `next_attempt_at` (retry backoff) keeps an entry off any slot or time before it.
4. A timetable post needs room under `posts_per_day` (per local calendar day, counting recent and
   planned posts) and under `daily_limit_24h` (any 24 h window); a slot without room is skipped.
5. Past slots, only when `last_run` is known: slots in [last_run, now) with no post recorded
   within `LATE_GRACE` after them are owed. One up to `LATE_GRACE` old is just late (the daemon
   woke a little after it) and is due now, under either policy. Older ones were missed during
   downtime: with `catch_up="spread"` as many entries as missed slots are due from `now` on (or
   from the last post + spacing), `catch_up_spacing_minutes` apart, still under the caps; with
   `"next-slots"` they are dropped and the queue simply moves on to the coming slots.

How the daemon uses this: each tick, `assignments = plan(...)`; post those with `when <= now`;
then store `settled_until(assignments, now)` and pass it as `last_run` next time. That value stays
at the first missed slot still waiting for its catch-up post, so a spread catch-up continues
across ticks and restarts without any state beyond that one timestamp.

Wall clock and DST: a slot time is local wall-clock time. One that falls in the skipped spring
hour happens once, shifted forward by the gap (02:30 becomes 03:30); one in the repeated autumn
hour happens once, at its first occurrence. Two slot lines that land on the same instant give
one slot. Jitter is a deterministic function of the slot's local date and time (SHA-256), so a
restart never moves a slot.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

DEFAULT_SLOTS = ("Mon-Fri 09:00", "Mon-Fri 13:00", "Mon-Fri 18:00")
#: A past slot younger than this is a late wake-up, not downtime: it is still posted (both
#: policies). Covers scheduler latency and `run --once` from a cron line every <= 15 minutes.
LATE_GRACE = timedelta(minutes=15)
#: Missed slots older than this are never caught up: after a week away, posting a week's worth
#: at once helps nobody (and the daily cap would stop it anyway).
CATCH_UP_LOOKBACK = timedelta(days=7)
MAX_JITTER_MINUTES = 720
DAY = timedelta(days=1)

Reason = Literal["at", "retry", "rate-limit", "slot", "catch-up"]
CatchUp = Literal["spread", "next-slots"]


class TimetableError(ValueError):
    """A timetable setting that cannot work; the message says which and why."""


# --- slot lines ---------------------------------------------------------------------------------

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_ALL_WEEKDAYS = frozenset(range(7))
_ALL_DAYS_OF_MONTH = frozenset(range(1, 32))
_ALL_MONTHS = frozenset(range(1, 13))
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # leap years count
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class SlotRule:
    """One parsed slot line: the local wall-clock times it names, on the days it matches."""

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


# --- configuration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    rules: tuple[SlotRule, ...]
    quiet_weekdays: frozenset[int]
    quiet_dates: frozenset[date]


@dataclass(frozen=True)
class TimetableConfig:
    """The timetable part of the configuration; validated on construction.

    `daily_limit_24h` None means no limit; 0 (the config file's "none") is stored as None.
    """

    tz: ZoneInfo
    slots: tuple[str, ...] = DEFAULT_SLOTS
    jitter_minutes: int = 0
    posts_per_day: int = 3
    daily_limit_24h: int | None = None
    quiet_days: tuple[str, ...] = ()
    catch_up: CatchUp = "spread"
    catch_up_spacing_minutes: int = 10
    _compiled: _Compiled = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Lists from TOML become tuples, so the config stays hashable and immutable.
        for name in ("slots", "quiet_days"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TimetableError(f"{name}: must be a list of strings, not one string")
            object.__setattr__(self, name, tuple(value))
        object.__setattr__(self, "_compiled", _compile(self))
        if self.daily_limit_24h == 0:  # the config file's way of saying "no limit"
            object.__setattr__(self, "daily_limit_24h", None)


def validate(config: TimetableConfig) -> None:
    """Re-check a config (construction already did): raises TimetableError naming the field."""
    _compile(config)


def _compile(config: TimetableConfig) -> _Compiled:
    if not isinstance(config.tz, ZoneInfo):
        raise TimetableError(f"tz: must be a zoneinfo.ZoneInfo, not {config.tz!r}")
    _check_int("jitter_minutes", config.jitter_minutes, 0, MAX_JITTER_MINUTES)
    _check_int("posts_per_day", config.posts_per_day, 0, 10_000)
    if config.daily_limit_24h is not None:
        _check_int("daily_limit_24h", config.daily_limit_24h, 0, 100_000)
    _check_int("catch_up_spacing_minutes", config.catch_up_spacing_minutes, 0, 24 * 60)
    if config.catch_up not in ("spread", "next-slots"):
        raise TimetableError(f"catch_up: must be 'spread' or 'next-slots', not {config.catch_up!r}")
    rules = []
    for spec in config.slots:
        try:
            rules.append(parse_slot(spec))
        except TimetableError as exc:
            raise TimetableError(f"slots: {spec!r}: {exc}") from None
    quiet_weekdays: set[int] = set()
    quiet_dates: set[date] = set()
    for item in config.quiet_days:
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
    return _Compiled(tuple(rules), frozenset(quiet_weekdays), frozenset(quiet_dates))


def _check_int(name: str, value: object, lo: int, hi: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TimetableError(f"{name}: must be a whole number, not {value!r}")
    if not lo <= value <= hi:
        raise TimetableError(f"{name}: must be between {lo} and {hi}, not {value}")


# --- slots as instants --------------------------------------------------------------------------


def slots_between(config: TimetableConfig, start: datetime, end: datetime) -> list[datetime]:
    """The timetable's slot instants in [start, end), in UTC, sorted, each once.

    Every slot's instant depends only on the config and its own local date and time, never on
    the window asked for, so adjacent windows never disagree (a restart cannot post twice).
    """
    start, end = _as_utc(start, "start"), _as_utc(end, "end")
    if end <= start:
        return []
    reach = timedelta(minutes=config.jitter_minutes) + DAY  # + a day for DST shifts at midnight
    day = (start - reach).astimezone(config.tz).date()
    last = (end + reach).astimezone(config.tz).date()
    found: set[datetime] = set()
    while day <= last:
        found.update(t for t in _day_slots(config, day) if start <= t < end)
        day += DAY
    return sorted(found)


def _day_slots(config: TimetableConfig, day: date) -> Iterable[datetime]:
    compiled = config._compiled
    if day.weekday() in compiled.quiet_weekdays or day in compiled.quiet_dates:
        return ()
    times: set[tuple[int, int]] = set()
    for rule in compiled.rules:
        if rule.matches(day):
            times.update(rule.times)
    jitter = config.jitter_minutes
    return (
        _wall_to_utc(day, hour, minute, config.tz) + _jitter(day, hour, minute, jitter)
        for hour, minute in times
    )


def _wall_to_utc(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """The one instant a local wall-clock time stands for: first of two, or shifted past a gap."""
    wall = datetime(day.year, day.month, day.day, hour, minute)
    first = wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: the earlier reading
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In a spring gap no clock shows this time; the two folds read it with the offsets before and
    # after the jump, and the later instant is the wall time moved forward by the gap.
    return max(first, wall.replace(tzinfo=tz, fold=1).astimezone(UTC))


def _jitter(day: date, hour: int, minute: int, minutes: int) -> timedelta:
    if minutes == 0:
        return timedelta(0)
    span = minutes * 60
    digest = hashlib.sha256(f"{day.isoformat()}T{hour:02d}:{minute:02d}".encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % (2 * span + 1) - span)


# --- weeks --------------------------------------------------------------------------------------


def iso_week(d: datetime, tz: ZoneInfo) -> str:
    """The ISO week ("2026-W48") of the calendar date `d` falls on in `tz`."""
    iso = _as_utc(d, "d").astimezone(tz).isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


@lru_cache(maxsize=256)
def _week_monday(week: str) -> int:
    """Ordinal of the week's Monday: weeks compare and subtract as plain integers."""
    match = _WEEK.match(week)
    if not match:
        raise ValueError(f"{week!r} is not an ISO week (expected YYYY-Www)")
    try:
        return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1).toordinal()
    except ValueError:
        raise ValueError(f"{week!r} is not an ISO week of that year") from None


def _local_monday(t: datetime, tz: ZoneInfo) -> int:
    local = t.astimezone(tz).date()
    return local.toordinal() - local.weekday()


# --- planning -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanEntry:
    """What planning needs to know of a queued entry."""

    id: int
    position: int
    week: str
    at: datetime | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class Assignment:
    """An entry and the instant (UTC) it is due.

    `slot` is the timetable slot it fills (for a catch-up, the missed slot it makes up for);
    None for entries with `at`. `settled_until` reads it.
    """

    entry_id: int
    when: datetime
    reason: Reason
    slot: datetime | None = None


def plan(
    config: TimetableConfig,
    now: datetime,
    entries: Sequence[PlanEntry],
    *,
    current_week: str,
    recent_posts: Sequence[datetime] = (),
    horizon: timedelta = timedelta(days=7),
    last_run: datetime | None = None,
) -> list[Assignment]:
    """Who posts when over [now, now + horizon), plus anything already due; sorted by `when`.

    `current_week` is the week in force at `now` (normally `iso_week(now, config.tz)`); later
    weeks follow it. `recent_posts` are the instants of posts already made on the channel being
    planned (any entry); only the last few days matter, and they also tell which past slots were
    served. Entries that find no time within the horizon are left out: they stay queued.
    """
    now = _as_utc(now, "now")
    if horizon < timedelta(0):
        raise ValueError(f"horizon must not be negative, got {horizon}")
    settled = None if last_run is None else _as_utc(last_run, "last_run")
    week_now = _week_monday(current_week)
    relevant_from = now - CATCH_UP_LOOKBACK - 2 * DAY
    posts = sorted(
        t for t in (_as_utc(p, "recent_posts") for p in recent_posts) if t >= relevant_from
    )
    timed: list[PlanEntry] = []
    waiting: list[PlanEntry] = []
    seen: set[int] = set()
    for entry in entries:
        if entry.id in seen:
            raise ValueError(f"entry {entry.id} is listed twice")
        seen.add(entry.id)
        (timed if entry.at is not None else waiting).append(entry)
    ledger = _Ledger(config, posts)
    end = max(now + horizon, now + timedelta(microseconds=1))  # what is due now always counts
    assignments = _plan_timed(now, end, timed, ledger)
    candidates = _candidates(config, now, end, settled, posts)
    assignments += _plan_timetable(config, now, week_now, candidates, waiting, ledger)
    assignments.sort(key=lambda a: a.when)  # stable: `at` entries first at equal times
    return assignments


def due_now(
    config: TimetableConfig,
    now: datetime,
    entries: Sequence[PlanEntry],
    *,
    current_week: str,
    recent_posts: Sequence[datetime] = (),
    last_run: datetime | None = None,
) -> list[Assignment]:
    """The assignments due at `now`, in posting order: what `run --once` posts.

    It plans the full default horizon rather than just `now`, because an `at` entry later today
    can take the room under the caps that a slot due now would otherwise use.
    """
    assignments = plan(
        config,
        now,
        entries,
        current_week=current_week,
        recent_posts=recent_posts,
        last_run=last_run,
    )
    now = _as_utc(now, "now")
    return [a for a in assignments if a.when <= now]


def settled_until(assignments: Sequence[Assignment], now: datetime) -> datetime:
    """The `last_run` to store after posting what was due in `assignments` (a `plan` at `now`).

    Normally `now`: every slot before it was served or skipped. While a spread catch-up still has
    posts to come, it is the missed slot the next of them makes up for, so the next plan still
    sees the rest of the backlog.
    """
    now = _as_utc(now, "now")
    pending = [a.slot for a in assignments if a.reason == "catch-up" and a.when > now and a.slot]
    return min(pending, default=now)


@dataclass(frozen=True)
class _Candidate:
    when: datetime
    slot: datetime
    catch_up: bool


def _candidates(
    config: TimetableConfig,
    now: datetime,
    end: datetime,
    last_run: datetime | None,
    posts: list[datetime],
) -> list[_Candidate]:
    """Times a timetable entry may take, in order: late slots, catch-up times, coming slots."""
    found: list[_Candidate] = []
    if last_run is not None and last_run < now:
        owed = [
            s
            for s in slots_between(config, max(last_run, now - CATCH_UP_LOOKBACK), now)
            if not _served(s, posts)
        ]
        found += [_Candidate(s, s, False) for s in owed if now - s <= LATE_GRACE]
        if config.catch_up == "spread":
            missed = [s for s in owed if now - s > LATE_GRACE]
            spacing = timedelta(minutes=config.catch_up_spacing_minutes)
            made = bisect_right(posts, now)  # a skewed clock may have recorded later ones
            start = max(now, posts[made - 1] + spacing) if made else now
            found += [_Candidate(start + i * spacing, s, True) for i, s in enumerate(missed)]
    found += [_Candidate(s, s, False) for s in slots_between(config, now, end)]
    found = [c for c in found if c.when < end]
    found.sort(key=lambda c: c.when)
    return found


def _served(slot: datetime, posts: list[datetime]) -> bool:
    """Whether a post was recorded within LATE_GRACE after `slot`: the daemon was up and saw it.

    This keeps a past slot from being filled twice when the stored `last_run` lags behind what
    was posted: during a catch-up (see `settled_until`), or after a crash between posting and
    storing it.
    """
    i = bisect_left(posts, slot)
    return i < len(posts) and posts[i] <= slot + LATE_GRACE


def _plan_timed(
    now: datetime, end: datetime, timed: list[PlanEntry], ledger: _Ledger
) -> list[Assignment]:
    """Entries with `at`, in time order; the 24 h limit may only delay them (first come first)."""
    items: list[tuple[datetime, datetime, int, int, Reason]] = []
    for entry in timed:
        assert entry.at is not None
        at = _as_utc(entry.at, f"entry {entry.id} at")
        due: datetime = max(at, now)
        reason: Reason = "at"
        if entry.next_attempt_at is not None:
            retry = _as_utc(entry.next_attempt_at, f"entry {entry.id} next_attempt_at")
            if retry > due:
                due, reason = retry, "retry"
        items.append((due, at, entry.position, entry.id, reason))
    items.sort()
    out: list[Assignment] = []
    floor = now
    for due, _, _, entry_id, reason in items:
        # An earlier entry held back by the limit holds this one back too: the window that was
        # full at its time stays full until that entry's time.
        when = ledger.first_opening(max(due, floor), end)
        if when is None:
            break
        if when > due:
            reason = "rate-limit"
        ledger.add(when)
        floor = when
        out.append(Assignment(entry_id, when, reason))
    return out


def _plan_timetable(
    config: TimetableConfig,
    now: datetime,
    week_now: int,
    candidates: list[_Candidate],
    waiting: list[PlanEntry],
    ledger: _Ledger,
) -> list[Assignment]:
    picker = _Picker(config.tz, now, week_now, waiting)
    out: list[Assignment] = []
    for candidate in candidates:
        if picker.exhausted():
            break
        when = candidate.when
        if not ledger.has_room(when):
            continue
        entry = picker.take(when)
        if entry is None:
            continue
        ledger.add(when)
        reason: Reason = "slot"
        if candidate.catch_up:
            reason = "catch-up"
        elif entry.next_attempt_at is not None and entry.next_attempt_at > now:
            reason = "retry"
        out.append(Assignment(entry.id, when, reason, candidate.slot))
    return out


class _Ledger:
    """Posts made and planned, for the per-day cap and the rolling 24 h limit."""

    def __init__(self, config: TimetableConfig, posts: list[datetime]) -> None:
        self.tz = config.tz
        self.per_day_cap = config.posts_per_day
        self.limit = config.daily_limit_24h
        self.posts = list(posts)  # sorted
        self.per_day = Counter(self._day(t) for t in posts)

    def _day(self, t: datetime) -> date:
        return t.astimezone(self.tz).date()

    def add(self, t: datetime) -> None:
        self.posts.insert(bisect_right(self.posts, t), t)
        self.per_day[self._day(t)] += 1

    def has_room(self, t: datetime) -> bool:
        """Whether a timetable post fits at `t` under both the day cap and the 24 h limit."""
        return self.per_day[self._day(t)] < self.per_day_cap and self._blocked_until(t) is None

    def first_opening(self, t: datetime, end: datetime) -> datetime | None:
        """The first instant >= t (and < end) where one more post fits in every 24 h window."""
        while t < end:
            later = self._blocked_until(t)
            if later is None:
                return t
            t = later
        return None

    def _blocked_until(self, t: datetime) -> datetime | None:
        """None if a post at `t` keeps every 24 h window within the limit; else a later instant
        worth trying (each retry moves strictly forward, so `first_opening` ends)."""
        n = self.limit
        if n is None:
            return None
        posts = self.posts
        near = posts[bisect_right(posts, t - DAY) : bisect_left(posts, t + DAY)]
        k = bisect_left(near, t)
        run = [*near[:k], t, *near[k:]]
        # Any n + 1 consecutive posts spanning less than 24 h break the limit.
        for i in range(max(0, k - n), k + 1):
            j = i + n
            if j < len(run) and run[j] - run[i] < DAY:
                if i < k:
                    return run[i] + DAY  # the oldest post of that window has left it then
                return run[k + 1] + timedelta(microseconds=1)  # only posts after t: pass one
        return None


class _Picker:
    """Hands out timetable entries in queue order as slot times advance.

    Entries move from `pending` (backoff not over) to `future` (their week has not begun) to the
    `heap`, keyed by (not this week, week, position, id); the heap is re-keyed when the week in
    force changes, which happens at most once per week of horizon.
    """

    def __init__(
        self, tz: ZoneInfo, now: datetime, week_now: int, entries: list[PlanEntry]
    ) -> None:
        self.tz, self.now, self.week = tz, now, week_now
        self.week_now = week_now
        self.monday_now = _local_monday(now, tz)
        self.entries = entries
        self.weeks = [_week_monday(e.week) for e in entries]
        ready = [
            _as_utc(e.next_attempt_at, f"entry {e.id} next_attempt_at")
            if e.next_attempt_at is not None
            else None
            for e in entries
        ]
        self.free = [i for i, r in enumerate(ready) if r is None]
        self.pending = sorted(
            ((r, i) for i, r in enumerate(ready) if r is not None), key=lambda p: p[0]
        )
        self.next_pending = 0
        self.future: list[int] = []
        self.heap: list[tuple[tuple[int, int, int, int], int]] = []
        self._admit(self.free)

    def _key(self, i: int) -> tuple[int, int, int, int]:
        entry, week = self.entries[i], self.weeks[i]
        if week == self.week:
            return (0, 0, entry.position, entry.id)
        return (1, week, entry.position, entry.id)  # older weeks: oldest first

    def _admit(self, indices: list[int]) -> None:
        now_ok = [i for i in indices if self.weeks[i] <= self.week]
        self.future += [i for i in indices if self.weeks[i] > self.week]
        if len(now_ok) > len(self.heap):
            self.heap += [(self._key(i), i) for i in now_ok]
            heapq.heapify(self.heap)
        else:
            for i in now_ok:
                heapq.heappush(self.heap, (self._key(i), i))

    def exhausted(self) -> bool:
        return not self.heap and not self.future and self.next_pending == len(self.pending)

    def take(self, t: datetime) -> PlanEntry | None:
        """The first entry in queue order that may post at `t` (times arrive in order)."""
        week = self.week_now
        if t > self.now:
            week += _local_monday(t, self.tz) - self.monday_now
        if week != self.week:
            self.week = week
            waiting, self.future = self.future, []
            everyone = [i for _, i in self.heap] + waiting
            self.heap = []
            self._admit(everyone)
        released = []
        while self.next_pending < len(self.pending) and self.pending[self.next_pending][0] <= t:
            released.append(self.pending[self.next_pending][1])
            self.next_pending += 1
        if released:
            self._admit(released)
        if not self.heap:
            return None
        return self.entries[heapq.heappop(self.heap)[1]]


def _as_utc(value: datetime, name: str) -> datetime:
    """UTC view of an aware datetime; a naive one is a bug upstream, never a guess here."""
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, not {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)
