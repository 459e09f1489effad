"""What is due now, and one pass over it: the shared core of `run --once`, `post` and the daemon.

Planning is the pure timetable's job; this module only reads the queue into its terms and hands
each due entry to the worker, stopping early when asked (a signal) or when the channel pauses.
Each channel plans from its own posts (`run_all` runs one pass per channel, side by side), so one
channel that is down, paused or rate-limited never holds the others back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.posting.outcome import ChannelPaused, Outcome, Slot
from bot.posting.planning import plan_queue
from bot.posting.publisher import Worker

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.schedule.timetable import Assignment, TimetableConfig

log = logging.getLogger("paperbot")


@dataclass
class RunSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    paused: str | None = None
    settled_until: datetime | None = None  # the `last_run` to store (see timetable)
    paused_channels: dict[str, str] = field(default_factory=dict)  # channel -> why

    def count(self, result: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result == result)

    def line(self) -> str:
        parts = [
            f"{self.count(r)} {r}" for r in ("posted", "settled", "retry", "failed", "waiting")
        ]
        if self.count("held"):
            parts.append(f"{self.count('held')} held by the X budget")
        if self.count("needs-decision"):
            parts.append(f"{self.count('needs-decision')} needing a decision (`paperbot status`)")
        return ", ".join(parts)


def make_plan(
    engine: Engine,
    config: TimetableConfig,
    now: datetime,
    *,
    channel: str,
    last_run: datetime | None,
    horizon: timedelta = timedelta(days=7),
) -> list[Assignment]:
    """The plan over the ORM reader: the daemon holds an engine anyway."""
    from bot.store.read_orm import OrmReader

    return plan_queue(
        OrmReader(engine), config, now, channel=channel, last_run=last_run, horizon=horizon
    )


def run_due(
    worker: Worker,
    config: TimetableConfig,
    now: Callable[[], datetime],
    *,
    last_run: datetime | None,
    should_stop: Callable[[], bool] = lambda: False,
    ahead: timedelta = timedelta(0),
) -> RunSummary:
    """Settle unknown outcomes, then post everything due now, one after another. ``ahead``:
    the daemon's tick comes that early; what is due by then is prepared at once and sent at
    its time (``Slot``)."""
    summary = RunSummary()
    try:
        summary.outcomes.extend(worker.settle(now()))
    except ChannelPaused as paused:
        summary.paused = str(paused)
        return summary
    except Exception as exc:  # a lookup failed unexpectedly: post nothing unsure
        log.warning("could not settle earlier attempts: %s", exc)
    from bot.schedule.timetable import settled_until

    started = now()
    assignments = make_plan(
        worker.engine, config, started, channel=worker.channel.name, last_run=last_run
    )
    summary.settled_until = settled_until(assignments, started + ahead)
    for assignment in [a for a in assignments if a.when <= started + ahead]:
        if should_stop():
            log.info("stopping before entry %s as asked", assignment.entry_id)
            break
        try:
            slot = Slot(assignment.when, now) if ahead else None
            outcome = worker.post(assignment.entry_id, now(), at=slot)
        except ChannelPaused as paused:
            summary.paused = str(paused)
            break
        summary.outcomes.append(outcome)
        if outcome.result == "waiting":
            break  # rate limited: nothing else can go out before the reset
    return summary


def run_all(
    workers: Sequence[Worker],
    config: TimetableConfig,
    now: Callable[[], datetime],
    *,
    last_run: datetime | None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RunSummary:
    """`run_due` on every channel at once (one thread each: a channel waiting on timeouts does
    not delay the others), merged: outcomes in channel order, the pauses by channel, and the
    earliest `settled_until` (a catch-up still owed on one channel is not forgotten)."""
    from concurrent.futures import ThreadPoolExecutor

    if len(workers) == 1:
        summaries = [run_due(workers[0], config, now, last_run=last_run, should_stop=should_stop)]
    else:
        with ThreadPoolExecutor(max_workers=len(workers)) as pool:
            futures = [
                pool.submit(run_due, w, config, now, last_run=last_run, should_stop=should_stop)
                for w in workers
            ]
            summaries = [future.result() for future in futures]
    merged = RunSummary()
    for worker, summary in zip(workers, summaries, strict=True):
        merged.outcomes.extend(summary.outcomes)
        if summary.paused is not None:
            merged.paused_channels[worker.channel.name] = summary.paused
            merged.paused = merged.paused or summary.paused
        if summary.settled_until is not None:
            merged.settled_until = min(
                summary.settled_until, merged.settled_until or summary.settled_until
            )
    return merged
