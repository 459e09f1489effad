"""The timetable's plan for the queue as a reader sees it: shared by the daemon, `run --once`,
`schedule` and `status`, so all of them show the same answer for the same `now`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import groupby
from typing import TYPE_CHECKING

from bot.timetable import CATCH_UP_LOOKBACK, slots_between
from bot.weeks import week_of

if TYPE_CHECKING:
    from bot.reader import Reader
    from bot.timetable import Assignment, PlanEntry, TimetableConfig

#: How far back posts count for the daily cap and the rolling 24 h limit.
RECENT_POSTS = timedelta(days=2)


def plan_queue(
    reader: Reader,
    config: TimetableConfig,
    now: datetime,
    *,
    channel: str,
    last_run: datetime | None,
    horizon: timedelta = timedelta(days=7),
) -> list[Assignment]:
    from bot.timetable import plan

    entries = reader.plan_entries(channel, per_week=timetable_capacity(config, now, horizon))
    return plan(
        config,
        now,
        entries,
        current_week=week_of(now, config.tz),
        recent_posts=reader.recent_post_times(channel, now - RECENT_POSTS),
        horizon=horizon,
        last_run=last_run,
    )


def timetable_capacity(config: TimetableConfig, now: datetime, horizon: timedelta) -> int:
    """At most this many entries can take timetable slots in a plan over `horizon`.

    Each slot time, or catch-up time for a missed slot, takes at most one entry, and the
    plan only owes slots from CATCH_UP_LOOKBACK back (bot/timetable.py's rules).
    """
    end = max(now + horizon, now + timedelta(microseconds=1))
    return len(slots_between(config, now - CATCH_UP_LOOKBACK, end))


def keep_for_plan(entries: Sequence[PlanEntry], per_week: int) -> list[PlanEntry]:
    """The entries a plan can use: every one with `at` or a retry time, and of the others the
    first `per_week` of each week in queue order (position, then id).

    Within one week the timetable hands entries out in that order whatever else is queued, so
    with at most `per_week` slots the rest of a week can never be reached; leaving them out
    changes no plan (tests/test_planning.py) and keeps a 100,000-entry queue cheap to plan.
    """
    timed = [e for e in entries if e.at is not None or e.next_attempt_at is not None]
    waiting = sorted(
        (e for e in entries if e.at is None and e.next_attempt_at is None),
        key=lambda e: (e.week, e.position, e.id),
    )
    kept = [e for _, week in groupby(waiting, key=lambda e: e.week) for e in list(week)[:per_week]]
    return sorted(timed + kept, key=lambda e: e.id)
