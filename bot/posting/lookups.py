"""Asking a platform whether a post whose answer was lost is there, and what its errors mean.

Each channel's own lookup: Bluesky ``getRecord`` for the post's record key, Mastodon the
account's own statuses (matched by text and links), X the account's timeline over the window in
which the post could have been made (no replies or reposts), matched by text and links. A
lookup answers FOUND, NOT_THERE, or why it cannot tell (bot/posting/lifecycle.py decides what
follows); ``how`` says which lookup was made, for the log. Errors of a send are turned into
answers here too, so the worker has one vocabulary.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.channels.base import (
    Channel,
    ChannelError,
    ErrorKind,
    KeyedChannel,
    MediaItem,
    Publication,
    Published,
    texts_match,
)
from bot.posting.attempts import attempts_of, load_pair
from bot.posting.lifecycle import LOOKUP_OUTCOMES, Answer, Event
from bot.posting.x_ledger import billing_to, record_found_create
from bot.store.engine import session_scope
from bot.store.models import Attempt, Post

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

log = logging.getLogger("paperbot")
_NOT_THERE = ("settled-not-posted", "resolved-not-posted")

__all__ = [
    "CLOCK_MARGIN",
    "Lookup",
    "Wanted",
    "look_up",
    "look_up_post",
    "lookup_event",
    "send_event",
    "wanted_of",
]

# The platform stamps a post with its own clock: look this much around our own times.
CLOCK_MARGIN = timedelta(minutes=10)


@dataclass(frozen=True)
class Wanted:
    """The post to look for: what was sent, its key, and when it could have been made."""

    text: str
    images: int
    request_key: str | None
    since: datetime  # the first send whose outcome is unknown
    until: datetime  # the last send, plus the time a lost request may take to land
    claimed: frozenset[str] = frozenset()  # remote ids already recorded for other entries


@dataclass(frozen=True)
class Lookup:
    event: Event
    found: Published | None
    how: str


def look_up(channel: Channel | KeyedChannel, wanted: Wanted, now: datetime) -> Lookup:
    """Ask ``channel`` for the post (never raises ChannelError: errors become answers)."""
    if isinstance(channel, KeyedChannel) and wanted.request_key is not None:
        how = f"{channel.lookup_words} ({wanted.request_key[:13]})"
        publication = Publication(wanted.text, (_PLACEHOLDER,) * min(wanted.images, 4))
        try:
            found = channel.find_published(
                wanted.request_key, publication, wanted.since - CLOCK_MARGIN
            )
        except ChannelError as error:
            return Lookup(lookup_event(error), None, how)
    else:
        since = wanted.since - CLOCK_MARGIN
        until = wanted.until + CLOCK_MARGIN
        bounded = until if until < now else None
        how = (
            f"the account's own posts from {since.isoformat(timespec='seconds')} to "
            f"{(bounded or now).isoformat(timespec='seconds')}, by text and links"
        )
        try:
            found = _by_text(channel, wanted, since, bounded)
        except ChannelError as error:
            return Lookup(lookup_event(error), None, how)
    if found is None:
        return Lookup(Event(Answer.NOT_THERE), None, how)
    return Lookup(Event(Answer.FOUND), found, how)


def look_up_post(
    engine: Engine,
    channel: Channel | KeyedChannel,
    ids: tuple[int, int],
    grace: timedelta,
    now: datetime,
) -> Lookup:
    """Look up the post ``ids`` (entry id, post id) on ``channel`` and log which lookup it was."""
    entry_id, post_id = ids
    with session_scope(engine) as session:
        entry, post = load_pair(session, entry_id, post_id)
        wanted = wanted_of(session, post, grace, len(entry.images))
    with billing_to(engine, channel, post_id, now):  # X bills the posts a read returns
        lookup = look_up(channel, wanted, now)
    if lookup.found is not None:  # X billed the create whose answer was lost: booked once
        record_found_create(engine, channel, post_id, lookup.found.remote_id, now)
    answer = lookup.event.answer.value.replace("_", " ")
    log.info("looked up entry %s on %s: %s -> %s", entry_id, channel.name, lookup.how, answer)
    return lookup


def wanted_of(session: Session, post: Post, grace: timedelta, images: int) -> Wanted:
    """What to look for: the sends whose outcome is unknown (those after the last lookup that
    said "not there") bound the window in which the post could have been made."""
    from sqlmodel import col, select

    attempts = attempts_of(session, post.id or 0)
    unknown: list[Attempt] = []
    for attempt in attempts:
        if attempt.outcome in _NOT_THERE:
            unknown = []
        elif attempt.outcome not in LOOKUP_OUTCOMES:
            unknown.append(attempt)
    since = unknown[0].started_at if unknown else post.updated_at
    until = (unknown[-1].started_at if unknown else post.updated_at) + grace
    claimed = session.exec(
        select(Post.remote_id).where(
            Post.channel == post.channel,
            col(Post.remote_id).is_not(None),
            Post.id != post.id,
            col(Post.updated_at) >= since - timedelta(days=1),
        )
    ).all()
    return Wanted(
        text=post.text,
        images=images,
        request_key=post.request_key,
        since=since,
        until=until,
        claimed=frozenset(c for c in claimed if c is not None),
    )


def _by_text(
    channel: Channel | KeyedChannel, wanted: Wanted, since: datetime, until: datetime | None
) -> Published | None:
    """The remote post with this text. Entries may share a sentence and differ only by their
    link: a post already recorded for another entry is never taken for this one."""
    for remote in channel.recent_posts(since, until):
        if remote.remote_id not in wanted.claimed and texts_match(wanted.text, remote.text):
            return Published(remote.remote_id, remote.remote_url, (), remote.created_at)
    return None


_PLACEHOLDER = MediaItem(b"", "application/octet-stream", "")


def lookup_event(error: ChannelError) -> Event:
    """A lookup's failure as an answer: a pause, a wait, never now, or not this time."""
    answer = {
        ErrorKind.AUTH: Answer.PAUSED,
        ErrorKind.RATE_LIMITED: Answer.RATE_LIMITED,
        ErrorKind.READ_REFUSED: Answer.CANNOT_LOOK,
    }.get(error.kind, Answer.CANNOT_TELL)
    return Event(answer, error.message, error.retry_at, status_code=error.status_code)


def send_event(error: ChannelError) -> Event:
    """A send's failure as an answer. Anything that may have posted is UNKNOWN."""
    if error.kind is ErrorKind.TRANSIENT and error.maybe_posted:
        answer = Answer.UNKNOWN
    else:
        answer = {
            ErrorKind.AUTH: Answer.PAUSED,
            ErrorKind.RATE_LIMITED: Answer.RATE_LIMITED,
            ErrorKind.INVALID: Answer.REFUSED,
            ErrorKind.DUPLICATE: Answer.DUPLICATE,
        }.get(error.kind, Answer.TRANSIENT)
    label = error.kind.value if answer is Answer.TRANSIENT else None
    return Event(answer, error.message, error.retry_at, label, status_code=error.status_code)
