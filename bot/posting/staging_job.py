"""The daemon's staging job: upload each post's figures a few minutes before its slot (or,
for a Bluesky post without figures, fetch its link card's thumbnail).

One job per channel that can stage media (bot/channels/staging.py), every few seconds
(bot/posting/daemon.py). For the channel's planned entries due within ``lead`` (`[daemon]
stage_minutes`), not yet staged, it stages one entry after another (bot/posting/staged.py).
Staging runs beside posting, never under the channel's lock (channels upload staged media on a
connection and a charge log of their own), so a slow upload never holds a post back; it only
keeps out of the way of the CPU: no staging starts when any channel has a post due within
``QUIET``. What is not staged by the slot is uploaded at the slot, as without staging.

A staging that fails (the image host is down, a 5xx, a 429) is tried again after ``RETRY`` (or
the platform's reset), before the slot when there is time; it never delays another entry or
another channel, and the reason is stored for `status` until a staging on that channel works.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.channels.base import ChannelError
from bot.channels.staging import MediaStaging
from bot.posting.staged import stage_entry

if TYPE_CHECKING:
    from bot.posting.publisher import Worker
    from bot.schedule.timetable import Assignment

log = logging.getLogger("paperbot")

__all__ = ["StagingJob"]

POLL_SECONDS = 5.0
RETRY = timedelta(minutes=1)
QUIET = timedelta(seconds=2)  # no staging starts this close to any channel's next post


@dataclass
class StagingJob:
    lead: timedelta
    clock: Callable[[], datetime]
    note: Callable[[str, str | None], None] = lambda channel, text: None
    poll_seconds: float = POLL_SECONDS
    _retry_at: dict[tuple[str, int], datetime] = field(default_factory=dict)
    _failing: dict[str, str] = field(default_factory=dict)  # the note shown per channel

    def start(
        self,
        scheduler: Any,
        workers: Sequence[Worker],
        plans: Mapping[str, Sequence[Assignment]],
        paused: Mapping[str, datetime | None],
        stop: threading.Event,
    ) -> None:
        """Add a job per channel to the daemon's scheduler; the mappings are its live state."""
        if self.lead <= timedelta(0):
            return
        for worker in workers:
            if _stages(worker):
                scheduler.add_job(
                    self.run_channel,
                    "interval",
                    seconds=self.poll_seconds,
                    id=f"staging:{worker.channel.name}",
                    args=[worker, plans, paused, stop.is_set],
                )

    def run_channel(
        self,
        worker: Worker,
        plans: Mapping[str, Sequence[Assignment]],
        paused: Mapping[str, datetime | None],
        should_stop: Callable[[], bool],
    ) -> None:
        """Stage what is due soon on one channel."""
        name = worker.channel.name
        if should_stop() or not _stages(worker) or paused.get(name) is not None:
            return
        plan = list(plans.get(name) or ())
        assert worker.shelf is not None
        planned = {a.entry_id for a in plan}
        worker.shelf.keep_only(planned)
        for key in [k for k in self._retry_at if k[0] == name and k[1] not in planned]:
            del self._retry_at[key]
        for assignment in self.due(worker, plan, self.clock()):
            if should_stop() or not _quiet(plans, self.clock()):
                break
            self._stage(worker, assignment.entry_id)

    def due(self, worker: Worker, plan: Sequence[Assignment], now: datetime) -> list[Assignment]:
        """The planned entries to stage now: due within the lead, not staged, not waiting."""
        assert worker.shelf is not None
        name = worker.channel.name
        return [
            a
            for a in plan
            if a.when - now <= self.lead
            and not worker.shelf.ready(a.entry_id, now)
            and self._retry_at.get((name, a.entry_id), now) <= now
        ]

    def _stage(self, worker: Worker, entry_id: int) -> None:
        name = worker.channel.name
        now = self.clock()
        started = time.monotonic()
        try:
            images = stage_entry(worker, entry_id, now)
        except (ChannelError, ValueError) as exc:  # ValueError: ImageError
            retry_at = getattr(exc, "retry_at", None) or now + RETRY
            self._retry_at[(name, entry_id)] = retry_at
            reason = str(exc)
            log.warning(
                "staging the images of entry %s on %s failed: %s (trying again at %s; "
                "at the slot they are uploaded then)",
                entry_id,
                name,
                reason,
                retry_at.isoformat(timespec="seconds"),
            )
            self._set_note(name, f"entry {entry_id}: {reason} (trying again)")
            return
        except Exception as exc:  # staging must never take the daemon down
            self._retry_at[(name, entry_id)] = now + RETRY
            log.exception("staging entry %s on %s failed: %s", entry_id, name, exc)
            return
        took = time.monotonic() - started
        self._retry_at.pop((name, entry_id), None)
        if images:
            log.info(
                "staged %d images of entry %s on %s in %.2f s",
                images,
                entry_id,
                name,
                took,
            )
        self._set_note(name, None)

    def _set_note(self, name: str, text: str | None) -> None:
        if self._failing.get(name) == text:
            return
        try:
            self.note(name, text)
        except Exception as exc:
            log.warning("could not record the staging note for %s: %s", name, exc)
            return
        if text is None:
            self._failing.pop(name, None)
        else:
            self._failing[name] = text


def _stages(worker: Worker) -> bool:
    return worker.shelf is not None and isinstance(worker.channel, MediaStaging)


def _quiet(plans: Mapping[str, Sequence[Assignment]], now: datetime) -> bool:
    """Whether no channel has a post due within ``QUIET`` either way (one long overdue waits
    for a rate limit, a pause or a retry: it is not being posted)."""
    return all(not plan or abs(plan[0].when - now) > QUIET for plan in list(plans.values()))
