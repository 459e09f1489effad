"""The tables: what paperbot remembers between runs. No logic lives here.

All datetimes are timezone-aware and stored as UTC (SQLModel refuses naive ones, which is what
we want: a naive time in a scheduler is a DST bug waiting to happen).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    UniqueConstraint,
    event,
    text,
)
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The one clock read for record timestamps (scheduling logic takes `now` as an argument)."""
    return datetime.now(UTC)


class EntryKind(StrEnum):
    PAPER = "paper"
    ARTICLE = "article"
    APPLICATION = "application"


class EntryStatus(StrEnum):
    QUEUED = "queued"
    POSTING = "posting"
    POSTED = "posted"
    FAILED = "failed"
    SKIPPED = "skipped"


class PostStatus(StrEnum):
    POSTING = "posting"  # the API call may be under way: outcome unknown until settled
    POSTED = "posted"
    FAILED = "failed"
    RETRYING = "retrying"  # a transient error; the entry waits for next_attempt_at


class Entry(SQLModel, table=True):
    """One thing to post: a paper, an article or an application example."""

    __tablename__ = "entry"
    __table_args__ = (
        UniqueConstraint("url", "week"),
        Index("ix_entry_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_entry_status_at", "status", "at"),
        Index("ix_entry_week_position", "week", "position"),
        # `status`'s last error: the newest entry with one (0009), a few rows, never a scan.
        Index("ix_entry_last_failed", "updated_at", "id"),  # partial: see PARTIAL_INDEXES
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default=EntryKind.PAPER.value)
    title: str = Field(default="")
    url: str
    arxiv_id: str | None = Field(default=None)
    comment: str = Field(default="")
    images: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    authors: str = Field(default="")
    abstract: str = Field(default="")
    week: str
    at: datetime | None = Field(default=None)
    position: int = Field(default=0)
    status: str = Field(default=EntryStatus.QUEUED.value)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None)
    next_attempt_at: datetime | None = Field(default=None)
    # The channels this entry goes to (DESIGN.md "Channels"); its status sums up their posts
    # (bot/store/entry_status.py). `attempts`, `next_attempt_at` and `last_error` above sum up
    # the posts' own too, for the listing; the posts' values are the ones the worker follows.
    channels: list[str] = Field(
        default_factory=lambda: ["x"],
        sa_column=Column(JSON, nullable=False, server_default=text("'[\"x\"]'")),
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Post(SQLModel, table=True):
    """One publication of an entry on one channel; its attempts hang off it."""

    __tablename__ = "post"
    __table_args__ = (
        # Exactly one post per entry and real channel; dry runs may repeat (PARTIAL_INDEXES).
        Index("uq_post_entry_id_channel_real", "entry_id", "channel", unique=True),
        Index("ix_post_posted_at", "posted_at"),
        Index("ix_post_entry_id", "entry_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(
        sa_column=Column(Integer, ForeignKey("entry.id", ondelete="CASCADE"), nullable=False)
    )
    channel: str
    status: str = Field(default=PostStatus.POSTING.value)
    text: str = Field(default="")
    media_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    remote_id: str | None = Field(default=None)
    remote_url: str | None = Field(default=None)
    posted_at: datetime | None = Field(default=None)
    last_error: str | None = Field(default=None)
    # Set while the outcome is unknown and cannot be looked up (the platform refuses to show the
    # account's posts, or keeps failing to): the post stays `posting` until `paperbot resolve`.
    decision_needed_at: datetime | None = Field(default=None)
    # Attempts and backoff belong to the post: one channel's trouble never delays another's.
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_attempt_at: datetime | None = Field(default=None)
    # Chosen by the channel (a Bluesky record key, a Mastodon Idempotency-Key) and committed
    # before the first send; every retry of this post sends it again, so a lost answer can
    # never become a second post.
    request_key: str | None = Field(default=None)
    # The platform answered that the post no longer exists (deleted there): its last counts
    # are kept, and a post that is gone is never posted again.
    gone_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Attempt(SQLModel, table=True):
    """One try at publishing, kept for history: when, and how it ended."""

    __tablename__ = "attempt"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("post.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = Field(default=None)
    outcome: str = Field(default="started")
    error: str | None = Field(default=None)
    http_status: int | None = Field(default=None)


class ChannelState(SQLModel, table=True):
    """What a channel must remember across restarts: a pause for bad credentials, a 429 wait."""

    __tablename__ = "channel_state"

    channel: str = Field(primary_key=True)
    paused_reason: str | None = Field(default=None)
    paused_at: datetime | None = Field(default=None)
    # A short hash of the credentials that were rejected: a change of credentials lifts the pause.
    credentials_fingerprint: str | None = Field(default=None)
    rate_limited_until: datetime | None = Field(default=None)
    # Why the daemon's last engagement look left due reads unread (the X budget), for `status`.
    engagement_note: str | None = Field(default=None)
    # Why the daemon could not upload figures ahead of their slot (they go at the slot).
    staging_note: str | None = Field(default=None)
    updated_at: datetime = Field(default_factory=utcnow)


class DaemonState(SQLModel, table=True):
    """The daemon's heartbeat and lease: `status` reads it, a second daemon is refused by it."""

    __tablename__ = "daemon_state"

    id: int = Field(default=1, primary_key=True)
    owner: str | None = Field(default=None)  # "host:pid:token" of the daemon holding the lease
    pid: int | None = Field(default=None)
    started_at: datetime | None = Field(default=None)
    heartbeat_at: datetime | None = Field(default=None)
    stopped_at: datetime | None = Field(default=None)
    last_run_at: datetime | None = Field(default=None)
    last_error: str | None = Field(default=None)


class EngagementSnapshot(SQLModel, table=True):
    """A post's public counts as read at one moment; kept as history, never overwritten.

    ``quotes`` is None where the platform does not count them (older Mastodon servers).
    """

    __tablename__ = "engagement"
    __table_args__ = (Index("ix_engagement_post_id_read_at", "post_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(
        sa_column=Column(Integer, ForeignKey("post.id", ondelete="CASCADE"), nullable=False)
    )
    likes: int = Field(default=0)
    reposts: int = Field(default=0)
    replies: int = Field(default=0)
    quotes: int | None = Field(default=None)
    read_at: datetime = Field(default_factory=utcnow)


class XLedger(SQLModel, table=True):
    """One billable request X answered (DESIGN.md "Costs"): what, when, how much, for which post.

    Money in integer micro-dollars. A read has one row per post it returned that X bills (the
    first time that post is returned in the UTC day). `post_id` and `entry_id` are plain
    numbers, not foreign keys: the money was spent even when the entry is removed later.
    """

    __tablename__ = "x_ledger"
    __table_args__ = (
        Index("ix_x_ledger_billed_at", "billed_at"),
        Index("ix_x_ledger_post_id", "post_id"),
        Index("ix_x_ledger_remote_id_billed_at", "remote_id", "billed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    billed_at: datetime
    kind: str  # post | post_with_link | post_read | media_metadata
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))  # micro-dollars
    post_id: int | None = Field(default=None)
    entry_id: int | None = Field(default=None)
    # The post created or read (the read's key for "free again the same UTC day").
    remote_id: str | None = Field(default=None)


class QueueChange(SQLModel, table=True):
    """One row whose counter every write to the queue raises (bot/store/queue_changes.py), so
    the daemon re-plans when the queue changed and never because of its own heartbeat."""

    __tablename__ = "queue_change"

    id: int = Field(default=1, primary_key=True)
    counter: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ArxivCache(SQLModel, table=True):
    """arXiv metadata already fetched, so re-imports never ask arXiv twice."""

    __tablename__ = "arxiv_cache"

    arxiv_id: str = Field(primary_key=True)
    title: str = Field(default="")
    authors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    abstract: str = Field(default="")
    published: datetime | None = Field(default=None)
    fetched_at: datetime = Field(default_factory=utcnow)


def entry_images(entry: Entry) -> list[dict[str, Any]]:
    """The entry's images as stored (a copy, so callers cannot mutate the row by accident)."""
    return [dict(image) for image in entry.images]


# The partial indexes' conditions (migrations 0001 and 0009 create them so on both stores).
# They are given to an index for one dialect at a time, when the schema meets a database
# (`schema_for`): naming `postgresql_where` on the Index itself makes SQLAlchemy load its
# PostgreSQL dialect, asyncpg's module with it, into every process that imports the models,
# on SQLite too (about 20 ms of start-up and 2.3 MB).
PARTIAL_INDEXES = {
    "ix_entry_last_failed": "last_error IS NOT NULL",
    "uq_post_entry_id_channel_real": "channel != 'dry-run'",
}
_PARTIAL_DIALECTS = ("sqlite", "postgresql")


def schema_for(dialect: str) -> MetaData:
    """The tables as they are on a `dialect` database: the partial indexes' conditions set for
    it. For what compares or creates the schema (migrations/env.py, `create_all`, tests)."""
    if dialect in _PARTIAL_DIALECTS:
        for table in SQLModel.metadata.tables.values():
            for index in table.indexes:
                where = PARTIAL_INDEXES.get(str(index.name))
                if where is not None:
                    index.dialect_options[dialect]["where"] = text(where)
    return SQLModel.metadata


@event.listens_for(SQLModel.metadata, "before_create")
def _partial_before_create(_metadata: MetaData, connection: Any, **_kw: Any) -> None:
    """`SQLModel.metadata.create_all(engine)` makes the indexes partial, as the migrations do."""
    schema_for(connection.dialect.name)
