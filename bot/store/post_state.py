"""The posting state machine, one post per entry and channel: claim, record, sum up.

Split from bot/store/queue.py (which keeps the entry's own life: add, edit, skip, remove). Every
change of a post goes through here and ends with `sum_up_entry`, so the entry's status always
sums up its posts (bot/store/entry_status.py). Each post carries its own attempts, backoff and
request key, so one channel's trouble never delays another. Committing is the caller's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.store.entry_status import sum_up
from bot.store.models import Attempt, Entry, EntryStatus, Post, PostStatus
from bot.store.queue import DRY_RUN_CHANNEL, QueueError, get_entry

if TYPE_CHECKING:
    from sqlmodel import Session


def channel_post(session: Session, entry_id: int, channel: str) -> Post | None:
    """The entry's post on ``channel``, if it has one."""
    from sqlmodel import select

    query = select(Post).where(Post.entry_id == entry_id, Post.channel == channel)
    return session.exec(query).first()


def begin_attempt(
    *,
    session: Session,
    entry: Entry,
    channel: str,
    text: str,
    now: datetime,
    request_key: str | None = None,
) -> tuple[Post, Attempt]:
    """Record that we are about to call the channel: committed BEFORE the network call.

    A crash after this leaves the post `posting`: the next start settles it (by its request
    key, or from the account's timeline) instead of posting blindly again. `request_key` is
    stored only on the post's first claim; later claims keep the first one.
    """
    if channel == DRY_RUN_CHANNEL:
        assert entry.id is not None
        post = Post(entry_id=entry.id, channel=channel, created_at=now)
    else:
        post = claim_post(
            session=session, entry=entry, channel=channel, now=now, request_key=request_key
        )
    post.status = PostStatus.POSTING.value
    post.text = text
    post.decision_needed_at = None
    post.updated_at = now
    session.add(post)
    session.flush()
    assert post.id is not None
    attempt = Attempt(post_id=post.id, started_at=now)
    session.add(attempt)
    session.flush()
    if channel != DRY_RUN_CHANNEL:
        sum_up_entry(session=session, entry=entry, now=now)
    return post, attempt


def claim_post(
    *, session: Session, entry: Entry, channel: str, now: datetime, request_key: str | None
) -> Post:
    """The entry's post on `channel`, now `posting`, or QueueError if it may not be claimed.

    Never read-then-write: the entry is taken by a conditional UPDATE (it must still be queued
    or posting on another channel), an existing post by one (it must be waiting to be tried
    again), and a first post by its INSERT, which the unique index (entry, channel) lets
    through once. Under PostgreSQL's READ COMMITTED each re-checks the newest row version
    after a concurrent claim commits, so exactly one claimer wins.
    """
    from sqlalchemy import update
    from sqlmodel import col, select

    _take_entry(session, entry, channel)
    post = session.exec(
        select(Post).where(Post.entry_id == entry.id, Post.channel == channel)
    ).first()
    if post is None:
        return _first_post(session, entry, channel, now, request_key)
    claimed = session.execute(
        update(Post)
        .where(col(Post.id) == post.id, col(Post.status) == PostStatus.RETRYING.value)
        .values(
            status=PostStatus.POSTING.value,
            attempts=col(Post.attempts) + 1,
            next_attempt_at=None,
            updated_at=now,
        )
        .returning(col(Post.id))
        .execution_options(synchronize_session=False)
    ).first()
    session.refresh(post)
    if claimed is None:
        raise QueueError(f"entry {entry.id} is {post.status} on {channel}, not queued")
    if post.request_key is None:
        post.request_key = request_key  # a post from before keys were kept
    return post


def _take_entry(session: Session, entry: Entry, channel: str) -> None:
    """queued (or posting elsewhere) → posting, in one conditional UPDATE; else QueueError."""
    from sqlalchemy import update
    from sqlmodel import col

    taken = session.execute(
        update(Entry)
        .where(
            col(Entry.id) == entry.id,
            col(Entry.status).in_([EntryStatus.QUEUED.value, EntryStatus.POSTING.value]),
        )
        .values(status=EntryStatus.POSTING.value)
        .returning(col(Entry.id))
        .execution_options(synchronize_session=False)
    ).first()
    session.refresh(entry)
    if taken is None or channel not in entry.channels:
        why = f"is {entry.status}" if taken is None else f"does not target {channel}"
        raise QueueError(f"entry {entry.id} {why}, not queued for {channel}")


def _first_post(
    session: Session, entry: Entry, channel: str, now: datetime, request_key: str | None
) -> Post:
    """The post's first claim is its INSERT: the unique index lets one claimer through."""
    from sqlalchemy.exc import IntegrityError

    assert entry.id is not None
    post = Post(
        entry_id=entry.id,
        channel=channel,
        status=PostStatus.POSTING.value,
        attempts=1,
        request_key=request_key,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(post)
    except IntegrityError:
        raise QueueError(f"entry {entry.id} is posting on {channel}") from None
    return post


def record_posted(
    *,
    session: Session,
    entry: Entry,
    post: Post,
    attempt: Attempt,
    remote_id: str,
    remote_url: str,
    media_ids: Sequence[str],
    now: datetime,
    outcome: str = "posted",
) -> None:
    post.status = PostStatus.POSTED.value
    post.remote_id = remote_id
    post.remote_url = remote_url
    post.media_ids = list(media_ids)
    post.posted_at = now
    post.last_error = None
    post.decision_needed_at = None
    post.next_attempt_at = None
    post.updated_at = now
    attempt.outcome = outcome
    attempt.finished_at = now
    session.add_all([post, attempt])
    if post.channel != DRY_RUN_CHANNEL:
        sum_up_entry(session=session, entry=entry, now=now)


def record_failure(
    *,
    session: Session,
    entry: Entry,
    post: Post,
    attempt: Attempt,
    outcome: str,
    error: str,
    now: datetime,
    http_status: int | None = None,
    retry_at: datetime | None = None,
    permanent: bool = False,
    refund_attempt: bool = False,
) -> None:
    """An attempt that did not post: the post waits for `retry_at`, or failed for good."""
    attempt.outcome = outcome
    attempt.error = error
    attempt.http_status = http_status
    attempt.finished_at = now
    post.status = (PostStatus.FAILED if permanent else PostStatus.RETRYING).value
    post.last_error = error
    post.decision_needed_at = None
    post.next_attempt_at = None if permanent else retry_at
    if refund_attempt:
        # Waiting for a rate limit or a credential fix is not the post's fault.
        post.attempts = max(0, post.attempts - 1)
    post.updated_at = now
    session.add_all([post, attempt])
    if post.channel != DRY_RUN_CHANNEL:
        sum_up_entry(session=session, entry=entry, now=now)


def sum_up_entry(*, session: Session, entry: Entry, now: datetime) -> None:
    """Set the entry's status, attempts, retry time and error from its posts.

    The entry's row is locked first (PostgreSQL; SQLite serialises writers anyway), so two
    channels finishing at once cannot both sum up from a view without the other's post.
    """
    from sqlmodel import col, select

    if entry.status == EntryStatus.SKIPPED:
        return
    with session.no_autoflush:  # the entry first, as claims and `retry` lock it: no deadlock
        session.exec(select(Entry.id).where(Entry.id == entry.id).with_for_update())
    session.flush()
    posts = {
        post.channel: post
        for post in session.exec(
            select(Post).where(Post.entry_id == entry.id, col(Post.channel).in_(entry.channels))
        )
    }
    status = sum_up(entry.channels, {channel: _state(post) for channel, post in posts.items()})
    waiting = [p.next_attempt_at for p in posts.values() if _state(p) == PostStatus.RETRYING]
    unfinished = [p for p in posts.values() if p.status != PostStatus.POSTED and p.last_error]
    last_error = max(unfinished, key=lambda p: p.updated_at).last_error if unfinished else None
    if (status, last_error) != (entry.status, entry.last_error):
        entry.updated_at = now
    entry.status = status
    entry.last_error = last_error
    entry.attempts = max((post.attempts for post in posts.values()), default=0)
    entry.next_attempt_at = min((w for w in waiting if w is not None), default=None)
    session.add(entry)


def _state(post: Post) -> str:
    """A post whose outcome is unknown but that waits to be looked up again is queued again,
    as far as its entry's status goes (it is settled before anything is sent)."""
    waiting = post.next_attempt_at is not None and post.decision_needed_at is None
    if post.status == PostStatus.POSTING and waiting:
        return PostStatus.RETRYING.value
    return post.status


def retry_posts(*, session: Session, entry_id: int, channel: str | None, now: datetime) -> Entry:
    """`paperbot retry ID [--channel C]`: only what failed goes back in the queue.

    A skipped entry comes back whole. Posted and in-flight posts are left as they are.
    """
    from sqlmodel import select

    entry = get_entry(session=session, entry_id=entry_id, for_update=True)
    if channel is not None and channel not in entry.channels:
        raise QueueError(f"entry {entry_id} does not target {channel}")
    if entry.status not in (EntryStatus.FAILED, EntryStatus.SKIPPED, EntryStatus.QUEUED):
        raise QueueError(
            f"entry {entry.id} is {entry.status}: only failed or skipped entries can be retried"
        )
    failed = session.exec(
        select(Post).where(Post.entry_id == entry_id, Post.status == PostStatus.FAILED.value)
    ).all()
    for post in failed:
        if channel is None or post.channel == channel:
            post.status = PostStatus.RETRYING.value
            post.attempts = 0
            post.next_attempt_at = None
            post.last_error = None
            post.updated_at = now
            session.add(post)
    if entry.status == EntryStatus.SKIPPED:
        entry.status = EntryStatus.QUEUED.value
    sum_up_entry(session=session, entry=entry, now=now)
    entry.updated_at = now
    return entry
