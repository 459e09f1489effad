"""What is due now, and one pass over it: the shared core of `run --once`, `post` and the daemon.

Planning is the pure timetable's job; this module only reads the queue into its terms and hands
each due entry to the worker, stopping early when asked (a signal) or when the channel pauses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.posting.outcome import ChannelPaused, Outcome
from bot.posting.publisher import Worker
from bot.schedule.weeks import week_of
from bot.store.engine import session_scope
from bot.store.models import Entry, EntryStatus, Post, PostStatus

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.schedule.timetable import Assignment, TimetableConfig

log = logging.getLogger("paperbot")


@dataclass
class RunSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    paused: str | None = None
    settled_until: datetime | None = None  # the `last_run` to store (see timetable)

    def count(self, result: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result == result)

    def line(self) -> str:
        parts = [
            f"{self.count(r)} {r}" for r in ("posted", "settled", "retry", "failed", "waiting")
        ]
        if self.count("needs-decision"):
            parts.append(f"{self.count('needs-decision')} needing a decision (`paperbot status`)")
        return ", ".join(parts)


def plan_entries(engine: Engine, channel: str) -> list[Any]:
    """The queue in the timetable's terms (queued entries, and those left `posting`).

    A post awaiting the operator's decision (bot/posting/decisions.py) keeps its entry out of the
    plan,
    so it takes no slot while the rest of the queue goes on. Dry runs leave entries queued; an
    entry already dry-run since its last edit is left out of a dry-run plan, so a dry-run daemon
    records each entry once instead of at every slot.
    """
    from sqlmodel import col, select

    from bot.schedule.timetable import PlanEntry
    from bot.store.queue import DRY_RUN_CHANNEL

    with session_scope(engine, write=False) as session:
        undecided = (
            select(Post.id)
            .where(
                col(Post.entry_id) == col(Entry.id),
                Post.channel == channel,
                Post.status == PostStatus.POSTING.value,
                col(Post.decision_needed_at).is_not(None),
            )
            .exists()
        )
        query = select(Entry).where(
            col(Entry.status).in_([EntryStatus.QUEUED.value, EntryStatus.POSTING.value]),
            ~undecided,
        )
        if channel == DRY_RUN_CHANNEL:
            rehearsed = (
                select(Post.id)
                .where(
                    col(Post.entry_id) == col(Entry.id),
                    Post.channel == DRY_RUN_CHANNEL,
                    col(Post.created_at) >= col(Entry.updated_at),
                )
                .exists()
            )
            query = query.where(~rehearsed)
        rows = session.exec(query).all()
        return [
            PlanEntry(
                id=entry.id or 0,
                position=entry.position,
                week=entry.week,
                at=entry.at,
                next_attempt_at=entry.next_attempt_at,
            )
            for entry in rows
        ]


def recent_post_times(engine: Engine, channel: str, now: datetime) -> list[datetime]:
    """When this channel posted in the last two days (for the daily cap and the 24 h limit)."""
    from sqlmodel import col, select

    with session_scope(engine, write=False) as session:
        rows = session.exec(
            select(Post.posted_at).where(
                Post.channel == channel,
                Post.status == PostStatus.POSTED.value,
                col(Post.posted_at) >= now - timedelta(days=2),
            )
        ).all()
    return [moment for moment in rows if moment is not None]


def make_plan(
    engine: Engine,
    config: TimetableConfig,
    now: datetime,
    *,
    channel: str,
    last_run: datetime | None,
    horizon: timedelta = timedelta(days=7),
) -> list[Assignment]:
    from bot.schedule.timetable import plan

    return plan(
        config,
        now,
        plan_entries(engine, channel),
        current_week=week_of(now, config.tz),
        recent_posts=recent_post_times(engine, channel, now),
        horizon=horizon,
        last_run=last_run,
    )


def run_due(
    worker: Worker,
    config: TimetableConfig,
    now: Callable[[], datetime],
    *,
    last_run: datetime | None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RunSummary:
    """Settle unknown outcomes, then post everything due now, one after another."""
    summary = RunSummary()
    try:
        summary.outcomes.extend(worker.settle(now()))
    except ChannelPaused as paused:
        summary.paused = str(paused)
        return summary
    except Exception as exc:  # ChannelError while reading the timeline: post nothing unsure
        log.warning("could not settle earlier attempts: %s", exc)
    from bot.schedule.timetable import settled_until

    started = now()
    assignments = make_plan(
        worker.engine, config, started, channel=worker.channel.name, last_run=last_run
    )
    summary.settled_until = settled_until(assignments, started)
    for assignment in [a for a in assignments if a.when <= started]:
        if should_stop():
            log.info("stopping before entry %s as asked", assignment.entry_id)
            break
        try:
            outcome = worker.post(assignment.entry_id, now())
        except ChannelPaused as paused:
            summary.paused = str(paused)
            break
        summary.outcomes.append(outcome)
        if outcome.result == "waiting":
            break  # rate limited: nothing else can go out before the reset
    return summary
