"""A fake Mastodon instance on 127.0.0.1 that the real Mastodon.py client talks to over HTTP.

Served by tests/fakes/http_server.py; it answers as Mastodon 4.x does (behaviour read in
mastodon/mastodon: ``Api::V1::StatusesController``, ``PostStatusService``,
``StatusLengthValidator``, ``Api::V2::MediaController``, the Rack::Attack rate-limit headers):

* ``/api/v1/instance`` and ``/api/v2/instance`` (public) with the ``configuration`` limits;
* a Bearer token on everything else, 401 ``The access token is invalid`` otherwise;
* ``POST /api/v2/media``: 200 with a ``url`` for small files, 202 with ``url: null`` for files of
  ``large_media_bytes`` or more, processed after ``processing_polls`` reads of
  ``GET /api/v1/media/:id`` (206 until then); description and size limits as 422;
* ``POST /api/v1/statuses``: 422 for a text over ``max_characters`` (counted here, independently
  of bot.text.mastodon: links 23, ``@user@domain`` as ``@user``, graphemes), for unprocessed or
  unknown media and for more than 4; an ``Idempotency-Key`` seen in the last hour (on the fake's
  clock, ``advance`` moves it) answers with the status it made, and is forgotten after the hour;
* ``GET /api/v1/accounts/:id/statuses``: newest first, ``limit`` ≤ 40, ``max_id``/``since_id``,
  ``exclude_replies``/``exclude_reblogs``, a ``Link`` header with ``rel="next"`` on full pages;
  ``content`` is HTML with shortened link text, as Mastodon renders it;
* ``fail_next`` injects 5xx, 429 (with ``X-RateLimit-*``), drops before or after the server
  acted, and delays.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import parse_qs

import regex

from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, Reply

__all__ = ["NOT_READY", "TOO_LONG", "FakeMastodon", "FakeMedia", "FakeStatus", "FaultMode"]

TOO_LONG = "Validation failed: Text character limit of {max} exceeded"
NOT_READY = "Cannot attach files that have not finished processing. Try again in a moment!"
INVALID_TOKEN = "The access token is invalid"
IDEMPOTENCY_TTL = timedelta(hours=1)
ROUTES = frozenset(
    {"instance", "verify_credentials", "media_upload", "media_get", "create_status", "statuses"}
)


class FaultMode(StrEnum):
    SERVER_ERROR = "server_error"  # ``status`` (500)
    RATE_LIMITED = "rate_limited"  # 429 with X-RateLimit-* and ``reset`` (default +5 min)
    DELAY = "delay"  # do the work, answer after ``delay`` seconds
    DROP_BEFORE = "drop_before"  # (wait ``delay``,) close without doing anything
    DROP_AFTER = "drop_after"  # do the work, (wait ``delay``,) close without answering


@dataclass
class _Fault:
    route: str
    mode: FaultMode
    times: int
    status: int
    delay: float
    reset: datetime | None


@dataclass
class FakeMedia:
    id: str
    data: bytes
    mime_type: str
    description: str | None
    polls_left: int
    status_id: str | None = None


@dataclass
class FakeStatus:
    id: str
    text: str
    media_ids: tuple[str, ...]
    created_at: datetime
    idempotency_key: str | None
    in_reply_to_id: str | None = None
    descriptions: tuple[str | None, ...] = field(default=())


# -- counting as the instance does (independent of bot.text.mastodon) ---------------------------

_LINK = re.compile(r"https?://[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:/[^\s]*)?", re.IGNORECASE)
_TRAILING = ".,:;!?'\")"
_MENTION = re.compile(r"(?<![=/\w])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_])?)(?:@[\w.-]+\w)?", re.I)


def _links(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _LINK.finditer(text):
        url = match.group(0)
        while url and url[-1] in _TRAILING and not (url[-1] == ")" and "(" in url):
            url = url[:-1]
        spans.append((match.start(), match.start() + len(url)))
    return spans


def status_length(text: str, url_length: int = 23) -> int:
    spans = _links(text)
    out: list[str] = []
    position = 0
    for start, end in spans:
        out.append(_MENTION.sub(r"@\1", text[position:start]))
        out.append("x" * url_length)
        position = end
    out.append(_MENTION.sub(r"@\1", text[position:]))
    return len(regex.findall(r"\X", "".join(out)))


def render_content(text: str, host: str) -> str:
    """Mastodon's TextFormatter, in short: escaped text, ``<p>``/``<br />``, shortened links."""
    pieces: list[str] = []
    position = 0
    for start, end in _links(text):
        pieces.append(_mentions_html(text[position:start], host))
        url = text[start:end]
        scheme, _, rest = url.partition("://")
        shown, hidden = rest[:30], rest[30:]
        pieces.append(
            f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" '
            f'translate="no"><span class="invisible">{scheme}://</span>'
            f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
            f'<span class="invisible">{html.escape(hidden)}</span></a>'
        )
        position = end
    pieces.append(_mentions_html(text[position:], host))
    body = "".join(pieces)
    paragraphs = [p.replace("\n", "<br />") for p in body.split("\n\n")]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _mentions_html(text: str, host: str) -> str:
    escaped = html.escape(text, quote=False)
    return _MENTION.sub(
        lambda m: (
            f'<span class="h-card" translate="no"><a href="https://{host}/@{m.group(1)}" '
            f'class="u-url mention">@<span>{m.group(1)}</span></a></span>'
        ),
        escaped,
    )


def _parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[bytes, str]] | None:
    """name → (content, part Content-Type) for a multipart/form-data body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return None
    fields: dict[str, tuple[bytes, str]] = {}
    for part in body.split(b"--" + match.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break
        head, sep, content = part.partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]*)"', head)
        if not sep or name is None:
            return None
        kind = re.search(rb"(?i)content-type:\s*([^\r\n;]+)", head)
        fields[name.group(1).decode()] = (
            content.removesuffix(b"\r\n"),
            kind.group(1).decode().strip() if kind else "",
        )
    return fields


def _json_reply(status: int, body: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status,
        {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        json.dumps(body).encode(),
    )


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    return _json_reply(status, {"error": message}, headers)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"


class FakeMastodon:
    """The fake instance. Thread-safe; inspect ``statuses``, ``media`` and ``server.requests``."""

    def __init__(
        self,
        *,
        access_token: str = "fake-mastodon-token",
        username: str = "paperbot",
        account_id: str = "109000000000000001",
        max_characters: int = 500,
        url_length: int = 23,
        description_limit: int = 1500,
        image_size_limit: int = 16 * 1024 * 1024,
        large_media_bytes: int = 64 * 1024,
        processing_polls: int = 2,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.access_token = access_token
        self.username = username
        self.account_id = account_id
        self.max_characters = max_characters
        self.url_length = url_length
        self.description_limit = description_limit
        self.image_size_limit = image_size_limit
        self.large_media_bytes = large_media_bytes
        self.processing_polls = processing_polls
        self.reject_token = False  # True: every authenticated request gets 401
        self.serve_v2_instance = True  # False: /api/v2/instance is 404 (Mastodon < 4.0)
        self._now = now or (lambda: datetime.now(UTC))
        self._offset = timedelta(0)
        self._lock = threading.Lock()
        self._statuses: list[FakeStatus] = []
        self._media: dict[str, FakeMedia] = {}
        self._keys: dict[str, tuple[str, datetime]] = {}
        self._faults: list[_Fault] = []
        self._sequence = 0
        self.server = FakeHTTPServer()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeMastodon:
        self.server.start()
        for path in ("/api/v1/instance", "/api/v1/instance/"):
            self.server.route(path, self._handler("instance", self._instance_v1, auth=False))
        for path in ("/api/v2/instance", "/api/v2/instance/"):
            self.server.route(path, self._handler("instance", self._instance_v2, auth=False))
        self.server.route(
            "/api/v1/accounts/verify_credentials",
            self._handler("verify_credentials", lambda _: _json_reply(200, self._account())),
        )
        self.server.route("/api/v2/media", self._handler("media_upload", self._upload), "POST")
        self.server.route(
            "/api/v1/statuses", self._handler("create_status", self._create_status), "POST"
        )
        self.server.route(
            f"/api/v1/accounts/{self.account_id}/statuses",
            self._handler("statuses", self._account_statuses),
        )
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> FakeMastodon:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url("").rstrip("/")

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    # -- the clock, inspection, faults ----------------------------------------------------------

    def now(self) -> datetime:
        with self._lock:
            return self._now() + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move the fake's clock (idempotency memory, ``created_at``) forward."""
        with self._lock:
            self._offset += delta

    @property
    def statuses(self) -> list[FakeStatus]:
        with self._lock:
            return list(self._statuses)

    @property
    def media(self) -> dict[str, FakeMedia]:
        with self._lock:
            return dict(self._media)

    def calls(self, route_path: str, method: str | None = None) -> int:
        """How many requests reached ``route_path`` (e.g. ``/api/v1/statuses``)."""
        return sum(
            1
            for r in self.server.requests
            if r.path == route_path and (method is None or r.method == method)
        )

    def add_status(self, text: str, *, created_at: datetime | None = None) -> FakeStatus:
        """A status made earlier (or from another app), straight onto the account."""
        with self._lock:
            return self._new_status(text, (), None, created_at or self._now() + self._offset)

    def fail_next(
        self,
        route: str,
        mode: FaultMode | str,
        *,
        times: int = 1,
        status: int = 500,
        delay: float = 0.0,
        reset: datetime | None = None,
    ) -> None:
        if route != "*" and route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; known: {sorted(ROUTES)}")
        with self._lock:
            self._faults.append(_Fault(route, FaultMode(mode), times, status, delay, reset))

    def _take_fault(self, route: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.route in (route, "*"):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- request plumbing -----------------------------------------------------------------------

    def _handler(
        self, route: str, action: Callable[[RecordedRequest], Reply], *, auth: bool = True
    ) -> Callable[[RecordedRequest], Reply]:
        def handle(request: RecordedRequest) -> Reply:
            if auth and not self._authorized(request):
                return _error(401, INVALID_TOKEN, self._rate_headers())
            fault = self._take_fault(route)
            if fault is None:
                return self._with_rate_headers(action(request))
            if fault.mode is FaultMode.DROP_BEFORE:
                return Reply(drop=True, delay=fault.delay)
            if fault.mode is FaultMode.SERVER_ERROR:
                return _error(fault.status, "Internal server error")
            if fault.mode is FaultMode.RATE_LIMITED:
                reset = fault.reset or datetime.now(UTC) + timedelta(minutes=5)
                return _error(429, "Too many requests", self._rate_headers(0, reset))
            reply = self._with_rate_headers(action(request))  # DELAY and DROP_AFTER act first
            if fault.mode is FaultMode.DROP_AFTER:
                return Reply(drop=True, delay=fault.delay)
            return Reply(reply.status, reply.headers, reply.body, delay=fault.delay)

        return handle

    def _authorized(self, request: RecordedRequest) -> bool:
        header = request.headers.get("authorization", "")
        return not self.reject_token and header == f"Bearer {self.access_token}"

    @staticmethod
    def _rate_headers(remaining: int = 299, reset: datetime | None = None) -> dict[str, str]:
        # Real time, not the fake's clock: Mastodon.py compares the reset with its own clock.
        reset = reset or datetime.now(UTC) + timedelta(minutes=5)
        return {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": _iso(reset),
        }

    def _with_rate_headers(self, reply: Reply) -> Reply:
        return Reply(reply.status, {**self._rate_headers(), **reply.headers}, reply.body)

    # -- instance and account -------------------------------------------------------------------

    def _configuration(self) -> dict[str, object]:
        return {
            "urls": {"streaming": f"ws://{self.host}"},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": self.max_characters,
                "max_media_attachments": 4,
                "characters_reserved_per_url": self.url_length,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
                "description_limit": self.description_limit,
                "image_size_limit": self.image_size_limit,
                "image_matrix_limit": 33_177_600,
                "video_size_limit": 103_809_024,
            },
            "polls": {"max_options": 4, "max_characters_per_option": 50},
        }

    def _instance_v1(self, _: RecordedRequest) -> Reply:
        return _json_reply(
            200,
            {
                "uri": self.host,
                "title": "Fake Mastodon",
                "version": "4.3.0",
                "configuration": self._configuration(),
            },
        )

    def _instance_v2(self, _: RecordedRequest) -> Reply:
        if not self.serve_v2_instance:
            return _error(404, "Record not found")
        return _json_reply(
            200,
            {
                "domain": self.host,
                "title": "Fake Mastodon",
                "version": "4.3.0",
                "api_versions": {"mastodon": 2},
                "configuration": self._configuration(),
            },
        )

    def _account(self) -> dict[str, object]:
        return {
            "id": self.account_id,
            "username": self.username,
            "acct": self.username,
            "display_name": "Paperbot",
            "url": f"https://{self.host}/@{self.username}",
            "created_at": "2024-01-01T00:00:00.000Z",
            "locked": False,
            "bot": True,
        }

    # -- media ----------------------------------------------------------------------------------

    def _upload(self, request: RecordedRequest) -> Reply:
        fields = _parse_multipart(request.headers.get("content-type", ""), request.body)
        if fields is None or "file" not in fields:
            return _error(422, "Validation failed: File can't be blank")
        data, mime_type = fields["file"]
        description = fields["description"][0].decode() if "description" in fields else None
        if mime_type not in ("image/jpeg", "image/png", "image/gif", "image/webp"):
            return _error(422, "Validation failed: File content type is invalid, File is invalid")
        if len(data) > self.image_size_limit:
            limit = self.image_size_limit // (1024 * 1024)
            return _error(422, f"Validation failed: File file size must be less than {limit} MB")
        if description is not None and len(description) > self.description_limit:
            return _error(
                422,
                "Validation failed: Description is too long (maximum is "
                f"{self.description_limit} characters)",
            )
        with self._lock:
            self._sequence += 1
            media_id = str(110_000_000_000_000_000 + self._sequence)
            polls = self.processing_polls if len(data) >= self.large_media_bytes else 0
            item = FakeMedia(media_id, data, mime_type, description, polls)
            self._media[media_id] = item
            view = self._media_view(item)
        self.server.route(f"/api/v1/media/{media_id}", self._handler("media_get", self._media_get))
        return _json_reply(202 if item.polls_left else 200, view)

    def _media_get(self, request: RecordedRequest) -> Reply:
        media_id = request.path.rsplit("/", 1)[-1]
        with self._lock:
            item = self._media.get(media_id)
            if item is None or item.status_id is not None:
                return _error(404, "Record not found")
            if item.polls_left > 0:
                item.polls_left -= 1
                return _json_reply(206, self._media_view(item, processing=True))
            return _json_reply(200, self._media_view(item))

    def _media_view(self, item: FakeMedia, *, processing: bool | None = None) -> dict[str, object]:
        waiting = item.polls_left > 0 if processing is None else processing
        url = None if waiting else f"https://files.{self.host}/media/{item.id}.png"
        return {
            "id": item.id,
            "type": "image",
            "url": url,
            "preview_url": url,
            "remote_url": None,
            "description": item.description,
            "blurhash": None,
        }

    # -- statuses -------------------------------------------------------------------------------

    def _create_status(self, request: RecordedRequest) -> Reply:
        params = _form(request)
        key = request.headers.get("idempotency-key") or None
        text = params.get("status", [""])[0]
        media_ids = tuple(params.get("media_ids[]", []) or params.get("media_ids", []))
        with self._lock:
            now = self._now() + self._offset
            if key is not None:
                remembered = self._keys.get(key)
                if remembered is not None and now - remembered[1] < IDEMPOTENCY_TTL:
                    existing = next(s for s in self._statuses if s.id == remembered[0])
                    return _json_reply(200, self._status_json(existing))
            problem = self._refusal(text, media_ids)
            if problem is not None:
                return _error(422, problem)
            status = self._new_status(text, media_ids, key, now)
            if key is not None:
                self._keys[key] = (status.id, now)
            return _json_reply(200, self._status_json(status))

    def _refusal(self, text: str, media_ids: tuple[str, ...]) -> str | None:
        if not text.strip() and not media_ids:
            return "Validation failed: Text can't be blank"
        if status_length(text, self.url_length) > self.max_characters:
            return TOO_LONG.format(max=self.max_characters)
        if len(media_ids) > 4:
            return "Cannot attach more than 4 files"
        items = [self._media.get(media_id) for media_id in media_ids]
        missing = [m for m, item in zip(media_ids, items, strict=True) if item is None]
        if missing or any(item is not None and item.status_id for item in items):
            return f"Media with IDs {', '.join(missing) or 'given'} not found or already attached"
        if any(item is not None and item.polls_left > 0 for item in items):
            return NOT_READY
        return None

    def _new_status(
        self, text: str, media_ids: tuple[str, ...], key: str | None, now: datetime
    ) -> FakeStatus:
        """With the lock held. Ids are snowflakes of ``created_at``, as Mastodon's are."""
        self._sequence += 1
        snowflake = (int(now.timestamp() * 1000) << 16) + (self._sequence & 0xFFFF)
        descriptions = tuple(self._media[m].description for m in media_ids)
        status = FakeStatus(str(snowflake), text, media_ids, now, key, None, descriptions)
        for media_id in media_ids:
            self._media[media_id].status_id = status.id
        self._statuses.append(status)
        return status

    def _status_json(self, status: FakeStatus) -> dict[str, object]:
        return {
            "id": status.id,
            "created_at": _iso(status.created_at),
            "in_reply_to_id": status.in_reply_to_id,
            "visibility": "public",
            "uri": f"https://{self.host}/users/{self.username}/statuses/{status.id}",
            "url": f"https://{self.host}/@{self.username}/{status.id}",
            "content": render_content(status.text, self.host),
            "reblog": None,
            "account": self._account(),
            "media_attachments": [self._media_view(self._media[m]) for m in status.media_ids],
            "mentions": [],
            "tags": [],
        }

    def _account_statuses(self, request: RecordedRequest) -> Reply:
        query = parse_qs(request.query)
        try:
            limit = min(int(query.get("limit", ["20"])[0]), 40)
            max_id = int(query["max_id"][0]) if "max_id" in query else None
            since_id = int(query["since_id"][0]) if "since_id" in query else None
        except ValueError:
            return _error(422, "Invalid pagination parameter")
        truthy = {"1", "true", "True"}
        no_replies = query.get("exclude_replies", ["0"])[0] in truthy
        with self._lock:
            ordered = sorted(self._statuses, key=lambda s: int(s.id), reverse=True)
            chosen = [
                s
                for s in ordered
                if (max_id is None or int(s.id) < max_id)
                and (since_id is None or int(s.id) > since_id)
                and not (no_replies and s.in_reply_to_id)
            ][:limit]
            body = [self._status_json(s) for s in chosen]
        headers: dict[str, str] = {}
        if chosen:
            base = f"{self.url}/api/v1/accounts/{self.account_id}/statuses"
            rest = "&exclude_replies=true" if no_replies else ""
            links = [f'<{base}?limit={limit}{rest}&min_id={chosen[0].id}>; rel="prev"']
            if len(chosen) == limit:
                links.insert(0, f'<{base}?limit={limit}{rest}&max_id={chosen[-1].id}>; rel="next"')
            headers["Link"] = ", ".join(links)
        return _json_reply(200, body, headers)


def _form(request: RecordedRequest) -> dict[str, list[str]]:
    """The parameters of a form-encoded or JSON body (Mastodon.py sends either)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        data = json.loads(request.body or b"{}")
        return {
            k: [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in data.items()
        }
    return parse_qs(request.body.decode(), keep_blank_values=True)
