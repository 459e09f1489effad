"""Filling times with entries, the two halves of bot/schedule/timetable.py's `plan`: entries
with `at` at their time, and the rest in the timetable's slots (late, caught up, or coming).

Pure: the slots, the caps ledger and the entry picker are given. The results are plain
`(entry id, when, reason, slot)` tuples that `plan` turns into its Assignments.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.schedule.caps import CapLedger
from bot.schedule.entry_picker import EntryPicker
from bot.schedule.plan_entry import PlanEntry
from bot.schedule.wall_clock import as_utc

Reason = Literal["at", "retry", "rate-limit", "slot", "catch-up"]
Filled = tuple[int, datetime, Reason, datetime | None]  # (entry id, when, reason, slot)

#: A past slot younger than this is a late wake-up, not downtime: it is still posted (both
#: policies). Covers scheduler latency and `run --once` from a cron line every <= 15 minutes.
LATE_GRACE = timedelta(minutes=15)
#: Missed slots older than this are never caught up: after a week away, posting a week's worth
#: at once helps nobody (and the daily cap would stop it anyway).
CATCH_UP_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True)
class Candidate:
    when: datetime
    slot: datetime
    catch_up: bool


def slot_candidates(
    slots: Callable[[datetime, datetime], list[datetime]],
    now: datetime,
    end: datetime,
    last_run: datetime | None,
    posts: list[datetime],
    *,
    spread: bool,
    spacing: timedelta,
) -> list[Candidate]:
    """Times a timetable entry may take, in order: late slots, catch-up times, coming slots.

    `slots(start, end)` lists the timetable's slots in [start, end); `spread` is the "spread"
    catch-up policy, its posts `spacing` apart.
    """
    found: list[Candidate] = []
    if last_run is not None and last_run < now:
        owed = [
            s for s in slots(max(last_run, now - CATCH_UP_LOOKBACK), now) if not served(s, posts)
        ]
        found += [Candidate(s, s, False) for s in owed if now - s <= LATE_GRACE]
        if spread:
            missed = [s for s in owed if now - s > LATE_GRACE]
            made = bisect_right(posts, now)  # a skewed clock may have recorded later ones
            start = max(now, posts[made - 1] + spacing) if made else now
            found += [Candidate(start + i * spacing, s, True) for i, s in enumerate(missed)]
    found += [Candidate(s, s, False) for s in slots(now, end)]
    found = [c for c in found if c.when < end]
    found.sort(key=lambda c: c.when)
    return found


def served(slot: datetime, posts: list[datetime]) -> bool:
    """Whether a post was recorded within LATE_GRACE after `slot`: the daemon was up and saw it.

    This keeps a past slot from being filled twice when the stored `last_run` lags behind what
    was posted: during a catch-up (see `settled_until`), or after a crash between posting and
    storing it.
    """
    i = bisect_left(posts, slot)
    return i < len(posts) and posts[i] <= slot + LATE_GRACE


def fill_timed(
    now: datetime, end: datetime, timed: list[PlanEntry], ledger: CapLedger
) -> list[Filled]:
    """Entries with `at`, in time order; the 24 h limit may only delay them (first come first)."""
    items: list[tuple[datetime, datetime, int, int, Reason]] = []
    for entry in timed:
        assert entry.at is not None
        at = as_utc(entry.at, f"entry {entry.id} at")
        due: datetime = max(at, now)
        reason: Reason = "at"
        if entry.next_attempt_at is not None:
            retry = as_utc(entry.next_attempt_at, f"entry {entry.id} next_attempt_at")
            if retry > due:
                due, reason = retry, "retry"
        items.append((due, at, entry.position, entry.id, reason))
    items.sort()
    out: list[Filled] = []
    floor = now
    for due, _, _, entry_id, reason in items:
        # An earlier entry held back by the limit holds this one back too: the window that was
        # full at its time stays full until that entry's time.
        when = ledger.first_opening(max(due, floor), end)
        if when is None:
            break
        if when > due:
            reason = "rate-limit"
        ledger.add(when)
        floor = when
        out.append((entry_id, when, reason, None))
    return out


def fill_slots(
    picker: EntryPicker, now: datetime, candidates: list[Candidate], ledger: CapLedger
) -> list[Filled]:
    """Entries the picker chooses, one per candidate time with room under the caps."""
    out: list[Filled] = []
    for candidate in candidates:
        if picker.exhausted():
            break
        when = candidate.when
        if not ledger.has_room(when):
            continue
        entry = picker.take(when)
        if entry is None:
            continue
        ledger.add(when)
        reason: Reason = "slot"
        if candidate.catch_up:
            reason = "catch-up"
        elif entry.next_attempt_at is not None and entry.next_attempt_at > now:
            reason = "retry"
        out.append((entry.id, when, reason, candidate.slot))
    return out
