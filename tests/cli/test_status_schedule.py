"""`paperbot schedule` and `paperbot status` through the in-process CLI, with the clock pinned.

The schedule tests run one queue in two time zones across 2026-10-25, the night Europe/London
leaves summer time (01:00-02:00 happens twice) while Asia/Tokyo has no DST: the plan, by entry,
must be the same local wall-clock times in both, with London's UTC offset moving from +01:00 to
+00:00. The status tests reach every state through real code paths: `paperbot post` against the
fake X API for a 429, a 400 and a 401, and the daemon's own lease functions for the heartbeat.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.store import lease
from tests.conftest import Paperbot
from tests.fakes.fake_x import FakeX
from tests.fakes.x_model import FaultMode

# Thursday of ISO week 2026-W43, three days before London's clocks go back.
PINNED = "2026-10-22T12:00:00+01:00"

SCHEDULE_CONFIG = """\
timezone = "{tz}"

[schedule]
slots = ["daily 09:00", "Sun 01:30"]
jitter_minutes = 0
posts_per_day = 1
"""


def add(paperbot: Paperbot, slug: str, *args: str) -> int:
    result = paperbot(
        "add",
        f"https://example.org/{slug}",
        "--title",
        slug.title(),
        "--comment",
        f"About {slug}.",
        *args,
    )
    assert result.exit_code == 0, result.output + result.stderr
    return int(result.stdout)


@pytest.fixture
def queue(paperbot: Paperbot, request: pytest.FixtureRequest) -> dict[str, int]:
    """Six entries queued at PINNED in the time zone given by the test's parameter.

    `old` is added first, so it has the lowest position: only the week rule can put it last.
    """
    paperbot.write_config(SCHEDULE_CONFIG.format(tz=request.param))
    paperbot.env["PAPERBOT_NOW"] = PINNED
    return {
        "old": add(paperbot, "old", "--week", "2026-W42"),
        "first": add(paperbot, "first"),
        "second": add(paperbot, "second"),
        "next-week": add(paperbot, "next-week", "--week", "2026-W44"),
        "third": add(paperbot, "third"),
        "timed": add(paperbot, "timed", "--at", "2026-10-24T15:00"),  # local time, no offset
    }


# (slug, local wall-clock time, reason): the same in both zones.
EXPECTED_PLAN = [
    ("first", "2026-10-23T09:00", "slot"),  # current week before the older leftover
    ("timed", "2026-10-24T15:00", "at"),  # counts toward Saturday's cap: 09:00 stays empty
    ("second", "2026-10-25T01:30", "slot"),  # the repeated hour in London: once, the first time
    ("next-week", "2026-10-26T09:00", "slot"),  # W44 has begun: its entry comes first now
    ("old", "2026-10-27T09:00", "slot"),  # then leftovers, oldest week first
    ("third", "2026-10-28T09:00", "slot"),
]
OFFSETS = {
    # London: BST (+01:00) until 01:00 UTC on Sunday 25 October, then GMT.
    "Europe/London": ["+01:00", "+01:00", "+01:00", "+00:00", "+00:00", "+00:00"],
    "Asia/Tokyo": ["+09:00"] * 6,
}
FREE = {
    "Europe/London": [
        "2026-10-24T09:00:00+01:00",  # Saturday: the cap is taken by the `at` entry
        "2026-10-25T09:00:00+00:00",  # Sunday: the cap is taken at 01:30
        "2026-10-29T09:00:00+00:00",  # Thursday: the queue is empty by then
    ],
    "Asia/Tokyo": [
        "2026-10-24T09:00:00+09:00",
        "2026-10-25T09:00:00+09:00",
        "2026-10-29T09:00:00+09:00",
    ],
}


@pytest.mark.parametrize("queue", ["Europe/London", "Asia/Tokyo"], indirect=True)
def test_schedule_json_across_the_dst_change(paperbot: Paperbot, queue: dict[str, int]) -> None:
    document = paperbot.json("schedule", "--json")
    tz = document["timezone"]
    assert document["now"] == datetime.fromisoformat(PINNED).astimezone(ZoneInfo(tz)).isoformat()
    expected = [
        {
            "when": f"{local}:00{offset}",
            "entry_id": queue[slug],
            "reason": reason,
            "title": slug.title(),
            "url": f"https://example.org/{slug}",
            "week": {"old": "2026-W42", "next-week": "2026-W44"}.get(slug, "2026-W43"),
            # Each goes to X with its link and no image: X bills post_with_link.
            "x_cost": 0.2,
            "x_saving": 0.0,
        }
        for (slug, local, reason), offset in zip(EXPECTED_PLAN, OFFSETS[tz], strict=True)
    ]
    assert document["posts"] == expected
    assert document["x_cost_total"] == 1.2
    assert document["free_slots"] == FREE[tz]
    # Every instant is real and in order: no post twice in London's repeated hour.
    instants = [datetime.fromisoformat(p["when"]) for p in document["posts"]]
    assert instants == sorted(instants)
    assert len(set(instants)) == len(instants)
    if tz == "Europe/London":
        sunday = datetime.fromisoformat(document["posts"][2]["when"])
        assert sunday.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("queue", ["Europe/London", "Asia/Tokyo"], indirect=True)
def test_schedule_week_view_for_people(paperbot: Paperbot, queue: dict[str, int]) -> None:
    result = paperbot("schedule")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    rows = [line for line in lines if line.startswith("│")]
    cells = [[cell.strip() for cell in row.strip("│").split("│")] for row in rows]
    assert cells == [
        ["Fri 23 Oct", "09:00", str(queue["first"]), "First", "slot", "$0.20"],
        ["Sat 24 Oct", "15:00", str(queue["timed"]), "Timed", "at", "$0.20"],
        ["Sun 25 Oct", "01:30", str(queue["second"]), "Second", "slot", "$0.20"],
        ["Mon 26 Oct", "09:00", str(queue["next-week"]), "Next-Week", "slot", "$0.20"],
        ["Tue 27 Oct", "09:00", str(queue["old"]), "Old", "slot", "$0.20"],
        ["Wed 28 Oct", "09:00", str(queue["third"]), "Third", "slot", "$0.20"],
    ]
    assert "Plan for the next 7 days" in result.stdout
    assert lines[-1] == "6 posts planned, 3 free slots; on X $1.20."


@pytest.mark.parametrize("queue", ["Europe/London"], indirect=True)
def test_schedule_days_limits_the_horizon_and_skipped_entries_leave_it(
    paperbot: Paperbot, queue: dict[str, int]
) -> None:
    # Two days from Thursday noon: Friday 09:00 and Saturday 09:00. The `at` entry at 15:00 on
    # Saturday is past the horizon, yet it still takes Saturday's room under the cap, as it will
    # when the daemon gets there: a shorter view must not promise a post the daemon won't make.
    document = paperbot.json("schedule", "--days", "2", "--json")
    assert [p["entry_id"] for p in document["posts"]] == [queue["first"]]
    assert document["free_slots"] == ["2026-10-24T09:00:00+01:00"]

    assert paperbot("skip", str(queue["first"])).exit_code == 0
    document = paperbot.json("schedule", "--days", "2", "--json")
    assert [p["entry_id"] for p in document["posts"]] == [queue["second"]]

    result = paperbot("schedule", "--days", "0")
    assert result.exit_code == 2


def test_schedule_of_an_empty_queue_lists_only_free_slots(paperbot: Paperbot) -> None:
    paperbot.write_config(SCHEDULE_CONFIG.format(tz="Asia/Tokyo"))
    paperbot.env["PAPERBOT_NOW"] = PINNED
    document = paperbot.json("schedule", "--days", "3", "--json")
    assert document["posts"] == []
    assert document["free_slots"] == [
        "2026-10-23T09:00:00+09:00",
        "2026-10-24T09:00:00+09:00",
        "2026-10-25T01:30:00+09:00",
        "2026-10-25T09:00:00+09:00",
    ]
    result = paperbot("schedule", "--days", "3")
    assert result.stdout.splitlines()[-1] == "0 posts planned, 4 free slots."


# --- status ---------------------------------------------------------------------------------------

STATUS_CONFIG = """\
timezone = "Europe/London"

[schedule]
slots = ["daily 09:00"]
jitter_minutes = 0

[daemon]
stale_after_seconds = 30
"""


@pytest.fixture
def fake() -> Iterator[FakeX]:
    with FakeX() as fake:
        yield fake


@pytest.fixture
def clock(paperbot: Paperbot, fake: FakeX) -> Iterator[datetime]:
    """A pinned clock near the real one (the fake X stamps and resets by real time)."""
    paperbot.write_config(STATUS_CONFIG)
    now = datetime.now(UTC).replace(microsecond=0)
    paperbot.env.update(
        {
            "PAPERBOT_NOW": now.isoformat(),
            "PAPERBOT_X_API_BASE": fake.url,
            "X_API_KEY": fake.consumer_key,
            "X_API_SECRET": fake.consumer_secret,
            "X_ACCESS_TOKEN": fake.access_token,
            "X_ACCESS_TOKEN_SECRET": fake.access_token_secret,
        }
    )
    yield now


def local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Europe/London")).isoformat()


def status(paperbot: Paperbot, now: datetime | None = None) -> dict[str, Any]:
    env = {"PAPERBOT_NOW": now.isoformat()} if now is not None else {}
    result = paperbot("status", "--json", **env)
    assert result.exit_code == 0, result.output + result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_status_counts_and_next_post(paperbot: Paperbot) -> None:
    paperbot.write_config(STATUS_CONFIG)
    paperbot.env["PAPERBOT_NOW"] = PINNED  # Thursday 12:00 in London; slots daily at 09:00
    assert status(paperbot) == {
        "daemon": {
            "running": False,
            "pid": None,
            "started_at": None,
            "heartbeat_at": None,
            "stopped_at": None,
            "last_run_at": None,
        },
        "next_post": None,
        "counts": {"queued": 0, "posting": 0, "posted": 0, "failed": 0, "skipped": 0},
        "needs_decision": {"count": 0, "posts": []},
        "channels": {},
        "last_error": None,
        "costs": {
            "x": {
                "month": "2026-10",
                "spent": 0.0,
                "budget": None,
                "held": 0,
                "resume_on": None,
                "message": None,
            }
        },
    }
    later = add(paperbot, "later")  # waits for Friday's 09:00 slot
    timed = add(paperbot, "timed", "--at", "2026-10-22T14:00")
    skipped = add(paperbot, "skipped")
    assert paperbot("skip", str(skipped)).exit_code == 0

    document = status(paperbot)
    assert document["counts"] == {"queued": 2, "posting": 0, "posted": 0, "failed": 0, "skipped": 1}
    assert document["next_post"] == {
        "when": "2026-10-22T14:00:00+01:00",
        "entry_id": timed,
        "title": "Timed",
        "url": "https://example.org/timed",
    }
    assert paperbot("edit", str(timed), "--no-at").exit_code == 0  # now it waits for a slot too
    document = status(paperbot)
    assert document["next_post"]["entry_id"] == later  # first in the queue
    assert document["next_post"]["when"] == "2026-10-23T09:00:00+01:00"
    human = paperbot("status").stdout
    assert "daemon: not running\n" in human
    assert f"next post: 2026-10-23T09:00:00+01:00 entry {later} Later" in human
    assert "queue: queued 2, posting 0, posted 0, failed 0, skipped 1" in human
    assert "last error" not in human


def test_status_follows_the_daemon_lease(paperbot: Paperbot, clock: datetime) -> None:
    engine = paperbot.engine()
    held = lease.acquire(engine, now=clock - timedelta(seconds=5))
    daemon = status(paperbot)["daemon"]
    assert daemon["running"] is True
    assert daemon["pid"] == os.getpid()
    assert daemon["started_at"] == local(clock - timedelta(seconds=5))
    assert daemon["heartbeat_at"] == local(clock - timedelta(seconds=5))

    lease.heartbeat(engine, held, now=clock)
    lease.record_run(engine, held, now=clock)
    # 29 s after the last heartbeat the daemon is alive; 30 s after, it is presumed dead.
    assert status(paperbot, clock + timedelta(seconds=29))["daemon"]["running"] is True
    dead = status(paperbot, clock + timedelta(seconds=30))["daemon"]
    assert dead["running"] is False
    assert dead["pid"] is None
    assert dead["last_run_at"] == local(clock)
    result = paperbot("status", PAPERBOT_NOW=(clock + timedelta(seconds=30)).isoformat())
    assert result.stdout.startswith("daemon: not running")

    lease.release(engine, held, now=clock + timedelta(seconds=1))
    daemon = status(paperbot)["daemon"]
    assert daemon["running"] is False
    assert daemon["stopped_at"] == local(clock + timedelta(seconds=1))
    assert daemon["heartbeat_at"] is None
    result = paperbot("status")
    assert result.stdout.startswith(
        f"daemon: not running (stopped {local(clock + timedelta(seconds=1))})"
    )
    engine.dispose()


def test_status_shows_the_rate_limit_wait(paperbot: Paperbot, fake: FakeX, clock: datetime) -> None:
    at = clock + timedelta(minutes=10)
    entry_id = add(paperbot, "limited", "--at", at.isoformat())
    reset = int(max(time.time(), clock.timestamp())) + 3600
    fake.fail_next("create_tweet", FaultMode.RATE_LIMITED, reset=reset)
    result = paperbot("post", str(entry_id))
    assert result.exit_code == 1
    assert "rate limited until" in result.stderr

    until = datetime.fromtimestamp(reset, UTC)
    document = status(paperbot)
    assert document["channels"]["x"]["rate_limited_until"] == local(until)
    assert document["channels"]["x"]["paused_reason"] is None
    assert document["counts"]["queued"] == 1
    # The entry waits for the reset, not for its own `at`.
    assert document["next_post"]["entry_id"] == entry_id
    assert document["next_post"]["when"] == local(until)
    assert document["last_error"].startswith(f"entry {entry_id}: X rate limit reached")
    human = paperbot("status").stdout
    assert f"X rate limit: waiting until {local(until)}" in human

    # Once the reset has passed, the wait is no longer shown.
    after = status(paperbot, until + timedelta(seconds=1))
    assert after["channels"]["x"]["rate_limited_until"] is None
    assert fake.posts == []


def test_status_shows_the_pause_and_the_last_error(
    paperbot: Paperbot, fake: FakeX, clock: datetime
) -> None:
    rejected = add(paperbot, "rejected")
    paused = add(paperbot, "paused")
    fake.fail_next("create_tweet", FaultMode.INVALID, message="Your media IDs are invalid.")
    result = paperbot("post", str(rejected))
    assert result.exit_code == 1
    failed = status(paperbot)
    assert failed["counts"]["failed"] == 1
    assert failed["last_error"] == (
        f"entry {rejected}: X refused the request while posting (400: Your media IDs are invalid.)"
    )
    assert failed["channels"]["x"]["paused_reason"] is None

    fake.fail_next("create_tweet", FaultMode.UNAUTHORIZED)
    one_minute_later = (clock + timedelta(minutes=1)).isoformat()
    result = paperbot("post", str(paused), PAPERBOT_NOW=one_minute_later)
    assert result.exit_code == 1
    assert "posting is paused" in result.stderr

    document = status(paperbot, clock + timedelta(minutes=2))
    x = document["channels"]["x"]
    assert x["paused_reason"]
    assert x["paused_at"] == local(clock + timedelta(minutes=1))
    assert document["counts"] == {"queued": 1, "posting": 0, "posted": 0, "failed": 1, "skipped": 0}
    # The newest error wins: the rejected credentials, not the older invalid request.
    assert document["last_error"] == f"entry {paused}: {x['paused_reason']}"
    # Nothing goes out on a paused channel: no "next post" for it.
    assert document["next_post"] is None
    result = paperbot("status", PAPERBOT_NOW=(clock + timedelta(minutes=2)).isoformat())
    human = " ".join(result.stdout.split())  # rich wraps long lines at the terminal width
    assert "next post: none planned (x paused)" in human
    assert f"X paused: {x['paused_reason']}" in human
    assert f"last error: entry {paused}:" in human
    assert "queue: queued 1, posting 0, posted 0, failed 1, skipped 0" in human
    assert fake.posts == []
