"""`paperbot status`: the daemon's heartbeat, the next post, queue counts, pauses and waits."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.store.documents import iso
from bot.store.engine import session_scope
from bot.store.lease import owner_gone
from bot.store.models import ChannelState, DaemonState, Entry, Post, PostStatus

if TYPE_CHECKING:
    from bot.cli.context import App


def gather_status(app: App) -> dict[str, Any]:
    from sqlalchemy import func
    from sqlmodel import col, select

    from bot.config import timetable_config
    from bot.posting.one_pass import make_plan

    now = app.now()
    tz = app.tz
    stale = timedelta(seconds=app.settings.daemon.stale_after_seconds)
    with session_scope(app.engine, write=False) as session:
        daemon = session.get(DaemonState, 1) or DaemonState(id=1)
        counts = {status: 0 for status in ("queued", "posting", "posted", "failed", "skipped")}
        for status, count in session.exec(
            select(Entry.status, func.count()).group_by(col(Entry.status))
        ).all():
            counts[status] = count
        channels = {
            state.channel: {
                "paused_reason": state.paused_reason,
                "paused_at": iso(state.paused_at, tz),
                "rate_limited_until": iso(state.rate_limited_until, tz)
                if state.rate_limited_until and state.rate_limited_until > now
                else None,
            }
            for state in session.exec(select(ChannelState)).all()
        }
        undecided = session.exec(
            select(Post)
            .where(
                Post.status == PostStatus.POSTING.value,
                col(Post.decision_needed_at).is_not(None),
            )
            .order_by(col(Post.entry_id))
        ).all()
        decisions = [
            {
                "entry_id": post.entry_id,
                "channel": post.channel,
                "since": iso(post.decision_needed_at, tz),
                "reason": post.last_error,
            }
            for post in undecided
        ]
        last_failed = session.exec(
            select(Entry)
            .where(col(Entry.last_error).is_not(None))
            .order_by(col(Entry.updated_at).desc())
        ).first()
    # The heartbeat row only informs; a poster on this host whose process is gone (SIGKILL)
    # is shown as not running at once, instead of once its heartbeat has aged.
    running = (
        daemon.owner is not None
        and daemon.heartbeat_at is not None
        and now - daemon.heartbeat_at < stale
        and not owner_gone(daemon.owner)
    )
    plan = make_plan(
        app.engine,
        timetable_config(app.settings),
        now,
        channel="x",
        last_run=daemon.last_run_at,
        horizon=timedelta(days=14),
    )
    next_post = None
    if plan:
        first = plan[0]
        with session_scope(app.engine, write=False) as session:
            entry = session.get(Entry, first.entry_id)
        next_post = {
            "when": iso(first.when, tz),
            "entry_id": first.entry_id,
            "title": entry.title if entry else "",
            "url": entry.url if entry else "",
        }
    last_error = daemon.last_error
    if last_failed is not None and last_failed.last_error:
        last_error = f"entry {last_failed.id}: {last_failed.last_error}"
    return {
        "daemon": {
            "running": running,
            "pid": daemon.pid if running else None,
            "started_at": iso(daemon.started_at, tz) if running else None,
            "heartbeat_at": iso(daemon.heartbeat_at, tz),
            "stopped_at": iso(daemon.stopped_at, tz),
            "last_run_at": iso(daemon.last_run_at, tz),
        },
        "next_post": next_post,
        "counts": counts,
        # Posts whose outcome is unknown and cannot be looked up: `paperbot resolve` them.
        "needs_decision": {"count": len(decisions), "posts": decisions},
        "channels": channels,
        "last_error": last_error,
    }
