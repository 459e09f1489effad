"""The daemon's helpers that need none of its state (split from bot/posting/daemon.py): when a
channel's next tick is, SQLite's change counter, exiting at once, and handing memory back."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from bot.posting.one_pass import make_plan
from bot.store import lease

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.posting.publisher import Worker
    from bot.schedule.timetable import Assignment, TimetableConfig

log = logging.getLogger("paperbot")
REPLAN_EVERY = timedelta(minutes=5)  # re-plan even without changes (slots roll forward)
STANDBY_POLL_SECONDS = 1.0  # how often a standby daemon tries the poster lock


def utc_now() -> datetime:
    return datetime.now(UTC)


def log_totals(totals: dict[str, int]) -> None:
    """The daemon's last line: what it did over its life."""
    log.info(
        "daemon stopped: %d posted, %d settled, %d retried, %d failed",
        totals.get("posted", 0),
        totals.get("settled", 0),
        totals.get("retry", 0),
        totals.get("failed", 0),
    )


def take_lease(
    engine: Engine, clock: Callable[[], datetime], *, standby: bool, stop: threading.Event
) -> lease.Lease | None:
    """The poster lock now, or (`standby`) as soon as its holder is gone; None when refused
    (logged) or stopped while standing by."""
    held = lease.try_acquire(engine, now=clock())
    if held is not None:
        return held
    if not standby:
        log.error("%s", lease.refusal(engine))
        return None
    log.info(
        "standing by: another paperbot daemon holds this database (%s); taking over when it stops",
        lease.holder(engine),
    )
    while not stop.wait(timeout=STANDBY_POLL_SECONDS):
        held = lease.try_acquire(engine, now=clock())
        if held is not None:
            log.info("taking over: the previous daemon is gone")
            return held
    log.info("stopped while standing by")
    return None


def next_tick(
    worker: Worker,
    config: TimetableConfig,
    now: datetime,
    *,
    last_run: datetime | None,
    paused_at: datetime | None,
) -> tuple[datetime | None, Assignment | None]:
    """When the channel's next tick is due, and the assignment it is for (None, None: none).

    Never before the channel's rate limit ends; while it is paused, only now and then.
    Raises what planning raises (the caller logs it and keeps the old tick).
    """
    plan = make_plan(
        worker.engine,
        config,
        now,
        channel=worker.channel.name,
        last_run=last_run,
        horizon=timedelta(days=8),
    )
    if not plan:
        return None, None
    when = plan[0].when
    waiting = worker.rate_limited_until(now)
    if waiting is not None and when < waiting:
        when = waiting
    if paused_at is not None:
        # Nothing can go out until the credentials change: look again now and then, not at
        # every poll (each look logs the pause as an error).
        when = max(when, paused_at + REPLAN_EVERY)
    return when, plan[0]


class QueueChanges:
    """The queue's change counter (bot/store/queue_changes.py), read on one connection kept open
    (autocommit, so a PostgreSQL session never sits idle in a transaction between polls)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Any = None

    def read(self) -> int | None:
        """The counter; None when it cannot be read (the caller then re-plans to be safe)."""
        from bot.store.queue_changes import read_counter

        if self._connection is None:
            connection = self.engine.raw_connection()
            if self.engine.dialect.name == "postgresql":
                connection.driver_connection.autocommit = True  # type: ignore[union-attr]
            self._connection = connection
        try:
            cursor = self._connection.cursor()
            try:
                return read_counter(cursor)
            finally:
                cursor.close()
        except Exception:
            self.close()  # a dropped connection: open a new one at the next poll
            raise

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
            except Exception as exc:
                log.debug("closing the watch connection: %s", exc)


def exit_now(engine: Engine, held: lease.Lease | None, now: datetime) -> NoReturn:
    """Exit at once without waiting for the post in hand (its thread cannot be stopped, and
    interpreter shutdown would join it). The row is marked stopped first; the lock is released
    by the kernel (or PostgreSQL) as the process ends, at the same instant as the post in hand,
    so a successor can never overlap it."""
    import sys

    log.warning("second signal: exiting at once")
    if held is not None:
        try:
            lease.mark_stopped(engine, held, now=now)
        except Exception as exc:
            log.warning("could not mark the daemon stopped: %s", exc)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(1)


def release_memory() -> None:
    """Hand memory freed by a tick (image bytes, one-off regex compiles) back to the OS, so a
    daemon idling for days keeps a small footprint. glibc only; elsewhere a no-op."""
    import contextlib
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
