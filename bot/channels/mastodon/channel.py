"""The Mastodon channel: posts through Mastodon.py, exactly once by an Idempotency-Key.

This is the only module that imports Mastodon.py, inside ``MastodonChannel``, so importing it (from
the CLI, for ``--help``) stays cheap. The client is built so that no call can hang or sleep for
long behind the worker's back: ``request_timeout`` bounds every request (the library's default is
300 s), ``ratelimit_method="throw"`` turns a 429 into an error instead of a sleep of up to five
minutes inside the call, and the Mastodon version is given (``version_check_mode="created"`` with
``mastodon_version``) so the client never asks the instance for it: it would otherwise guess
1.0.0 and upload media through the old v1 endpoint.

Exactly once: the caller chooses a key with ``new_request_key`` and stores it *before* the first
``publish``. Mastodon remembers a key per account for one hour and answers a repeat with the status
it already made, so after a lost answer ``publish`` again with the same key is safe within the
hour. Later, ``find_published`` looks for the post among the account's own statuses (by text and
link); not found means it was never made, and sending again is safe.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot.channels.base import ChannelError, ErrorKind, MediaItem, Publication, Published, RemotePost
from bot.channels.mastodon.errors import classify, reading_error
from bot.channels.mastodon.limits import InstanceLimits, limits_from_configuration
from bot.channels.mastodon.statuses import aware_time, is_publication, remote_post

__all__ = ["MASTODON_VERSION", "MastodonChannel"]

#: The oldest Mastodon whose API this channel relies on (v2 instance, v2 media).
MASTODON_VERSION = "4.0.0"
_PAGE = 40  # Mastodon's largest page of account statuses
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
}

T = TypeVar("T")


class MastodonChannel:
    """Publishes to one Mastodon account.

    ``media_poll_tries`` and ``media_poll_interval`` bound the wait for media the instance is
    still processing (202 from ``/api/v2/media``); ``sleep`` does the waiting, so tests pass one
    that records instead of sleeping. ``max_pages`` bounds how far back (40 statuses a page)
    ``find_published`` reads. ``max_media`` is the instance's ``max_media_attachments``
    (bot.channels.mastodon.limits), checked before anything is uploaded. ``session`` is a
    ``requests.Session`` to use (tests, proxies).
    """

    name = "mastodon"
    # The server remembers a key for one hour; a margin for its clock and ours.
    key_memory: timedelta | None = timedelta(minutes=50)

    def __init__(
        self,
        *,
        api_base_url: str,
        access_token: str,
        timeout: float = 30.0,
        media_poll_tries: int = 20,
        media_poll_interval: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        max_pages: int = 25,
        max_media: int = 4,
        session: Any = None,
    ) -> None:
        import mastodon

        if timeout <= 0 or media_poll_tries < 0 or max_pages < 1:
            raise ValueError("timeout, media_poll_tries and max_pages must be positive")
        self._secrets = (access_token,)
        self._mastodon: Any = mastodon
        self._api: Any = mastodon.Mastodon(
            access_token=access_token,
            api_base_url=api_base_url,
            request_timeout=timeout,
            ratelimit_method="throw",
            version_check_mode="created",
            mastodon_version=MASTODON_VERSION,
            session=session,
            user_agent="paperbot",
        )
        self._poll_tries = media_poll_tries
        self._poll_interval = media_poll_interval
        self._sleep = sleep
        self._max_pages = max_pages
        self._max_media = max_media
        self._account: tuple[str, str] | None = None  # (id, acct)

    def __repr__(self) -> str:
        return "MastodonChannel(<access token hidden>)"

    # -- identity and limits ----------------------------------------------------------------------

    @staticmethod
    def new_request_key() -> str:
        """A fresh Idempotency-Key, to be stored before the first ``publish`` that uses it."""
        return uuid.uuid4().hex

    def whoami(self) -> str:
        """``@acct`` of the account the access token belongs to."""
        return "@" + self._me(refresh=True)[1]

    def instance_limits(self) -> InstanceLimits:
        """The instance's limits from ``/api/v2/instance`` (``/api/v1/instance`` before 4.0).

        One request, no authentication needed; cache the value (bot.channels.mastodon.limits).
        """
        what = "reading the instance's limits"
        try:
            instance = self._call(self._api.instance_v2, what=what, creating=False)
        except ChannelError as error:
            if error.status_code != 404:
                raise reading_error(error) from error
            instance = self._call(self._api.instance_v1, what=what, creating=False)
        configuration = instance.get("configuration") if isinstance(instance, Mapping) else None
        limits = limits_from_configuration(
            configuration if isinstance(configuration, Mapping) else {}
        )
        legacy = instance.get("max_toot_chars") if isinstance(instance, Mapping) else None
        if not isinstance(configuration, Mapping) and isinstance(legacy, int) and legacy > 0:
            limits = InstanceLimits(max_characters=legacy)  # Pleroma and old forks
        return limits

    # -- publishing -----------------------------------------------------------------------------

    def publish(self, publication: Publication, *, request_key: str) -> Published:
        """Upload the images (with descriptions, waiting for processing), then post once.

        Media failures happen before the status is sent, so they never set ``maybe_posted``.
        """
        if not request_key:
            raise ValueError("publish needs the request key stored for this post")
        if len(publication.media) > self._max_media:
            raise ChannelError(
                ErrorKind.INVALID,
                f"this Mastodon instance allows at most {self._max_media} images per post, "
                f"got {len(publication.media)}",
            )
        media_ids = tuple(
            self._upload(item, position=index + 1) for index, item in enumerate(publication.media)
        )
        status = self._call(
            lambda: self._api.status_post(
                publication.text, media_ids=list(media_ids) or None, idempotency_key=request_key
            ),
            what="posting",
            creating=True,
        )
        if not isinstance(status, Mapping) or not status.get("id"):
            raise ChannelError(
                ErrorKind.TRANSIENT,
                "Mastodon answered the post without an id; resend with the same key",
                maybe_posted=True,
            )
        return Published(
            remote_id=str(status["id"]),
            remote_url=str(status.get("url") or status.get("uri") or ""),
            media_ids=media_ids,
            posted_at=aware_time(status.get("created_at")) or datetime.now(UTC),
        )

    def _upload(self, item: MediaItem, *, position: int) -> str:
        what = f"uploading image {position}"
        media = self._call(
            lambda: self._api.media_post(
                item.data,
                mime_type=item.mime_type,
                description=item.alt or None,
                file_name=f"figure-{position}{_EXTENSIONS.get(item.mime_type, '')}",
            ),
            what=what,
            creating=False,
        )
        media_id = str(media["id"])
        for _ in range(self._poll_tries):
            if media.get("url"):
                return media_id
            self._sleep(self._poll_interval)
            media = self._call(
                lambda: self._api.media(media_id),
                what=f"waiting for image {position} to be processed",
                creating=False,
            )
        if media.get("url"):
            return media_id
        raise ChannelError(
            ErrorKind.TRANSIENT,
            f"Mastodon was still processing image {position} after {self._poll_tries} checks; "
            "nothing was posted",
        )

    # -- settling -------------------------------------------------------------------------------

    def find_published(
        self, request_key: str, publication: Publication, since: datetime
    ) -> Published | None:
        """The status ``publication`` became, found among the account's statuses since ``since``.

        For after the server's one-hour memory of ``request_key`` has passed (Mastodon offers
        no way to look a key up). Pass as ``since`` the first attempt's time less a few minutes:
        the instance's clock, which stamps ``created_at``, is not ours. None means it was never
        posted: send again, with the same key.
        Raises ChannelError (never INVALID) when the statuses cannot be read, or when more than
        ``max_pages`` pages lie between now and ``since``, so "not found" is never a guess.
        """
        statuses, complete = self._own_statuses(since)
        for status in statuses:
            if is_publication(status, publication):
                media = status.get("media_attachments") or ()
                return Published(
                    remote_id=str(status["id"]),
                    remote_url=str(status.get("url") or status.get("uri") or ""),
                    media_ids=tuple(str(item["id"]) for item in media),
                    posted_at=aware_time(status.get("created_at")),
                )
        if not complete:
            raise ChannelError(
                ErrorKind.TRANSIENT,
                f"more than {self._max_pages * _PAGE} statuses since {since.isoformat()}: cannot "
                f"tell whether post {request_key[:8]}… went out; resolve it by hand",
            )
        return None

    def recent_posts(self, since: datetime, until: datetime | None = None) -> list[RemotePost]:
        """The account's own statuses (no replies or boosts) since ``since``, newest first."""
        return [remote_post(status) for status in self._own_statuses(since)[0]]

    def _own_statuses(self, since: datetime) -> tuple[list[Mapping[str, Any]], bool]:
        """Statuses created at or after ``since``, and whether the window was read in full."""
        if since.tzinfo is None:
            raise ValueError("since must be an aware datetime")
        account_id = self._me()[0]
        what = "reading the account's recent statuses"
        page = self._read(
            lambda: self._api.account_statuses(
                account_id, exclude_replies=True, exclude_reblogs=True, limit=_PAGE
            ),
            what=what,
        )
        found: list[Mapping[str, Any]] = []
        pages = 1
        while True:
            for status in page or ():
                created = aware_time(status.get("created_at"))
                if created is not None and created < since:
                    return found, True  # newest first: everything further is older
                found.append(status)
            if not page:
                return found, True
            if pages >= self._max_pages:
                return found, False
            page = self._read(functools.partial(self._api.fetch_next, page), what=what)
            pages += 1

    def close(self) -> None:
        self._api.session.close()

    # -- Mastodon.py calls ----------------------------------------------------------------------

    def _me(self, *, refresh: bool = False) -> tuple[str, str]:
        if self._account is None or refresh:
            account = self._call(
                self._api.account_verify_credentials,
                what="asking Mastodon who the account is",
                creating=False,
            )
            self._account = (str(account["id"]), str(account["acct"]))
        return self._account

    def _read(self, request: Callable[[], T], *, what: str) -> T:
        try:
            return self._call(request, what=what, creating=False)
        except ChannelError as error:
            raise reading_error(error) from error

    def _call(self, request: Callable[[], T], *, what: str, creating: bool) -> T:
        """Run one Mastodon.py call, turning every exception it raises into a ChannelError."""
        try:
            return request()
        except self._mastodon.MastodonError as exc:
            raise classify(
                exc,
                what=what,
                creating=creating,
                secrets=self._secrets,
                ratelimit_reset=self._api.ratelimit_reset,
            ) from exc
