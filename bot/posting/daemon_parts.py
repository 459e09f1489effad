"""The daemon's helpers that need none of its state (split from bot/posting/daemon.py): when a
channel's next tick is, SQLite's change counter, exiting at once, and handing memory back."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from bot.posting.one_pass import make_plan
from bot.store import lease

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.posting.publisher import Worker
    from bot.schedule.timetable import Assignment, TimetableConfig

log = logging.getLogger("paperbot")
REPLAN_EVERY = timedelta(minutes=5)  # look again without changes (see plan_is_stale)
# A tick starts this early: settling, planning and composing done, only the send is at the slot.
AHEAD = timedelta(seconds=2)
PLAN_KEPT = 50  # of a channel's plan, what the staging job may look at
STANDBY_POLL_SECONDS = 1.0  # how often a standby daemon tries the poster lock
RECHECK_SECONDS = 60.0  # PostgreSQL: read the change counter at least this often anyway


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


def close_channels(workers: Sequence[Worker]) -> None:
    """Release every channel's connections (the daemon is done with them)."""
    for worker in workers:
        worker.channel.close()


def log_pause(name: str, reason: str | None) -> None:
    """Say why a channel paused (credentials rejected) and what fixes it."""
    if reason:
        log.error(
            "%s channel paused: %s (fix the credentials in .env, then restart the daemon; "
            "`paperbot check` confirms them)",
            name,
            reason,
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
    keep_plan: Callable[[list[Assignment]], None] | None = None,
) -> tuple[datetime | None, Assignment | None]:
    """When the channel's next tick is due, and the assignment it is for (None, None: none;
    a time without an assignment: only another look at posts awaiting a decision).

    Never before the channel's rate limit ends; while it is paused, only now and then.
    ``keep_plan`` is given the channel's plan (the staging job's list of what comes next).
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
    if keep_plan is not None:
        keep_plan(plan[:PLAN_KEPT])
    relook = worker.next_relook()  # posts awaiting a decision take no slot but are looked at
    if not plan and relook is None:
        return None, None
    when = min(w for w in (plan[0].when if plan else None, relook) if w is not None)
    waiting = worker.rate_limited_until(now)
    if waiting is not None and when < waiting:
        when = waiting
    if paused_at is not None:
        # Nothing can go out until the credentials change: look again now and then, not at
        # every poll (each look logs the pause as an error).
        when = max(when, paused_at + REPLAN_EVERY)
    return when, plan[0] if plan else None


def plan_is_stale(next_tick: datetime | None, planned_at: datetime | None, now: datetime) -> bool:
    """Whether a channel is planned again although the queue did not change.

    A channel with a tick ahead needs no fresh plan: time passing moves nothing before that
    tick (slots, `at` times, rate limits, pauses and posts awaiting a decision are all in the
    plan that chose it), and the tick plans again when it runs. With 50,000 entries queued a
    plan costs seconds of CPU: done every five minutes it was most of an idle daemon's cost.
    Planned again every REPLAN_EVERY: a channel with no tick (nothing within the plan's
    horizon yet: slots roll forward into it), and one whose tick time passed without a new plan
    (that plan failed; the failure was logged).
    """
    if planned_at is None:
        return True
    if next_tick is not None and next_tick > now:
        return False
    return now - planned_at > REPLAN_EVERY


class QueueChanges:
    """The queue's change counter (bot/store/queue_changes.py), read on one connection kept open
    (autocommit, so a PostgreSQL session never sits idle in a transaction between polls).

    On PostgreSQL the connection LISTENs for the writers' NOTIFY, and a poll asks the server
    only when one arrived (or every RECHECK_SECONDS, should one ever be missed): an idle poll
    reads the socket's buffer and sends nothing. SQLite reads the counter at every poll (one
    page of a local file).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Any = None
        self._counter: int | None = None
        self._read_at = 0.0
        self._notified = True

    def read(self) -> int | None:
        """The counter; None when the row is missing (the caller then re-plans to be safe)."""
        import time

        from bot.store.queue_changes import read_counter

        try:
            if self._connection is None:
                self._open()
            listening = self.engine.dialect.name == "postgresql"
            if listening and not self._notified:
                self._drain()
            fresh = time.monotonic() - self._read_at < RECHECK_SECONDS
            if listening and not self._notified and fresh and self._counter is not None:
                return self._counter
            self._notified = False
            cursor = self._connection.cursor()
            try:
                self._counter = read_counter(cursor)
            finally:
                cursor.close()
            self._read_at = time.monotonic()
            return self._counter
        except Exception:
            self.close()  # a dropped connection: open a new one at the next poll
            raise

    def _open(self) -> None:
        connection = self.engine.raw_connection()
        self._connection = connection
        self._notified = True  # anything may have changed while we were not listening
        if self.engine.dialect.name == "postgresql":
            from bot.store.queue_changes import NOTIFY_CHANNEL

            driver = connection.driver_connection
            driver.autocommit = True  # type: ignore[union-attr]
            driver.add_notify_handler(self._on_notify)  # type: ignore[union-attr]
            driver.execute(f"LISTEN {NOTIFY_CHANNEL}")  # type: ignore[union-attr]

    def _on_notify(self, _notify: Any) -> None:
        self._notified = True  # one that arrived while psycopg ran a statement of ours

    def _drain(self) -> None:
        """Take what notifications the server sent, without sending anything (never blocks)."""
        pgconn = self._connection.driver_connection.pgconn
        pgconn.consume_input()
        while pgconn.notifies() is not None:
            self._notified = True

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


M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Let the daemon's threads share `arenas` malloc arenas instead of one each (glibc makes up
    to eight per core): a pool thread that once held an image's bytes keeps its own arena's
    free pages otherwise. Called before any thread starts; glibc only, elsewhere a no-op."""
    import contextlib
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas)


def settle_heap(workers: Sequence[Worker], now: datetime) -> None:
    """At start: load every channel's SDK (``Preloading``), collect, then freeze what lives now
    (modules, SDK models: a daemon keeps them to the end) out of the garbage collector's sight.
    A full collection then walks only what was made since: about 0.1 ms instead of 60-120 ms
    with atproto's models, a pause that used to land on another channel's post in flight."""
    import gc

    from bot.channels.staging import Preloading

    for worker in workers:
        if isinstance(worker.channel, Preloading):
            try:
                worker.channel.preload(now)
            except Exception as exc:  # its first post loads it then, as before
                log.warning("could not load %s's SDK ahead: %s", worker.channel.name, exc)
    gc.collect()
    gc.freeze()


def release_memory(busy: Iterable[threading.Lock] = ()) -> None:
    """Hand memory freed by a tick (image bytes, one-off regex compiles) back to the OS, so a
    daemon idling for days keeps a small footprint. Not while any of ``busy`` is held (another
    channel's post on its way: the collection would hold the interpreter). glibc only."""
    import contextlib
    import ctypes
    import gc

    if any(lock.locked() for lock in busy):
        return
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
