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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.schedule import slot_filling
from bot.schedule.caps import CapLedger
from bot.schedule.entry_picker import EntryPicker
from bot.schedule.plan_entry import PlanEntry
from bot.schedule.slot_filling import CATCH_UP_LOOKBACK, Reason
from bot.schedule.slots import SlotRule, slot_jitter
from bot.schedule.timetable_checks import check_timetable
from bot.schedule.wall_clock import as_utc, wall_to_utc
from bot.schedule.weeks import week_monday_ordinal

__all__ = [
    "DEFAULT_SLOTS",
    "Assignment",
    "CatchUp",
    "TimetableConfig",
    "due_now",
    "plan",
    "settled_until",
    "slots_between",
    "validate",
]

DEFAULT_SLOTS = ("Mon-Fri 09:00", "Mon-Fri 13:00", "Mon-Fri 18:00")
DAY = timedelta(days=1)

CatchUp = Literal["spread", "next-slots"]


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
        compiled = _compile(self)  # names the first bad field (one string for a list too)
        # Lists from TOML become tuples, so the config stays hashable and immutable.
        for name in ("slots", "quiet_days"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "_compiled", compiled)
        if self.daily_limit_24h == 0:  # the config file's way of saying "no limit"
            object.__setattr__(self, "daily_limit_24h", None)


def validate(config: TimetableConfig) -> None:
    """Re-check a config (construction already did): raises TimetableError naming the field."""
    _compile(config)


def _compile(config: TimetableConfig) -> _Compiled:
    given = {item.name: getattr(config, item.name) for item in fields(config) if item.init}
    return _Compiled(*check_timetable(**given))


# --- slots as instants --------------------------------------------------------------------------


def slots_between(config: TimetableConfig, start: datetime, end: datetime) -> list[datetime]:
    """The timetable's slot instants in [start, end), in UTC, sorted, each once.

    Every slot's instant depends only on the config and its own local date and time, never on
    the window asked for, so adjacent windows never disagree (a restart cannot post twice).
    """
    start, end = as_utc(start, "start"), as_utc(end, "end")
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
        wall_to_utc(day, hour, minute, config.tz) + slot_jitter(day, hour, minute, jitter)
        for hour, minute in times
    )


# --- planning -----------------------------------------------------------------------------------


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

    `current_week` is the week in force at `now` (normally `week_of(now, config.tz)`, from
    bot/schedule/weeks.py); later weeks follow it. `recent_posts` are the instants of posts already
    made
    on the channel being planned (any entry); only the last few days matter, and they also tell
    which past slots were served. Entries that find no time within the horizon are left out:
    they stay queued.
    """
    now = as_utc(now, "now")
    if horizon < timedelta(0):
        raise ValueError(f"horizon must not be negative, got {horizon}")
    settled = None if last_run is None else as_utc(last_run, "last_run")
    week_now = week_monday_ordinal(current_week)
    relevant_from = now - CATCH_UP_LOOKBACK - 2 * DAY
    posts = sorted(
        t for t in (as_utc(p, "recent_posts") for p in recent_posts) if t >= relevant_from
    )
    timed: list[PlanEntry] = []
    waiting: list[PlanEntry] = []
    seen: set[int] = set()
    for entry in entries:
        if entry.id in seen:
            raise ValueError(f"entry {entry.id} is listed twice")
        seen.add(entry.id)
        (timed if entry.at is not None else waiting).append(entry)
    ledger = CapLedger(
        tz=config.tz,
        per_day_cap=config.posts_per_day,
        limit=config.daily_limit_24h,
        posts=posts,
    )
    end = max(now + horizon, now + timedelta(microseconds=1))  # what is due now always counts
    filled = slot_filling.fill_timed(now, end, timed, ledger)
    candidates = slot_filling.slot_candidates(
        lambda start, stop: slots_between(config, start, stop),
        now,
        end,
        settled,
        posts,
        spread=config.catch_up == "spread",
        spacing=timedelta(minutes=config.catch_up_spacing_minutes),
    )
    picker = EntryPicker(config.tz, now, week_now, waiting)
    filled += slot_filling.fill_slots(picker, now, candidates, ledger)
    assignments = [Assignment(*f) for f in filled]
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
    now = as_utc(now, "now")
    return [a for a in assignments if a.when <= now]


def settled_until(assignments: Sequence[Assignment], now: datetime) -> datetime:
    """The `last_run` to store after posting what was due in `assignments` (a `plan` at `now`).

    Normally `now`: every slot before it was served or skipped. While a spread catch-up still has
    posts to come, it is the missed slot the next of them makes up for, so the next plan still
    sees the rest of the backlog.
    """
    now = as_utc(now, "now")
    pending = [a.slot for a in assignments if a.reason == "catch-up" and a.when > now and a.slot]
    return min(pending, default=now)
