"""The X channel: posts through tweepy's v2 ``Client``, uploads images over X's v2 media API.

This is the only module that imports tweepy, and it does so inside ``XChannel`` so that importing
the module (from the CLI, for ``--help``) stays cheap. tweepy has no v2 media upload (its v1.1
``upload.twitter.com`` calls are being retired), so images go over httpx, signed by bot.oauth1,
to the dedicated v2 endpoints documented at docs.x.com (Media → Upload):

* ``POST /2/media/upload/initialize``  JSON ``{media_type, total_bytes, media_category}``
* ``POST /2/media/upload/{id}/append``  multipart ``media`` + ``segment_index``
* ``POST /2/media/upload/{id}/finalize``
* ``GET  /2/media/upload?command=STATUS&media_id={id}`` while ``processing_info`` says to wait
* ``POST /2/media/metadata``  JSON ``{"id", "metadata": {"alt_text": {"text"}}}``

Every library exception becomes a ``ChannelError`` whose ``kind`` tells the worker what to do,
and whose message is built from X's explanation, never from anything that could hold a secret.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from bot.channels.base import (
    ChannelError,
    ErrorKind,
    MediaItem,
    Publication,
    Published,
    RemotePost,
)

if TYPE_CHECKING:
    import httpx

__all__ = [
    "API_ROOT",
    "MAX_MEDIA",
    "XChannel",
    "XCredentials",
    "classify_http_error",
    "retry_time",
]

API_ROOT = "https://api.x.com"
MAX_MEDIA = 4
MAX_ALT_TEXT = 1000
# X's limits per media category; a local check saves uploading megabytes only to be refused.
_MAX_BYTES = {"tweet_image": 5 * 1024 * 1024, "tweet_gif": 15 * 1024 * 1024}
_PROCESSING_DEADLINE = 120.0  # seconds; images normally need no processing at all
_RATE_LIMIT_FALLBACK = timedelta(minutes=15)
_MAX_MESSAGE = 400
_TIMELINE_PAGES = 5

# A 403 that means "this app or token may not do this", so the channel must pause, not the entry
# fail. X words it in several ways; the problem ``type`` is the most stable part.
_PERMISSION_MARKERS = (
    "oauth1-permissions",
    "oauth1 app permissions",
    "not permitted to perform this action",
    "client-not-enrolled",
    "unsupported authentication",
    "appropriate level of api access",
    "access to a subset of",
    "not configured with the appropriate",
    "read-only application cannot post",
)
_DUPLICATE_MARKER = "duplicate content"

T = TypeVar("T")


@dataclass(frozen=True)
class XCredentials:
    """OAuth 1.0a user-context keys, named as X's developer portal names them.

    The repr hides every value: credentials end up in logs and tracebacks otherwise.
    """

    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    access_token_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return "XCredentials(<hidden>)"

    def values(self) -> tuple[str, ...]:
        """All four values, so messages can be scrubbed of any of them."""
        return (self.api_key, self.api_secret, self.access_token, self.access_token_secret)


class XChannel:
    """Publishes to one X account.

    ``api_base`` (for example ``http://127.0.0.1:8123``) sends every request there instead of to
    X, for tests against a fake server or a recording proxy; requests are still built and signed
    for the real ``https://api.x.com`` / ``https://api.twitter.com`` URLs. ``timeout`` bounds
    every request (tweepy has none of its own), and ``chunk_size`` is the media APPEND size.
    """

    name = "x"

    def __init__(
        self,
        credentials: XCredentials,
        *,
        api_base: str | None = None,
        timeout: float = 30.0,
        chunk_size: int = 1_048_576,
    ) -> None:
        import tweepy

        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self._secrets = credentials.values()
        self._chunk_size = chunk_size
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
        self._credentials, self._api_base, self._timeout = credentials, api_base, timeout
        self._http_client: httpx.Client | None = None
        self._account: tuple[str, str] | None = None  # (user id, username) from get_me

    @property
    def _http(self) -> httpx.Client:
        """The media client, built on first use: importing httpx also imports rich and pygments
        (for its command line), ~5 MB a long-lived daemon of text-only posts never needs."""
        if self._http_client is None:
            import httpx

            from bot.oauth1 import OAuth1

            credentials = self._credentials
            self._http_client = httpx.Client(
                base_url=API_ROOT,
                auth=OAuth1(
                    credentials.api_key,
                    credentials.api_secret,
                    credentials.access_token,
                    credentials.access_token_secret,
                ),
                timeout=self._timeout,
                transport=_rebasing_transport(self._api_base) if self._api_base else None,
                headers={"User-Agent": "paperbot"},
            )
        return self._http_client

    def __repr__(self) -> str:
        return "XChannel(<credentials hidden>)"

    # -- the Channel protocol -------------------------------------------------------------------

    def publish(self, publication: Publication) -> Published:
        """Upload the images (with alt text), then create the post.

        Media failures happen before anything is posted, so they never set ``maybe_posted``.
        """
        if len(publication.media) > MAX_MEDIA:
            raise ChannelError(
                ErrorKind.INVALID,
                f"X allows at most {MAX_MEDIA} images per post, got {len(publication.media)}",
            )
        media_ids = tuple(
            self._upload(item, position=index + 1) for index, item in enumerate(publication.media)
        )
        response = self._call(
            lambda: self._client.create_tweet(
                text=publication.text,
                media_ids=list(media_ids) or None,
                user_auth=True,
            ),
            what="posting",
            creating=True,
        )
        data = getattr(response, "data", None)
        if not isinstance(data, Mapping) or "id" not in data:
            # X took the request but said nothing usable: it may well have posted.
            raise ChannelError(
                ErrorKind.TRANSIENT,
                "X answered the post without an id; check the account before retrying",
                maybe_posted=True,
            )
        remote_id = str(data["id"])
        return Published(
            remote_id=remote_id,
            remote_url=post_url(remote_id),
            media_ids=media_ids,
            posted_at=datetime.now(UTC),
        )

    def recent_posts(self, since: datetime) -> list[RemotePost]:
        """The account's posts created since ``since``, newest first (a few hundred at most)."""
        user_id, username = self._me()
        posts: list[RemotePost] = []
        token: str | None = None
        for _ in range(_TIMELINE_PAGES):
            response = self._call(
                functools.partial(
                    self._client.get_users_tweets,
                    user_id,
                    start_time=since,
                    max_results=100,
                    tweet_fields=["created_at", "entities"],
                    pagination_token=token,
                    user_auth=True,
                ),
                what="reading the account's recent posts",
                creating=False,
            )
            for tweet in response.data or ():
                remote_id = str(tweet.id)
                posts.append(
                    RemotePost(
                        remote_id=remote_id,
                        remote_url=post_url(remote_id, username),
                        text=_expand_links(str(tweet.text), getattr(tweet, "entities", None)),
                        created_at=_aware(getattr(tweet, "created_at", None)),
                    )
                )
            token = (response.meta or {}).get("next_token")
            if not token:
                break
        return posts

    def whoami(self) -> str:
        """``@username`` of the account the access token belongs to."""
        return "@" + self._me(refresh=True)[1]

    def close(self) -> None:
        if self._http_client is not None:
            self._http_client.close()
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
                _json_or_none(response),
                what=what,
                creating=creating,
                reason=str(getattr(response, "reason", "") or ""),
                secrets=self._secrets,
            ) from exc
        except requests.RequestException as exc:
            raise self._transport_error(exc, what=what, creating=creating) from exc
        except tweepy.TweepyException as exc:
            raise ChannelError(
                ErrorKind.INVALID, _scrub(f"tweepy refused {what}: {exc}", self._secrets)
            ) from exc

    def _transport_error(self, exc: BaseException, *, what: str, creating: bool) -> ChannelError:
        sent = _may_have_been_sent(exc)
        return ChannelError(
            ErrorKind.TRANSIENT,
            _scrub(f"network error while {what} ({_describe_transport(exc)})", self._secrets),
            maybe_posted=creating and sent,
        )

    # -- media over httpx -----------------------------------------------------------------------

    def _upload(self, item: MediaItem, *, position: int) -> str:
        """Chunked v2 upload of one image, then its alt text; returns X's media id (a string)."""
        what = f"uploading image {position}"
        category = "tweet_gif" if item.mime_type == "image/gif" else "tweet_image"
        if not item.data:
            raise ChannelError(ErrorKind.INVALID, f"image {position} is empty")
        if len(item.data) > _MAX_BYTES[category]:
            limit = _MAX_BYTES[category] // (1024 * 1024)
            raise ChannelError(
                ErrorKind.INVALID,
                f"image {position} is {len(item.data):,} bytes; X accepts at most {limit} MB",
            )
        if len(item.alt) > MAX_ALT_TEXT:
            raise ChannelError(
                ErrorKind.INVALID,
                f"alt text of image {position} is {len(item.alt)} characters; "
                f"X accepts at most {MAX_ALT_TEXT}",
            )
        initialized = self._media(
            "POST",
            "/2/media/upload/initialize",
            what=what,
            json={
                "media_type": item.mime_type,
                "total_bytes": len(item.data),
                "media_category": category,
            },
        )
        media_id = str(_data(initialized, what).get("id") or "")
        if not media_id:
            raise ChannelError(ErrorKind.TRANSIENT, f"X gave no media id while {what}")
        for index, chunk in enumerate(_chunks(item.data, self._chunk_size)):
            self._media(
                "POST",
                f"/2/media/upload/{media_id}/append",
                what=what,
                data={"segment_index": str(index)},
                files={"media": ("media", chunk, "application/octet-stream")},
            )
        finalized = self._media("POST", f"/2/media/upload/{media_id}/finalize", what=what)
        self._wait_until_processed(media_id, _data(finalized, what), what=what)
        if item.alt:
            self._media(
                "POST",
                "/2/media/metadata",
                what=f"setting the alt text of image {position}",
                json={"id": media_id, "metadata": {"alt_text": {"text": item.alt}}},
            )
        return media_id

    def _wait_until_processed(self, media_id: str, data: Mapping[str, Any], *, what: str) -> None:
        """Honour ``processing_info``: poll STATUS after ``check_after_secs`` until it settles."""
        deadline = time.monotonic() + _PROCESSING_DEADLINE
        info = data.get("processing_info")
        while isinstance(info, Mapping):
            state = info.get("state")
            if state == "succeeded" or state is None:
                return
            if state == "failed":
                error = info.get("error")
                detail = error.get("message") if isinstance(error, Mapping) else None
                raise ChannelError(
                    ErrorKind.INVALID,
                    _scrub(
                        f"X could not process the media while {what}: "
                        f"{detail or 'processing failed'}",
                        self._secrets,
                    ),
                )
            wait = _as_float(info.get("check_after_secs"), default=1.0)
            if time.monotonic() + wait > deadline:
                raise ChannelError(
                    ErrorKind.TRANSIENT, f"X was still processing the media while {what}"
                )
            time.sleep(max(0.0, min(wait, 30.0)))
            status = self._media(
                "GET",
                "/2/media/upload",
                what=what,
                params={"command": "STATUS", "media_id": media_id},
            )
            info = _data(status, what).get("processing_info")

    def _media(self, method: str, path: str, *, what: str, **kwargs: Any) -> Mapping[str, Any]:
        import httpx

        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise self._transport_error(exc, what=what, creating=False) from exc
        except httpx.HTTPError as exc:
            raise ChannelError(
                ErrorKind.TRANSIENT,
                _scrub(f"HTTP error while {what} ({type(exc).__name__})", self._secrets),
            ) from exc
        body = _json_or_none(response)
        if response.status_code >= 400:
            raise classify_http_error(
                response.status_code,
                response.headers,
                body,
                what=what,
                creating=False,
                reason=response.reason_phrase,
                secrets=self._secrets,
            )
        if body is None and response.content:
            raise ChannelError(
                ErrorKind.TRANSIENT, f"X sent an answer that is not JSON while {what}"
            )
        return body if isinstance(body, Mapping) else {}


# -- error classification (pure, so it is easy to test) --------------------------------------------


def classify_http_error(
    status: int,
    headers: Mapping[str, str],
    body: object,
    *,
    what: str,
    creating: bool,
    reason: str = "",
    secrets: tuple[str, ...] = (),
    now: datetime | None = None,
) -> ChannelError:
    """Turn one error response from X into the ChannelError the worker acts on.

    ``creating`` marks the request that creates the post: a 5xx there may still have posted.
    """
    explanation = _scrub(_explain(body) or reason or "no explanation given", secrets)
    text = " ".join((_problem_text(body), explanation)).lower()
    if status == 429:
        retry_at = retry_time(headers, now=now)
        return ChannelError(
            ErrorKind.RATE_LIMITED,
            f"X rate limit reached while {what} (429: {explanation}); "
            f"retry after {retry_at.isoformat(timespec='seconds')}",
            retry_at=retry_at,
            status_code=status,
        )
    if status >= 500:
        return ChannelError(
            ErrorKind.TRANSIENT,
            f"X had a server error while {what} ({status}: {explanation})",
            maybe_posted=creating,
            status_code=status,
        )
    if status == 401:
        return ChannelError(
            ErrorKind.AUTH,
            f"X rejected the credentials while {what} (401: {explanation}); check X_API_KEY, "
            "X_API_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET",
            status_code=status,
        )
    if status == 403 and _DUPLICATE_MARKER in text:
        return ChannelError(
            ErrorKind.DUPLICATE,
            f"X refused a duplicate post (403: {explanation})",
            status_code=status,
        )
    if status == 403 and any(marker in text for marker in _PERMISSION_MARKERS):
        return ChannelError(
            ErrorKind.AUTH,
            f"X does not allow this app or token to post (403: {explanation}); give the app "
            "'Read and write' permissions in the developer portal, then regenerate the access "
            "token and secret",
            status_code=status,
        )
    return ChannelError(
        ErrorKind.INVALID,
        f"X refused the request while {what} ({status}: {explanation})",
        status_code=status,
    )


def retry_time(headers: Mapping[str, str], *, now: datetime | None = None) -> datetime:
    """When a 429 lifts: the latest reset among the limits that are exhausted.

    ``x-rate-limit-reset`` is the 15-minute window; when a 24-hour quota is used up (its
    ``-remaining`` is 0) its later reset wins. X sends no Retry-After. A missing or already
    past reset means we know nothing better than "in 15 minutes".
    """
    now = now or datetime.now(UTC)
    candidates = [_epoch(headers.get("x-rate-limit-reset"))]
    for prefix in ("x-user-limit-24hour", "x-app-limit-24hour"):
        if str(headers.get(f"{prefix}-remaining", "")).strip() == "0":
            candidates.append(_epoch(headers.get(f"{prefix}-reset")))
    future = [moment for moment in candidates if moment is not None and moment > now]
    return max(future) if future else now + _RATE_LIMIT_FALLBACK


def post_url(remote_id: str, username: str | None = None) -> str:
    """A link to a post. ``/i/status/`` works without knowing the username (saves a call)."""
    return f"https://x.com/{username or 'i'}/status/{remote_id}"


def _epoch(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value).strip()), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _explain(body: object) -> str:
    """X's own words: the v2 ``errors[].message`` list, else ``detail``, else ``title``.

    A 400 carries the specific reasons in ``errors`` and a generic ``detail``; a 403 or 429
    carries only ``detail``.
    """
    if not isinstance(body, Mapping):
        return ""
    parts: list[str] = []
    errors = body.get("errors")
    if isinstance(errors, list):
        for error in errors:
            if isinstance(error, Mapping):
                message = error.get("message") or error.get("detail")
                if message and str(message) not in parts:
                    parts.append(str(message))
            elif isinstance(error, str):
                parts.append(error)
    if not parts:
        for key in ("detail", "error", "title"):
            value = body.get(key)
            if isinstance(value, str) and value:
                parts.append(value)
                break
    return _shorten("; ".join(parts))


def _problem_text(body: object) -> str:
    """The machine-readable parts (problem ``type``, ``title``) that say what kind of refusal."""
    if not isinstance(body, Mapping):
        return ""
    words = [str(body.get(key, "")) for key in ("type", "title")]
    errors = body.get("errors")
    if isinstance(errors, list):
        words.extend(str(e.get("type", "")) for e in errors if isinstance(e, Mapping))
    return " ".join(words)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


_OAUTH_PARAM = re.compile(r"(?i)\b(oauth_[a-z_]+\s*=\s*)(\"[^\"]*\"|[^\s,&]+)")
_AUTH_HEADER = re.compile(r"(?i)\b(authorization\s*[:=]\s*)[^\n]*")


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Remove anything secret from a message, should X or a library ever echo it back."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _AUTH_HEADER.sub(r"\1***", text)
    return _OAUTH_PARAM.sub(r"\1***", text)


def _json_or_none(response: Any) -> object:
    try:
        return response.json()
    except Exception:  # any decoding failure means "no usable body", whatever the library
        return None


def _data(body: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise ChannelError(ErrorKind.TRANSIENT, f"X answered without data while {what}")
    return data


def _as_float(value: object, *, default: float) -> float:
    try:
        return float(str(value))
    except ValueError:
        return default


def _aware(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _expand_links(text: str, entities: object) -> str:
    """The text with X's t.co links replaced by the links as posted (``entities.urls``).

    Entries that share a sentence differ only by their link, so settling must see it.
    """
    urls = entities.get("urls") if isinstance(entities, Mapping) else None
    for item in urls if isinstance(urls, list) else ():
        if isinstance(item, Mapping):
            short, expanded = item.get("url"), item.get("expanded_url")
            if isinstance(short, str) and isinstance(expanded, str) and short and expanded:
                text = text.replace(short, expanded, 1)
    return text


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


def _causes(exc: BaseException) -> Iterator[object]:
    """The exception and everything it wraps (args, urllib3 ``reason``, cause and context)."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseException):
            stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
            stack.extend(
                item
                for item in (
                    getattr(current, "reason", None),
                    current.__cause__,
                    current.__context__,
                )
                if isinstance(item, BaseException)
            )


def _may_have_been_sent(exc: BaseException) -> bool:
    """False only when the request provably never left: no connection was ever made."""
    import httpx
    import requests
    import urllib3.exceptions

    never_sent = (
        requests.exceptions.ConnectTimeout,
        urllib3.exceptions.NewConnectionError,  # also covers NameResolutionError
        urllib3.exceptions.ConnectTimeoutError,
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.PoolTimeout,
        ConnectionRefusedError,
    )
    return not any(isinstance(cause, never_sent) for cause in _causes(exc))


def _describe_transport(exc: BaseException) -> str:
    import httpx
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout | httpx.ConnectTimeout):
        return "timed out connecting"
    if isinstance(exc, requests.exceptions.Timeout | httpx.TimeoutException):
        return "timed out waiting for the answer"
    if not _may_have_been_sent(exc):
        return "could not connect"
    text = " ".join(str(cause) for cause in _causes(exc)).lower()
    if ("without" in text and "response" in text) or "remote end closed" in text:
        return "connection closed without a response"
    if "reset" in text:
        return "connection reset"
    return type(exc).__name__


# -- the api_base seam -----------------------------------------------------------------------------


def _rebase(url: str, api_base: str) -> str:
    """``url`` with scheme and host (and any path prefix) taken from ``api_base``."""
    target = urlsplit(api_base)
    original = urlsplit(url)
    path = target.path.rstrip("/") + original.path
    return urlunsplit((target.scheme, target.netloc, path, original.query, original.fragment))


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
                request.url = _rebase(request.url, api_base)
                proxies = {}  # the whole point is to reach api_base directly
            return super().send(
                request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
            )

    default_timeout = timeout
    return XAdapter(max_retries=0)  # never retry a POST behind the worker's back


def _rebasing_transport(api_base: str) -> httpx.BaseTransport:
    """An httpx transport that sends each (already signed) request to ``api_base`` instead."""
    import httpx

    class RebasingTransport(httpx.BaseTransport):
        def __init__(self) -> None:
            self._inner = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            request.url = httpx.URL(_rebase(str(request.url), api_base))
            return self._inner.handle_request(request)

        def close(self) -> None:
            self._inner.close()

    return RebasingTransport()
