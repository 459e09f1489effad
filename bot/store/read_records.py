"""What the read-only commands see of the database: plain records, whichever way they were read.

`list`, `show`, `status`, `history`, `schedule` and `preview` only read. They take these records
from a `Reader` (bot/store/reader.py): on a SQLite file at the current schema the standard library
reads them (bot/store/read_sqlite.py, no SQLAlchemy import), otherwise the ORM does
(bot/store/read_orm.py). Everything downstream (serializers, planning, reports) sees the same
types, so
the two paths cannot drift apart in anything but the reading itself, which tests compare.

The records are NamedTuples, not dataclasses: the seven classes are made at every start of
every read-only command, and a frozen, slotted dataclass costs ~1 ms to make on Python 3.11 (it
compiles its methods), a NamedTuple a tenth of that; they are as immutable, and cheaper to build
per row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

#: The records' timestamp fields (the readers convert them from what the driver gives).
TIME_COLUMNS = frozenset(
    (
        "at",
        "next_attempt_at",
        "decision_needed_at",
        "gone_at",
        "read_at",
        "created_at",
        "updated_at",
        "posted_at",
        "started_at",
        "finished_at",
        "paused_at",
        "rate_limited_until",
        "heartbeat_at",
        "stopped_at",
        "last_run_at",
    )
)

#: The same name as bot/store/queue.py's; a test checks they agree.
DRY_RUN_CHANNEL = "dry-run"


class EntryRecord(NamedTuple):
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


class PostRecord(NamedTuple):
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


class AttemptRecord(NamedTuple):
    id: int
    post_id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error: str | None
    http_status: int | None


class EngagementRecord(NamedTuple):
    """A post's counts as last read (the newest snapshot)."""

    post_id: int
    likes: int
    reposts: int
    replies: int
    quotes: int | None
    read_at: datetime


class ChannelRecord(NamedTuple):
    channel: str
    paused_reason: str | None
    paused_at: datetime | None
    rate_limited_until: datetime | None
    engagement_note: str | None = None
    staging_note: str | None = None


class DaemonRecord(NamedTuple):
    owner: str | None
    pid: int | None
    started_at: datetime | None
    heartbeat_at: datetime | None
    stopped_at: datetime | None
    last_run_at: datetime | None
    last_error: str | None


class HistoryFilter(NamedTuple):
    """`paperbot history`'s filters, already parsed (week normalised, `since` in UTC)."""

    week: str | None = None
    since: datetime | None = None
    status: str | None = None
    channel: str | None = None


def field_names(record_type: type) -> tuple[str, ...]:
    """The columns a record is read from, in declaration order."""
    names: tuple[str, ...] = record_type._fields  # type: ignore[attr-defined]
    return names


def from_object(record_type: type[Any], row: Any) -> Any:
    """A record from any object with the same attribute names (an ORM row)."""
    return record_type(*(getattr(row, name) for name in field_names(record_type)))
