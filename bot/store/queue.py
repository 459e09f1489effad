"""The entry queue and its state machine: queued → posting → posted, failed, skipped.

Keyword-only functions that take the session, so the CLI, the worker and the importers share one
set of rules (a URL once per week, nothing edited after posting, one post per entry and channel).
Every function leaves committing to the caller's session scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bot.store.models import (
    Attempt,
    ChannelState,
    Entry,
    EntryStatus,
    Post,
    PostStatus,
    utcnow,
)
from bot.store.new_entry import NewEntry
from bot.store.pg_lock import QUEUE_LOCK_KEY, lock_transaction

if TYPE_CHECKING:
    from sqlmodel import Session

T = TypeVar("T", Post, Attempt)

DRY_RUN_CHANNEL = "dry-run"
MAX_IMAGES = 4


class QueueError(ValueError):
    """A request the queue refuses (bad input): shown to the user as one line, exit 2."""


class EntryNotFound(QueueError):
    pass


class DuplicateEntry(QueueError):
    def __init__(self, existing: Entry) -> None:
        super().__init__(
            f"{existing.url} is already queued for {existing.week} as entry {existing.id}"
        )
        self.existing = existing


@dataclass(frozen=True)
class EntryChanges:
    """Fields to change on `edit`; None means "leave as it is"."""

    url: str | None = None
    arxiv_id: str | None = None
    kind: str | None = None
    title: str | None = None
    comment: str | None = None
    images: tuple[dict[str, str], ...] | None = None
    week: str | None = None
    at: datetime | None = None
    clear_at: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def find_duplicate(*, session: Session, url: str, week: str) -> Entry | None:
    from sqlmodel import select

    return session.exec(select(Entry).where(Entry.url == url, Entry.week == week)).first()


def next_position(*, session: Session) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    current = session.exec(select(func.max(Entry.position))).one()
    return int(current or 0) + 1


def add_entry(*, session: Session, new: NewEntry, position: int | None = None) -> Entry:
    """Queue an entry at the end of the queue; refuses a URL already queued that week."""
    if len(new.images) > MAX_IMAGES:
        raise QueueError(f"at most {MAX_IMAGES} images per post, got {len(new.images)}")
    lock_transaction(session, QUEUE_LOCK_KEY)
    existing = find_duplicate(session=session, url=new.url, week=new.week)
    if existing is not None:
        raise DuplicateEntry(existing)
    now = utcnow()
    entry = Entry(
        kind=new.kind,
        title=new.title,
        url=new.url,
        arxiv_id=new.arxiv_id,
        comment=new.comment,
        images=[dict(image) for image in new.images],
        authors=new.authors,
        abstract=new.abstract,
        week=new.week,
        at=new.at,
        position=position if position is not None else next_position(session=session),
        status=EntryStatus.QUEUED.value,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def get_entry(*, session: Session, entry_id: int, for_update: bool = False) -> Entry:
    """The entry; `for_update` locks its row until commit (PostgreSQL; SQLite's BEGIN IMMEDIATE
    already serialises writers), so a check such as "not posting" still holds when we write."""
    entry = session.get(Entry, entry_id, with_for_update=for_update or None)
    if entry is None:
        raise EntryNotFound(f"no entry with id {entry_id} (see `paperbot list`)")
    return entry


def list_entries(
    *, session: Session, week: str | None = None, statuses: Sequence[str] = ()
) -> list[Entry]:
    from sqlmodel import col, select

    query = select(Entry)
    if week:
        query = query.where(Entry.week == week)
    if statuses:
        query = query.where(col(Entry.status).in_(list(statuses)))
    return list(session.exec(query.order_by(col(Entry.week), col(Entry.position))).all())


def posts_for(*, session: Session, entry_ids: Sequence[int]) -> dict[int, list[Post]]:
    """Posts grouped by entry id, oldest first, in one query."""
    return _grouped(session, Post, "entry_id", entry_ids)


def attempts_for(*, session: Session, post_ids: Sequence[int]) -> dict[int, list[Attempt]]:
    """Attempts grouped by post id, oldest first, in one query."""
    return _grouped(session, Attempt, "post_id", post_ids)


def _grouped(session: Session, model: type[T], key: str, ids: Sequence[int]) -> dict[int, list[T]]:
    from sqlmodel import col, select

    grouped: dict[int, list[T]] = {key_id: [] for key_id in ids}
    if not ids:
        return grouped
    column = getattr(model, key)
    query = select(model).where(col(column).in_(list(ids))).order_by(col(model.id))
    for row in session.exec(query):
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


def _require_editable(entry: Entry, action: str) -> None:
    if entry.status in (EntryStatus.POSTED, EntryStatus.POSTING):
        raise QueueError(f"entry {entry.id} is {entry.status}: it cannot be {action}")


def edit_entry(*, session: Session, entry_id: int, changes: EntryChanges) -> Entry:
    entry = get_entry(session=session, entry_id=entry_id, for_update=True)
    _require_editable(entry, "edited")
    url = changes.url if changes.url is not None else entry.url
    week = changes.week if changes.week is not None else entry.week
    if (url, week) != (entry.url, entry.week):
        lock_transaction(session, QUEUE_LOCK_KEY)
        existing = find_duplicate(session=session, url=url, week=week)
        if existing is not None and existing.id != entry.id:
            raise DuplicateEntry(existing)
        entry.url, entry.week = url, week
        if changes.url is not None:
            entry.arxiv_id = changes.arxiv_id
    for name in ("kind", "title", "comment"):
        value = getattr(changes, name)
        if value is not None:
            setattr(entry, name, value)
    if changes.images is not None:
        if len(changes.images) > MAX_IMAGES:
            raise QueueError(f"at most {MAX_IMAGES} images per post, got {len(changes.images)}")
        entry.images = [dict(image) for image in changes.images]
    if changes.clear_at:
        entry.at = None
    elif changes.at is not None:
        entry.at = changes.at
    entry.updated_at = utcnow()
    session.add(entry)
    return entry


def skip_entry(*, session: Session, entry_id: int) -> Entry:
    entry = get_entry(session=session, entry_id=entry_id, for_update=True)
    _require_editable(entry, "skipped")
    entry.status = EntryStatus.SKIPPED.value
    entry.updated_at = utcnow()
    session.add(entry)
    return entry


def retry_entry(*, session: Session, entry_id: int) -> Entry:
    """Put a failed or skipped entry back in the queue, with a fresh attempt count."""
    entry = get_entry(session=session, entry_id=entry_id, for_update=True)
    if entry.status not in (EntryStatus.FAILED, EntryStatus.SKIPPED, EntryStatus.QUEUED):
        raise QueueError(
            f"entry {entry.id} is {entry.status}: only failed or skipped entries can be retried"
        )
    entry.status = EntryStatus.QUEUED.value
    entry.attempts = 0
    entry.next_attempt_at = None
    entry.last_error = None
    entry.updated_at = utcnow()
    session.add(entry)
    return entry


def remove_entry(*, session: Session, entry_id: int) -> Entry:
    entry = get_entry(session=session, entry_id=entry_id, for_update=True)
    _require_editable(entry, "removed")
    session.delete(entry)
    return entry


# --- the posting state machine (used by the worker) -----------------------------------------


def begin_attempt(
    *, session: Session, entry: Entry, channel: str, text: str, now: datetime
) -> tuple[Post, Attempt]:
    """Record that we are about to call the channel: committed BEFORE the network call.

    A crash after this leaves the entry `posting` and the post `posting`: the next start settles
    it from the account's timeline instead of posting blindly again.
    """
    post: Post | None = None
    if channel != DRY_RUN_CHANNEL:
        from sqlmodel import select

        claim_entry(session=session, entry=entry, now=now)
        post = session.exec(
            select(Post).where(Post.entry_id == entry.id, Post.channel == channel)
        ).first()
        if post is not None and post.status == PostStatus.POSTED:
            raise QueueError(f"entry {entry.id} is already posted on {channel}")
    if post is None:
        assert entry.id is not None
        post = Post(entry_id=entry.id, channel=channel, created_at=now)
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
    return post, attempt


def claim_entry(*, session: Session, entry: Entry, now: datetime) -> None:
    """queued → posting in one conditional UPDATE, or QueueError if another process got there.

    Never read-then-write: under PostgreSQL's READ COMMITTED two workers could both read
    `queued`; the UPDATE re-checks the condition on the newest row version after any concurrent
    claim commits, so exactly one of them gets a row back.
    """
    from sqlalchemy import update
    from sqlmodel import col

    claimed = session.execute(
        update(Entry)
        .where(col(Entry.id) == entry.id, col(Entry.status) == EntryStatus.QUEUED.value)
        .values(status=EntryStatus.POSTING.value, attempts=col(Entry.attempts) + 1, updated_at=now)
        .returning(col(Entry.id))
        .execution_options(synchronize_session=False)
    ).first()
    session.refresh(entry)
    if claimed is None:
        raise QueueError(f"entry {entry.id} is {entry.status}, not queued")


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
    post.updated_at = now
    attempt.outcome = outcome
    attempt.finished_at = now
    if post.channel != DRY_RUN_CHANNEL:
        entry.status = EntryStatus.POSTED.value
        entry.next_attempt_at = None
        entry.last_error = None
        entry.updated_at = now
        session.add(entry)
    session.add_all([post, attempt])


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
    """An attempt that did not post: the entry is queued again (with `retry_at`) or failed."""
    attempt.outcome = outcome
    attempt.error = error
    attempt.http_status = http_status
    attempt.finished_at = now
    post.status = (PostStatus.FAILED if permanent else PostStatus.RETRYING).value
    post.last_error = error
    post.decision_needed_at = None
    post.updated_at = now
    if post.channel != DRY_RUN_CHANNEL:
        entry.status = (EntryStatus.FAILED if permanent else EntryStatus.QUEUED).value
        entry.last_error = error
        entry.next_attempt_at = None if permanent else retry_at
        if refund_attempt:
            # Waiting for a rate limit or a credential fix is not the entry's fault.
            entry.attempts = max(0, entry.attempts - 1)
        entry.updated_at = now
        session.add(entry)
    session.add_all([post, attempt])


def unsettled_posts(*, session: Session, channel: str) -> list[tuple[Entry, Post]]:
    """Posts left `posting` by a crash: their outcome is unknown until checked remotely.

    Those already waiting for the operator's decision (bot.posting.decisions) are left to them.
    """
    from sqlmodel import col, select

    rows = session.exec(
        select(Entry, Post)
        .join(Post, col(Post.entry_id) == col(Entry.id))
        .where(
            Post.channel == channel,
            Post.status == PostStatus.POSTING.value,
            col(Post.decision_needed_at).is_(None),
        )
        .order_by(col(Post.id))
    ).all()
    return [(entry, post) for entry, post in rows]


def channel_state(*, session: Session, channel: str) -> ChannelState:
    state = session.get(ChannelState, channel)
    if state is None:
        state = ChannelState(channel=channel)
        session.add(state)
        session.flush()
    return state
