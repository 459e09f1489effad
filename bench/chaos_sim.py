"""Chaos on a simulated clock (bench/chaos.py ``--clock simulated``): slots an hour apart.

The daemon sleeps on the real clock, so simulated time is stepped the way cron steps it: one
`paperbot run --once` per slot, with ``PAPERBOT_NOW`` pinned to the slot, while the fakes read the
same clock (X stamps its posts with it, Mastodon forgets an ``Idempotency-Key`` after an hour of
it). Entries are due ``per_slot`` at a time, one slot an hour after the other. After each pass,
killed or not, the clock moves on an hour: every retry, every lookup of a lost answer and every
takeover after a SIGKILL happens at least an hour after the attempt it follows, when Mastodon no
longer remembers the key (and a server with the ``ignores-idempotency-key`` profile never did),
so only a lookup before sending again keeps a post single.

A pass is SIGKILLed (share ``kill_share``, until ``kills`` is reached) at a random moment: a
share ``startup_kills`` of them during start-up (before its first log line), the others once it
has logged its first line of work (a lookup or a post), within the length of a typical unkilled
pass's work, so they land in settling and in posting. Faults on X come per request
(bench/chaos.py ``ChaosX``); Bluesky and Mastodon get theirs armed before each pass
(bench/chaos_channels.py ``arm_pass``). When the kills are done and every slot has come, the
faults stop and passes go on until one exits 0 with nothing left queued or posting.
"""

from __future__ import annotations

import random
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.chaos import ChaosReport, ChaosX, Installation
    from bench.chaos_channels import OtherPlatforms

SLOT = timedelta(hours=1)


class SimClock:
    """The simulated time every part reads: the fakes (as their `now`) and paperbot (as
    ``PAPERBOT_NOW``). Starts at the last full hour of the real clock; moves only by `set_slot`."""

    def __init__(self) -> None:
        self.start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self._now = self.start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def slot(self, number: int) -> datetime:
        return self.start + number * SLOT

    def set_slot(self, number: int) -> None:
        with self._lock:
            self._now = self.slot(number)


def run_passes(
    install: Installation,
    fake: ChaosX,
    others: OtherPlatforms,
    report: ChaosReport,
    clock: SimClock,
    deadline: float,
    say: Callable[[str], None],
) -> None:
    """One `run --once` per simulated hour, some SIGKILLed, until everything is settled."""
    config = install.config
    rng = random.Random(config.seed + 2)
    last_slot = (config.entries - 1) // config.per_slot
    durations: list[float] = []  # wall seconds of work (from the first log line) of whole passes
    slot = 0
    calm = False
    mid_pass = 0  # kills after the pass had logged work
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError(f"simulated chaos over {config.deadline} s at slot {slot}")
        if not calm and report.kills >= config.kills and slot > last_slot:
            calm = True
            fake.calm()
            others.calm()
            say(f"slot {slot}: faults off; passes go on until nothing is left")
        clock.set_slot(slot)
        others.arm_pass(config.per_slot)
        killing = not calm and report.kills < config.kills and rng.random() < config.kill_share
        at_startup = rng.random() < config.startup_kills
        typical = statistics.median(durations) if durations else config.max_life
        life = rng.uniform(config.min_life, max(config.min_life, typical))
        process, log = install.spawn("--once")
        working = None if killing and at_startup else _first_line(process, log, deadline)
        try:
            code: int | None = process.wait(
                timeout=life if killing else max(1.0, deadline - time.monotonic())
            )
        except subprocess.TimeoutExpired:
            if not killing:
                process.kill()
                process.wait(timeout=30)
                raise TimeoutError(f"pass at slot {slot} still running at the deadline") from None
            in_flight = fake.in_flight > 0
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            code = None
            report.kills += 1
            mid_pass += log.stat().st_size > 0
            report.kills_in_flight += in_flight
            left = sum(s != "posted" for s in install.statuses().values())
            report.kills_with_work_left += left > 0
            say(
                f"slot {slot}: kill {report.kills} {life:.2f} s after "
                f"{'its first log line' if working else 'its start'} (in flight: {in_flight}, "
                f"{left} not posted)"
            )
        else:
            if working is not None:
                durations.append(time.monotonic() - working)
            text = log.read_text(encoding="utf-8", errors="replace")
            if code == 1 and "another paperbot daemon is running" in text:
                report.refused += 1  # the next slot's pass tries again
            elif code != 0:
                report.log_problems[f"run --once exited {code}"] += 1
        _wait_quiet(fake, others, deadline)
        slot += 1
        if calm and code is not None:
            report.final_exit = code
            if code == 0 and not any(
                s in ("queued", "posting") for s in install.statuses().values()
            ):
                break
    report.passes = slot
    report.clock = (
        f"simulated: {slot} passes of `run --once`, one per hour from {clock.start:%Y-%m-%d %H:%M} "
        f"UTC to {clock():%Y-%m-%d %H:%M} UTC, {config.per_slot} entries due per slot; "
        f"{mid_pass} of {report.kills} kills after the pass had logged work"
    )


def _wait_quiet(fake: ChaosX, others: OtherPlatforms, deadline: float) -> None:
    """Until no post request is being handled at a fake: one a pass sent (and gave up on, or was
    killed waiting for) lands in the pass's hour, seconds later, as it would on a real server,
    not in the next hour the clock is about to show."""
    while fake.in_flight or others.in_flight:
        if time.monotonic() > deadline:
            raise TimeoutError("a post request is still being handled at the deadline")
        time.sleep(0.01)


def _first_line(process: subprocess.Popen[bytes], log: Path, deadline: float) -> float | None:
    """When the pass logged its first line (monotonic), or None if it ended without one."""
    while process.poll() is None and time.monotonic() < deadline:
        if log.stat().st_size:
            return time.monotonic()
        time.sleep(0.01)
    return time.monotonic() if log.stat().st_size else None
