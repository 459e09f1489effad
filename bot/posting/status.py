"""`paperbot status`: the daemon's heartbeat, the next post, queue counts, pauses and waits.

Built from a reader (bot/store/reader.py) and plain settings, so it runs without the ORM on SQLite
and
is callable without the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.posting.planning import plan_queue
from bot.store.documents import iso
from bot.store.liveness import owner_gone
from bot.store.money import budget_message, month_bounds, usd
from bot.store.reader import ENTRY_STATUSES

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bot.schedule.timetable import TimetableConfig
    from bot.store.read_records import ChannelRecord, DaemonRecord
    from bot.store.reader import Reader

#: How far ahead `status` looks for the next post.
NEXT_POST_HORIZON = timedelta(days=14)


def queue_counts(reader: Reader) -> dict[str, int]:
    """Entries per status, every status present (0 when none): the one place status counts."""
    counts = dict.fromkeys(ENTRY_STATUSES, 0)
    counts.update(reader.count_by_status())
    return counts


def gather_status(
    reader: Reader,
    *,
    config: TimetableConfig,
    stale_after: timedelta,
    now: datetime,
    tz: ZoneInfo,
    channels: Sequence[str] = ("x",),
    x_budget: int | None = None,
) -> dict[str, Any]:
    """`status`: `next_post` is the earliest of the enabled `channels` that are not paused (a
    paused channel posts nothing until its credentials change: no "next post" for it);
    `x_budget` is `[x] monthly_budget` in micro-dollars (None: no budget)."""
    daemon = reader.daemon_state()
    last_failed = reader.last_failed_entry()
    last_error = daemon.last_error if daemon else None
    if last_failed is not None and last_failed.last_error:
        last_error = f"entry {last_failed.id}: {last_failed.last_error}"
    return {
        "daemon": _daemon(daemon, now, stale_after, tz),
        "next_post": _next_post(reader, config, now, daemon, tz, channels),
        "counts": queue_counts(reader),
        # Posts whose outcome is unknown and cannot be looked up: `paperbot resolve` them.
        "needs_decision": _decisions(reader, tz),
        "channels": {s.channel: _channel(s, now, tz) for s in reader.channel_states()},
        "last_error": last_error,
        "costs": {"x": x_costs(reader, now, x_budget)},
    }


def x_costs(reader: Reader, now: datetime, budget: int | None) -> dict[str, Any]:
    """What X cost this UTC month, the budget, and the posts the budget holds until the next
    month (with the message `status` prints about them)."""
    start, end = month_bounds(now)
    spent = reader.x_spent(start, end)
    held = [p for p in reader.budget_held_posts() if p.next_attempt_at and p.next_attempt_at > now]
    reached = bool(held) and budget is not None
    return {
        "month": f"{start:%Y-%m}",
        "spent": usd(spent),
        "budget": None if budget is None else usd(budget),
        "held": len(held),
        "resume_on": f"{end:%Y-%m-%d}" if reached else None,
        "message": budget_message(spent, budget, now) if reached and budget else None,
    }


def _daemon(
    daemon: DaemonRecord | None, now: datetime, stale_after: timedelta, tz: ZoneInfo
) -> dict[str, Any]:
    running = (
        daemon is not None
        and daemon.owner is not None
        and daemon.heartbeat_at is not None
        and now - daemon.heartbeat_at < stale_after
        # The heartbeat only informs: a poster on this host whose process is gone (SIGKILL)
        # is shown as not running at once, instead of once its heartbeat has aged.
        and not owner_gone(daemon.owner)
    )
    return {
        "running": running,
        "pid": daemon.pid if daemon and running else None,
        "started_at": iso(daemon.started_at, tz) if daemon and running else None,
        "heartbeat_at": iso(daemon.heartbeat_at, tz) if daemon else None,
        "stopped_at": iso(daemon.stopped_at, tz) if daemon else None,
        "last_run_at": iso(daemon.last_run_at, tz) if daemon else None,
    }


def _decisions(reader: Reader, tz: ZoneInfo) -> dict[str, Any]:
    posts = [
        {
            "entry_id": post.entry_id,
            "channel": post.channel,
            "since": iso(post.decision_needed_at, tz),
            "reason": post.last_error,
        }
        for post in reader.undecided_posts()
    ]
    return {"count": len(posts), "posts": posts}


def _channel(state: ChannelRecord, now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    waiting = state.rate_limited_until
    return {
        "paused_reason": state.paused_reason,
        "paused_at": iso(state.paused_at, tz),
        "rate_limited_until": iso(waiting, tz) if waiting and waiting > now else None,
        # Why due engagement reads were left unread (the X budget): posts are never skipped.
        "engagement_note": state.engagement_note,
        # Why figures could not be uploaded ahead of their slot (they go at the slot).
        "staging_note": state.staging_note,
    }


def _next_post(
    reader: Reader,
    config: TimetableConfig,
    now: datetime,
    daemon: DaemonRecord | None,
    tz: ZoneInfo,
    channels: Sequence[str],
) -> dict[str, Any] | None:
    paused = {state.channel for state in reader.channel_states() if state.paused_reason}
    first = None
    for channel in channels:
        if channel in paused:
            continue
        plan = plan_queue(
            reader,
            config,
            now,
            channel=channel,
            last_run=daemon.last_run_at if daemon else None,
            horizon=NEXT_POST_HORIZON,
        )
        if plan and (first is None or plan[0].when < first.when):
            first = plan[0]
    if first is None:
        return None
    entry = reader.entries_by_id([first.entry_id]).get(first.entry_id)
    return {
        "when": iso(first.when, tz),
        "entry_id": first.entry_id,
        "title": entry.title if entry else "",
        "url": entry.url if entry else "",
    }
