"""The daemon's engagement job: read counts in the time between posts, never in their way.

Run every ``[engagement] poll_seconds`` by the daemon (bot/posting/daemon.py). For each channel
that can read counts, it reads only when that channel is idle: not posting (its lock is free),
not paused, no post due within ``MARGIN``, and not waiting after a failed read. A read that
fails (429, 5xx, timeout) is tried again later (``retry_at`` or ``BACKOFF``) and touches no
post. One call makes at most ``REQUESTS_PER_RUN`` requests per channel, so the channel is soon
free again. What was skipped for the budget is stored for ``status``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.channels.base import ChannelError
from bot.channels.engagement import EngagementSource
from bot.posting.engagement_reads import ReadCosts, read_due

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.channels.base import Channel, KeyedChannel
    from bot.posting.publisher import Worker
    from bot.posting.x_costs import XCostPolicy

log = logging.getLogger("paperbot")

__all__ = ["BACKOFF", "MARGIN", "EngagementJob", "ReadSchedule"]

MARGIN = timedelta(seconds=30)  # a post due this soon goes first
BACKOFF = timedelta(minutes=5)  # after a failed read without a retry time
REQUESTS_PER_RUN = 3
LOCK_WAIT = 0.5  # seconds


@dataclass(frozen=True)
class ReadSchedule:
    """``[engagement]``: the ages to read at, how often to look, and X's prices and budget."""

    ages: tuple[timedelta, ...]
    poll_seconds: float = 60.0
    x_costs: XCostPolicy | None = None

    def costs_for(self, engine: Engine, channel: object) -> ReadCosts | None:
        """How reads on ``channel`` are paid for: X's (budget and ledger), else free."""
        if getattr(channel, "name", None) != "x" or self.x_costs is None:
            return None
        from bot.posting.engagement_costs import x_read_costs

        return x_read_costs(engine, channel, self.x_costs)


@dataclass
class EngagementJob:
    schedule: ReadSchedule
    engine: Engine
    clock: Callable[[], datetime]
    note: Callable[[str, str | None], None] = lambda channel, text: None
    _wait: dict[str, datetime] = field(default_factory=dict)

    def start(
        self,
        scheduler: Any,
        workers: Sequence[Worker],
        locks: Mapping[str, threading.Lock],
        next_ticks: Mapping[str, datetime | None],
        paused: Mapping[str, datetime | None],
        stop: threading.Event,
    ) -> None:
        """Add the job to the daemon's scheduler; the mappings are the daemon's live state."""
        if not self.schedule.ages:
            return
        channels = [worker.channel for worker in workers]
        scheduler.add_job(
            self.run,
            "interval",
            seconds=self.schedule.poll_seconds,
            id="engagement",
            args=[channels, locks, next_ticks, paused, stop.is_set],
        )

    def run(
        self,
        channels: Sequence[Channel | KeyedChannel],
        locks: Mapping[str, threading.Lock],
        next_ticks: Mapping[str, datetime | None],
        paused: Mapping[str, datetime | None],
        should_stop: Callable[[], bool],
    ) -> None:
        """One look over the channels; reads what is due on each idle one."""
        if not self.schedule.ages:
            return
        for channel in channels:
            name = channel.name
            now = self.clock()
            if should_stop() or not isinstance(channel, EngagementSource):
                continue
            upcoming = next_ticks.get(name)
            waiting = self._wait.get(name)
            if paused.get(name) is not None or (waiting is not None and waiting > now):
                continue
            if upcoming is not None and upcoming - now < MARGIN:
                continue
            lock = locks.get(name)
            # A moment's wait lets the daemon's re-planning (which takes each lock briefly, at
            # the same poll interval) pass; a post in hand keeps it longer: reads then wait.
            if lock is None or not lock.acquire(timeout=LOCK_WAIT):
                continue
            try:
                upcoming = next_ticks.get(name)  # planned again while we waited?
                if upcoming is None or upcoming - self.clock() >= MARGIN:
                    self._read(channel, self.clock(), should_stop)
            finally:
                lock.release()

    def _read(
        self, source: EngagementSource, now: datetime, should_stop: Callable[[], bool]
    ) -> None:
        name = source.name
        try:
            report = read_due(
                self.engine,
                source,
                ages=self.schedule.ages,
                now=now,
                max_requests=REQUESTS_PER_RUN,
                costs=self.schedule.costs_for(self.engine, source),
                should_stop=should_stop,
            )
        except ChannelError as error:
            self._wait[name] = error.retry_at or now + BACKOFF
            log.warning(
                "reading counts on %s: %s (posting goes on; reading again after %s)",
                name,
                error.message,
                self._wait[name].isoformat(timespec="seconds"),
            )
            return
        except Exception as exc:  # a read must never take the daemon down
            self._wait[name] = now + BACKOFF
            log.exception("reading counts on %s failed: %s", name, exc)
            return
        self._wait.pop(name, None)
        if report.requests:
            log.info(
                "engagement on %s: %d posts read in %d requests%s",
                name,
                report.read,
                report.requests,
                f", {report.gone} gone" if report.gone else "",
            )
        try:
            self.note(name, report.skipped)
        except Exception as exc:
            log.warning("could not record the engagement note for %s: %s", name, exc)
