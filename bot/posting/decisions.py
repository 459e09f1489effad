"""Posts whose outcome nobody can look up: they wait for the operator, who settles them by hand.

When the answer to a publish request is lost, the worker looks for the post on the account
(bot/posting/lookups.py). When it cannot look (X refuses the read for the app's access level, error
453, or keeps failing to answer it), guessing either way is wrong: "posted" may lose the entry,
"not posted" may post it twice. So the post stays `posting`, marked as needing a decision, with
a `last_error` that says what to do; the rest of the queue goes on without it; and
`paperbot resolve` records what the operator saw on the account. Each step is an attempt in the
post's history (`needs-decision`, `resolved-posted`, `resolved-not-posted`).

Keyword-only functions that take the session, like bot/store/queue.py; committing is the caller's.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.store.models import Attempt, Post, PostStatus
from bot.store.post_state import record_posted, sum_up_entry
from bot.store.queue import QueueError, get_entry

if TYPE_CHECKING:
    from sqlmodel import Session

__all__ = [
    "awaiting_decision",
    "decision_message",
    "resolve_not_posted",
    "resolve_posted",
]

RESOLVED_BY_HAND = "resolved by hand with `paperbot resolve`"


def decision_message(entry_id: int, channel: str, why: str) -> str:
    """The `last_error` of a post awaiting a decision: why, and exactly what to run."""
    command = f"paperbot resolve {entry_id} --channel {channel}"
    link = POST_LINKS.get(channel, "the post's link")
    return (
        f"{why}, so paperbot cannot tell whether entry {entry_id} was posted on {channel}. "
        f"Look at the account, then run `{command} --posted URL` (URL: {link}) "
        f"if the post is there, or `{command} --not-posted` to have it posted again; paperbot "
        "also looks it up again by itself now and then"
    )


#: What `resolve --posted` takes on each channel (bot/cli/resolve.py checks it).
POST_LINKS = {
    "x": "the post's x.com link or its id",
    "bluesky": "the post's bsky.app link or at:// URI",
    "mastodon": "the status's link or its id",
}


def awaiting_decision(*, session: Session, entry_id: int, channel: str | None) -> Post:
    """The entry's post that awaits a decision (on ``channel``, if given); QueueError if none."""
    from sqlmodel import col, select

    get_entry(session=session, entry_id=entry_id)
    query = select(Post).where(
        Post.entry_id == entry_id,
        Post.status == PostStatus.POSTING.value,
        col(Post.decision_needed_at).is_not(None),
    )
    if channel is not None:
        query = query.where(Post.channel == channel)
    posts = list(session.exec(query).all())
    where = f" on {channel}" if channel is not None else ""
    if not posts:
        raise QueueError(
            f"entry {entry_id} has no post awaiting a decision{where} (see `paperbot show "
            f"{entry_id}`)"
        )
    if len(posts) > 1:
        channels = ", ".join(sorted(p.channel for p in posts))
        raise QueueError(f"entry {entry_id} awaits decisions on {channels}: give --channel")
    return posts[0]


def resolve_posted(
    *,
    session: Session,
    entry_id: int,
    channel: str | None,
    remote_id: str,
    remote_url: str,
    now: datetime,
) -> Post:
    """The operator found the post on the account: record it as posted, with its link."""
    from sqlmodel import select

    post = awaiting_decision(session=session, entry_id=entry_id, channel=channel)
    claimed = session.exec(
        select(Post.entry_id).where(
            Post.channel == post.channel, Post.remote_id == remote_id, Post.id != post.id
        )
    ).first()
    if claimed is not None:
        raise QueueError(f"post {remote_id} is already recorded for entry {claimed}")
    entry = get_entry(session=session, entry_id=entry_id)
    attempt = _resolution(post, now, "resolved-posted")
    record_posted(
        session=session,
        entry=entry,
        post=post,
        attempt=attempt,
        remote_id=remote_id,
        remote_url=remote_url,
        media_ids=post.media_ids,
        now=now,
        outcome="resolved-posted",
    )
    return post


def resolve_not_posted(
    *, session: Session, entry_id: int, channel: str | None, now: datetime
) -> Post:
    """The operator did not find the post: the entry goes back to the queue, due at once."""
    post = awaiting_decision(session=session, entry_id=entry_id, channel=channel)
    entry = get_entry(session=session, entry_id=entry_id)
    attempt = _resolution(post, now, "resolved-not-posted")
    post.status = PostStatus.RETRYING.value
    post.decision_needed_at = None
    post.last_error = None
    post.next_attempt_at = None
    post.updated_at = now
    session.add_all([attempt, post])
    sum_up_entry(session=session, entry=entry, now=now)
    return post


def _resolution(post: Post, now: datetime, outcome: str) -> Attempt:
    assert post.id is not None
    return Attempt(
        post_id=post.id, started_at=now, finished_at=now, outcome=outcome, error=RESOLVED_BY_HAND
    )
