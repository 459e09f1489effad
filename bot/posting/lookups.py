"""Asking a platform whether a post whose answer was lost is there, and what its errors mean.

Each channel's own lookup: Bluesky ``getRecord`` for the post's record key, Mastodon the
account's own statuses (matched by text and links), X the account's timeline over the window in
which the post could have been made (no replies or reposts), matched by text and links. A
lookup answers FOUND, NOT_THERE, or why it cannot tell (bot/posting/lifecycle.py decides what
follows); ``how`` says which lookup was made, for the log. Errors of a send are turned into
answers here too, so the worker has one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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
from bot.posting.lifecycle import Answer, Event

__all__ = ["CLOCK_MARGIN", "Lookup", "Wanted", "look_up", "lookup_event", "send_event"]

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
