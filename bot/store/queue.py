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

from bot.store.models import Attempt, ChannelState, Entry, EntryStatus, Post, PostStatus, utcnow
from bot.store.new_entry import NewEntry
from bot.store.pg_lock import QUEUE_LOCK_KEY, lock_transaction

if TYPE_CHECKING:
    from sqlmodel import Session

T = TypeVar("T", Post, Attempt)

DRY_RUN_CHANNEL = "dry-run"
MAX_IMAGES = 4
CHANNELS = ("x", "bluesky", "mastodon")  # the real channels, in the order they are shown


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
    channels: tuple[str, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def check_channels(channels: Sequence[str]) -> list[str]:
    """The channels as given, without repeats; QueueError for none or an unknown name."""
    unknown = [name for name in channels if name not in CHANNELS]
    if unknown:
        raise QueueError(f"unknown channel {unknown[0]!r}: choose from {', '.join(CHANNELS)}")
    if not channels:
        raise QueueError("an entry needs at least one channel")
    return list(dict.fromkeys(channels))


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
    channels = check_channels(new.channels)
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
        channels=channels,
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


def _require_settled(session: Session, entry: Entry, action: str) -> None:
    """No change while a post's outcome is unknown (it may be out), and no removal of the only
    record of posts that are out."""
    from sqlmodel import select

    posts = session.exec(
        select(Post).where(Post.entry_id == entry.id, Post.channel != DRY_RUN_CHANNEL)
    ).all()
    unknown = sorted(p.channel for p in posts if p.status == PostStatus.POSTING)
    if unknown:
        channel = unknown[0]
        raise QueueError(
            f"entry {entry.id} cannot be {action}: its post on {', '.join(unknown)} may be out "
            "(outcome unknown). paperbot looks it up by itself; or look at the account and run "
            f"`paperbot resolve {entry.id} --channel {channel} --posted URL` or `--not-posted`"
        )
    out = sorted(p.channel for p in posts if p.status == PostStatus.POSTED)
    if action == "removed" and out:
        raise QueueError(
            f"entry {entry.id} cannot be removed: it was posted on {', '.join(out)}, and "
            "removing it would delete that history; `paperbot skip` it instead"
        )


def edit_entry(*, session: Session, entry_id: int, changes: EntryChanges) -> Entry:
    entry = get_entry(session=session, entry_id=entry_id, for_update=True)
    _require_editable(entry, "edited")
    _require_settled(session, entry, "edited")
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
    if changes.channels is not None:
        entry.channels = _changed_channels(session, entry, changes.channels)
    if changes.clear_at:
        entry.at = None
    elif changes.at is not None:
        entry.at = changes.at
    entry.updated_at = utcnow()
    session.add(entry)
    return entry


def _changed_channels(session: Session, entry: Entry, channels: Sequence[str]) -> list[str]:
    """New channels for an entry; a channel it already posted on cannot be taken away."""
    from sqlmodel import select

    wanted = check_channels(channels)
    kept = session.exec(
        select(Post.channel).where(Post.entry_id == entry.id, Post.status == "posted")
    ).all()
    dropped = sorted(set(kept) - set(wanted))
    if dropped:
        raise QueueError(f"entry {entry.id} is already posted on {dropped[0]}: keep that channel")
    return wanted


def skip_entry(*, session: Session, entry_id: int) -> Entry:
    entry = get_entry(session=session, entry_id=entry_id, for_update=True)
    _require_editable(entry, "skipped")
    _require_settled(session, entry, "skipped")
    entry.status = EntryStatus.SKIPPED.value
    entry.updated_at = utcnow()
    session.add(entry)
    return entry


def remove_entry(*, session: Session, entry_id: int) -> Entry:
    entry = get_entry(session=session, entry_id=entry_id, for_update=True)
    _require_editable(entry, "removed")
    _require_settled(session, entry, "removed")
    session.delete(entry)
    return entry


def channel_state(*, session: Session, channel: str) -> ChannelState:
    state = session.get(ChannelState, channel)
    if state is None:
        state = ChannelState(channel=channel)
        session.add(state)
        session.flush()
    return state


def note_channel(
    session: Session, *, channel: str, column: str, note: str | None, now: datetime
) -> None:
    """Remember (or clear) a daemon job's note on ``channel`` for `status`: why due engagement
    reads were left unread (``engagement_note``), why figures were not staged
    (``staging_note``)."""
    state = session.get(ChannelState, channel)
    if state is None:
        if note is None:
            return
        state = ChannelState(channel=channel)
    if getattr(state, column) == note:
        return
    setattr(state, column, note)
    state.updated_at = now
    session.add(state)
