"""A queued entry as planning sees it: the input of bot/schedule/timetable.py's `plan`.

Its own module so the entry picker (bot/schedule/entry_picker.py), the readers in bot/store/ and
the timetable can all name it without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PlanEntry:
    """What planning needs to know of a queued entry."""

    id: int
    position: int
    week: str
    at: datetime | None = None
    next_attempt_at: datetime | None = None
