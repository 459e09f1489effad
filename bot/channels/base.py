"""The one small protocol every publishing channel implements, and the errors it may raise.

The worker only ever talks to this protocol, so it can decide what to do with a failure (retry
later, pause the channel, fail the entry, settle an unknown outcome) from ``ChannelError.kind``
alone, without knowing which library or platform produced it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

__all__ = [
    "Channel",
    "ChannelError",
    "ErrorKind",
    "MediaItem",
    "Publication",
    "Published",
    "RemotePost",
    "texts_match",
]


class ErrorKind(StrEnum):
    """What the caller should do about a failure, not what went wrong on the wire."""

    TRANSIENT = "transient"  # try again later (network, 5xx, timeouts)
    RATE_LIMITED = "rate_limited"  # wait until ``retry_at``
    AUTH = "auth"  # credentials rejected or not allowed to post: pause the channel
    INVALID = "invalid"  # this publication will never be accepted: fail the entry
    DUPLICATE = "duplicate"  # the platform already has this exact text


class ChannelError(Exception):
    """A failure a channel reports to the worker.

    ``message`` is shown to users and stored in the database, so channels build it from the
    platform's own explanation and never from anything that could carry a secret.
    ``maybe_posted`` is True when the request that creates the post may have been accepted
    although we saw no answer (dropped connection, timeout, 5xx after sending): the caller must
    look at ``Channel.recent_posts`` before trying again, or risk a double post.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        retry_at: datetime | None = None,
        maybe_posted: bool = False,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_at = retry_at
        self.maybe_posted = maybe_posted
        self.status_code = status_code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"ChannelError(kind={self.kind.value!r}, message={self.message!r}, "
            f"retry_at={self.retry_at!r}, maybe_posted={self.maybe_posted!r}, "
            f"status_code={self.status_code!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments need help to survive pickling (multiprocessing, test runners).
        args = (self.kind, self.message, self.retry_at, self.maybe_posted, self.status_code)
        return (_rebuild_channel_error, args)


def _rebuild_channel_error(
    kind: ErrorKind,
    message: str,
    retry_at: datetime | None,
    maybe_posted: bool,
    status_code: int | None,
) -> ChannelError:
    return ChannelError(
        kind, message, retry_at=retry_at, maybe_posted=maybe_posted, status_code=status_code
    )


@dataclass(frozen=True)
class MediaItem:
    """An image already loaded and validated by bot.images.load; channels only upload it."""

    data: bytes = field(repr=False)
    mime_type: str
    alt: str

    def __repr__(self) -> str:
        # Megabytes of image bytes in a log line or a failed assertion help nobody.
        return (
            f"MediaItem(<{len(self.data)} bytes>, mime_type={self.mime_type!r}, alt={self.alt!r})"
        )


@dataclass(frozen=True)
class Publication:
    """Exactly what to publish: the composed text and its images, in order."""

    text: str
    media: tuple[MediaItem, ...] = ()


@dataclass(frozen=True)
class Published:
    """Proof that a publication went out: enough to link to it and to find it again."""

    remote_id: str
    remote_url: str
    media_ids: tuple[str, ...] = ()
    posted_at: datetime | None = None


@dataclass(frozen=True)
class RemotePost:
    """A post as the platform shows it, used to settle an unknown outcome."""

    remote_id: str
    remote_url: str
    text: str
    created_at: datetime | None


class Channel(Protocol):
    """A place to publish to. Implementations raise ChannelError, never library exceptions."""

    name: str

    def publish(self, publication: Publication) -> Published:
        """Publish once. On ``maybe_posted`` errors the caller settles before retrying."""
        ...

    def recent_posts(self, since: datetime) -> list[RemotePost]:
        """The account's own posts since ``since`` (aware), to find a post we lost track of."""
        ...

    def whoami(self) -> str:
        """The account name (``@name``), so ``check`` proves the credentials work."""
        ...

    def close(self) -> None:
        """Release connections; the channel is not used afterwards."""
        ...


# Platforms rewrite links (X turns every URL into a t.co link), so URLs cannot be compared.
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")
_TRAILING_PUNCTUATION = ".,;:!?)]}'\"…"
_URL_PLACEHOLDER = "\x00url\x00"
_SPACE = re.compile(r"\s+")


def _replace_urls(text: str) -> str:
    def placeholder(match: re.Match[str]) -> str:
        url = match.group(0)
        stripped = url.rstrip(_TRAILING_PUNCTUATION)
        return _URL_PLACEHOLDER + url[len(stripped) :]

    return _URL.sub(placeholder, text)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _replace_urls(text)
    return _SPACE.sub(" ", text).strip()


def texts_match(local: str, remote: str) -> bool:
    """Whether ``remote`` (as the platform returns it) is the post we sent as ``local``.

    Used to settle a post whose outcome we never heard: X shortens every URL to t.co, may
    NFC-normalise and trims surrounding whitespace, so the comparison ignores URL spellings,
    runs of whitespace and normalisation form, but nothing else. X also returns ``&``, ``<`` and
    ``>`` HTML-escaped in post texts, so those entities are decoded first. Where the platform
    shows a link as posted (X's ``entities.urls``, expanded by the channel) it must be the same
    link: entries that share a sentence differ only there.
    """
    remote = _unescape_x(remote)
    if _normalise(local) != _normalise(remote):
        return False
    return all(map(_same_link, _links(local), _links(remote)))


def _links(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text)
    return [match.group(0).rstrip(_TRAILING_PUNCTUATION) for match in _URL.finditer(text)]


def _same_link(local: str, remote: str) -> bool:
    """Equal links, or a remote one still shortened (a t.co link hides where it leads)."""

    def key(url: str) -> str:
        bare = re.sub(r"(?i)^(?:https?://)?(?:www\.)?", "", url).rstrip("/")
        host, slash, rest = bare.partition("/")
        return host.lower() + slash + rest

    return key(remote).startswith("t.co/") or key(local) == key(remote)


def _unescape_x(text: str) -> str:
    # X escapes exactly these three in returned texts; html.unescape would touch far more.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
