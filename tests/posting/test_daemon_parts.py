"""bot/posting/daemon_parts.py's next tick: a post awaiting a decision takes no slot, but the
daemon still wakes when it is due for another look (even with nothing else planned), on a real
database of each store; and when an idle daemon plans again without a change to the queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.channels.x.channel import XChannel
from bot.channels.x.credentials import XCredentials
from bot.posting.daemon_parts import REPLAN_EVERY, next_tick, plan_is_stale
from bot.posting.publisher import Worker
from bot.schedule.timetable import TimetableConfig
from bot.text.compose import ComposeSettings
from tests.conftest import Paperbot

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CONFIG = TimetableConfig(tz=ZoneInfo("UTC"), slots=("daily 18:00",))


def worker(paperbot: Paperbot) -> Worker:
    from bot.images.types import ImagePolicy

    channel = XChannel(XCredentials("k", "s", "t", "ts"), api_base="http://127.0.0.1:9")
    return Worker(
        engine=paperbot.engine(),
        channel=channel,
        compose_settings=ComposeSettings(),
        image_policy=ImagePolicy(),
    )


def test_a_decision_due_for_another_look_wakes_the_daemon(paperbot: Paperbot) -> None:
    work = worker(paperbot)
    assert next_tick(work, CONFIG, NOW, last_run=None, paused_at=None) == (None, None)
    clock = {"PAPERBOT_NOW": NOW.isoformat()}
    out = paperbot("add", "https://example.org/a", "--no-fetch", "--comment", "One. Two.", **clock)
    entry_id = int(out.stdout)
    relook = NOW + timedelta(minutes=15)
    paperbot.execute(
        "INSERT INTO post (entry_id, channel, status, text, media_ids, attempts, created_at,"
        " updated_at, decision_needed_at, next_attempt_at) VALUES (:e, 'x', 'posting', 'One.',"
        " '[]', 1, :now, :now, :now, :relook)",
        e=entry_id,
        now=NOW.replace(tzinfo=None),
        relook=relook.replace(tzinfo=None),
    )
    paperbot.execute("UPDATE entry SET status = 'posting' WHERE id = :e", e=entry_id)
    when, first = next_tick(work, CONFIG, NOW, last_run=None, paused_at=None)
    assert (when, first) == (relook, None)
    other = int(paperbot("add", "https://example.org/b", "--no-fetch", **clock).stdout)
    when, first = next_tick(work, CONFIG, NOW, last_run=None, paused_at=None)
    assert when == relook and first is not None and first.entry_id == other
    paperbot.execute(
        "UPDATE post SET next_attempt_at = :t", t=(NOW + timedelta(days=2)).replace(tzinfo=None)
    )
    when, first = next_tick(work, CONFIG, NOW, last_run=None, paused_at=None)
    assert when == datetime(2026, 12, 7, 18, 0, tzinfo=UTC) and first is not None
    work.engine.dispose()
    work.channel.close()


def test_a_channel_with_a_tick_ahead_is_not_planned_again_while_idle() -> None:
    # Time passing moves nothing before the tick; the tick plans again itself. (With 50,000
    # entries a plan costs seconds: every five minutes it was most of an idle daemon's CPU.)
    ahead = NOW + timedelta(hours=12)
    assert not plan_is_stale(ahead, NOW, NOW + timedelta(hours=11))
    assert plan_is_stale(ahead, None, NOW)  # never planned


def test_no_tick_or_a_tick_gone_by_is_planned_again_every_few_minutes() -> None:
    # Nothing within the horizon yet (slots roll forward), or a tick whose own plan failed.
    for tick in (None, NOW + timedelta(minutes=1)):
        later = NOW + timedelta(minutes=2)
        assert not plan_is_stale(tick, later - REPLAN_EVERY / 2, later)
        assert plan_is_stale(tick, later - REPLAN_EVERY - timedelta(seconds=1), later)
