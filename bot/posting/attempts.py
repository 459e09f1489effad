"""The attempt rows of a post, as bot/posting/recording.py writes them after each answer.

A post made (a send's answer) and a post found (a lookup's) are both marked posted through the
posting state machine (bot.store.post_state.record_posted), so a post is marked posted in one
way; attempts a killed process left open are closed as `interrupted` by the next lookup.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.channels.base import Published
from bot.store.models import Attempt, Entry, Post
from bot.store.post_state import record_posted

if TYPE_CHECKING:
    from sqlmodel import Session


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
