"""The Mastodon channel: posts through Mastodon.py, with an Idempotency-Key on every send.

This is the only module that imports Mastodon.py, inside ``MastodonChannel``, so importing it (from
the CLI, for ``--help``) stays cheap. The client is built so that no call can hang or sleep for
long behind the worker's back: ``request_timeout`` bounds every request (the library's default is
300 s), ``ratelimit_method="throw"`` turns a 429 into an error instead of a sleep of up to five
minutes inside the call, and the Mastodon version is given (``version_check_mode="created"`` with
``mastodon_version``) so the client never asks the instance for it: it would otherwise guess
1.0.0 and upload media through the old v1 endpoint.

Exactly once: the caller chooses a key with ``new_request_key`` and stores it *before* the first
``publish``. Mastodon remembers a key per account for one hour and answers a repeat with the status
it already made, but some servers that speak its API ignore the key: so after a lost answer the
caller first asks ``find_published``, which looks for the post among the account's own statuses
(by text and link); only "not found" lets it send again (with the same key, as a help).
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.channels.base import ChannelError, ErrorKind, MediaItem, Publication, Published, RemotePost
from bot.channels.mastodon import engagement
from bot.channels.mastodon.account import AccountFile
from bot.channels.mastodon.errors import classify, is_too_long, media_gone, reading_error
from bot.channels.mastodon.identity import Identity
from bot.channels.mastodon.instance import read_instance_limits
from bot.channels.mastodon.limits import InstanceLimits
from bot.channels.mastodon.media import MediaUploader
from bot.channels.mastodon.statuses import aware_time, is_publication, remote_post
from bot.channels.staging import StagedMedia, gone_if_staged, media_count, staged_or_uploaded

__all__ = ["MASTODON_VERSION", "MastodonChannel"]

#: The oldest Mastodon whose API this channel relies on (v2 instance, v2 media).
MASTODON_VERSION = "4.0.0"
_PAGE = 40  # Mastodon's largest page of account statuses

T = TypeVar("T")


class MastodonChannel:
    """Publishes to one Mastodon account.

    ``media_poll_tries`` and ``media_poll_interval`` bound the wait for media the instance is
    still processing (202 from ``/api/v2/media``); ``sleep`` does the waiting, so tests pass one
    that records instead of sleeping. ``max_pages`` bounds how far back (40 statuses a page)
    ``find_published`` reads. ``max_media`` is the instance's ``max_media_attachments``
    (bot.channels.mastodon.limits), checked before anything is uploaded. ``session`` is a
    ``requests.Session`` to use (tests, proxies). ``account_file`` remembers which account the
    token posts as (bot.channels.mastodon.account), for servers whose ``verify_credentials``
    wants more than the documented scopes. ``links_in_full``: the server counts links at full
    length (learned earlier); otherwise the first "too long" refusal teaches it, calls
    ``on_links_in_full`` (the caller composes with links at full length from then on and
    remembers it) and is reported as TRANSIENT, so the post is composed again, once.
    """

    name = "mastodon"
    repeat_is_harmless = False  # keys are kept an hour, and ignored by some servers: a help only
    lookup_words = "the account's own statuses, by text and links"
    engagement_batch = engagement.BATCH

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
        account_file: AccountFile | None = None,
        links_in_full: bool = False,
        on_links_in_full: Callable[[], None] | None = None,
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
        self._media = MediaUploader(
            self._api, self._call, media_poll_tries, media_poll_interval, sleep, max_media
        )
        self._max_pages = max_pages
        self._identity = Identity(account_file)
        self._links_in_full = links_in_full
        self._on_links_in_full = on_links_in_full
        self._base_url = api_base_url
        self._timeout = timeout
        self._answers = threading.local()  # per thread: staging runs beside posting
        self._api.session.hooks["response"].append(self._keep_error_body)
        self.read_engagement = engagement.StatusReads(self._api, self._call).read

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
        """The instance's limits from ``/api/v2/instance`` (``/api/v1/instance`` when missing),
        asked without the trailing slash Mastodon.py adds (bot.channels.mastodon.instance).

        One request, no authentication needed; cache the value (bot.channels.mastodon.limits).
        """
        return read_instance_limits(self._api.session, self._base_url, timeout=self._timeout)

    # -- publishing -----------------------------------------------------------------------------

    def publish(self, publication: Publication, *, request_key: str) -> Published:
        """Upload the images (with descriptions, waiting for processing), then post once.

        Media failures happen before the status is sent, so they never set ``maybe_posted``.
        """
        if not request_key:
            raise ValueError("publish needs the request key stored for this post")
        self._media.check_count(media_count(publication))
        media_ids = staged_or_uploaded(
            publication, lambda item, n: self._media.upload(item, position=n)
        )
        try:
            status = self._call(
                lambda: self._api.status_post(
                    publication.text, media_ids=list(media_ids) or None, idempotency_key=request_key
                ),
                what="posting",
                creating=True,
            )
        except ChannelError as error:
            raise self._after_refusal(error, publication) from error
        if not isinstance(status, Mapping) or not status.get("id"):
            raise ChannelError(
                ErrorKind.TRANSIENT,
                "Mastodon answered the post without an id; resend with the same key",
                maybe_posted=True,
            )
        self._identity.learn(status.get("account"))
        return Published(
            remote_id=str(status["id"]),
            remote_url=str(status.get("url") or status.get("uri") or ""),
            media_ids=media_ids,
            posted_at=aware_time(status.get("created_at")) or datetime.now(UTC),
        )

    def stage_media(self, media: Sequence[MediaItem], now: datetime) -> StagedMedia:
        """Upload, describe and process ``media`` ahead of the post (bot/channels/staging.py)."""
        return self._media.stage(media, now)

    def _after_refusal(self, error: ChannelError, publication: Publication) -> ChannelError:
        """Staged media the server lost: upload again. A first "too long" from a server that
        counts links in full (though it advertises fewer) means compose again, not fail for
        good; only where counting links in full makes the text longer."""
        from bot.text.mastodon import LINKS_IN_FULL, mastodon_length

        text = publication.text
        error = gone_if_staged(publication, error, media_gone(error))
        longer = mastodon_length(text, url_length=LINKS_IN_FULL) > mastodon_length(text)
        if not is_too_long(error) or self._links_in_full or not longer:
            return error
        self._links_in_full = True
        if self._on_links_in_full is not None:
            self._on_links_in_full()
        return ChannelError(
            ErrorKind.TRANSIENT,
            f"{error.message}: this server counts links at full length; the post is composed "
            "again with links at full length",
            status_code=error.status_code,
        )

    # -- settling -------------------------------------------------------------------------------

    def find_published(
        self, request_key: str, publication: Publication, since: datetime
    ) -> Published | None:
        """The status ``publication`` became, found among the account's statuses since ``since``.

        Asked after every lost answer (the key is a help, never a proof: it cannot be looked
        up). Pass as ``since`` the first attempt's time less a few minutes (the instance's clock
        is not ours). None means it was never posted: send again, with the same key.
        Raises ChannelError (never INVALID) when the statuses cannot be read, or when more than
        ``max_pages`` pages lie between now and ``since``, so "not found" is never a guess.
        """
        for status in self._own_statuses(since):
            if is_publication(status, publication):
                media = status.get("media_attachments") or ()
                return Published(
                    remote_id=str(status["id"]),
                    remote_url=str(status.get("url") or status.get("uri") or ""),
                    media_ids=tuple(str(item["id"]) for item in media),
                    posted_at=aware_time(status.get("created_at")),
                )
        return None

    def recent_posts(self, since: datetime, until: datetime | None = None) -> list[RemotePost]:
        """The account's own statuses (no replies or boosts) from ``since`` to ``until``,
        newest first; ChannelError when more than ``max_pages`` pages lie in between."""
        posts = [remote_post(status) for status in self._own_statuses(since)]
        return [p for p in posts if not (until and p.created_at and p.created_at > until)]

    def _own_statuses(self, since: datetime) -> list[Mapping[str, Any]]:
        """Statuses created at or after ``since``, every one of them: ChannelError (TRANSIENT)
        when more than ``max_pages`` pages lie in between, never part of the window."""
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
                    return found  # newest first: everything further is older
                found.append(status)
            if not page:
                return found
            if pages >= self._max_pages:
                raise ChannelError(
                    ErrorKind.TRANSIENT,
                    f"more than {self._max_pages * _PAGE} statuses since {since.isoformat()}: "
                    "the account's statuses could not be read to the end of that window",
                )
            page = self._read(functools.partial(self._api.fetch_next, page), what=what)
            pages += 1

    def close(self) -> None:
        self._api.session.close()

    # -- Mastodon.py calls ----------------------------------------------------------------------

    def _me(self, *, refresh: bool = False) -> tuple[str, str]:
        verify = functools.partial(
            self._call,
            self._api.account_verify_credentials,
            what="asking Mastodon who the account is",
            creating=False,
        )
        return self._identity.resolve(verify, refresh=refresh)

    def _keep_error_body(self, response: Any, *args: object, **kwargs: object) -> Any:
        """A requests hook: a failed answer's text that is not JSON, which Mastodon.py drops
        (Takahē's ``400 "Invalid Bearer token"``)."""
        kind = response.headers.get("Content-Type", "")
        failed = response.status_code >= 400 and "json" not in kind
        self._answers.error_body = response.text[:400] if failed else None
        return response

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
                body=getattr(self._answers, "error_body", None),
            ) from exc
