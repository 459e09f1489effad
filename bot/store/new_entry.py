"""What `add` and the importers hand to the queue: an entry not stored yet.

Kept apart from bot/store/queue.py (which needs the ORM) so that `paperbot add` can build one
without
importing SQLAlchemy (bot/store/add_direct.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class NewEntry:
    url: str
    week: str
    kind: str = "paper"
    title: str = ""
    arxiv_id: str | None = None
    comment: str = ""
    images: tuple[dict[str, str], ...] = ()
    at: datetime | None = None
    authors: str = ""
    abstract: str = ""
    channels: tuple[str, ...] = ("x",)  # the config's `[channels] post_to` unless `--channel`
