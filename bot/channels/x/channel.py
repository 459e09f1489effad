"""The X channel: posts through tweepy's v2 ``Client``; images go through bot.channels.x.media.

This is the only module that imports tweepy, and it does so inside ``XChannel`` so that importing
the module (from the CLI, for ``--help``) stays cheap. tweepy has no v2 media upload, so images
are uploaded over httpx by ``MediaUploader`` (bot.channels.x.media) before the post is created.

Every library exception becomes a ``ChannelError`` whose ``kind`` tells the worker what to do,
and whose message is built from X's explanation, never from anything that could hold a secret;
that classification lives in bot.channels.x.errors. Post links and how X rewrites a post's
text are in bot.channels.x.posts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot.channels.base import ChannelError, ErrorKind, MediaItem, Publication, Published, RemotePost
from bot.channels.staging import (
    X_DEFAULT_EXPIRY,
    StagedMedia,
    check_count,
    gone_if_staged,
    media_count,
    staged_or_uploaded,
    usable_until,
)
from bot.channels.transport import json_or_none, scrub, transport_error
from bot.channels.x import engagement as x_engagement
from bot.channels.x.billing import ChargeLog, XPrices
from bot.channels.x.credentials import XCredentials
from bot.channels.x.errors import classify_http_error
from bot.channels.x.media import MediaUploader, rebase
from bot.channels.x.posts import aware, post_url, text_as_posted

__all__ = [
    "MAX_MEDIA",
    "XChannel",
]

MAX_MEDIA = 4
# X bills each post a read returns: settling asks for a narrow window, first in a small page
# (X's minimum is 5), so a quiet account's window is one request for a few posts; then in full
# pages. X serves a timeline's newest 3,200 posts at most.
_FIRST_PAGE = 10
_PAGE = 100
_TIMELINE_POSTS = 3200

T = TypeVar("T")


class XChannel:
    """Publishes to one X account.

    ``api_base`` (for example ``http://127.0.0.1:8123``) sends every request there instead of to
    X, for tests against a fake server or a recording proxy; requests are still built and signed
    for the real ``https://api.x.com`` / ``https://api.twitter.com`` URLs. ``timeout`` bounds
    every request (tweepy has none of its own), and ``chunk_size`` is the media APPEND size.
    """

    name = "x"
    engagement_batch = x_engagement.BATCH

    def __init__(
        self,
        credentials: XCredentials,
        *,
        api_base: str | None = None,
        timeout: float = 30.0,
        chunk_size: int = 1_048_576,
        prices: XPrices | None = None,
    ) -> None:
        import tweepy

        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self._secrets = credentials.values()
        self._tweepy: Any = tweepy
        # Never wait_on_rate_limit: a 429 with a past reset makes tweepy recurse until it dies.
        self._client: Any = tweepy.Client(
            consumer_key=credentials.api_key,
            consumer_secret=credentials.api_secret,
            access_token=credentials.access_token,
            access_token_secret=credentials.access_token_secret,
            wait_on_rate_limit=False,
        )
        adapter = _requests_adapter(api_base=api_base, timeout=timeout)
        self._client.session.mount("https://", adapter)
        self._client.session.mount("http://", adapter)
        # Every billable request that succeeded (bot/channels/x/billing.py): the worker drains
        # it into the ledger, attributed to the post it was for.
        self.charges = ChargeLog(prices or XPrices())
        self.read_engagement = x_engagement.CountReads(self._client, self._call, self.charges).read
        uploader = functools.partial(
            MediaUploader, credentials, api_base=api_base, timeout=timeout, chunk_size=chunk_size
        )
        self._media = uploader(on_metadata=self.charges.metadata)
        # Staging runs beside posting (bot/channels/staging.py): its own connection and log.
        self.staged_charges = ChargeLog(self.charges.prices)
        self._stager = uploader(on_metadata=self.staged_charges.metadata)
        self._account: tuple[str, str] | None = None  # (user id, username) from get_me

    def __repr__(self) -> str:
        return "XChannel(<credentials hidden>)"

    # -- the Channel protocol -------------------------------------------------------------------

    def publish(self, publication: Publication) -> Published:
        """Upload the images (with alt text), then create the post.

        Media failures happen before anything is posted, so they never set ``maybe_posted``.
        """
        check_count(media_count(publication), MAX_MEDIA, "X allows")
        media_ids = staged_or_uploaded(
            publication, lambda item, n: self._media.upload(item, position=n)
        )
        try:
            response = self._call(
                lambda: self._client.create_tweet(
                    text=publication.text, media_ids=list(media_ids) or None, user_auth=True
                ),
                what="posting",
                creating=True,
            )
        except ChannelError as error:  # "Your media IDs are invalid.": staged ones expired
            gone = error.status_code == 400 and "media" in error.message.lower()
            raise gone_if_staged(publication, error, gone) from error
        data = getattr(response, "data", None)
        if not isinstance(data, Mapping) or "id" not in data:
            # X took the request but said nothing usable: it may well have posted.
            raise ChannelError(
                ErrorKind.TRANSIENT,
                "X answered the post without an id; check the account before retrying",
                maybe_posted=True,
            )
        remote_id = str(data["id"])
        self.charges.created(publication.text, remote_id)
        return Published(
            remote_id=remote_id,
            remote_url=post_url(remote_id),
            media_ids=media_ids,
            posted_at=datetime.now(UTC),
        )

    def stage_media(self, media: Sequence[MediaItem], now: datetime) -> StagedMedia:
        """Upload and describe ``media`` ahead of the post (bot/channels/staging.py)."""
        check_count(len(media), MAX_MEDIA, "X allows")
        uploads = [
            self._stager.upload_expiring(item, position=n) for n, item in enumerate(media, 1)
        ]
        keeps = min((timedelta(seconds=s) for _, s in uploads if s), default=X_DEFAULT_EXPIRY)
        return StagedMedia(self.name, tuple(i for i, _ in uploads), usable_until(now, keeps))

    def recent_posts(self, since: datetime, until: datetime | None = None) -> list[RemotePost]:
        """The account's own posts (no replies or reposts) created from ``since`` to ``until``
        (None: now), newest first, every page of that window. Each post returned is billed:
        the window is the caller's to keep narrow.

        ChannelError (TRANSIENT) when the window holds more than X serves: a read that could
        not cover the window must never pass for "not posted".
        """
        user_id, username = self._me()
        posts: list[RemotePost] = []
        token: str | None = None
        while len(posts) < _TIMELINE_POSTS:
            response = self._call(
                functools.partial(
                    self._client.get_users_tweets,
                    user_id,
                    start_time=_whole_second(since),
                    end_time=None if until is None else _whole_second(until, up=True),
                    exclude=["replies", "retweets"],
                    max_results=min(_PAGE, _TIMELINE_POSTS - len(posts)) if token else _FIRST_PAGE,
                    tweet_fields=["created_at", "entities"],
                    pagination_token=token,
                    user_auth=True,
                ),
                what="reading the account's recent posts",
                creating=False,
            )
            self.charges.read(tuple(str(tweet.id) for tweet in response.data or ()))
            for tweet in response.data or ():
                remote_id = str(tweet.id)
                posts.append(
                    RemotePost(
                        remote_id=remote_id,
                        remote_url=post_url(remote_id, username),
                        text=text_as_posted(
                            str(tweet.text), getattr(tweet, "entities", None), remote_id
                        ),
                        created_at=aware(getattr(tweet, "created_at", None)),
                    )
                )
            token = (response.meta or {}).get("next_token")
            if not token:
                return posts
        raise ChannelError(
            ErrorKind.TRANSIENT,
            f"more than {_TIMELINE_POSTS} posts between {since.isoformat()} and "
            f"{(until or datetime.now(UTC)).isoformat()}: the timeline could not be read to "
            "the end of that window",
        )

    def whoami(self) -> str:
        """``@username`` of the account the access token belongs to."""
        return "@" + self._me(refresh=True)[1]

    def close(self) -> None:
        self._media.close()
        self._stager.close()
        self._client.session.close()

    # -- tweepy calls ---------------------------------------------------------------------------

    def _me(self, *, refresh: bool = False) -> tuple[str, str]:
        # Cached: on some tiers /2/users/me allows only 25 calls a day.
        if self._account is None or refresh:
            response = self._call(
                lambda: self._client.get_me(user_auth=True),
                what="asking X who the account is",
                creating=False,
            )
            user = response.data
            if user is None:
                raise ChannelError(ErrorKind.TRANSIENT, "X did not say who the account is")
            self._account = (str(user.id), str(user.username))
        return self._account

    def _call(self, request: Callable[[], T], *, what: str, creating: bool) -> T:
        """Run one tweepy call, turning every exception it can raise into a ChannelError."""
        import requests

        tweepy = self._tweepy
        try:
            return request()
        except tweepy.HTTPException as exc:
            response = exc.response
            raise classify_http_error(
                response.status_code,
                response.headers,
                json_or_none(response),
                what=what,
                creating=creating,
                reading=not creating,
                reason=str(getattr(response, "reason", "") or ""),
                secrets=self._secrets,
            ) from exc
        except requests.RequestException as exc:
            raise self._transport_error(exc, what=what, creating=creating) from exc
        except tweepy.TweepyException as exc:
            raise ChannelError(
                ErrorKind.INVALID, scrub(f"tweepy refused {what}: {exc}", self._secrets)
            ) from exc

    def _transport_error(self, exc: BaseException, *, what: str, creating: bool) -> ChannelError:
        return transport_error(exc, what=what, creating=creating, secrets=self._secrets)


def _whole_second(moment: datetime, *, up: bool = False) -> datetime:
    """X takes times to the second: the start rounded down, the end up (never inward)."""
    whole = moment.replace(microsecond=0)
    return whole + timedelta(seconds=1) if up and whole != moment else whole


# -- the api_base seam -----------------------------------------------------------------------------


def _requests_adapter(*, api_base: str | None, timeout: float) -> Any:
    """A requests adapter for tweepy's session: default timeout, and the api_base rewrite.

    tweepy builds ``https://api.twitter.com`` URLs itself and signs them (via requests-oauthlib)
    before the adapter sees the request, so rewriting here keeps the signature for the real URL.
    """
    from requests.adapters import HTTPAdapter

    class XAdapter(HTTPAdapter):
        def send(
            self,
            request: Any,
            stream: bool = False,
            timeout: Any = None,
            verify: Any = True,
            cert: Any = None,
            proxies: Any = None,
        ) -> Any:
            if timeout is None:
                timeout = default_timeout
            if api_base is not None:
                request.url = rebase(request.url, api_base)
                proxies = {}  # the whole point is to reach api_base directly
            return super().send(
                request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
            )

    default_timeout = timeout
    return XAdapter(max_retries=0)  # never retry a POST behind the worker's back
