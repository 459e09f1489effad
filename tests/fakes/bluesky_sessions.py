"""Sessions on the fake PDS (``com.atproto.server``): app-password logins limited per window,
rotating refresh tokens, access JWTs with ``exp`` that expire on the server.
"""

from __future__ import annotations

import hashlib
import json
import time

from tests.fakes.bluesky_model import Answer, b64, error, json_body
from tests.fakes.bluesky_state import BlueskyState
from tests.fakes.http_server import RecordedRequest


class BlueskySessions(BlueskyState):
    """Tokens and the ``com.atproto.server`` routes (called with the lock held)."""

    def _jwt(self, scope: str, ttl: int) -> str:
        self._counter += 1
        now = int(time.time())
        header = b64(json.dumps({"typ": "at+jwt", "alg": "HS256"}).encode())
        payload = {"scope": scope, "sub": self.did, "iat": now, "exp": now + ttl}
        payload["jti"] = f"{scope}-{self._counter}"
        body = b64(json.dumps(payload).encode())
        return f"{header}.{body}.{b64(hashlib.sha256(body.encode()).digest())}"

    def _new_session(self) -> Answer:
        access = self._jwt("com.atproto.appPass", self.access_ttl)
        refresh = self._jwt("com.atproto.refresh", 90 * 86400)
        self._access[access] = False
        self._refresh.add(refresh)
        session = {"accessJwt": access, "refreshJwt": refresh, "handle": self.handle}
        session.update(did=self.did, active=True)
        return Answer(200, session)

    def _bearer(self, request: RecordedRequest) -> str | None:
        value = request.headers.get("authorization", "")
        return value[7:] if value.startswith("Bearer ") else None

    def _authorize(self, request: RecordedRequest) -> Answer | None:
        token = self._bearer(request)
        if token is None:
            return error(401, "AuthMissing", "Authentication Required")
        if token not in self._access:
            return error(400, "InvalidToken", "Token could not be verified")
        if self._access[token]:
            return error(400, "ExpiredToken", "Token has expired")
        return None

    # -- com.atproto.server ---------------------------------------------------------------------

    def _createSession(self, request: RecordedRequest) -> Answer:
        if self.logins >= self.sessions_per_window:
            answer = error(429, "RateLimitExceeded", "Rate Limit Exceeded")
            answer.headers = self._rate_headers(0)
            answer.headers["RateLimit-Policy"] = f"{self.sessions_per_window};w=300"
            return answer
        payload = json_body(request.body)
        identifier = str(payload.get("identifier", "")).lower().lstrip("@")
        if identifier not in (self.handle, self.did) or payload.get("password") != self.password:
            return error(401, "AuthenticationRequired", "Invalid identifier or password")
        self.logins += 1
        return self._new_session()

    def _refreshSession(self, request: RecordedRequest) -> Answer:
        token = self._bearer(request)
        if token is None:
            return error(401, "AuthMissing", "Authentication Required")
        if token not in self._refresh:
            return error(400, "ExpiredToken", "Token has been revoked")
        self._refresh.discard(token)
        self.refreshes += 1
        return self._new_session()

    def _getSession(self, request: RecordedRequest) -> Answer:
        return self._authorize(request) or Answer(
            200, {"handle": self.handle, "did": self.did, "active": True}
        )

    def _describeServer(self, request: RecordedRequest) -> Answer:
        return Answer(200, {"did": "did:web:pds.test", "availableUserDomains": [".test"]})
