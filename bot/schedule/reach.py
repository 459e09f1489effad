"""How much of a queue a plan can reach: pure, so the readers can trim a large queue in SQL.

Within one week the timetable hands entries out in queue order, so with at most N slots over a
horizon only the first N waiting entries of each week (plus every timed or retrying entry) can
be planned; bot/posting/planning.py and both readers in bot/store/ rely on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import groupby
from typing import TYPE_CHECKING

from bot.schedule.slot_filling import CATCH_UP_LOOKBACK
from bot.schedule.timetable import slots_between

if TYPE_CHECKING:
    from bot.schedule.plan_entry import PlanEntry
    from bot.schedule.timetable import TimetableConfig


def timetable_capacity(config: TimetableConfig, now: datetime, horizon: timedelta) -> int:
    """At most this many entries can take timetable slots in a plan over `horizon`.

    Each slot time, or catch-up time for a missed slot, takes at most one entry, and the
    plan only owes slots from CATCH_UP_LOOKBACK back (bot/schedule/slot_filling.py's rules).
    """
    end = max(now + horizon, now + timedelta(microseconds=1))
    return len(slots_between(config, now - CATCH_UP_LOOKBACK, end))


def keep_for_plan(entries: Sequence[PlanEntry], per_week: int) -> list[PlanEntry]:
    """The entries a plan can use: every one with `at` or a retry time, and of the others the
    first `per_week` of each week in queue order (position, then id).

    Within one week the timetable hands entries out in that order whatever else is queued, so
    with at most `per_week` slots the rest of a week can never be reached; leaving them out
    changes no plan (tests/posting/test_planning.py) and keeps a 100,000-entry queue cheap to plan.
    """
    timed = [e for e in entries if e.at is not None or e.next_attempt_at is not None]
    waiting = sorted(
        (e for e in entries if e.at is None and e.next_attempt_at is None),
        key=lambda e: (e.week, e.position, e.id),
    )
    kept = [e for _, week in groupby(waiting, key=lambda e: e.week) for e in list(week)[:per_week]]
    return sorted(timed + kept, key=lambda e: e.id)
