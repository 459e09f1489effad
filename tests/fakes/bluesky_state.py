"""The fake PDS's state (account, tokens, records, blobs, calls, faults), what tests read and
control of it, and the fault and rate-limit plumbing of tests/fakes/fake_bluesky.py.
"""

from __future__ import annotations

import json
import threading
import time

from tests.fakes.bluesky_model import (
    ROUTES,
    Answer,
    FakeRecord,
    Fault,
    FaultMode,
    LoggedCall,
    error,
)
from tests.fakes.http_server import FakeHTTPServer


class BlueskyState:
    """The account and everything the PDS has seen. Thread-safe."""

    def __init__(
        self,
        *,
        handle: str = "paperbot.test",
        password: str = "abcd-efgh-ijkl-mnop",
        did: str = "did:plc:paperbotfake0000000",
        access_ttl: int = 7200,
        upload_limit: int = 5_000_000,
        blob_limit: int = 2_000_000,
        sessions_per_window: int = 30,
    ) -> None:
        self.handle, self.password, self.did = handle, password, did
        self.access_ttl = access_ttl
        self.upload_limit = upload_limit  # uploadBlob body limit (413 above)
        self.blob_limit = (
            blob_limit  # images' maxSize: 2,000,000 on current servers, 1,000,000 on 0.4
        )
        self.sessions_per_window = sessions_per_window
        self.logins = 0
        self.refreshes = 0
        self._lock = threading.Lock()
        self._access: dict[str, bool] = {}  # token -> expired
        self._refresh: set[str] = set()
        self._records: dict[str, FakeRecord] = {}
        self._blobs: dict[str, tuple[str, bytes]] = {}
        self._calls: list[LoggedCall] = []
        self._faults: list[Fault] = []
        self._counter = 0
        self._counts: dict[str, dict[str, int]] = {}  # engagement by rkey (bluesky_feed.py)
        self._unindexed: set[str] = set()  # rkeys the AppView has not seen yet
        self.default_counts: dict[str, int] = {}  # likeCount... of posts without their own
        self._http = FakeHTTPServer()

    # -- inspection and control -----------------------------------------------------------------

    @property
    def records(self) -> list[FakeRecord]:
        with self._lock:
            return sorted(self._records.values(), key=lambda r: r.rkey)

    @property
    def blobs(self) -> dict[str, tuple[str, bytes]]:
        with self._lock:
            return dict(self._blobs)

    def drop_unused_blobs(self) -> int:
        """What a PDS does to uploads no record references after its window: they are gone
        (a record naming one is refused "Could not find blob"). Returns how many."""
        with self._lock:
            used = json.dumps([record.value for record in self._records.values()])
            unused = [cid for cid in self._blobs if cid not in used]
            for cid in unused:
                del self._blobs[cid]
            return len(unused)

    @property
    def calls(self) -> list[LoggedCall]:
        with self._lock:
            return list(self._calls)

    def routes_called(self) -> list[str]:
        return [call.route for call in self.calls]

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is now expired, whatever its ``exp`` says."""
        with self._lock:
            for token in self._access:
                self._access[token] = True

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token issued so far is no longer good (as after 90 days, or a reset)."""
        with self._lock:
            self._refresh.clear()

    def fail_next(
        self,
        route: str,
        mode: FaultMode | str,
        *,
        times: int = 1,
        status: int = 500,
        reset: int | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``times`` requests to ``route`` ("*" for any) fail in ``mode``."""
        if route != "*" and route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; known: {sorted(ROUTES)}")
        with self._lock:
            self._faults.append(Fault(route, FaultMode(mode), times, status, reset, delay))

    def _log(self, route: str, status: int | None) -> None:
        with self._lock:
            self._calls.append(LoggedCall(route, status))

    def _take_fault(self, route: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.route in (route, "*") and fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _fault_answer(self, fault: Fault) -> Answer:
        if fault.mode is FaultMode.SERVER_ERROR:
            names = {502: "UpstreamFailure", 503: "NotEnoughResources"}
            name = names.get(fault.status, "InternalServerError")
            return error(fault.status, name, "Internal Server Error")
        if fault.mode is FaultMode.RATE_LIMITED:
            answer = error(429, "RateLimitExceeded", "Rate Limit Exceeded")
            answer.headers = self._rate_headers(0, fault.reset)
            return answer
        if fault.mode is FaultMode.UNAUTHORIZED:
            return error(401, "AuthenticationRequired", "Invalid identifier or password")
        return error(400, "ExpiredToken", "Token has expired")

    @staticmethod
    def _rate_headers(remaining: int, reset: int | None = None) -> dict[str, str]:
        return {
            "RateLimit-Limit": "5000",
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset if reset is not None else int(time.time()) + 3600),
            "RateLimit-Policy": "5000;w=3600",
        }
