"""Image upload for the X channel, over httpx to X's v2 media endpoints.

tweepy has no v2 media upload (its v1.1 ``upload.twitter.com`` calls are being retired), so
images go over httpx, signed by bot.channels.x.oauth1, to the dedicated v2 endpoints documented at
docs.x.com (Media → Upload):

* ``POST /2/media/upload/initialize``  JSON ``{media_type, total_bytes, media_category}``
* ``POST /2/media/upload/{id}/append``  multipart ``media`` + ``segment_index``
* ``POST /2/media/upload/{id}/finalize``
* ``GET  /2/media/upload?command=STATUS&media_id={id}`` while ``processing_info`` says to wait
* ``POST /2/media/metadata``  JSON ``{"id", "metadata": {"alt_text": {"text"}}}``

It is a module of its own because it is a protocol of its own (chunks, processing, alt text)
with its own HTTP client; bot.channels.x.channel only hands it each image and gets back a media id.
httpx is imported on first use, never when the module is imported.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from bot.channels.base import ChannelError, ErrorKind, MediaItem
from bot.channels.transport import json_or_none, scrub, transport_error
from bot.channels.x.errors import classify_http_error

if TYPE_CHECKING:
    import httpx

    from bot.channels.x.credentials import XCredentials

__all__ = ["API_ROOT", "MAX_ALT_TEXT", "MediaUploader", "rebase"]

API_ROOT = "https://api.x.com"
MAX_ALT_TEXT = 1000
# X's limits per media category; a local check saves uploading megabytes only to be refused.
_MAX_BYTES = {"tweet_image": 5 * 1024 * 1024, "tweet_gif": 15 * 1024 * 1024}
_PROCESSING_DEADLINE = 120.0  # seconds; images normally need no processing at all


class MediaUploader:
    """Uploads images for one X account and sets their alt text.

    ``api_base`` sends every request there instead of to X (see ``XChannel``), ``timeout``
    bounds every request, and ``chunk_size`` is the APPEND size.
    """

    def __init__(
        self,
        credentials: XCredentials,
        *,
        api_base: str | None,
        timeout: float,
        chunk_size: int,
        on_metadata: Callable[[], None] = lambda: None,
    ) -> None:
        self._secrets = credentials.values()
        self._on_metadata = on_metadata  # X bills each alt-text request that succeeds
        self._chunk_size = chunk_size
        self._credentials, self._api_base, self._timeout = credentials, api_base, timeout
        self._http_client: httpx.Client | None = None

    @property
    def _http(self) -> httpx.Client:
        """The media client, built on first use: importing httpx also imports rich and pygments
        (for its command line), ~5 MB a long-lived daemon of text-only posts never needs."""
        if self._http_client is None:
            import httpx

            from bot.channels.x.oauth1 import OAuth1

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

    def close(self) -> None:
        if self._http_client is not None:
            self._http_client.close()

    def upload(self, item: MediaItem, *, position: int) -> str:
        """Chunked v2 upload of one image, then its alt text; returns X's media id (a string)."""
        return self.upload_expiring(item, position=position)[0]

    def upload_expiring(self, item: MediaItem, *, position: int) -> tuple[str, float | None]:
        """``upload``, and the seconds X keeps the media id usable (``expires_after_secs``;
        None when X did not say)."""
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
        finalized = _data(
            self._media("POST", f"/2/media/upload/{media_id}/finalize", what=what), what
        )
        self._wait_until_processed(media_id, finalized, what=what)
        expires = _as_float(finalized.get("expires_after_secs"), default=-1.0)
        if item.alt:
            self._media(
                "POST",
                "/2/media/metadata",
                what=f"setting the alt text of image {position}",
                json={"id": media_id, "metadata": {"alt_text": {"text": item.alt}}},
            )
            self._on_metadata()
        return media_id, expires if expires > 0 else None

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
                    scrub(
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
            raise transport_error(exc, what=what, creating=False, secrets=self._secrets) from exc
        except httpx.HTTPError as exc:
            raise ChannelError(
                ErrorKind.TRANSIENT,
                scrub(f"HTTP error while {what} ({type(exc).__name__})", self._secrets),
            ) from exc
        body = json_or_none(response)
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


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


def rebase(url: str, api_base: str) -> str:
    """``url`` with scheme and host (and any path prefix) taken from ``api_base``."""
    target = urlsplit(api_base)
    original = urlsplit(url)
    path = target.path.rstrip("/") + original.path
    return urlunsplit((target.scheme, target.netloc, path, original.query, original.fragment))


def _rebasing_transport(api_base: str) -> httpx.BaseTransport:
    """An httpx transport that sends each (already signed) request to ``api_base`` instead."""
    import httpx

    class RebasingTransport(httpx.BaseTransport):
        def __init__(self) -> None:
            self._inner = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            request.url = httpx.URL(rebase(str(request.url), api_base))
            return self._inner.handle_request(request)

        def close(self) -> None:
            self._inner.close()

    return RebasingTransport()
