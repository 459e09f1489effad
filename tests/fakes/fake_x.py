"""A fake X API v2 server that the real tweepy and httpx clients talk to over HTTP.

It checks what X checks and answers the way X answers, so tests exercise our real request
building, OAuth 1.0a signing and error handling rather than a mock of them:

* every request must carry a valid OAuth 1.0a HMAC-SHA1 signature, computed here independently
  of oauthlib from RFC 5849, for the URL the client meant (``https://api.x.com`` or
  ``https://api.twitter.com``: the client's seam rewrites only where the bytes go);
* ``POST /2/tweets`` enforces 280 weighted characters, at most 4 finalized media ids, and
  refuses a text it already has (403, duplicate content);
* the v2 media endpoints (``/2/media/upload/initialize``, ``/{id}/append``, ``/{id}/finalize``,
  STATUS, one-shot ``POST /2/media/upload``, ``POST /2/media/metadata``) check sizes, types,
  segment order and the file's magic bytes;
* texts come back as X shows them (tests/fakes/x_text.py): every link wrapped as a t.co link
  in create and read replies, scheme-less ones included, one more t.co link appended for a
  post's media (its ``entities.urls`` entry has the ``media_key``), ``&<>`` HTML-escaped;
* ``write_only=True`` is an access level that may post but not read posts: the timeline and
  post lookups answer 403 with error code 453, as X does;
* ``fail_next`` injects the failures X produces in practice: 5xx, 429 with reset headers, 401,
  403 for a read-only app, 400, slow answers, and connections dropped before or after the post
  was created.

Use it as a context manager; ``url`` goes to ``XChannel(api_base=...)``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from tests.fakes.x_text import ShownLink, escape, render, url_entities, weighted_length

__all__ = [
    "DUPLICATE_MESSAGE",
    "PERMISSIONS_MESSAGE",
    "READ_ACCESS_MESSAGE",
    "FakeMedia",
    "FakePost",
    "FakeX",
    "FaultMode",
    "LoggedRequest",
    "oauth_signature",
    "signature_base_string",
]

DUPLICATE_MESSAGE = "You are not allowed to create a Tweet with duplicate content."
PERMISSIONS_MESSAGE = (
    "Your client app is not configured with the appropriate oauth1 app permissions for this "
    "endpoint."
)
TOO_LONG_MESSAGE = (
    "Your Tweet text is too long. For more information on how Twitter determines text length "
    "see https://github.com/twitter/twitter-text."
)
INVALID_MEDIA_MESSAGE = "Your media IDs are invalid."
# What X answers (403, code 453) when the app's access level may not call an endpoint, e.g. a
# write-only level reading posts.
READ_ACCESS_MESSAGE = (
    "You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints "
    "(e.g. media post, oauth) only. If you need access to this endpoint, you may need a "
    "different access level. You can learn more here: https://developer.x.com/en/portal/product"
)
_ORIGINS = ("https://api.x.com", "https://api.twitter.com")
_MAX_IMAGE_BYTES = {"tweet_image": 5 * 1024 * 1024, "tweet_gif": 15 * 1024 * 1024}
_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
_MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
_TIMESTAMP_SKEW = 300  # seconds; X refuses signatures this far from its clock


class FaultMode(StrEnum):
    """Failures ``FakeX.fail_next`` can inject."""

    SERVER_ERROR = "server_error"  # ``status`` 500 (default) or 503
    RATE_LIMITED = "rate_limited"  # 429 with ``reset`` / ``user_reset`` epochs
    UNAUTHORIZED = "unauthorized"  # 401, as for revoked credentials
    FORBIDDEN_PERMISSIONS = "forbidden_permissions"  # 403, read-only app
    INVALID = "invalid"  # 400 with ``message``
    DELAY = "delay"  # wait ``delay`` seconds, then answer normally
    HOLD = "hold"  # wait until the test calls ``release()``, then answer normally
    # The two drops honour ``delay`` too, to hold a client mid-request (e.g. to kill it there):
    DROP_BEFORE = "drop_before"  # (wait ``delay``,) close the connection without doing anything
    DROP_AFTER = "drop_after"  # do the work (create the post), (wait ``delay``,) close unanswered


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # without the query
    route: str  # e.g. "create_tweet", "media_append"; "unknown" when nothing matched
    status: int | None  # None when the connection was dropped


@dataclass(frozen=True)
class FakePost:
    id: str
    text: str  # as the client sent it
    media_ids: tuple[str, ...]
    alt_texts: tuple[str | None, ...]
    created_at: datetime
    shown: str = ""  # as X shows it: t.co links, the media link appended (not yet escaped)
    links: tuple[ShownLink, ...] = ()  # what each t.co link in ``shown`` stands for


@dataclass
class FakeMedia:
    id: str
    media_type: str
    category: str
    total_bytes: int
    segments: dict[int, bytes] = field(default_factory=dict)
    data: bytes | None = None  # set by finalize
    state: str = "uploading"  # uploading → pending/in_progress → succeeded | failed
    polls_left: int = 0
    alt_text: str | None = None


@dataclass
class _Fault:
    route: str
    mode: FaultMode
    times: int
    status: int | None
    reset: int | None
    user_reset: int | None
    delay: float
    message: str | None


@dataclass
class _Reply:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)


_ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"/2/tweets"), "create_tweet"),
    ("GET", re.compile(r"/2/users/me"), "get_me"),
    ("GET", re.compile(r"/2/users/(?P<id>\d+)/tweets"), "user_tweets"),
    ("GET", re.compile(r"/2/tweets/(?P<id>\d+)"), "tweet_lookup"),
    ("POST", re.compile(r"/2/media/upload/initialize"), "media_initialize"),
    ("POST", re.compile(r"/2/media/upload/(?P<id>\d+)/append"), "media_append"),
    ("POST", re.compile(r"/2/media/upload/(?P<id>\d+)/finalize"), "media_finalize"),
    ("GET", re.compile(r"/2/media/upload"), "media_status"),
    ("POST", re.compile(r"/2/media/upload"), "media_upload"),
    ("POST", re.compile(r"/2/media/metadata"), "media_metadata"),
)
ROUTE_NAMES = frozenset(name for _, _, name in _ROUTES)


# -- OAuth 1.0a, from RFC 5849 (deliberately not oauthlib: an independent check) --------------


def _percent(value: str) -> str:
    return quote(value, safe="-._~")


def signature_base_string(method: str, url: str, params: list[tuple[str, str]]) -> str:
    """RFC 5849 §3.4.1: method, base string URI and the sorted, encoded parameters."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host if port is None or port == default else f"{host}:{port}"
    base_uri = f"{parts.scheme.lower()}://{netloc}{parts.path or '/'}"
    encoded = sorted((_percent(k), _percent(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in encoded)
    return "&".join((method.upper(), _percent(base_uri), _percent(normalized)))


def oauth_signature(base_string: str, consumer_secret: str, token_secret: str) -> str:
    key = f"{_percent(consumer_secret)}&{_percent(token_secret)}".encode()
    digest = hmac.new(key, base_string.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _parse_authorization(header: str) -> dict[str, str] | None:
    if not header.startswith("OAuth "):
        return None
    return {k: unquote(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', header[6:])}


# -- multipart, without the deprecated cgi module ----------------------------------------------


def _parse_multipart(content_type: str, body: bytes) -> dict[str, bytes] | None:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return None
    boundary = b"--" + match.group(1).encode()
    fields: dict[str, bytes] = {}
    for part in body.split(boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            return None
        name = re.search(rb'name="([^"]*)"', head)
        if name is None:
            return None
        fields[name.group(1).decode()] = content.removesuffix(b"\r\n")
    return fields


# -- the server --------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler stuck in a DELAY must not hold up stop()

    def __init__(self, fake: FakeX) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: no stale keep-alive surprises

    def do_GET(self) -> None:
        self.server.fake._handle(self)

    def do_POST(self) -> None:
        self.server.fake._handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: ``FakeX.requests`` is the log."""


class FakeX:
    """The fake API. Thread-safe; inspect ``posts``, ``media`` and ``requests`` from tests."""

    def __init__(
        self,
        *,
        consumer_key: str = "fake-consumer-key",
        consumer_secret: str = "fake-consumer-secret",
        access_token: str = "1000-fake-access-token",
        access_token_secret: str = "fake-access-token-secret",
        user_id: str = "1000",
        username: str = "paperbot_test",
        daily_post_limit: int | None = None,
        write_only: bool = False,
    ) -> None:
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.access_token = access_token
        self.access_token_secret = access_token_secret
        self.user_id = user_id
        self.username = username
        self.daily_post_limit = daily_post_limit
        # An access level that may post but not read posts: reads answer 403, code 453.
        self.write_only = write_only
        self.reject_credentials = False  # True: every request gets 401, signed or not
        self.media_processing_polls = 0  # STATUS polls before finalized media is ready
        self.media_check_after_secs = 0  # what processing_info tells clients to wait
        self.fail_media_processing = False  # processing ends in "failed"
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._released = threading.Event()  # ends HOLD faults
        self._posts: list[FakePost] = []
        self._media: dict[str, FakeMedia] = {}
        self._requests: list[LoggedRequest] = []
        self._faults: list[_Fault] = []
        self._nonces: set[str] = set()
        self._next_id = 1_861_000_000_000_000_000
        self._slugs = 0
        self._held = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeX:
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # so stop() returns at once
            name="fake-x",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeX:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeX is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- inspection -----------------------------------------------------------------------------

    @property
    def posts(self) -> list[FakePost]:
        with self._lock:
            return list(self._posts)

    @property
    def media(self) -> dict[str, FakeMedia]:
        with self._lock:
            return dict(self._media)

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def held(self) -> int:
        """Requests that reached a HOLD fault (released or not)."""
        with self._lock:
            return self._held

    def routes_called(self) -> list[str]:
        return [r.route for r in self.requests]

    def add_post(
        self, text: str, *, created_at: datetime | None = None, images: int = 0
    ) -> FakePost:
        """Put a post on the timeline directly, as if made earlier (or from X's web app)."""
        with self._lock:
            media_ids = tuple(self._new_id() for _ in range(images))
            post = self._new_post(text, media_ids, (None,) * images, created_at)
            self._posts.append(post)
            return post

    # -- fault injection ------------------------------------------------------------------------

    def fail_next(
        self,
        route: str,
        mode: FaultMode | str,
        *,
        times: int = 1,
        status: int | None = None,
        reset: int | None = None,
        user_reset: int | None = None,
        delay: float = 0.0,
        message: str | None = None,
    ) -> None:
        """Make the next ``times`` requests to ``route`` ("*" for any) fail in ``mode``."""
        if route != "*" and route not in ROUTE_NAMES:
            raise ValueError(f"unknown route {route!r}; known: {sorted(ROUTE_NAMES)}")
        fault = _Fault(route, FaultMode(mode), times, status, reset, user_reset, delay, message)
        with self._lock:
            self._faults.append(fault)

    def release(self) -> None:
        """Let every request held by a HOLD fault go on (now and from now on)."""
        self._released.set()

    def pending_faults(self, route: str | None = None) -> int:
        """Injected failures not yet taken by a request (to route ``route``, if given)."""
        with self._lock:
            return sum(f.times for f in self._faults if route is None or f.route == route)

    def _take_fault(self, route: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.route in (route, "*"):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- request handling -----------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        method = handler.command
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        target = urlsplit(handler.path)
        route, params = self._match(method, target.path)

        def finish(reply: _Reply | None) -> None:
            with self._lock:
                status = None if reply is None else reply.status
                self._requests.append(LoggedRequest(method, target.path, route, status))
            if reply is None:
                handler.close_connection = True  # nothing written: the client sees a drop
                return
            self._write(handler, reply)

        if not self._authorized(handler, method, handler.path, body):
            finish(_problem(401, "Unauthorized", "Unauthorized"))
            return
        fault = self._take_fault(route)
        if fault is not None and fault.mode is FaultMode.DELAY:
            self._stopping.wait(fault.delay)
            fault = None
        if fault is not None and fault.mode is FaultMode.HOLD:
            with self._lock:
                self._held += 1
            self._released.wait()
            fault = None
        if fault is not None and fault.mode is FaultMode.DROP_BEFORE:
            self._stopping.wait(fault.delay)
            finish(None)
            return
        if fault is not None and fault.mode is not FaultMode.DROP_AFTER:
            finish(_fault_reply(fault))
            return
        try:
            reply = self._dispatch(route, params, handler, body, target.query)
        except Exception as exc:  # a bug in the fake must show up as a 500, not a hang
            reply = _problem(500, "Internal Error", f"fake X crashed: {exc!r}")
        if fault is not None:  # DROP_AFTER: the work is done, the answer never comes
            self._stopping.wait(fault.delay)
        finish(None if fault is not None else reply)

    def _match(self, method: str, path: str) -> tuple[str, dict[str, str]]:
        for route_method, pattern, name in _ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return name, match.groupdict()
        return "unknown", {}

    def _authorized(self, handler: _Handler, method: str, target: str, body: bytes) -> bool:
        if self.reject_credentials:
            return False
        oauth = _parse_authorization(handler.headers.get("Authorization", ""))
        if oauth is None:
            return False
        if (
            oauth.get("oauth_signature_method") != "HMAC-SHA1"
            or oauth.get("oauth_consumer_key") != self.consumer_key
            or oauth.get("oauth_token") != self.access_token
            or oauth.get("oauth_version", "1.0") != "1.0"
        ):
            return False
        try:
            if abs(time.time() - int(oauth.get("oauth_timestamp", ""))) > _TIMESTAMP_SKEW:
                return False
        except ValueError:
            return False
        params = [(k, v) for k, v in oauth.items() if k not in ("oauth_signature", "realm")]
        params += parse_qsl(urlsplit(target).query, keep_blank_values=True)
        content_type = handler.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/x-www-form-urlencoded" and body:
            params += parse_qsl(body.decode(), keep_blank_values=True)
        given = oauth.get("oauth_signature", "")
        for origin in _ORIGINS:
            base = signature_base_string(method, origin + target, params)
            expected = oauth_signature(base, self.consumer_secret, self.access_token_secret)
            if hmac.compare_digest(expected, given):
                with self._lock:
                    nonce = oauth.get("oauth_nonce", "")
                    if not nonce or nonce in self._nonces:
                        return False  # replayed request
                    self._nonces.add(nonce)
                return True
        return False

    def _write(self, handler: _Handler, reply: _Reply) -> None:
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        handler.send_response(reply.status)
        headers = {**self._rate_headers(), **reply.headers}
        for name, value in headers.items():
            handler.send_header(name, value)
        if reply.body is not None:
            handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    @staticmethod
    def _rate_headers() -> dict[str, str]:
        return {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "99",
            "x-rate-limit-reset": str(int(time.time()) + 900),
        }

    def _dispatch(
        self, route: str, params: dict[str, str], handler: _Handler, body: bytes, query: str
    ) -> _Reply:
        content_type = handler.headers.get("Content-Type", "")
        with self._lock:
            if route == "create_tweet":
                return self._create_tweet(body)
            if route == "get_me":
                return _Reply(200, {"data": self._user()})
            if route in ("user_tweets", "tweet_lookup") and self.write_only:
                return _Reply(403, {"errors": [{"message": READ_ACCESS_MESSAGE, "code": 453}]})
            if route == "user_tweets":
                return self._user_tweets(params["id"], dict(parse_qsl(query)))
            if route == "tweet_lookup":
                return self._tweet_lookup(params["id"], dict(parse_qsl(query)))
            if route == "media_initialize":
                return self._media_initialize(content_type, body)
            if route == "media_append":
                return self._media_append(params["id"], content_type, body)
            if route == "media_finalize":
                return self._media_finalize(params["id"])
            if route == "media_status":
                return self._media_status(dict(parse_qsl(query)))
            if route == "media_upload":
                return self._media_upload(content_type, body)
            if route == "media_metadata":
                return self._media_metadata(body)
        return _problem(
            404,
            "Not Found Error",
            "Sorry, that page does not exist",
            type_="https://api.twitter.com/2/problems/resource-not-found",
        )

    # -- routes (called with the lock held) -----------------------------------------------------

    def _new_id(self) -> str:
        self._next_id += 4096 + len(self._posts) + len(self._media)
        return str(self._next_id)

    def _new_slug(self) -> str:
        """A t.co slug: ten characters of [0-9A-Za-z], never the same twice."""
        self._slugs += 1
        number = int.from_bytes(hashlib.sha256(f"slug{self._slugs}".encode()).digest()[:8])
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        slug = ""
        for _ in range(10):
            number, digit = divmod(number, 62)
            slug += alphabet[digit]
        return slug

    def _new_post(
        self,
        text: str,
        media_ids: tuple[str, ...],
        alt_texts: tuple[str | None, ...],
        created_at: datetime | None,
    ) -> FakePost:
        post_id = self._new_id()
        shown, links = render(
            text,
            self._new_slug,
            media_key=f"3_{media_ids[0]}" if media_ids else None,
            status_url=f"https://x.com/{self.username}/status/{post_id}",
        )
        return FakePost(
            post_id, text, media_ids, alt_texts, created_at or datetime.now(UTC), shown, links
        )

    def _user(self) -> dict[str, str]:
        return {"id": self.user_id, "name": "Paperbot Test", "username": self.username}

    def _create_tweet(self, body: bytes) -> _Reply:
        payload = _json(body)
        if not isinstance(payload, dict):
            return _invalid("Request body is not valid JSON.")
        text = payload.get("text")
        media = payload.get("media") or {}
        media_ids = (media.get("media_ids") or []) if isinstance(media, dict) else None
        if media_ids is None or not isinstance(media_ids, list):
            return _invalid("media must be an object with a list of media_ids.")
        if not isinstance(text, str) and not media_ids:
            return _invalid("Post text or media is required.")
        text = text if isinstance(text, str) else ""
        if weighted_length(text) > 280:
            return _invalid(TOO_LONG_MESSAGE, parameter="text")
        if len(media_ids) > 4:
            return _invalid("[media.media_ids]: size must be between 1 and 4", "media.media_ids")
        ready = [self._media.get(str(m)) for m in media_ids]
        if any(item is None or item.state != "succeeded" for item in ready):
            return _invalid(INVALID_MEDIA_MESSAGE, parameter="media.media_ids")
        if any(post.text == text for post in self._posts if text):
            return _problem(403, "Forbidden", DUPLICATE_MESSAGE)
        created_today = [
            p for p in self._posts if (datetime.now(UTC) - p.created_at).total_seconds() < 86400
        ]
        limit_headers: dict[str, str] = {}
        if self.daily_post_limit is not None:
            reset = str(int(time.time()) + 86400)
            remaining = self.daily_post_limit - len(created_today)
            limit_headers = {
                "x-user-limit-24hour-limit": str(self.daily_post_limit),
                "x-user-limit-24hour-remaining": str(max(0, remaining - 1)),
                "x-user-limit-24hour-reset": reset,
            }
            if remaining <= 0:
                limit_headers["x-user-limit-24hour-remaining"] = "0"
                return _Reply(429, _too_many(), limit_headers)
        post = self._new_post(
            text,
            tuple(str(m) for m in media_ids),
            tuple(item.alt_text for item in ready if item is not None),
            None,
        )
        self._posts.append(post)
        data = {"id": post.id, "text": post.shown, "edit_history_tweet_ids": [post.id]}
        return _Reply(201, {"data": data}, limit_headers)

    def _user_tweets(self, user_id: str, query: dict[str, str]) -> _Reply:
        if user_id != self.user_id:
            return _problem(404, "Not Found Error", f"Could not find user with id: [{user_id}].")
        try:
            max_results = int(query.get("max_results", "10"))
            offset = int(query.get("pagination_token", "0"))
        except ValueError:
            return _invalid("max_results and pagination_token must be numbers.")
        if not 5 <= max_results <= 100:
            return _invalid(
                f"The `max_results` query parameter value [{max_results}] is not between 5 and 100",
                parameter="max_results",
            )
        start = _parse_time(query.get("start_time"))
        fields = set(query.get("tweet.fields", "").split(","))
        matching = [p for p in self._posts if start is None or p.created_at >= start]
        matching.sort(key=lambda p: p.created_at, reverse=True)
        page = matching[offset : offset + max_results]
        data = [_post_view(post, fields) for post in page]
        meta: dict[str, object] = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = page[0].id, page[-1].id
        if offset + max_results < len(matching):
            meta["next_token"] = str(offset + max_results)
        return _Reply(200, {"data": data, "meta": meta} if data else {"meta": meta})

    def _tweet_lookup(self, post_id: str, query: dict[str, str]) -> _Reply:
        fields = set(query.get("tweet.fields", "").split(","))
        for post in self._posts:
            if post.id == post_id:
                return _Reply(200, {"data": _post_view(post, fields)})
        return _Reply(
            200,
            {
                "errors": [
                    {
                        "value": post_id,
                        "detail": f"Could not find tweet with id: [{post_id}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "id",
                        "resource_id": post_id,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            },
        )

    def _media_initialize(self, content_type: str, body: bytes) -> _Reply:
        if content_type.startswith("application/json"):
            payload = _json(body)
        else:
            payload = dict(parse_qsl(body.decode(errors="replace")))
        if not isinstance(payload, dict):
            return _invalid("Request body is not valid JSON.")
        media_type = str(payload.get("media_type", ""))
        category = str(payload.get("media_category", "tweet_image"))
        try:
            total = int(payload.get("total_bytes", -1))
        except (TypeError, ValueError):
            total = -1
        problem = self._check_media(media_type, category, total)
        if problem is not None:
            return problem
        item = FakeMedia(self._new_id(), media_type, category, total)
        self._media[item.id] = item
        return _Reply(
            200,
            {"data": {"id": item.id, "media_key": f"3_{item.id}", "expires_after_secs": 86400}},
        )

    @staticmethod
    def _check_media(media_type: str, category: str, total: int) -> _Reply | None:
        if category not in _MAX_IMAGE_BYTES:
            return _invalid(f"Unsupported media_category: {category}", "media_category")
        if media_type not in _IMAGE_TYPES:
            return _invalid(f"Unsupported media_type: {media_type}", "media_type")
        if total <= 0:
            return _invalid("total_bytes must be a positive integer.", "total_bytes")
        if total > _MAX_IMAGE_BYTES[category]:
            return _invalid(f"File size exceeds {_MAX_IMAGE_BYTES[category]} bytes.", "total_bytes")
        return None

    def _media_append(self, media_id: str, content_type: str, body: bytes) -> _Reply:
        item = self._media.get(media_id)
        if item is None:
            return _invalid(f"Media id {media_id} not found.", "id")
        if item.state != "uploading":
            return _invalid("Media is already finalized.", "id")
        fields = _parse_multipart(content_type, body) if "multipart" in content_type else None
        if fields is None or "media" not in fields or "segment_index" not in fields:
            return _invalid("Expected multipart form data with media and segment_index.")
        try:
            index = int(fields["segment_index"])
        except ValueError:
            return _invalid("segment_index must be an integer.", "segment_index")
        if not 0 <= index <= 999:
            return _invalid("segment_index must be between 0 and 999.", "segment_index")
        item.segments[index] = fields["media"]
        received = sum(len(chunk) for chunk in item.segments.values())
        if received > item.total_bytes:
            return _invalid("Segments exceed the declared total_bytes.", "media")
        return _Reply(200, {"data": {"expires_at": int(time.time()) + 86400}})

    def _media_finalize(self, media_id: str) -> _Reply:
        item = self._media.get(media_id)
        if item is None:
            return _invalid(f"Media id {media_id} not found.", "id")
        if item.state != "uploading":
            return _invalid("Media is already finalized.", "id")
        indexes = sorted(item.segments)
        if indexes != list(range(len(indexes))):
            return _invalid(f"Segments are missing: received {indexes}.", "id")
        data = b"".join(item.segments[i] for i in indexes)
        if len(data) != item.total_bytes:
            return _invalid("Segments do not add up to provided total file size.", "id")
        return self._finish_media(item, data)

    def _finish_media(self, item: FakeMedia, data: bytes) -> _Reply:
        if not _looks_like(item.media_type, data):
            item.state = "failed"
            return _invalid(f"Media is not a valid {item.media_type} file.", "media")
        item.data = data
        item.segments.clear()
        if self.media_processing_polls > 0:
            item.state = "pending"
            item.polls_left = self.media_processing_polls
        else:
            item.state = "failed" if self.fail_media_processing else "succeeded"
        return _Reply(200, {"data": self._media_view(item)})

    def _media_view(self, item: FakeMedia) -> dict[str, object]:
        view: dict[str, object] = {
            "id": item.id,
            "media_key": f"3_{item.id}",
            "size": item.total_bytes,
            "expires_after_secs": 86400,
        }
        if item.state in ("pending", "in_progress"):
            view["processing_info"] = {
                "state": item.state,
                "check_after_secs": self.media_check_after_secs,
                "progress_percent": 50,
            }
        elif item.state == "failed":
            view["processing_info"] = {
                "state": "failed",
                "progress_percent": 100,
                "error": {"code": 1, "name": "InvalidMedia", "message": "Unsupported image"},
            }
        elif self.media_processing_polls > 0:
            view["processing_info"] = {"state": "succeeded", "progress_percent": 100}
        return view

    def _media_status(self, query: dict[str, str]) -> _Reply:
        if query.get("command") != "STATUS":
            return _invalid("command must be STATUS.", "command")
        item = self._media.get(query.get("media_id", ""))
        if item is None or item.state == "uploading":
            return _invalid("Media id not found or not finalized.", "media_id")
        if item.state in ("pending", "in_progress"):
            item.polls_left -= 1
            if item.polls_left <= 0:
                item.state = "failed" if self.fail_media_processing else "succeeded"
            else:
                item.state = "in_progress"
        return _Reply(200, {"data": self._media_view(item)})

    def _media_upload(self, content_type: str, body: bytes) -> _Reply:
        """The one-shot upload: multipart ``media`` (+ ``media_category``, ``media_type``)."""
        fields = _parse_multipart(content_type, body) if "multipart" in content_type else None
        if fields is None or "media" not in fields:
            return _invalid("Expected multipart form data with media.", "media")
        data = fields["media"]
        category = fields.get("media_category", b"tweet_image").decode()
        media_type = fields.get("media_type", b"").decode() or _sniff(data)
        problem = self._check_media(media_type, category, len(data))
        if problem is not None:
            return problem
        item = FakeMedia(self._new_id(), media_type, category, len(data))
        self._media[item.id] = item
        return self._finish_media(item, data)

    def _media_metadata(self, body: bytes) -> _Reply:
        payload = _json(body)
        if not isinstance(payload, dict):
            return _invalid("Request body is not valid JSON.")
        item = self._media.get(str(payload.get("id", "")))
        if item is None:
            return _invalid("Media id not found.", "id")
        metadata = payload.get("metadata")
        alt = metadata.get("alt_text") if isinstance(metadata, dict) else None
        text = alt.get("text") if isinstance(alt, dict) else None
        if not isinstance(text, str):
            return _invalid("metadata.alt_text.text is required.", "metadata")
        if len(text) > 1000:
            return _invalid("metadata.alt_text.text must be at most 1000 characters.", "metadata")
        item.alt_text = text
        return _Reply(
            200, {"data": {"id": item.id, "associated_metadata": {"alt_text": {"text": text}}}}
        )


# -- replies -----------------------------------------------------------------------------------


def _post_view(post: FakePost, fields: set[str]) -> dict[str, object]:
    """A post as X v2 returns it for ``tweet.fields``: t.co links, HTML-escaped text."""
    item: dict[str, object] = {
        "id": post.id,
        "text": escape(post.shown),
        "edit_history_tweet_ids": [post.id],
    }
    if "created_at" in fields:
        item["created_at"] = post.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if "entities" in fields and post.links:
        item["entities"] = {"urls": url_entities(post.shown, post.links)}
    if "attachments" in fields and post.media_ids:
        item["attachments"] = {"media_keys": [f"3_{m}" for m in post.media_ids]}
    return item


def _problem(status: int, title: str, detail: str, *, type_: str = "about:blank") -> _Reply:
    return _Reply(status, {"title": title, "type": type_, "status": status, "detail": detail})


def _invalid(message: str, parameter: str | None = None) -> _Reply:
    error: dict[str, object] = {"message": message}
    if parameter:
        error["parameters"] = {parameter: []}
    return _Reply(
        400,
        {
            "errors": [error],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def _too_many() -> dict[str, object]:
    return {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }


def _fault_reply(fault: _Fault) -> _Reply:
    if fault.mode is FaultMode.SERVER_ERROR:
        status = fault.status or 500
        title = "Service Unavailable" if status == 503 else "Internal Server Error"
        return _problem(status, title, fault.message or title)
    if fault.mode is FaultMode.RATE_LIMITED:
        headers = {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "0",
        }
        if fault.reset is not None:
            headers["x-rate-limit-reset"] = str(fault.reset)
        if fault.user_reset is not None:
            headers["x-user-limit-24hour-limit"] = "17"
            headers["x-user-limit-24hour-remaining"] = "0"
            headers["x-user-limit-24hour-reset"] = str(fault.user_reset)
        return _Reply(429, _too_many(), headers)
    if fault.mode is FaultMode.UNAUTHORIZED:
        return _problem(401, "Unauthorized", "Unauthorized")
    if fault.mode is FaultMode.FORBIDDEN_PERMISSIONS:
        return _problem(
            403,
            "Unsupported Authentication",
            fault.message or PERMISSIONS_MESSAGE,
            type_="https://api.twitter.com/2/problems/oauth1-permissions",
        )
    return _invalid(fault.message or "One or more parameters to your request was invalid.")


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _looks_like(media_type: str, data: bytes) -> bool:
    if media_type == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return any(data.startswith(magic) for magic in _MAGIC.get(media_type, ()))


def _sniff(data: bytes) -> str:
    for media_type in ("image/jpeg", "image/png", "image/gif", "image/webp"):
        if _looks_like(media_type, data):
            return media_type
    return "application/octet-stream"
