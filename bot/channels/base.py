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
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Channel",
    "ChannelError",
    "ErrorKind",
    "KeyedChannel",
    "LinkCard",
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
    # The account's access level may not read posts (X error 453): a lost answer can never be
    # looked up, so the operator decides. Not a credentials problem: posting goes on.
    READ_REFUSED = "read_refused"


class ChannelError(Exception):
    """A failure a channel reports to the worker.

    ``message`` is shown to users and stored in the database, so channels build it from the
    platform's own explanation and never from anything that could carry a secret.
    ``maybe_posted`` is True when the request that creates the post may have been accepted
    although we saw no answer (dropped connection, timeout, 5xx after sending): the caller must
    look the post up before trying again, or risk a double post.
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
class LinkCard:
    """A link card for platforms that build none themselves (Bluesky): where it leads, its
    title, a short description and, when one could be had safely, a thumbnail."""

    uri: str
    title: str
    description: str
    thumb: MediaItem | None = None


class StagedRefs(Protocol):
    """Images uploaded ahead of the post (bot/channels/staging.py's ``StagedMedia``)."""

    @property
    def refs(self) -> tuple[Any, ...]: ...


@dataclass(frozen=True)
class Publication:
    """Exactly what to publish: the composed text and its images, in order, or a link card
    (channels that build their own cards, or get images, ignore it). ``staged``: the images
    uploaded already (bot/channels/staging.py), sent instead of ``media``."""

    text: str
    media: tuple[MediaItem, ...] = ()
    card: LinkCard | None = None
    staged: StagedRefs | None = None


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

    def recent_posts(self, since: datetime, until: datetime | None = None) -> list[RemotePost]:
        """The account's own posts (no replies or reposts) made from ``since`` to ``until``
        (aware; None: now), to find a post we lost track of. Raises ChannelError, never
        returns part of the window."""
        ...

    def whoami(self) -> str:
        """The account name (``@name``), so ``check`` proves the credentials work."""
        ...

    def close(self) -> None:
        """Release connections; the channel is not used afterwards."""
        ...


@runtime_checkable
class KeyedChannel(Protocol):
    """A channel that makes a repeated request harmless: the caller stores a key chosen by
    ``new_request_key`` before the first ``publish`` and sends it on every retry (a Bluesky
    record key, a Mastodon Idempotency-Key); ``find_published`` tells whether it went out.

    ``repeat_is_harmless``: a second send with the same key can never make a second post (a
    Bluesky record key exists once in the repository); False for Mastodon's Idempotency-Key,
    which some servers ignore and Mastodon forgets after an hour. Either way a key is a help,
    never a proof: the caller asks ``find_published`` before it sends again.
    ``lookup_words``: which lookup ``find_published`` makes, for the log.
    """

    name: str
    repeat_is_harmless: bool
    lookup_words: str

    def new_request_key(self) -> str: ...

    def publish(self, publication: Publication, *, request_key: str) -> Published: ...

    def find_published(
        self, request_key: str, publication: Publication, since: datetime
    ) -> Published | None: ...

    def recent_posts(self, since: datetime, until: datetime | None = None) -> list[RemotePost]: ...

    def whoami(self) -> str: ...

    def close(self) -> None: ...


# A link as such, where the platform's own rules might not see one (kept apart, compared loosely).
_SCHEME_URL = re.compile(r"(?i)\bhttps?://[^\s<>\"']+")
_TRAILING_PUNCTUATION = ".,;:!?)]}'\"…"
_LINK = "\x00link\x00"
_SPACE = re.compile(r"\s+")
_TCO = re.compile(r"(?i)^https?://t\.co/[0-9a-z]+$")


def texts_match(local: str, remote: str) -> bool:
    """Whether ``remote`` (as the platform shows it) is the post we sent as ``local``.

    Used to settle a post whose outcome we never heard. X shows every link as a t.co link, links
    typed without a scheme (``example.com/x``) included, and HTML-escapes ``&``, ``<``, ``>``;
    the channel puts back the links as posted where X says what they were (``entities.urls``)
    and leaves out the link X appends for a post's media. So: the words around the links must be
    the same (up to runs of whitespace and Unicode normalisation), and the links the same links
    (up to scheme, ``www.`` and the host's case); a link still shortened matches any link,
    since it hides where it leads. Entries that share a sentence differ only by their link,
    which is why links count. A trailing t.co link the channel could not explain (no entities)
    is taken for the media link.
    """
    local_words, local_links = _split(local)
    remote_words, remote_links = _split(_unescape_x(remote))
    if (
        len(remote_links) == len(local_links) + 1
        and _TCO.match(remote_links[-1])
        and remote_words.endswith(_LINK)
    ):
        remote_words = remote_words[: -len(_LINK)].rstrip()
        remote_links = remote_links[:-1]
    if local_words != remote_words or len(local_links) != len(remote_links):
        return False
    return all(map(_same_link, local_links, remote_links))


def _split(text: str) -> tuple[str, list[str]]:
    """The text with each link replaced by a marker (whitespace collapsed), and the links.

    Links are what X links (twitter-text's rules, bot.text.twitter_text) plus anything that starts
    with
    a scheme, so a link counts as one whichever side spelled it how.
    """
    from bot.text.url_extract import extract_urls

    text = unicodedata.normalize("NFC", text)
    spans = extract_urls(text)
    for match in _SCHEME_URL.finditer(text):
        start = match.start()
        end = start + len(match.group(0).rstrip(_TRAILING_PUNCTUATION))
        if end > start and not any(s < end and start < e for s, e in spans):
            spans.append((start, end))
    words: list[str] = []
    links: list[str] = []
    position = 0
    for start, end in sorted(spans):
        words += [text[position:start], _LINK]
        links.append(text[start:end])
        position = end
    words.append(text[position:])
    return _SPACE.sub(" ", "".join(words)).strip(), links


def _same_link(local: str, remote: str) -> bool:
    """Equal links, or a remote one still shortened (a t.co link hides where it leads).

    Both sides are unescaped alike (``%C3%A9`` and ``é``, ``%20`` and a space are the same
    link): a platform may give back the link escaped otherwise than it was sent.
    """
    from urllib.parse import unquote

    def key(url: str) -> str:
        bare = unquote(re.sub(r"(?i)^(?:https?://)?(?:www\.)?", "", url)).rstrip("/")
        host, slash, rest = bare.partition("/")
        return host.lower() + slash + rest

    return bool(_TCO.match(remote)) or key(local) == key(remote)


def _unescape_x(text: str) -> str:
    # X escapes exactly these three in returned texts; html.unescape would touch far more.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
