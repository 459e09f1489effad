"""The fake Mastodon's state (account, limits, clock, statuses, media, idempotency keys, faults),
what tests read of it, and the request plumbing (token check, faults, rate-limit headers) every
route of tests/fakes/fake_mastodon.py goes through.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, Reply
from tests.fakes.mastodon_model import (
    DOCUMENTED_SCOPES,
    INVALID_TOKEN,
    PROFILES,
    ROUTES,
    FakeMedia,
    FakeStatus,
    Fault,
    FaultMode,
    error,
    iso,
)


class MastodonState:
    """The instance's settings and everything it has seen. Thread-safe."""

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
        profile: str = "mastodon4",
        scopes: tuple[str, ...] = DOCUMENTED_SCOPES,
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; known: {sorted(PROFILES)}")
        self.profile = profile
        self.quirks = PROFILES[profile]
        self.scopes = frozenset(scopes)  # the access token's scopes
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
        self.batch_reads = True  # False: GET /api/v1/statuses?id[]= is 404 (before 4.3)
        self.count_quotes = True  # False: statuses carry no quotes_count (before 4.5)
        self._counts: dict[str, tuple[int, int, int, int]] = {}  # mastodon_reads.py
        self.default_counts = (0, 0, 0, 0)  # likes, reposts, replies, quotes of the others
        self._now = now or (lambda: datetime.now(UTC))
        self._offset = timedelta(0)
        self._lock = threading.Lock()
        self._statuses: list[FakeStatus] = []
        self._media: dict[str, FakeMedia] = {}
        self._keys: dict[str, tuple[str, datetime]] = {}
        self._faults: list[Fault] = []
        self._sequence = 0
        self.server = FakeHTTPServer()

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

    def vacuum_orphaned_media(self) -> int:
        """Mastodon's daily vacuum: media never attached to a status are deleted. Returns how
        many."""
        with self._lock:
            orphans = [m for m, item in self._media.items() if item.status_id is None]
            for media_id in orphans:
                del self._media[media_id]
            return len(orphans)

    def calls(self, route_path: str, method: str | None = None) -> int:
        """How many requests reached ``route_path`` (e.g. ``/api/v1/statuses``)."""
        return sum(
            1
            for r in self.server.requests
            if r.path == route_path and (method is None or r.method == method)
        )

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
            self._faults.append(Fault(route, FaultMode(mode), times, status, delay, reset))

    def _take_fault(self, route: str) -> Fault | None:
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
                if "plaintext-400-auth" in self.quirks:
                    html = {"Content-Type": "text/html; charset=utf-8"}
                    return Reply(400, html, b"Invalid Bearer token")
                return error(401, INVALID_TOKEN, self._rate_headers())
            fault = self._take_fault(route)
            if fault is None:
                return self._with_rate_headers(action(request))
            if fault.mode is FaultMode.DROP_BEFORE:
                return Reply(drop=True, delay=fault.delay)
            if fault.mode is FaultMode.SERVER_ERROR:
                return error(fault.status, "Internal server error")
            if fault.mode is FaultMode.RATE_LIMITED:
                reset = fault.reset or datetime.now(UTC) + timedelta(minutes=5)
                return error(429, "Too many requests", self._rate_headers(0, reset))
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
            "X-RateLimit-Reset": iso(reset),
        }

    def _with_rate_headers(self, reply: Reply) -> Reply:
        return Reply(reply.status, {**self._rate_headers(), **reply.headers}, reply.body)
