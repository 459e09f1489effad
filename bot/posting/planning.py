"""The timetable's plan for the queue as a reader sees it: shared by the daemon, `run --once`,
`schedule` and `status`, so all of them show the same answer for the same `now`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.schedule.reach import timetable_capacity
from bot.schedule.weeks import week_of

if TYPE_CHECKING:
    from bot.schedule.timetable import Assignment, TimetableConfig
    from bot.store.reader import Reader

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
    from bot.schedule.timetable import plan

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
