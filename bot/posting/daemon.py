"""The daemon: APScheduler drives the timetable (the only module that imports APScheduler).

Jobs on a background scheduler, while the main thread only waits for a signal:
- `tick:<channel>` (a date job `AHEAD` of that channel's next due time, one per channel, each
  with its own lock, so a channel that is down, paused or rate-limited never holds the others
  back): settle, prepare what is due, send it at its time, plan the next tick;
- `watch` (every few seconds): if the queue changed (its change counter moved: never the
  daemon's own heartbeat), re-plan: entries added from the CLI are picked up without restart;
- `heartbeat`: refresh the row `status` reads (liveness is the poster lock, bot/store/lease.py);
- `engagement`, `staging:<channel>`: read posts' counts on idle channels, upload figures before
  their slot (bot/posting/engagement_job.py, staging_job.py).
First it holds the poster lock (`standby`: waits for it). A first SIGTERM/SIGINT lets the post in
hand finish and exits 0; a second marks the heartbeat row stopped and exits (the lock goes too).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

from bot.posting.daemon_parts import (
    AHEAD,
    QueueChanges,
    close_channels,
    exit_now,
    log_pause,
    log_totals,
    next_tick,
    plan_is_stale,
    release_memory,
    take_lease,
    utc_now,
)
from bot.posting.one_pass import run_due
from bot.store import lease

if TYPE_CHECKING:
    from bot.config.settings import DaemonSettings
    from bot.posting.engagement_job import EngagementJob
    from bot.posting.publisher import Worker
    from bot.posting.staging_job import StagingJob
    from bot.schedule.timetable import Assignment, TimetableConfig

log = logging.getLogger("paperbot")


class _SecondSignal(BaseException):
    """Raised in the main thread by a second SIGTERM/SIGINT: stop waiting for anything."""


@dataclass
class Daemon:
    workers: list[Worker]
    config: TimetableConfig
    settings: DaemonSettings
    clock: Callable[[], datetime] = utc_now
    install_signals: bool = True
    standby: bool = False  # wait for the poster lock instead of needing it at start
    lease: lease.Lease | None = None  # the lease, when the caller took it already
    on_lease: Callable[[], object] | None = None  # once the lease is taken here (standby)
    _stop: threading.Event = field(default_factory=threading.Event)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)  # one per channel
    _queue_counters: dict[str, int | None] = field(default_factory=dict)  # seen when planned
    _planned_at: datetime | None = None
    _next_tick: dict[str, datetime | None] = field(default_factory=dict)
    _signals: int = 0
    _closing: bool = False  # releasing the lease: a second signal must not interrupt it
    _paused_at: dict[str, datetime | None] = field(default_factory=dict)  # a tick saw a pause
    # Each channel's own `last_run` (the timetable's catch-up mark); the earliest is stored.
    _last_run: dict[str, datetime | None] = field(default_factory=dict)
    _scheduler: Any = None
    _queue_changes: QueueChanges | None = None
    exit_code: int = 0
    _totals: dict[str, int] = field(default_factory=dict)
    reads: EngagementJob | None = None  # reading posts' counts in the time between posts
    staging: StagingJob | None = None  # uploading figures ahead of their slots
    _plans: dict[str, list[Assignment]] = field(default_factory=dict)  # what comes next

    @property
    def engine(self) -> Any:
        return self.workers[0].engine

    def _worker(self, name: str) -> Worker:
        return next(w for w in self.workers if w.channel.name == name)

    def run(self) -> int:
        """Run until a signal; returns the exit code."""
        if self.install_signals:
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        try:
            if self.lease is None and not self._take_lease():
                close_channels(self.workers)
                return self.exit_code
            return self._serve()
        except _SecondSignal:
            self._exit_now()
            raise  # not reached: _exit_now ends the process
        except BaseException:
            self._stop.set()
            if self.lease is not None and not self._closing:
                self._closing = True
                lease.release(self.engine, self.lease, now=self.clock())
            raise

    def _take_lease(self) -> bool:
        """Take the poster lock, or wait for it when standing by; False when not taken."""
        self.lease = take_lease(self.engine, self.clock, standby=self.standby, stop=self._stop)
        if self.lease is None and not self.standby:
            self.exit_code = 1
        elif self.lease is not None and self.on_lease is not None:
            self.on_lease()
        return self.lease is not None

    def _serve(self) -> int:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        names = [worker.channel.name for worker in self.workers]
        log.info("daemon started (channels %s, time zone %s)", ", ".join(names), self.config.tz.key)
        state = lease.read_state(self.engine)
        for name in names:
            self._locks[name] = threading.Lock()
            self._last_run[name] = state.last_run_at if state else None
        scheduler = BackgroundScheduler(
            timezone=UTC,
            # A channel's ticks are serialised by its lock; spare threads keep the heartbeat,
            # the watch and the staging jobs going while ticks post and the next ones wait.
            executors={"default": ThreadPoolExecutor(3 + 4 * len(names))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._scheduler = scheduler
        scheduler.add_job(self._watch, "interval", seconds=self.settings.poll_seconds, id="watch")
        scheduler.add_job(
            self._heartbeat, "interval", seconds=self.settings.heartbeat_seconds, id="heartbeat"
        )
        for name in names:
            scheduler.add_job(
                self._tick, "date", run_date=self.clock(), id=f"tick:{name}", args=[name]
            )
        live = (self.workers, self._locks, self._next_tick, self._paused_at, self._stop)
        if self.reads is not None:
            self.reads.start(scheduler, *live)
        if self.staging is not None:
            self.staging.start(scheduler, self.workers, self._plans, *live[3:])
        scheduler.start()
        while not self._stop.wait(timeout=3600):
            pass
        log.info("stopping: waiting for the post in hand")
        # APScheduler's shutdown(wait=True) holds its job-store lock while it waits for jobs: a
        # job touching the scheduler then would deadlock. Jobs touch it only while planning,
        # under a channel's lock, never once _stop is set: wait for the ticks in hand here.
        for lock in self._locks.values():
            with lock:
                pass
        scheduler.shutdown(wait=True)
        self._close()
        log_totals(self._totals)
        return self.exit_code

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        """Runs in the main thread; a second signal unwinds it from whatever it waits for."""
        self._signals += 1
        if self._signals == 1:
            name = signal.Signals(signum).name
            log.info("received %s: finishing the post in hand, then exiting", name)
            self._stop.set()
        elif not self._closing:  # the final release is quick: let it finish
            raise _SecondSignal

    def _exit_now(self) -> None:
        self._closing = True
        exit_now(self.engine, self.lease, self.clock())

    # --- jobs -----------------------------------------------------------------------------

    def _tick(self, name: str) -> None:
        if self._stop.is_set():
            return
        with self._locks[name]:
            try:
                summary = run_due(
                    self._worker(name),
                    self.config,
                    self.clock,
                    last_run=self._last_run[name],
                    should_stop=self._stop.is_set,
                    ahead=AHEAD,
                )
                self._last_run[name] = summary.settled_until or self.clock()
                marks = [mark for mark in self._last_run.values() if mark is not None]
                lease.record_run(self.engine, self.lease, now=min(marks))
                for outcome in summary.outcomes:
                    self._totals[outcome.result] = self._totals.get(outcome.result, 0) + 1
                if summary.outcomes:
                    log.info("tick on %s: %s", name, summary.line())
                self._paused_at[name] = self.clock() if summary.paused else None
                log_pause(name, summary.paused)
            except Exception as exc:  # never let one bad tick kill a months-long daemon
                log.exception("tick on %s failed: %s", name, exc)
            self._plan_next_tick(name)
        release_memory(busy=self._locks.values())

    def _watch(self) -> None:
        if self._stop.is_set():
            return
        try:
            if self._queue_changes is None:
                self._queue_changes = QueueChanges(self.engine)
            counter = self._queue_changes.read()
        except Exception as exc:
            log.warning("watch: %s", exc)
            return
        now = self.clock()
        for name, lock in self._locks.items():
            stale = plan_is_stale(self._next_tick.get(name), self._planned_at, now)
            if not stale and counter is not None and counter == self._queue_counters.get(name):
                continue
            # Never wait for a tick (a post may take a minute: the heartbeat would starve); a
            # busy channel is looked at again next poll (its tick may predate this change).
            if not lock.acquire(blocking=False):
                continue
            try:
                self._queue_counters[name] = counter
                self._plan_next_tick(name)
            finally:
                lock.release()

    def _heartbeat(self) -> None:
        if self.lease is None or self._stop.is_set():
            return
        try:
            lease.heartbeat(self.engine, self.lease, now=self.clock())
        except lease.LeaseLost as exc:
            log.error("%s: stopping", exc)
            self.exit_code = 1
            self._stop.set()
        except Exception as exc:
            log.warning("heartbeat failed: %s", exc)

    # --- planning -------------------------------------------------------------------------

    def _plan_next_tick(self, name: str) -> None:
        if self._stop.is_set():
            return  # shutting down: the scheduler must not be touched (see run)
        now = self.clock()
        self._planned_at = now
        try:
            when, first = next_tick(
                self._worker(name),
                self.config,
                now,
                last_run=self._last_run[name],
                paused_at=self._paused_at.get(name),
                keep_plan=lambda plan: self._plans.__setitem__(name, plan),
            )
        except Exception as exc:
            log.exception("planning failed: %s", exc)
            return
        job_id = f"tick:{name}"
        if when == self._next_tick.get(name) and self._scheduler.get_job(job_id) is not None:
            return
        self._next_tick[name] = when
        if when is None:
            job = self._scheduler.get_job(job_id)
            if job is not None:
                job.remove()
            return
        # A tick re-plans at its end while it still runs, and waits for its slot under the lock:
        # later instances (its re-plan, the watch's) wait for the lock, never dropped.
        self._scheduler.add_job(
            self._tick,
            "date",
            run_date=max(when - AHEAD, now),  # prepared ahead, sent at its time
            id=job_id,
            args=[name],
            replace_existing=True,
            max_instances=3,
        )
        at = when.astimezone(self.config.tz).isoformat(timespec="seconds")
        if first is None:
            log.info("planned: another look at posts awaiting a decision at %s on %s", at, name)
        else:
            log.info("planned: entry %s at %s (%s) on %s", first.entry_id, at, first.reason, name)

    def _close(self) -> None:
        self._closing = True
        if self._queue_changes is not None:
            self._queue_changes.close()
        try:
            if self.lease is not None:
                lease.release(self.engine, self.lease, now=self.clock())
        finally:
            close_channels(self.workers)
