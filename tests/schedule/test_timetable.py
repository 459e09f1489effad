"""The timetable is pure maths over fixed datetimes: every expectation below is written out by hand
(UTC instants worked out from the tz database), never recomputed with the code under test."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.schedule.plan_entry import PlanEntry
from bot.schedule.slot_filling import LATE_GRACE
from bot.schedule.slots import TimetableError, parse_slot
from bot.schedule.timetable import (
    Assignment,
    TimetableConfig,
    due_now,
    plan,
    settled_until,
    slots_between,
    validate,
)
from bot.schedule.weeks import week_of as iso_week

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
UTC_ZONE = ZoneInfo("UTC")


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def local_day(tz: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of `day` in `tz`, as UTC."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    nxt = day + timedelta(days=1)
    return start, datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz).astimezone(UTC)


def config(tz: ZoneInfo = UTC_ZONE, *slots: str, **kwargs: object) -> TimetableConfig:
    return TimetableConfig(tz=tz, slots=slots or ("daily 09:00",), **kwargs)  # type: ignore[arg-type]


def ids(assignments: list[Assignment]) -> list[int]:
    return [a.entry_id for a in assignments]


def whens(assignments: list[Assignment]) -> list[datetime]:
    return [a.when for a in assignments]


# --- slot lines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "weekdays", "times"),
    [
        ("Mon-Fri 09:00", {0, 1, 2, 3, 4}, ((9, 0),)),
        ("Sat 10:30", {5}, ((10, 30),)),
        ("Mon,Wed,Fri 08:15", {0, 2, 4}, ((8, 15),)),
        ("daily 12:00", set(range(7)), ((12, 0),)),
        ("  mon - fri   9:05 ", {0, 1, 2, 3, 4}, ((9, 5),)),
        ("Fri-Mon 18:00", {4, 5, 6, 0}, ((18, 0),)),
        ("weekdays 13:00,09:00", {0, 1, 2, 3, 4}, ((9, 0), (13, 0))),
        ("weekends 11:00", {5, 6}, ((11, 0),)),
        ("Tuesday,thursday 07:45", {1, 3}, ((7, 45),)),
    ],
)
def test_parse_simple_slots(spec: str, weekdays: set[int], times: tuple[tuple[int, int]]) -> None:
    rule = parse_slot(spec)
    assert rule.weekdays == weekdays
    assert rule.times == times
    assert rule.spec == spec


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("", "empty slot"),
        ("Mon-Fri", "expected days and a time"),
        ("Mon-Fri 09:00 extra", "expected days and a time"),
        ("Mon-Fry 09:00", "unknown day 'fry'"),
        ("Mon-Fri 9am", "bad time '9am'"),
        ("Mon-Fri 24:00", "hours run 00-23"),
        ("Mon-Fri 09:60", "minutes 00-59"),
        ("cron: 0 9 * *", "needs 5 fields"),
        ("cron: 61 9 * * *", "minute field '61': 61 is outside 0-59"),
        ("cron: 0 24 * * *", "hour field '24': 24 is outside 0-23"),
        ("cron: 0 9 * * 1-8", "day-of-week field '1-8': 8 is outside 0-7"),
        ("cron: 0 9 5-1 * *", "range '5-1' runs backwards"),
        ("cron: */0 9 * * *", "bad step '0'"),
        ("cron: 0 9 * foo *", "'foo' is not a number or name"),
        ("cron: 0 9 ,1 * *", "empty item"),
        ("cron: 0 9 30 2 *", "never fires"),
    ],
)
def test_bad_slot_specs_say_what_is_wrong(spec: str, fragment: str) -> None:
    with pytest.raises(TimetableError) as info:
        parse_slot(spec)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)  # config loading catches ValueError


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"slots": ("Mon-Fri 09:00", "Sun 25:00")}, "slots: 'Sun 25:00': bad time"),
        ({"jitter_minutes": -1}, "jitter_minutes: must be between 0 and 720, not -1"),
        ({"jitter_minutes": True}, "jitter_minutes: must be a whole number"),
        ({"posts_per_day": "3"}, "posts_per_day: must be a whole number, not '3'"),
        ({"daily_limit_24h": -5}, "daily_limit_24h: must be between 0"),
        ({"catch_up": "later"}, "catch_up: must be 'spread' or 'next-slots', not 'later'"),
        ({"catch_up_spacing_minutes": -1}, "catch_up_spacing_minutes: must be between"),
        ({"quiet_days": ("Funday",)}, "quiet_days: 'Funday' is neither a weekday"),
        ({"quiet_days": ("2026-02-30",)}, "quiet_days: '2026-02-30' is not a real date"),
        ({"tz": "Europe/London"}, "tz: must be a zoneinfo.ZoneInfo"),
        ({"slots": "Mon-Fri 09:00"}, "slots: must be a list of strings, not one string"),
    ],
)
def test_bad_configs_name_the_field(kwargs: dict[str, object], fragment: str) -> None:
    args: dict[str, object] = {"tz": LONDON, **kwargs}
    with pytest.raises(TimetableError) as info:
        TimetableConfig(**args)  # type: ignore[arg-type]
    assert fragment in str(info.value)


def test_validate_accepts_good_configs_and_lists_from_toml() -> None:
    cfg = TimetableConfig(
        tz=LONDON,
        slots=["Mon-Fri 09:00", "cron: 0 10 * * sat"],  # type: ignore[arg-type]
        quiet_days=["Sun", "2026-12-25"],  # type: ignore[arg-type]
        daily_limit_24h=0,
    )
    validate(cfg)
    assert cfg.slots == ("Mon-Fri 09:00", "cron: 0 10 * * sat")
    assert hash(cfg) == hash(TimetableConfig(tz=LONDON, slots=cfg.slots, quiet_days=cfg.quiet_days))


# --- cron ---------------------------------------------------------------------------------------


def slot_days(cfg: TimetableConfig, start: datetime, end: datetime) -> list[str]:
    return [s.astimezone(cfg.tz).strftime("%a %d %H:%M") for s in slots_between(cfg, start, end)]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        # Mon 30 Nov .. Sun 6 Dec 2026
        (
            "cron: 0 9 * * 1-5",
            ["Mon 30 09:00", "Tue 01 09:00", "Wed 02 09:00", "Thu 03 09:00", "Fri 04 09:00"],
        ),
        ("cron: 0 9 * * 0", ["Sun 06 09:00"]),
        ("cron: 0 9 * * 7", ["Sun 06 09:00"]),
        ("cron: 0 9 * * fri-sun", ["Fri 04 09:00", "Sat 05 09:00", "Sun 06 09:00"]),
        ("cron: 15 8 * * SAT,sun", ["Sat 05 08:15", "Sun 06 08:15"]),
        (
            "cron: */30 9-10 * * mon",
            ["Mon 30 09:00", "Mon 30 09:30", "Mon 30 10:00", "Mon 30 10:30"],
        ),
        ("cron: 0 12 2-3 * *", ["Wed 02 12:00", "Thu 03 12:00"]),
        ("cron: 0 12 * nov *", ["Mon 30 12:00"]),
        ("cron: 45 23 */3 dec *", ["Tue 01 23:45", "Fri 04 23:45"]),
        # Both day fields restricted: Vixie fires on either (the 1st, and every Saturday).
        ("cron: 0 7 1 * sat", ["Tue 01 07:00", "Sat 05 07:00"]),
        # A day-of-month starting with '*' keeps "and": odd days that are Thursdays.
        ("cron: 0 7 */2 * thu", ["Thu 03 07:00"]),
    ],
)
def test_cron_lines(spec: str, expected: list[str]) -> None:
    cfg = config(UTC_ZONE, spec)
    assert slot_days(cfg, utc(2026, 11, 30), utc(2026, 12, 7)) == expected


def test_cron_every_minute_is_complete() -> None:
    cfg = config(LONDON, "cron: * * * * *")
    slots = slots_between(cfg, utc(2026, 3, 23), utc(2026, 3, 30))
    # Across the spring change every UTC minute still has exactly one slot: the wall-clock
    # minutes 01:00-01:59 that never happen land on 02:00-02:59 BST, which do.
    assert slots == [utc(2026, 3, 23) + timedelta(minutes=m) for m in range(7 * 24 * 60)]


# --- DST and time zones -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected"),
    [
        # Europe/London, spring forward 2026-03-29 01:00 GMT -> 02:00 BST
        (LONDON, date(2026, 3, 29), "00:30", utc(2026, 3, 29, 0, 30)),
        (LONDON, date(2026, 3, 29), "01:30", utc(2026, 3, 29, 1, 30)),  # gap: 02:30 BST
        (LONDON, date(2026, 3, 29), "02:30", utc(2026, 3, 29, 1, 30)),
        (LONDON, date(2026, 3, 29), "09:00", utc(2026, 3, 29, 8, 0)),
        # Europe/London, fall back 2026-10-25 02:00 BST -> 01:00 GMT
        (LONDON, date(2026, 10, 25), "00:30", utc(2026, 10, 24, 23, 30)),
        (LONDON, date(2026, 10, 25), "01:30", utc(2026, 10, 25, 0, 30)),  # first (BST) only
        (LONDON, date(2026, 10, 25), "02:30", utc(2026, 10, 25, 2, 30)),
        (LONDON, date(2026, 10, 25), "09:00", utc(2026, 10, 25, 9, 0)),
        # America/New_York, spring forward 2026-03-08 02:00 EST -> 03:00 EDT
        (NEW_YORK, date(2026, 3, 8), "01:30", utc(2026, 3, 8, 6, 30)),
        (NEW_YORK, date(2026, 3, 8), "02:30", utc(2026, 3, 8, 7, 30)),  # gap: 03:30 EDT
        (NEW_YORK, date(2026, 3, 8), "03:30", utc(2026, 3, 8, 7, 30)),
        (NEW_YORK, date(2026, 3, 8), "09:00", utc(2026, 3, 8, 13, 0)),
        # America/New_York, fall back 2026-11-01 02:00 EDT -> 01:00 EST
        (NEW_YORK, date(2026, 11, 1), "01:30", utc(2026, 11, 1, 5, 30)),  # first (EDT) only
        (NEW_YORK, date(2026, 11, 1), "02:30", utc(2026, 11, 1, 7, 30)),
        (NEW_YORK, date(2026, 11, 1), "09:00", utc(2026, 11, 1, 14, 0)),
        # Asia/Tokyo has no DST: JST is UTC+9 all year
        (TOKYO, date(2026, 3, 29), "09:00", utc(2026, 3, 29, 0, 0)),
        (TOKYO, date(2026, 10, 25), "01:30", utc(2026, 10, 24, 16, 30)),
        (TOKYO, date(2026, 11, 1), "02:30", utc(2026, 10, 31, 17, 30)),
    ],
)
def test_wall_clock_slots_across_dst(
    tz: ZoneInfo, day: date, wall: str, expected: datetime
) -> None:
    cfg = config(tz, f"daily {wall}")
    start, end = local_day(tz, day)
    assert slots_between(cfg, start, end) == [expected]


@pytest.mark.parametrize(
    ("tz", "day", "expected_walls"),
    [
        # Spring: 01:00 and 01:30 do not exist; shifted forward they meet 02:00 and 02:30.
        (LONDON, date(2026, 3, 29), ["02:00+01", "02:30+01"]),
        # Autumn: 01:00 and 01:30 happen twice on the clock but are posted once, the first time.
        (LONDON, date(2026, 10, 25), ["01:00+01", "01:30+01", "02:00+00", "02:30+00"]),
        (NEW_YORK, date(2026, 11, 1), ["01:00-04", "01:30-04", "02:00-05", "02:30-05"]),
    ],
)
def test_no_slot_twice_none_lost_in_dst_hours(
    tz: ZoneInfo, day: date, expected_walls: list[str]
) -> None:
    cfg = config(tz, "cron: 0,30 1-2 * * *")
    start, end = local_day(tz, day)
    got = [s.astimezone(tz).strftime("%H:%M%z")[:-2] for s in slots_between(cfg, start, end)]
    assert got == expected_walls


def test_hourly_cron_has_one_slot_per_wall_hour_on_dst_days() -> None:
    cfg = config(LONDON, "cron: 0 * * * *")
    autumn = slots_between(cfg, *local_day(LONDON, date(2026, 10, 25)))
    spring = slots_between(cfg, *local_day(LONDON, date(2026, 3, 29)))
    assert len(autumn) == 24  # a 25-hour day, but 01:00 is posted once
    assert len(spring) == 23  # 01:00 falls in the gap and lands on 02:00


def test_tokyo_weekday_slots_and_monday_starts_on_sunday_in_utc() -> None:
    cfg = config(TOKYO, "Mon-Fri 09:00")
    # 09:00 JST is 00:00 UTC the same day.
    got = slots_between(cfg, utc(2026, 11, 22), utc(2026, 11, 29))
    assert got == [utc(2026, 11, d, 0, 0) for d in (23, 24, 25, 26, 27)]
    cfg = config(TOKYO, "Mon 08:00")
    # Mon 30 Nov 08:00 JST is Sun 29 Nov 23:00 UTC.
    assert slots_between(cfg, utc(2026, 11, 29), utc(2026, 11, 30)) == [utc(2026, 11, 29, 23)]


# --- ISO weeks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "tz", "week"),
    [
        (utc(2026, 11, 29, 12), UTC_ZONE, "2026-W48"),  # Sunday
        (utc(2026, 11, 30, 0), UTC_ZONE, "2026-W49"),  # Monday
        (utc(2026, 11, 29, 16), TOKYO, "2026-W49"),  # already Monday 01:00 in Tokyo
        (utc(2026, 11, 30, 3), NEW_YORK, "2026-W48"),  # still Sunday 22:00 in New York
        (utc(2026, 1, 1), UTC_ZONE, "2026-W01"),  # 2026 starts on a Thursday...
        (utc(2026, 12, 31), UTC_ZONE, "2026-W53"),  # ...so it has 53 ISO weeks
        (utc(2027, 1, 3, 12), UTC_ZONE, "2026-W53"),
        (utc(2027, 1, 4), UTC_ZONE, "2027-W01"),
        (utc(2027, 1, 3, 20), TOKYO, "2027-W01"),
        (utc(2027, 1, 4, 3), NEW_YORK, "2026-W53"),
    ],
)
def test_iso_week(moment: datetime, tz: ZoneInfo, week: str) -> None:
    assert iso_week(moment, tz) == week


def test_naive_datetimes_are_a_programming_error() -> None:
    cfg = config()
    naive = datetime(2026, 11, 23, 9)
    with pytest.raises(ValueError, match="timezone-aware"):
        iso_week(naive, UTC_ZONE)
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        slots_between(cfg, naive, utc(2026, 11, 24))
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        plan(cfg, naive, [], current_week="2026-W48")
    with pytest.raises(ValueError, match="entry 7 at must be timezone-aware"):
        plan(
            cfg, utc(2026, 11, 23), [PlanEntry(7, 0, "2026-W48", at=naive)], current_week="2026-W48"
        )
    with pytest.raises(ValueError, match="recent_posts must be timezone-aware"):
        plan(cfg, utc(2026, 11, 23), [], current_week="2026-W48", recent_posts=[naive])
    with pytest.raises(ValueError, match="last_run must be timezone-aware"):
        plan(cfg, utc(2026, 11, 23), [], current_week="2026-W48", last_run=naive)


def test_bad_weeks_and_duplicate_ids_are_refused() -> None:
    cfg = config()
    with pytest.raises(ValueError, match="not an ISO week"):
        plan(cfg, utc(2026, 11, 23), [], current_week="2026-48")
    with pytest.raises(ValueError, match="not an ISO week of that year"):
        plan(cfg, utc(2026, 11, 23), [PlanEntry(1, 0, "2027-W53")], current_week="2026-W48")
    with pytest.raises(ValueError, match="entry 1 is listed twice"):
        plan(cfg, utc(2026, 11, 23), [PlanEntry(1, 0, "2026-W48")] * 2, current_week="2026-W48")


# --- quiet days and jitter ----------------------------------------------------------------------


def test_quiet_days_remove_whole_local_days() -> None:
    cfg = config(LONDON, "daily 09:00", quiet_days=("wednesday", "2026-12-25", "Sun"))
    got = slot_days(cfg, utc(2026, 12, 21), utc(2026, 12, 28))
    assert got == ["Mon 21 09:00", "Tue 22 09:00", "Thu 24 09:00", "Sat 26 09:00"]


def test_jitter_is_deterministic_bounded_and_not_zero() -> None:
    plain = config(LONDON, "daily 09:00", "daily 18:00")
    jittered = config(LONDON, "daily 09:00", "daily 18:00", jitter_minutes=10)
    window = (utc(2026, 1, 1), utc(2026, 7, 1))  # crosses the spring change
    nominal, moved = slots_between(plain, *window), slots_between(jittered, *window)
    assert len(nominal) == len(moved) == 2 * 181
    offsets = [m - n for n, m in zip(nominal, moved, strict=True)]
    assert all(abs(o) <= timedelta(minutes=10) for o in offsets)
    assert len(set(offsets)) > 250  # different per slot...
    assert min(offsets) < timedelta(minutes=-5) and max(offsets) > timedelta(minutes=5)
    # ...but a restart (a new config object, another window) never moves a slot.
    again = config(LONDON, "daily 18:00", "daily 09:00", jitter_minutes=10)
    assert slots_between(again, utc(2026, 3, 1), utc(2026, 3, 2)) == [
        m for m in moved if utc(2026, 3, 1) <= m < utc(2026, 3, 2)
    ]


def test_jitter_keys_on_local_date_and_time() -> None:
    a = config(LONDON, "daily 09:00", jitter_minutes=30)
    b = config(LONDON, "daily 09:00", "daily 12:00", jitter_minutes=30)
    day = (utc(2026, 11, 23), utc(2026, 11, 24))
    assert slots_between(a, *day)[0] == slots_between(b, *day)[0]


# --- planning: order, caps and limits -----------------------------------------------------------

WEEKDAYS = ("Mon-Fri 09:00", "Mon-Fri 13:00", "Mon-Fri 18:00")


def test_default_config_and_queue_order_current_week_first_future_weeks_wait() -> None:
    cfg = TimetableConfig(tz=UTC_ZONE)
    assert cfg.slots == WEEKDAYS
    now = utc(2026, 11, 25, 8)  # Wednesday of 2026-W48
    entries = [
        PlanEntry(1, 5, "2026-W48"),
        PlanEntry(2, 1, "2026-W47"),
        PlanEntry(3, 2, "2026-W48"),
        PlanEntry(4, 0, "2026-W46"),
        PlanEntry(5, 0, "2026-W49"),
        PlanEntry(6, 9, "2026-W47"),
    ]
    got = plan(cfg, now, entries, current_week="2026-W48")
    assert [(a.entry_id, a.when, a.reason) for a in got] == [
        (3, utc(2026, 11, 25, 9), "slot"),
        (1, utc(2026, 11, 25, 13), "slot"),
        (4, utc(2026, 11, 25, 18), "slot"),
        (2, utc(2026, 11, 26, 9), "slot"),
        (6, utc(2026, 11, 26, 13), "slot"),
        (5, utc(2026, 11, 30, 9), "slot"),  # waits for its own week
    ]
    assert all(a.slot == a.when for a in got)


def test_week_boundary_sunday_to_monday_gives_the_new_week_priority() -> None:
    cfg = config(LONDON, "daily 09:00", "daily 18:00")
    now = datetime(2026, 11, 29, 12, tzinfo=LONDON)  # Sunday of 2026-W48
    entries = [
        PlanEntry(1, 0, "2026-W48"),
        PlanEntry(2, 1, "2026-W48"),
        PlanEntry(3, 0, "2026-W49"),
    ]
    got = plan(cfg, now, entries, current_week=iso_week(now, LONDON))
    assert [(a.entry_id, a.when) for a in got] == [
        (1, utc(2026, 11, 29, 18)),
        (3, utc(2026, 11, 30, 9)),
        (2, utc(2026, 11, 30, 18)),
    ]


def test_year_boundary_2026_w53_to_2027_w01() -> None:
    cfg = config(TOKYO, "daily 09:00", "daily 18:00")
    now = datetime(2027, 1, 3, 12, tzinfo=TOKYO)  # Sunday of 2026-W53
    assert iso_week(now, TOKYO) == "2026-W53"
    entries = [
        PlanEntry(10, 0, "2026-W52"),
        PlanEntry(11, 0, "2027-W01"),
        PlanEntry(12, 3, "2026-W53"),
        PlanEntry(13, 0, "2027-W02"),
    ]
    got = plan(cfg, now, entries, current_week="2026-W53", horizon=timedelta(days=9))
    assert [(a.entry_id, a.when.astimezone(TOKYO).strftime("%a %d %H:%M")) for a in got] == [
        (12, "Sun 03 18:00"),
        (11, "Mon 04 09:00"),
        (10, "Mon 04 18:00"),
        (13, "Mon 11 09:00"),
    ]


def test_daily_cap_counts_recent_posts_of_the_local_day() -> None:
    cfg = config(TOKYO, *("daily 09:00", "daily 13:00", "daily 18:00"), posts_per_day=2)
    now = datetime(2026, 11, 24, 8, tzinfo=TOKYO)
    # 01:00 JST on the 24th (16:00 UTC on the 23rd) counts toward Tokyo's 24th.
    recent = [datetime(2026, 11, 24, 1, tzinfo=TOKYO)]
    entries = [PlanEntry(i, i, "2026-W48") for i in range(5)]
    got = plan(cfg, now, entries, current_week="2026-W48", recent_posts=recent)
    assert [a.when.astimezone(TOKYO).strftime("%d %H:%M") for a in got] == [
        "24 09:00",
        "25 09:00",
        "25 13:00",
        "26 09:00",
        "26 13:00",
    ]


def test_at_entries_ignore_the_cap_but_count_toward_it() -> None:
    cfg = config(UTC_ZONE, *WEEKDAYS, posts_per_day=1)
    now = utc(2026, 11, 23, 7)
    entries = [
        PlanEntry(1, 0, "2026-W48"),
        PlanEntry(2, 1, "2026-W48", at=utc(2026, 11, 23, 10)),
        PlanEntry(3, 2, "2026-W48", at=utc(2026, 11, 23, 11)),
        PlanEntry(4, 3, "2026-W48"),
    ]
    got = plan(cfg, now, entries, current_week="2026-W48")
    assert [(a.entry_id, a.when, a.reason) for a in got] == [
        (2, utc(2026, 11, 23, 10), "at"),
        (3, utc(2026, 11, 23, 11), "at"),  # over the cap: `at` wins
        (1, utc(2026, 11, 24, 9), "slot"),  # Monday's cap went to the `at` posts
        (4, utc(2026, 11, 25, 9), "slot"),
    ]
    assert all(a.slot is None for a in got if a.reason == "at")


def test_past_at_is_due_at_once_and_at_ignores_week_and_slots() -> None:
    cfg = config(UTC_ZONE, "Mon 09:00", posts_per_day=0)
    now = utc(2026, 11, 25, 8, 30)
    entries = [
        PlanEntry(1, 0, "2026-W52", at=utc(2026, 11, 20, 3)),  # long past, future week
        PlanEntry(2, 1, "2026-W48", at=utc(2026, 11, 25, 8, 29)),
        PlanEntry(3, 2, "2026-W48", at=utc(2026, 11, 25, 8, 31)),
        PlanEntry(4, 3, "2026-W48"),  # timetable, but the cap is 0
    ]
    due = due_now(cfg, now, entries, current_week="2026-W48")
    assert [(a.entry_id, a.when, a.reason) for a in due] == [(1, now, "at"), (2, now, "at")]
    got = plan(cfg, now, entries, current_week="2026-W48")
    assert ids(got) == [1, 2, 3]


def test_24h_limit_delays_an_at_entry_until_the_window_frees() -> None:
    cfg = config(UTC_ZONE, *WEEKDAYS, daily_limit_24h=2)
    now = utc(2026, 11, 23, 12)
    recent = [utc(2026, 11, 22, 13, 30), utc(2026, 11, 22, 15)]
    entries = [
        PlanEntry(1, 0, "2026-W48", at=utc(2026, 11, 23, 12)),
        PlanEntry(2, 1, "2026-W48", at=utc(2026, 11, 23, 12, 5)),
        PlanEntry(3, 2, "2026-W48"),
    ]
    got = plan(cfg, now, entries, current_week="2026-W48", recent_posts=recent)
    assert [(a.entry_id, a.when, a.reason) for a in got[:3]] == [
        (1, utc(2026, 11, 23, 13, 30), "rate-limit"),  # the 13:30 post leaves the window
        (2, utc(2026, 11, 23, 15), "rate-limit"),
        # Monday 13:00 and 18:00, Tuesday 09:00 and 13:00 lie within 24 h of two posts.
        (3, utc(2026, 11, 24, 18), "slot"),
    ]
    assert due_now(cfg, now, entries, current_week="2026-W48", recent_posts=recent) == []


def test_24h_limit_keeps_room_for_later_at_entries() -> None:
    cfg = config(UTC_ZONE, *WEEKDAYS, daily_limit_24h=1)
    now = utc(2026, 11, 23, 7)
    entries = [PlanEntry(1, 0, "2026-W48"), PlanEntry(2, 1, "2026-W48", at=utc(2026, 11, 23, 15))]
    got = plan(cfg, now, entries, current_week="2026-W48")
    # The 09:00 and 13:00 slots would push the explicit 15:00 post back: they are skipped.
    assert [(a.entry_id, a.when) for a in got] == [
        (2, utc(2026, 11, 23, 15)),
        (1, utc(2026, 11, 24, 18)),
    ]


def test_24h_limit_window_is_exactly_24_hours() -> None:
    cfg = config(UTC_ZONE, "daily 09:00", daily_limit_24h=1)
    got = plan(
        cfg,
        utc(2026, 11, 23, 10),
        [PlanEntry(1, 0, "2026-W48")],
        current_week="2026-W48",
        recent_posts=[utc(2026, 11, 23, 9)],
    )
    assert whens(got) == [utc(2026, 11, 24, 9)]
    got = plan(
        cfg,
        utc(2026, 11, 23, 10),
        [PlanEntry(1, 0, "2026-W48")],
        current_week="2026-W48",
        recent_posts=[utc(2026, 11, 23, 9, 0, 1)],
    )
    assert whens(got) == [utc(2026, 11, 25, 9)]


def test_retry_backoff_keeps_an_entry_off_earlier_slots() -> None:
    cfg = config(UTC_ZONE, *WEEKDAYS, posts_per_day=5)
    now = utc(2026, 11, 23, 8)
    entries = [
        PlanEntry(1, 0, "2026-W48", next_attempt_at=utc(2026, 11, 23, 9, 30)),
        PlanEntry(2, 1, "2026-W48"),
        PlanEntry(3, 2, "2026-W48", next_attempt_at=utc(2026, 11, 23, 7)),  # backoff over
        PlanEntry(
            4, 3, "2026-W48", at=utc(2026, 11, 23, 8), next_attempt_at=utc(2026, 11, 23, 8, 5)
        ),
    ]
    got = plan(cfg, now, entries, current_week="2026-W48")
    assert [(a.entry_id, a.when, a.reason) for a in got] == [
        (4, utc(2026, 11, 23, 8, 5), "retry"),
        (2, utc(2026, 11, 23, 9), "slot"),
        (1, utc(2026, 11, 23, 13), "retry"),
        (3, utc(2026, 11, 23, 18), "slot"),
    ]


def test_horizon_bounds_the_plan_but_due_entries_always_count() -> None:
    cfg = config(UTC_ZONE, "daily 09:00")
    entries = [PlanEntry(i, i, "2026-W48") for i in range(20)]
    got = plan(
        cfg, utc(2026, 11, 23, 9), entries, current_week="2026-W48", horizon=timedelta(days=3)
    )
    assert whens(got) == [utc(2026, 11, d, 9) for d in (23, 24, 25)]
    got = plan(cfg, utc(2026, 11, 23, 9), entries, current_week="2026-W48", horizon=timedelta(0))
    assert whens(got) == [utc(2026, 11, 23, 9)]


# --- catch-up after downtime --------------------------------------------------------------------


def downtime_case(policy: str, **kwargs: object) -> tuple[TimetableConfig, list[PlanEntry]]:
    cfg = config(UTC_ZONE, *WEEKDAYS, catch_up=policy, posts_per_day=5, **kwargs)
    return cfg, [PlanEntry(i, i, "2026-W48") for i in range(1, 8)]


def test_spread_catch_up_posts_missed_slots_spaced_from_now() -> None:
    cfg, entries = downtime_case("spread", catch_up_spacing_minutes=10)
    now, last_run = utc(2026, 11, 23, 20), utc(2026, 11, 23, 8)
    got = plan(cfg, now, entries, current_week="2026-W48", last_run=last_run)
    assert [(a.entry_id, a.when, a.reason, a.slot) for a in got[:4]] == [
        (1, utc(2026, 11, 23, 20), "catch-up", utc(2026, 11, 23, 9)),
        (2, utc(2026, 11, 23, 20, 10), "catch-up", utc(2026, 11, 23, 13)),
        (3, utc(2026, 11, 23, 20, 20), "catch-up", utc(2026, 11, 23, 18)),
        (4, utc(2026, 11, 24, 9), "slot", utc(2026, 11, 24, 9)),
    ]
    assert ids(due_now(cfg, now, entries, current_week="2026-W48", last_run=last_run)) == [1]
    assert settled_until(got, now) == utc(2026, 11, 23, 13)


def test_spread_catch_up_respects_the_daily_cap() -> None:
    cfg = config(UTC_ZONE, *WEEKDAYS, posts_per_day=3)
    now, last_run = utc(2026, 11, 23, 20), utc(2026, 11, 23, 8)
    entries = [PlanEntry(i, i, "2026-W48") for i in range(5)]
    got = plan(
        cfg,
        now,
        entries,
        current_week="2026-W48",
        last_run=last_run,
        recent_posts=[utc(2026, 11, 23, 7)],
    )
    assert [a.reason for a in got[:3]] == ["catch-up", "catch-up", "slot"]
    assert got[2].when == utc(2026, 11, 24, 9)


def test_next_slots_policy_drops_missed_slots() -> None:
    cfg, entries = downtime_case("next-slots")
    now, last_run = utc(2026, 11, 23, 20), utc(2026, 11, 23, 8)
    got = plan(cfg, now, entries, current_week="2026-W48", last_run=last_run)
    assert got[0] == Assignment(1, utc(2026, 11, 24, 9), "slot", utc(2026, 11, 24, 9))
    assert due_now(cfg, now, entries, current_week="2026-W48", last_run=last_run) == []
    assert settled_until(got, now) == now


def test_no_last_run_means_no_catch_up() -> None:
    cfg, entries = downtime_case("spread")
    got = plan(cfg, utc(2026, 11, 23, 20), entries, current_week="2026-W48")
    assert got[0].when == utc(2026, 11, 24, 9)


@pytest.mark.parametrize("policy", ["spread", "next-slots"])
def test_a_slot_a_few_minutes_late_is_still_posted(policy: str) -> None:
    cfg, entries = downtime_case(policy)
    now, last_run = utc(2026, 11, 23, 9, 5), utc(2026, 11, 23, 8, 59)
    due = due_now(cfg, now, entries, current_week="2026-W48", last_run=last_run)
    assert [(a.entry_id, a.when, a.reason) for a in due] == [(1, utc(2026, 11, 23, 9), "slot")]
    # Not twice: a post recorded after the slot means an earlier tick served it.
    assert (
        due_now(
            cfg,
            now,
            entries,
            current_week="2026-W48",
            last_run=last_run,
            recent_posts=[utc(2026, 11, 23, 9, 0, 3)],
        )
        == []
    )
    # Older than the grace, it was missed: only "spread" makes up for it.
    late = due_now(
        cfg,
        utc(2026, 11, 23, 9) + LATE_GRACE + timedelta(seconds=1),
        entries,
        current_week="2026-W48",
        last_run=last_run,
    )
    assert [a.reason for a in late] == (["catch-up"] if policy == "spread" else [])


def test_a_crash_between_posting_and_storing_last_run_does_not_refill_the_slot() -> None:
    cfg, entries = downtime_case("spread")
    now, stale = utc(2026, 11, 23, 14), utc(2026, 11, 23, 8, 55)
    # The 09:00 post went out at 09:00:05, then the process died before storing 09:00:05.
    due = due_now(
        cfg,
        now,
        entries,
        current_week="2026-W48",
        last_run=stale,
        recent_posts=[utc(2026, 11, 23, 9, 0, 5)],
    )
    assert [(a.reason, a.slot) for a in due] == [("catch-up", utc(2026, 11, 23, 13))]
    # A post long after a slot does not mean the slot was seen.
    due = due_now(
        cfg,
        now,
        entries,
        current_week="2026-W48",
        last_run=stale,
        recent_posts=[utc(2026, 11, 23, 9, 30)],
    )
    assert [a.slot for a in due] == [utc(2026, 11, 23, 9)]


def simulate(
    cfg: TimetableConfig,
    entries: list[PlanEntry],
    now: datetime,
    stop: datetime,
    last_run: datetime | None,
) -> list[tuple[datetime, int, str]]:
    """A daemon in miniature: wake at the next `when`, post what is due, store the watermark."""
    posted: list[tuple[datetime, int, str]] = []
    queue = list(entries)
    while now < stop:
        assignments = plan(
            cfg,
            now,
            queue,
            current_week=iso_week(now, cfg.tz),
            recent_posts=[t for t, _, _ in posted],
            last_run=last_run,
        )
        due = {a.entry_id: a for a in assignments if a.when <= now}
        posted += [(now, a.entry_id, a.reason) for a in due.values()]
        queue = [e for e in queue if e.id not in due]
        last_run = settled_until(assignments, now)
        later = [a.when for a in assignments if a.when > now]
        if not later:
            break
        now = min(later)
    return posted


def test_catch_up_continues_across_ticks_and_never_serves_a_slot_twice() -> None:
    cfg, entries = downtime_case("spread", catch_up_spacing_minutes=30)
    # Down from 08:00 to 17:55: 09:00 and 13:00 were missed; 18:00 comes during the catch-up.
    posted = simulate(
        cfg,
        entries,
        utc(2026, 11, 23, 17, 55),
        utc(2026, 11, 24, 23),
        last_run=utc(2026, 11, 23, 8),
    )
    assert posted == [
        (utc(2026, 11, 23, 17, 55), 1, "catch-up"),
        (utc(2026, 11, 23, 18), 2, "slot"),
        (utc(2026, 11, 23, 18, 30), 3, "catch-up"),  # 30 min after the last post
        (utc(2026, 11, 24, 9), 4, "slot"),
        (utc(2026, 11, 24, 13), 5, "slot"),
        (utc(2026, 11, 24, 18), 6, "slot"),
    ]


def test_normal_running_posts_each_slot_once() -> None:
    cfg = config(LONDON, *WEEKDAYS, jitter_minutes=15)
    entries = [PlanEntry(i, i, "2026-W48") for i in range(40)]
    start = utc(2026, 11, 23, 0)
    posted = simulate(cfg, entries, start, utc(2026, 12, 5), last_run=start)
    slots = slots_between(cfg, start, utc(2026, 12, 5))
    assert [t for t, _, _ in posted] == slots
    assert [i for _, i, _ in posted] == list(range(len(slots)))


# --- properties ---------------------------------------------------------------------------------

ZONES = [
    "Europe/London",
    "America/New_York",
    "Asia/Tokyo",
    "UTC",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "Europe/Dublin",
    "America/Havana",
]
DAY_SETS = ["daily", "Mon-Fri", "Sat", "Mon,Wed,Fri", "Fri-Mon", "weekends"]


@st.composite
def slot_specs(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
        return f"{draw(st.sampled_from(DAY_SETS))} {hour:02d}:{minute:02d}"
    minutes = draw(st.sampled_from(["0", "30", "*/20", "15,45", "59"]))
    hours = draw(st.sampled_from(["*", "0-3", "1,2", "9", "*/6", "23"]))
    dom = draw(st.sampled_from(["*", "1-7", "*/2", "31"]))
    dow = draw(st.sampled_from(["*", "1-5", "0", "sat,sun"]))
    return f"cron: {minutes} {hours} {dom} * {dow}"


@st.composite
def configs(draw: st.DrawFn) -> TimetableConfig:
    return TimetableConfig(
        tz=ZoneInfo(draw(st.sampled_from(ZONES))),
        slots=tuple(draw(st.lists(slot_specs(), min_size=1, max_size=3))),
        jitter_minutes=draw(st.sampled_from([0, 0, 5, 90])),
        quiet_days=tuple(draw(st.lists(st.sampled_from(["Sun", "Tue", "2026-03-29"]), max_size=2))),
    )


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs(), moments, st.integers(0, 4 * 24 * 60), st.integers(0, 4 * 24 * 60))
def test_slots_between_is_sorted_unique_and_additive(
    cfg: TimetableConfig, a: datetime, first: int, second: int
) -> None:
    b = a + timedelta(minutes=first)
    c = b + timedelta(minutes=second)
    whole = slots_between(cfg, a, c)
    assert whole == sorted(set(whole))
    assert all(a <= s < c and s.tzinfo is UTC for s in whole)
    assert slots_between(cfg, a, b) + slots_between(cfg, b, c) == whole


@st.composite
def queues(draw: st.DrawFn) -> list[PlanEntry]:
    weeks = ["2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    base = utc(2026, 11, 25, 12)
    out = []
    for i in range(draw(st.integers(0, 25))):
        at = draw(st.none() | st.integers(-3000, 9000).map(lambda m: base + timedelta(minutes=m)))
        retry = draw(st.none() | st.integers(-600, 6000).map(lambda m: base + timedelta(minutes=m)))
        out.append(PlanEntry(i, draw(st.integers(0, 5)), draw(st.sampled_from(weeks)), at, retry))
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    configs(),
    queues(),
    st.integers(-1440, 1440),
    st.lists(st.integers(-3000, 0), max_size=8),
    st.integers(0, 6),
    st.none() | st.integers(1, 6),
    st.none() | st.integers(0, 3000),
    st.sampled_from(["spread", "next-slots"]),
)
def test_plan_honours_caps_limits_backoff_and_weeks(
    base_cfg: TimetableConfig,
    entries: list[PlanEntry],
    offset: int,
    recent_offsets: list[int],
    per_day: int,
    limit: int | None,
    down_for: int | None,
    policy: str,
) -> None:
    cfg = TimetableConfig(
        tz=base_cfg.tz,
        slots=base_cfg.slots,
        jitter_minutes=base_cfg.jitter_minutes,
        quiet_days=base_cfg.quiet_days,
        posts_per_day=per_day,
        daily_limit_24h=limit,
        catch_up=policy,  # type: ignore[arg-type]
    )
    now = utc(2026, 11, 25, 12) + timedelta(minutes=offset)
    recent = [now + timedelta(minutes=m) for m in recent_offsets]
    last_run = None if down_for is None else now - timedelta(minutes=down_for)
    week = iso_week(now, cfg.tz)
    got = plan(cfg, now, entries, current_week=week, recent_posts=recent, last_run=last_run)
    by_id = {e.id: e for e in entries}
    assert len({a.entry_id for a in got}) == len(got)
    assert whens(got) == sorted(whens(got))
    day_of = {t: t.astimezone(cfg.tz).date() for t in [*recent, *whens(got)]}
    fixed = Counter(day_of[t] for t in recent)  # posts made, and planned `at` posts
    timetable: Counter[date] = Counter()
    for a in got:
        entry = by_id[a.entry_id]
        assert a.when >= now or (a.reason == "slot" and now - a.when <= LATE_GRACE)
        if entry.next_attempt_at is not None:
            assert a.when >= entry.next_attempt_at
        if entry.at is not None:
            natural = max(entry.at, now, entry.next_attempt_at or now)
            assert a.when == natural or (a.reason == "rate-limit" and a.when > natural)
            assert a.slot is None
            fixed[day_of[a.when]] += 1
        else:
            assert a.slot is not None
            in_force = iso_week(a.when, cfg.tz) if a.when > now else week
            assert entry.week <= in_force  # a later week's entry waits for its week
            timetable[day_of[a.when]] += 1
    for day, count in timetable.items():
        assert fixed[day] + count <= per_day
    if limit:
        times = sorted([*recent, *whens(got)])
        planned = set(whens(got))
        for i in range(len(times) - limit):
            run = times[i : i + limit + 1]
            if run[-1] - run[0] < timedelta(days=1):
                # Only posts already made may crowd a 24 h window; no planned post joins one.
                assert not planned.intersection(run)
