"""How an attempt at a post ends up in the database, for the worker and for settling alike.

The worker records a post it made (bot/posting/publisher.py); settling records one it found on the
account, or closes the attempts a killed process left open (bot/posting/settling.py). Both go
through the posting state machine (bot.store.post_state.record_posted), so a post is marked
posted in one way.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.channels.base import Published
from bot.store.engine import session_scope
from bot.store.models import Attempt, Entry, Post
from bot.store.post_state import record_posted

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session


def record_published(
    engine: Engine,
    entry_id: int,
    post_id: int,
    attempt_id: int,
    published: Published,
    now: datetime,
    outcome: str,
) -> None:
    """The attempt ended with the post on the platform (`posted`, or `settled` from the
    timeline): record the remote id and link, and mark the entry posted."""
    with session_scope(engine) as session:
        entry, post = load_pair(session, entry_id, post_id)
        attempt = session.get(Attempt, attempt_id)
        assert attempt is not None
        mark_posted(session, entry, post, attempt, published, now, outcome)


def mark_posted(
    session: Session,
    entry: Entry,
    post: Post,
    attempt: Attempt,
    published: Published,
    now: datetime,
    outcome: str,
) -> None:
    record_posted(
        session=session,
        entry=entry,
        post=post,
        attempt=attempt,
        remote_id=published.remote_id,
        remote_url=published.remote_url,
        media_ids=published.media_ids,
        now=published.posted_at or now,
        outcome=outcome,
    )


def close_interrupted(session: Session, post: Post, now: datetime) -> None:
    """Attempts a killed process left open are closed, so history shows what happened."""
    from sqlmodel import select

    for attempt in session.exec(
        select(Attempt).where(Attempt.post_id == post.id, Attempt.outcome == "started")
    ):
        attempt.outcome = "interrupted"
        attempt.error = "the process stopped before the outcome was known"
        attempt.finished_at = now
        session.add(attempt)


def open_attempt(session: Session, post: Post, now: datetime, outcome: str) -> Attempt:
    assert post.id is not None
    attempt = Attempt(post_id=post.id, started_at=now, outcome=outcome)
    session.add(attempt)
    session.flush()
    return attempt


def load_pair(session: Session, entry_id: int, post_id: int) -> tuple[Entry, Post]:
    entry = session.get(Entry, entry_id)
    post = session.get(Post, post_id)
    assert entry is not None and post is not None
    return entry, post


def attempts_of(session: Session, post_id: int) -> list[Attempt]:
    """The post's attempts, oldest first."""
    from sqlmodel import col, select

    query = select(Attempt).where(Attempt.post_id == post_id).order_by(col(Attempt.id))
    return list(session.exec(query).all())
