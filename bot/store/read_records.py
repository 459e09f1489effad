"""What the read-only commands see of the database: plain records, whichever way they were read.

`list`, `show`, `status`, `history`, `schedule` and `preview` only read. They take these records
from a `Reader` (bot/store/reader.py): on a SQLite file at the current schema the standard library
reads them (bot/store/read_sqlite.py, no SQLAlchemy import), otherwise the ORM does
(bot/store/read_orm.py). Everything downstream (serializers, planning, reports) sees the same
types, so
the two paths cannot drift apart in anything but the reading itself, which tests compare.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

#: The same name as bot/store/queue.py's; a test checks they agree.
DRY_RUN_CHANNEL = "dry-run"


@dataclass(frozen=True, slots=True)
class EntryRecord:
    id: int
    kind: str
    title: str
    url: str
    arxiv_id: str | None
    comment: str
    images: list[dict[str, str]]
    week: str
    at: datetime | None
    position: int
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    channels: list[str]
    abstract: str = ""  # for `preview`'s Bluesky link card


@dataclass(frozen=True, slots=True)
class PostRecord:
    id: int
    entry_id: int
    channel: str
    status: str
    text: str
    media_ids: list[str]
    remote_id: str | None
    remote_url: str | None
    posted_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    decision_needed_at: datetime | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    gone_at: datetime | None = None  # deleted on the platform (found by an engagement read)


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    id: int
    post_id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error: str | None
    http_status: int | None


@dataclass(frozen=True, slots=True)
class EngagementRecord:
    """A post's counts as last read (the newest snapshot)."""

    post_id: int
    likes: int
    reposts: int
    replies: int
    quotes: int | None
    read_at: datetime


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    channel: str
    paused_reason: str | None
    paused_at: datetime | None
    rate_limited_until: datetime | None
    engagement_note: str | None = None
    staging_note: str | None = None


@dataclass(frozen=True, slots=True)
class DaemonRecord:
    owner: str | None
    pid: int | None
    started_at: datetime | None
    heartbeat_at: datetime | None
    stopped_at: datetime | None
    last_run_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """`paperbot history`'s filters, already parsed (week normalised, `since` in UTC)."""

    week: str | None = None
    since: datetime | None = None
    status: str | None = None
    channel: str | None = None


def field_names(record_type: type) -> tuple[str, ...]:
    """The columns a record is read from, in declaration order."""
    return tuple(f.name for f in fields(record_type))


def from_object(record_type: type[Any], row: Any) -> Any:
    """A record from any object with the same attribute names (an ORM row)."""
    return record_type(*(getattr(row, name) for name in field_names(record_type)))
