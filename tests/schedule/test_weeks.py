"""bot/schedule/weeks.py: one grammar for weeks and typed datetimes, and every command speaking
it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.schedule.weeks import (
    make_week,
    parse_date,
    parse_datetime,
    parse_local_datetime,
    parse_week,
    week_monday,
    week_of,
)
from tests.conftest import Paperbot

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("typed", "week"),
    [
        ("2026-W48", "2026-W48"),
        ("2020-W07", "2020-W07"),
        ("2020-W7", "2020-W07"),
        ("2020W07", "2020-W07"),
        ("2020w7", "2020-W07"),
        (" 2020-w07 ", "2020-W07"),
        ("2020-W53", "2020-W53"),  # 2020 has 53 ISO weeks
        ("2026-W01", "2026-W01"),
    ],
)
def test_weeks_are_accepted_in_every_usual_spelling_and_printed_one_way(
    typed: str, week: str
) -> None:
    assert parse_week(typed) == week


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2021-W53", "'2021-W53' is not an ISO week of that year: 2021 has weeks 01 to 52"),
        ("2026-W00", "'2026-W00' is not an ISO week of that year: 2026 has weeks 01 to 53"),
        ("2026-W007", "'2026-W007' is not an ISO week (expected YYYY-Www, e.g. 2026-W48)"),
        ("2026-48", "'2026-48' is not an ISO week"),
        ("26-W48", "'26-W48' is not an ISO week"),
        ("last week", "'last week' is not an ISO week"),
        ("", "'' is not an ISO week"),
        ("0000-W01", "year 0 is out of range"),
    ],
)
def test_bad_weeks_say_what_is_wrong(typed: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_week(typed)
    assert str(caught.value).startswith(message)


def test_weeks_from_numbers_and_moments() -> None:
    assert make_week(2020, 7) == "2020-W07"
    with pytest.raises(ValueError, match="2021 has weeks 1 to 52, not 53"):
        make_week(2021, 53)
    assert week_monday("2020-W7") == date(2020, 2, 10)
    # Monday 00:30 in Tokyo is still Sunday in UTC: the calendar of the time zone decides.
    monday_in_tokyo = datetime(2026, 11, 29, 15, 30, tzinfo=UTC)
    assert week_of(monday_in_tokyo, TOKYO) == "2026-W49"
    assert week_of(monday_in_tokyo, UTC) == "2026-W48"
    with pytest.raises(ValueError, match="timezone-aware"):
        week_of(datetime(2026, 11, 29), UTC)


@pytest.mark.parametrize(
    ("typed", "moment"),
    [
        ("2026-11-30T09:00", datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),  # Tokyo wall clock
        ("2026-11-30 09:00", datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),
        ("2026-11-30T09:00:30.5", datetime(2026, 11, 30, 0, 0, 30, 500000, tzinfo=UTC)),
        ("2026-11-30T09:00Z", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
        ("2026-11-30T09:00+01:00", datetime(2026, 11, 30, 8, 0, tzinfo=UTC)),
    ],
)
def test_datetimes_need_a_date_and_a_time(typed: str, moment: datetime) -> None:
    assert parse_datetime(typed, TOKYO) == moment
    assert parse_local_datetime(typed).replace(tzinfo=None) == datetime.fromisoformat(
        typed.replace("Z", "")
    ).replace(tzinfo=None)


@pytest.mark.parametrize("typed", ["2026-11-30", "tomorrow 9am", "09:00", "2026-13-01T09:00", ""])
def test_bad_datetimes_are_one_message(typed: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_datetime(typed, TOKYO)
    assert str(caught.value) == (
        f"{typed!r} is not an ISO 8601 datetime: it needs a date and a time, "
        "e.g. 2026-11-30T09:00 or 2026-11-30T09:00+09:00"
    )


def test_since_takes_a_date_or_a_datetime() -> None:
    assert parse_date("2026-11-30", TOKYO) == datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
    assert parse_date("2026-11-30T09:00Z", TOKYO) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_every_command_takes_the_same_weeks(paperbot: Paperbot) -> None:
    """`add --week 2020-W7` used to be refused while `import` took it; now both store 2020-W07."""
    added = paperbot("add", "https://example.org/a", "--week", "2020-W7", "--comment", "A.")
    assert added.exit_code == 0, added.stderr
    (paperbot.workdir / "list.csv").write_text("url\nhttps://example.org/b\n", encoding="utf-8")
    imported = paperbot("import", "list.csv", "--week", "2020w7")
    assert imported.exit_code == 0, imported.stderr
    for spelling in ("2020-W07", "2020-W7", "2020W07"):
        listed = paperbot.json("list", "--json", "--week", spelling)
        assert [(e["url"], e["week"]) for e in listed] == [
            ("https://example.org/a", "2020-W07"),
            ("https://example.org/b", "2020-W07"),
        ]
        assert len(paperbot.json("preview", "--json", "--week", spelling)) == 2
        assert paperbot.json("history", "--json", "--week", spelling) == []
    assert paperbot("edit", "1", "--week", "2020-W8").exit_code == 0
    assert paperbot.json("show", "1", "--json")["week"] == "2020-W08"
    digest = paperbot("digest", "--week", "2020-W7", "--output", "d.md")
    assert digest.exit_code == 0, digest.stderr
    refused = paperbot("add", "https://example.org/c", "--at", "2026-11-30")
    assert refused.exit_code == 2
    assert "needs a date and a time" in refused.stderr
