"""The Bluesky channel: posts through the atproto SDK, exactly once by a record key.

``import atproto`` takes seconds (its async half loads eagerly), so this module imports only
``atproto_client``, and only inside the channel's methods: importing it from the CLI is cheap.

Exactly once: the caller picks the record key (``new_request_key``, a TID) and stores it before
the first send; ``publish`` creates the post under that key. Creating a key twice answers HTTP
500 (not 409), and a lost answer says nothing, so both are settled by asking for the record:
``find_published`` (getRecord) finds it, or answers None when it is certainly not there and the
same key may be sent again.

Sessions, logins and token refreshes are bot/channels/bluesky/connection.py's job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bot.channels.base import ChannelError, ErrorKind, MediaItem, Publication, Published, RemotePost
from bot.channels.bluesky import engagement as bsky_engagement
from bot.channels.bluesky.cards import card_embed
from bot.channels.bluesky.connection import BlueskyConnection, BlueskyCredentials
from bot.channels.bluesky.errors import smaller_blob_limit
from bot.channels.bluesky.records import (
    fit_image,
    image_entry,
    link_facets,
    media_ids,
    parse_time,
    post_record,
    warm_up,
)
from bot.channels.bluesky.session import SessionFile, TidClock, is_tid
from bot.channels.staging import (
    BLUESKY_BLOB_WINDOW,
    StagedMedia,
    check_count,
    gone_if_staged,
    media_count,
    staged_or_uploaded,
    usable_until,
)
from bot.text.bluesky import LinkFacet, render, with_full_links

__all__ = ["BLOB_LIMIT", "BlueskyChannel"]

BLOB_LIMIT = 2_000_000  # app.bsky.embed.images lexicon limit since April 2026
MAX_IMAGES = 4
POST = "app.bsky.feed.post"
_PAGES = 5
T = TypeVar("T")
log = logging.getLogger("paperbot")


class BlueskyChannel:
    """Publishes to one Bluesky account. ``session_file`` keeps the session between processes
    (a secret: a ``0600`` file beside the database). ``service`` is the account's PDS
    (``https://bsky.social`` for most accounts, a fake's URL in tests); ``timeout`` bounds every
    request; ``blob_limit`` is the image size the server takes (larger images are shrunk); a
    server that refuses an image as too big (naming its maximum, or 413) lowers it, once a post.
    """

    name = "bluesky"
    # A record key exists once in the repository: a repeat is refused (500), then looked up.
    repeat_is_harmless = True
    lookup_words = "getRecord for its record key"
    engagement_batch = bsky_engagement.BATCH

    def __init__(
        self,
        credentials: BlueskyCredentials,
        *,
        session_file: Path,
        service: str = "https://bsky.social",
        timeout: float = 30.0,
        blob_limit: int = BLOB_LIMIT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._credentials = credentials
        self._blob_limit = blob_limit
        self._clock = clock
        self._tids = TidClock()
        self._connection = BlueskyConnection(
            credentials, SessionFile(session_file), service=service, timeout=timeout, clock=clock
        )
        self.read_engagement = bsky_engagement.PostReads(self._connection).read

    def __repr__(self) -> str:
        return f"BlueskyChannel(handle={self._credentials.handle!r})"

    # -- the Channel protocol -------------------------------------------------------------------

    def new_request_key(self) -> str:
        """A fresh record key (TID), to store before the first ``publish`` with it."""
        return self._tids.next()

    def publish(self, publication: Publication, *, request_key: str) -> Published:
        """Upload the images, then create the post under ``request_key``. A 500 answer may mean
        the key exists (an earlier attempt got through): the record is looked up before the
        error is passed on. Image failures come before anything is posted: never ``maybe_posted``.
        """
        if not is_tid(request_key):
            raise ValueError(f"a Bluesky record key must be a TID, not {request_key!r}")
        shown = render(publication.text)
        if not shown.valid:
            raise ChannelError(
                ErrorKind.INVALID,
                f"the post is {shown.graphemes} graphemes and {shown.utf8_bytes} bytes as "
                "Bluesky shows it; it takes 1 to 300 graphemes and at most 3,000 bytes",
            )
        check_count(media_count(publication), MAX_IMAGES, "Bluesky takes")
        for attempt in (1, 2):
            try:
                images = list(staged_or_uploaded(publication, self._upload))
                card = publication.card
                embed = card_embed(card, self._upload_thumb) if card and not images else None
                return self._create(shown.text, shown.facets, images, request_key, embed)
            except ChannelError as error:
                shrunk = self._shrink_after(error)
                # Staged blobs the PDS dropped, or too big for it: upload (and shrink) again.
                gone = shrunk or "could not find blob" in error.message.lower()
                if publication.staged is not None:
                    raise gone_if_staged(publication, error, gone) from error
                if attempt == 2 or not shrunk:
                    raise
        raise AssertionError("unreachable")

    def preload(self, now: datetime) -> None:
        warm_up((), now)  # the SDK and its record models, loaded at a daemon's start (Preloading)

    def stage_media(self, media: Sequence[MediaItem], now: datetime) -> StagedMedia:
        """Upload ``media`` (shrunk to the blob limit) ahead of the post (channels/staging.py)."""
        check_count(len(media), MAX_IMAGES, "Bluesky takes")
        for attempt in (1, 2):
            try:
                images = tuple(self._upload(item, n) for n, item in enumerate(media, 1))
                warm_up(images, now)  # the SDK's record models: built here, not at the slot
                return StagedMedia(self.name, images, usable_until(now, BLUESKY_BLOB_WINDOW))
            except ChannelError as error:
                if attempt == 2 or not self._shrink_after(error):
                    raise
        raise AssertionError("unreachable")

    def _shrink_after(self, error: ChannelError) -> bool:
        """Whether ``error`` was an image too large, and images now shrink to a smaller size."""
        smaller = smaller_blob_limit(error, self._blob_limit)
        if smaller is None:
            return False
        log.warning(
            "Bluesky refused an image as too large (%s): shrinking images to %s bytes "
            "and sending again",
            error.message,
            f"{smaller:,}",
        )
        self._blob_limit = smaller  # kept for this server's later posts too
        return True

    def find_published(
        self, request_key: str, publication: Publication, since: datetime
    ) -> Published | None:
        """The post created under ``request_key``, or None if there is none (safe to send).

        Any answer but the record or a clear "RecordNotFound" leaves the outcome unknown.
        """
        try:
            record = self._connection.own_post(request_key)
        except ChannelError as error:
            if error.kind in (ErrorKind.AUTH, ErrorKind.RATE_LIMITED):
                raise
            raise ChannelError(
                ErrorKind.TRANSIENT,
                error.message,
                status_code=error.status_code,
                maybe_posted=True,
            ) from None
        if record is None:
            return None
        return self._published(record.uri, record.value)

    def recent_posts(self, since: datetime, until: datetime | None = None) -> list[RemotePost]:
        """The account's posts created from ``since`` to ``until``, newest first, from its own
        server (listRecords). Only for posts from before record keys were kept."""
        posts: list[RemotePost] = []
        cursor: str | None = None
        for _ in range(_PAGES):

            def page_of(client: Any, cursor: str | None = cursor) -> Any:
                return client.app.bsky.feed.post.list(self._repo, cursor, 100)

            page = self._call(page_of, what="reading the account's recent posts", creating=False)
            older = False
            for uri, value in page.records.items():
                created = parse_time(value.created_at)
                if created is not None and created < since:
                    older = True
                    continue
                if created is not None and until is not None and created > until:
                    continue
                text = with_full_links(value.text, link_facets(value))
                posts.append(RemotePost(uri, self._web_url(uri), text, created))
            cursor = page.cursor
            if older or not cursor:
                break
        return posts

    def whoami(self) -> str:
        """``@handle`` of the account the session belongs to (asks the server)."""
        answer = self._call(
            lambda client: client.com.atproto.server.get_session(),
            what="asking who the account is",
            creating=False,
        )
        self._connection.handle = str(answer.handle)
        return "@" + self._connection.handle

    def close(self) -> None:
        self._connection.close()

    @property
    def session_problem(self) -> str | None:
        """Why the session could not be kept between processes, if so (``check`` reports it)."""
        return self._connection.session_problem

    def _call(
        self, request: Callable[[Any], T], *, what: str, creating: bool, raw: bool = False
    ) -> T:
        return self._connection.call(request, what=what, creating=creating, raw=raw)

    def _error(self, exc: BaseException, what: str, creating: bool) -> ChannelError:
        return self._connection.error(exc, what, creating)

    @property
    def _repo(self) -> str:
        """The account's DID once known, its handle until then."""
        return self._connection.did or self._connection.handle

    def _web_url(self, uri: str) -> str:
        return f"https://bsky.app/profile/{self._connection.handle}/post/{uri.rsplit('/', 1)[-1]}"

    # -- posting --------------------------------------------------------------------------------

    def _create(
        self,
        text: str,
        facets: tuple[LinkFacet, ...],
        images: list[Any],
        rkey: str,
        card: Any | None = None,
    ) -> Published:
        created_at = self._clock().astimezone(UTC)
        record = post_record(text, facets, images, created_at, card)
        try:
            answer = self._call(
                lambda client: client.app.bsky.feed.post.create(
                    self._connection.did, record, rkey=rkey
                ),
                what="posting",
                creating=True,
            )
        except ChannelError as error:
            if error.status_code != 500:
                raise
            # The reference server answers a second create of a key with a bare 500.
            found = self.find_published(rkey, Publication(text), created_at)
            if found is None:
                raise
            return found
        return self._published(answer.uri, record)

    def _upload(self, item: MediaItem, number: int) -> Any:
        """The image as an embed entry: uploaded (shrunk first if over the limit), alt text and
        aspect ratio set."""
        data, mime, width, height = fit_image(item, number, self._blob_limit)
        blob = self._call(
            lambda client: client.com.atproto.repo.upload_blob(
                data, headers={"Content-Type": mime}
            ),
            what=f"uploading image {number}",
            creating=False,
        ).blob
        return image_entry(blob, item.alt, width, height)

    def _upload_thumb(self, data: bytes, mime: str) -> Any:
        """A link card's thumbnail (bot/channels/bluesky/cards.py has shrunk it already)."""
        return self._call(
            lambda client: client.com.atproto.repo.upload_blob(
                data, headers={"Content-Type": mime}
            ),
            what="uploading the link card's thumbnail",
            creating=False,
        ).blob

    def _published(self, uri: str, record: Any) -> Published:
        created = parse_time(getattr(record, "created_at", None))
        return Published(uri, self._web_url(uri), media_ids(record), created or self._clock())
