"""Which waiting entry a timetable slot goes to: queue order across ISO weeks and retry backoff.

Split from `bot.schedule.timetable` because the ordering rules (this week's entries by position,
then
older weeks' leftovers, later weeks only once they begin, nobody before their backoff ends) need
a little state machine that is easier to follow apart from slot planning. Pure.
"""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.schedule.wall_clock import as_utc, local_monday
from bot.schedule.weeks import week_monday_ordinal

if TYPE_CHECKING:
    from bot.schedule.plan_entry import PlanEntry

__all__ = ["EntryPicker"]


class EntryPicker:
    """Hands out timetable entries in queue order as slot times advance.

    Entries move from `pending` (backoff not over) to `future` (their week has not begun) to the
    `heap`, keyed by (not this week, week, position, id); the heap is re-keyed when the week in
    force changes, which happens at most once per week of horizon.
    """

    def __init__(
        self, tz: ZoneInfo, now: datetime, week_now: int, entries: list[PlanEntry]
    ) -> None:
        self.tz, self.now, self.week = tz, now, week_now
        self.week_now = week_now
        self.monday_now = local_monday(now, tz)
        self.entries = entries
        self.weeks = [week_monday_ordinal(e.week) for e in entries]
        ready = [
            as_utc(e.next_attempt_at, f"entry {e.id} next_attempt_at")
            if e.next_attempt_at is not None
            else None
            for e in entries
        ]
        self.free = [i for i, r in enumerate(ready) if r is None]
        self.pending = sorted(
            ((r, i) for i, r in enumerate(ready) if r is not None), key=lambda p: p[0]
        )
        self.next_pending = 0
        self.future: list[int] = []
        self.heap: list[tuple[tuple[int, int, int, int], int]] = []
        self._admit(self.free)

    def _key(self, i: int) -> tuple[int, int, int, int]:
        entry, week = self.entries[i], self.weeks[i]
        if week == self.week:
            return (0, 0, entry.position, entry.id)
        return (1, week, entry.position, entry.id)  # older weeks: oldest first

    def _admit(self, indices: list[int]) -> None:
        now_ok = [i for i in indices if self.weeks[i] <= self.week]
        self.future += [i for i in indices if self.weeks[i] > self.week]
        if len(now_ok) > len(self.heap):
            self.heap += [(self._key(i), i) for i in now_ok]
            heapq.heapify(self.heap)
        else:
            for i in now_ok:
                heapq.heappush(self.heap, (self._key(i), i))

    def exhausted(self) -> bool:
        return not self.heap and not self.future and self.next_pending == len(self.pending)

    def take(self, t: datetime) -> PlanEntry | None:
        """The first entry in queue order that may post at `t` (times arrive in order)."""
        week = self.week_now
        if t > self.now:
            week += local_monday(t, self.tz) - self.monday_now
        if week != self.week:
            self.week = week
            waiting, self.future = self.future, []
            everyone = [i for _, i in self.heap] + waiting
            self.heap = []
            self._admit(everyone)
        released = []
        while self.next_pending < len(self.pending) and self.pending[self.next_pending][0] <= t:
            released.append(self.pending[self.next_pending][1])
            self.next_pending += 1
        if released:
            self._admit(released)
        if not self.heap:
            return None
        return self.entries[heapq.heappop(self.heap)[1]]
