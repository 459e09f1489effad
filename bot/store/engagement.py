"""Engagement snapshots in the database: which posts are due a read, and what a read found.

Every read adds rows (history, never overwritten); ``latest`` gives the newest per post. A post
the platform no longer has gets ``gone_at`` and keeps its last counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.store.models import EngagementSnapshot, Post, PostStatus

if TYPE_CHECKING:
    from sqlmodel import Session

__all__ = ["PostToRead", "posts_to_read", "record_counts"]


@dataclass(frozen=True)
class PostToRead:
    """A posted post that may be due a read: when it went out and when it was last read."""

    post_id: int
    remote_id: str
    posted_at: datetime
    last_read_at: datetime | None


def posts_to_read(
    session: Session, *, channel: str, posted_since: datetime, entry_ids: Iterable[int] = ()
) -> list[PostToRead]:
    """This channel's posts that went out since ``posted_since`` and are not gone (oldest first).

    With ``entry_ids``, only those entries' posts (``engagement --refresh`` for a week).
    """
    from sqlalchemy import func, select
    from sqlmodel import col

    last = (
        select(
            col(EngagementSnapshot.post_id),
            func.max(col(EngagementSnapshot.read_at)).label("read_at"),
        )
        .group_by(col(EngagementSnapshot.post_id))
        .subquery()
    )
    query = (
        select(col(Post.id), col(Post.remote_id), col(Post.posted_at), last.c.read_at)
        .outerjoin(last, last.c.post_id == col(Post.id))
        .where(
            col(Post.channel) == channel,
            col(Post.status) == PostStatus.POSTED.value,
            col(Post.remote_id).is_not(None),
            col(Post.gone_at).is_(None),
            col(Post.posted_at) >= posted_since,
        )
        .order_by(col(Post.posted_at), col(Post.id))
    )
    wanted = list(entry_ids)
    if wanted:
        query = query.where(col(Post.entry_id).in_(wanted))
    found: list[PostToRead] = []
    for row in session.execute(query):
        values: tuple[Any, ...] = tuple(row)
        post_id, remote_id, posted_at, read_at = values
        if isinstance(post_id, int) and remote_id and isinstance(posted_at, datetime):
            found.append(PostToRead(post_id, str(remote_id), posted_at, _aware(read_at)))
    return found


def _aware(moment: Any) -> datetime | None:
    """``max(read_at)`` keeps the column's type, so it is aware; a naive one is UTC."""
    if not isinstance(moment, datetime):
        return None
    value: datetime = moment
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def record_counts(
    session: Session,
    *,
    counts: Mapping[int, tuple[int, int, int, int | None]],
    gone: Iterable[int],
    now: datetime,
) -> None:
    """Add one snapshot per post read (likes, reposts, replies, quotes) and mark the gone ones."""
    for post_id, (likes, reposts, replies, quotes) in counts.items():
        session.add(
            EngagementSnapshot(
                post_id=post_id,
                likes=likes,
                reposts=reposts,
                replies=replies,
                quotes=quotes,
                read_at=now,
            )
        )
    for post_id in gone:
        post = session.get(Post, post_id)
        if post is not None and post.gone_at is None:
            post.gone_at = now
            post.updated_at = now
            session.add(post)
