"""bot/posting/planning.py: leaving out the entries a plan can never reach changes no plan.

A 100,000-entry queue is planned from a few thousand rows (the first entries of each week, and
every entry with `at` or a retry time); these tests hold that shortcut to the full plan on
random queues, timetables, clocks and downtimes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.schedule.plan_entry import PlanEntry
from bot.schedule.reach import keep_for_plan, timetable_capacity
from bot.schedule.timetable import TimetableConfig, plan
from bot.schedule.weeks import week_of

NOW = datetime(2026, 10, 22, 11, 0, tzinfo=UTC)  # Thursday; London leaves summer time on Sunday
WEEKS = ["2026-W41", "2026-W42", "2026-W43", "2026-W44", "2026-W45"]
CONFIGS = [
    TimetableConfig(tz=ZoneInfo("Europe/London"), slots=("daily 09:00", "Sun 01:30")),
    TimetableConfig(
        tz=ZoneInfo("Asia/Tokyo"), slots=("Mon-Fri 09:00", "Mon-Fri 18:00"), posts_per_day=1
    ),
    TimetableConfig(
        tz=ZoneInfo("America/New_York"),
        slots=("daily 08:00", "daily 12:00", "daily 20:00"),
        daily_limit_24h=2,
        catch_up="next-slots",
        jitter_minutes=30,
    ),
]

_HOURS = st.integers(min_value=-240, max_value=240).map(lambda h: NOW + timedelta(hours=h))


@st.composite
def queues(draw: st.DrawFn) -> list[PlanEntry]:
    count = draw(st.integers(min_value=0, max_value=60))
    positions = draw(st.lists(st.integers(1, 20), min_size=count, max_size=count))
    return [
        PlanEntry(
            id=i + 1,
            position=positions[i],
            week=draw(st.sampled_from(WEEKS)),
            at=draw(st.none() | st.none() | _HOURS),
            next_attempt_at=draw(st.none() | st.none() | st.none() | _HOURS),
        )
        for i in range(count)
    ]


@settings(max_examples=150, deadline=None)
@given(
    queues(),
    st.sampled_from(CONFIGS),
    st.integers(min_value=0, max_value=14),
    st.none() | st.integers(min_value=1, max_value=200).map(lambda h: NOW - timedelta(hours=h)),
    st.lists(st.integers(min_value=1, max_value=72), max_size=6),
)
def test_the_kept_entries_give_the_same_plan_as_the_whole_queue(
    entries: list[PlanEntry],
    config: TimetableConfig,
    days: int,
    last_run: datetime | None,
    posted_hours_ago: list[int],
) -> None:
    horizon = timedelta(days=days)
    recent = [NOW - timedelta(hours=h) for h in posted_hours_ago]

    def planned(queue: list[PlanEntry]) -> object:
        current = week_of(NOW, config.tz)
        return plan(
            config,
            NOW,
            queue,
            current_week=current,
            recent_posts=recent,
            horizon=horizon,
            last_run=last_run,
        )

    capacity = timetable_capacity(config, NOW, horizon)
    assert planned(keep_for_plan(entries, capacity)) == planned(entries)


def test_a_busy_week_is_cut_to_its_first_entries_in_queue_order() -> None:
    entries = [PlanEntry(id=i, position=10 - i, week="2026-W43") for i in range(1, 6)]
    entries += [
        PlanEntry(id=6, position=1, week="2026-W43", at=NOW),
        PlanEntry(id=7, position=1, week="2026-W43", next_attempt_at=NOW),
        PlanEntry(id=8, position=9, week="2026-W42"),
        PlanEntry(id=9, position=9, week="2026-W42"),
    ]
    assert [e.id for e in keep_for_plan(entries, 2)] == [4, 5, 6, 7, 8, 9]
