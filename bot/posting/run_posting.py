"""Starting the poster: the daemon, or one pass over what is due (`paperbot run [--once]`).

Only one process posts from a database, so the poster lock is taken first, cheaply, before the
channel is built; a second daemon is refused unless it was asked to stand by and take over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.config.settings import DaemonSettings
    from bot.posting.engagement_job import EngagementJob, ReadSchedule
    from bot.posting.one_pass import RunSummary
    from bot.posting.publisher import Worker
    from bot.posting.staging_job import StagingJob
    from bot.schedule.timetable import TimetableConfig
    from bot.store.lease import Lease


class AlreadyPosting(RuntimeError):
    """Another process holds the poster lock (the message says which)."""


def run_posting(
    engine: Engine,
    *,
    make_workers: Callable[[], list[Worker]],
    config: TimetableConfig,
    settings: DaemonSettings,
    now: Callable[[], datetime],
    once: bool = False,
    standby: bool = False,
    reads: ReadSchedule | None = None,
) -> RunSummary | int:
    """One pass (`once`: returns its summary) or the daemon until a signal (its exit code).

    `make_workers` builds one worker per enabled channel, after the lock is taken."""
    from bot.posting.daemon_parts import limit_malloc_arenas
    from bot.store import lease

    limit_malloc_arenas()
    held = lease.try_acquire(engine, now=now())
    if held is None and not standby:
        raise AlreadyPosting(lease.refusal(engine))
    try:
        workers = make_workers()
    except BaseException:
        if held is not None:
            lease.release(engine, held, now=now())
        raise
    if held is not None:
        release_budget_holds(engine, workers, now())
    if once and held is not None:
        return run_once(engine, workers, config, held, now)
    from bot.posting.daemon import Daemon
    from bot.posting.daemon_parts import settle_heap

    settle_heap(workers, now())
    daemon = Daemon(workers=workers, config=config, settings=settings, standby=standby, lease=held)
    if held is None:  # a standby: the config it started with counts once it takes over
        daemon.on_lease = lambda: release_budget_holds(engine, workers, now())
    if reads is not None:
        daemon.reads = engagement_job(engine, reads, now)
    if settings.stage_minutes > 0:
        daemon.staging = staging_job(engine, workers, settings.stage_minutes, now)
    return daemon.run()


def release_budget_holds(engine: Engine, workers: list[Worker], now: datetime) -> None:
    """X posts held by `[x] monthly_budget` go now if the budget the poster starts with has room
    for them (raised or removed since): config is read at start, so this is when it changes (a
    standby's, when it takes over: a rolling deploy starts the new worker as one)."""
    from bot.posting.budget import release_holds

    for worker in workers:
        if worker.channel.name == "x":
            release_holds(engine, worker.x_costs, now)


def staging_job(
    engine: Engine, workers: list[Worker], minutes: float, now: Callable[[], datetime]
) -> StagingJob:
    """The daemon's uploads ahead of the slots: a shelf per worker for what was staged, and
    the reason a staging failed noted in the database for `status`."""
    from datetime import timedelta

    from bot.posting.staged import MediaShelf
    from bot.posting.staging_job import StagingJob

    for worker in workers:
        worker.shelf = MediaShelf()
    return StagingJob(timedelta(minutes=minutes), now, channel_note(engine, "staging_note", now))


def engagement_job(
    engine: Engine, reads: ReadSchedule, now: Callable[[], datetime]
) -> EngagementJob:
    """The daemon's reads of posts' counts, noting in the database what the budget skipped."""
    from bot.posting.engagement_job import EngagementJob

    return EngagementJob(reads, engine, now, channel_note(engine, "engagement_note", now))


def channel_note(
    engine: Engine, column: str, now: Callable[[], datetime]
) -> Callable[[str, str | None], None]:
    """How a daemon job records (or clears) its note on a channel for `status`."""
    from bot.store.engine import session_scope
    from bot.store.queue import note_channel

    def note(channel: str, text: str | None) -> None:
        with session_scope(engine) as session:
            note_channel(session, channel=channel, column=column, note=text, now=now())

    return note


def run_once(
    engine: Engine,
    workers: list[Worker],
    config: TimetableConfig,
    held: Lease,
    now: Callable[[], datetime],
) -> RunSummary:
    """Post what is due now under the lease `held`, record the run, and let the lease go."""
    from bot.posting.one_pass import run_all
    from bot.store import lease

    try:
        state = lease.read_state(engine)
        last_run = state.last_run_at if state else None
        summary = run_all(workers, config, now, last_run=last_run)
        lease.record_run(engine, held, now=summary.settled_until or now())
    finally:
        lease.release(engine, held, now=now())
        for worker in workers:
            worker.channel.close()
    logging.getLogger("paperbot").info("run finished: %s", summary.line())
    return summary
