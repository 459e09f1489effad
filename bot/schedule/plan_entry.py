"""A queued entry as planning sees it: the input of bot/schedule/timetable.py's `plan`.

Its own module so the entry picker (bot/schedule/entry_picker.py), the readers in bot/store/ and
the timetable can all name it without importing one another.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class PlanEntry(NamedTuple):
    """What planning needs to know of a queued entry.

    A NamedTuple rather than a frozen dataclass: the fast readers (bot/store/read_sqlite.py,
    read_pg.py) name it, and on Python 3.11 importing dataclasses (with inspect) is ~7 ms of
    every read-only command's start.
    """

    id: int
    position: int
    week: str
    at: datetime | None = None
    next_attempt_at: datetime | None = None
