"""A fake Bluesky PDS (XRPC over HTTP on 127.0.0.1) that the real atproto SDK talks to.

It answers as the reference PDS does where paperbot depends on it:

* sessions: ``createSession`` (app password; a limited number per window, then 429),
  ``refreshSession`` (refresh tokens rotate), ``getSession``; access tokens are JWTs with ``exp``
  (the SDK reads it) and, once expired on the server, answer **400 ExpiredToken**;
* ``uploadBlob`` with a body size limit (413 ``PayloadTooLarge``), and ``createRecord`` refusing
  a post whose image blob is over the lexicon limit (400 ``BlobTooLarge``);
* ``createRecord`` checks the rkey is a TID and answers **HTTP 500** when it already exists,
  checks the text (300 graphemes, 3,000 bytes), facets and image embeds;
* ``getRecord`` (400 ``RecordNotFound``), ``listRecords`` newest first;
* ``RateLimit-*`` headers on writes; ``fail_next`` injects 5xx, 429, 401, expired tokens, delays
  and connections dropped before or after the server acted.

``logins`` counts successful createSession calls, so tests can assert how often a process
logged in. Use as a context manager; ``url`` goes to the channel's ``service``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

import regex

from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, Reply

__all__ = ["FakeBluesky", "FakeRecord", "FaultMode", "LoggedCall"]

TID_PATTERN = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
POST = "app.bsky.feed.post"
_ROUTES = {
    "createSession": "POST",
    "refreshSession": "POST",
    "getSession": "GET",
    "describeServer": "GET",
    "uploadBlob": "POST",
    "createRecord": "POST",
    "getRecord": "GET",
    "listRecords": "GET",
}
_NSID = {
    "createSession": "com.atproto.server.createSession",
    "refreshSession": "com.atproto.server.refreshSession",
    "getSession": "com.atproto.server.getSession",
    "describeServer": "com.atproto.server.describeServer",
    "uploadBlob": "com.atproto.repo.uploadBlob",
    "createRecord": "com.atproto.repo.createRecord",
    "getRecord": "com.atproto.repo.getRecord",
    "listRecords": "com.atproto.repo.listRecords",
}


class FaultMode(StrEnum):
    SERVER_ERROR = "server_error"  # ``status`` (500 default; 502 and 503 too)
    RATE_LIMITED = "rate_limited"  # 429 with RateLimit-Reset = ``reset``
    UNAUTHORIZED = "unauthorized"  # 401 AuthenticationRequired
    EXPIRED_TOKEN = "expired_token"  # 400 ExpiredToken (as if the access token just expired)
    DELAY = "delay"  # wait ``delay`` seconds, then answer normally
    DROP_BEFORE = "drop_before"  # close the connection without doing anything
    DROP_AFTER = "drop_after"  # do the work, then close the connection unanswered


@dataclass(frozen=True)
class LoggedCall:
    route: str
    status: int | None  # None when the connection was dropped


@dataclass(frozen=True)
class FakeRecord:
    rkey: str
    cid: str
    value: dict[str, Any]
    created_at: datetime


@dataclass
class _Fault:
    route: str
    mode: FaultMode
    times: int
    status: int
    reset: int | None
    delay: float


@dataclass
class _Answer:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _error(status: int, error: str, message: str) -> _Answer:
    return _Answer(status, {"error": error, "message": message})


class FakeBluesky:
    """The fake PDS. Thread-safe; inspect ``records``, ``blobs``, ``calls`` and ``logins``."""

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
        self.blob_limit = blob_limit  # app.bsky.embed.images lexicon maxSize (BlobTooLarge)
        self.sessions_per_window = sessions_per_window
        self.logins = 0
        self.refreshes = 0
        self._lock = threading.Lock()
        self._access: dict[str, bool] = {}  # token -> expired
        self._refresh: set[str] = set()
        self._records: dict[str, FakeRecord] = {}
        self._blobs: dict[str, tuple[str, bytes]] = {}
        self._calls: list[LoggedCall] = []
        self._faults: list[_Fault] = []
        self._counter = 0
        self._http = FakeHTTPServer()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeBluesky:
        self._http.start()
        for name, method in _ROUTES.items():
            self._http.route(f"/xrpc/{_NSID[name]}", self._handler(name), method)
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> FakeBluesky:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.port}"

    # -- inspection and control -----------------------------------------------------------------

    @property
    def records(self) -> list[FakeRecord]:
        with self._lock:
            return sorted(self._records.values(), key=lambda r: r.rkey)

    @property
    def blobs(self) -> dict[str, tuple[str, bytes]]:
        with self._lock:
            return dict(self._blobs)

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
        if route != "*" and route not in _ROUTES:
            raise ValueError(f"unknown route {route!r}; known: {sorted(_ROUTES)}")
        with self._lock:
            self._faults.append(_Fault(route, FaultMode(mode), times, status, reset, delay))

    # -- plumbing -------------------------------------------------------------------------------

    def _handler(self, route: str) -> Any:
        def handle(request: RecordedRequest) -> Reply:
            fault = self._take_fault(route)
            mode = fault.mode if fault is not None else None
            delay = fault.delay if fault is not None else 0.0
            if mode is FaultMode.DROP_BEFORE:
                self._log(route, None)
                return Reply(drop=True, delay=delay)
            if fault is not None and mode not in (FaultMode.DROP_AFTER, FaultMode.DELAY):
                answer = self._fault_answer(fault)
            else:
                with self._lock:
                    answer = getattr(self, "_" + route)(request)
            if fault is not None and fault.mode is FaultMode.DROP_AFTER:
                self._log(route, None)
                return Reply(drop=True, delay=fault.delay)
            self._log(route, answer.status)
            headers = {"Content-Type": "application/json; charset=utf-8", **answer.headers}
            body = json.dumps(answer.body).encode() if answer.body is not None else b""
            return Reply(answer.status, headers, body, delay=delay)

        return handle

    def _log(self, route: str, status: int | None) -> None:
        with self._lock:
            self._calls.append(LoggedCall(route, status))

    def _take_fault(self, route: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.route in (route, "*") and fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _fault_answer(self, fault: _Fault) -> _Answer:
        if fault.mode is FaultMode.SERVER_ERROR:
            names = {502: "UpstreamFailure", 503: "NotEnoughResources"}
            name = names.get(fault.status, "InternalServerError")
            return _error(fault.status, name, "Internal Server Error")
        if fault.mode is FaultMode.RATE_LIMITED:
            answer = _error(429, "RateLimitExceeded", "Rate Limit Exceeded")
            answer.headers = self._rate_headers(0, fault.reset)
            return answer
        if fault.mode is FaultMode.UNAUTHORIZED:
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        return _error(400, "ExpiredToken", "Token has expired")

    @staticmethod
    def _rate_headers(remaining: int, reset: int | None = None) -> dict[str, str]:
        return {
            "RateLimit-Limit": "5000",
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset if reset is not None else int(time.time()) + 3600),
            "RateLimit-Policy": "5000;w=3600",
        }

    def _jwt(self, scope: str, ttl: int) -> str:
        self._counter += 1
        now = int(time.time())
        header = _b64(json.dumps({"typ": "at+jwt", "alg": "HS256"}).encode())
        payload = {"scope": scope, "sub": self.did, "iat": now, "exp": now + ttl}
        payload["jti"] = f"{scope}-{self._counter}"
        body = _b64(json.dumps(payload).encode())
        return f"{header}.{body}.{_b64(hashlib.sha256(body.encode()).digest())}"

    def _new_session(self) -> _Answer:
        access = self._jwt("com.atproto.appPass", self.access_ttl)
        refresh = self._jwt("com.atproto.refresh", 90 * 86400)
        self._access[access] = False
        self._refresh.add(refresh)
        session = {"accessJwt": access, "refreshJwt": refresh, "handle": self.handle}
        session.update(did=self.did, active=True)
        return _Answer(200, session)

    def _bearer(self, request: RecordedRequest) -> str | None:
        value = request.headers.get("authorization", "")
        return value[7:] if value.startswith("Bearer ") else None

    def _authorize(self, request: RecordedRequest) -> _Answer | None:
        token = self._bearer(request)
        if token is None:
            return _error(401, "AuthMissing", "Authentication Required")
        if token not in self._access:
            return _error(400, "InvalidToken", "Token could not be verified")
        if self._access[token]:
            return _error(400, "ExpiredToken", "Token has expired")
        return None

    # -- com.atproto.server ---------------------------------------------------------------------

    def _createSession(self, request: RecordedRequest) -> _Answer:
        if self.logins >= self.sessions_per_window:
            answer = _error(429, "RateLimitExceeded", "Rate Limit Exceeded")
            answer.headers = self._rate_headers(0)
            answer.headers["RateLimit-Policy"] = f"{self.sessions_per_window};w=300"
            return answer
        payload = _json(request.body)
        identifier = str(payload.get("identifier", "")).lower().lstrip("@")
        if identifier not in (self.handle, self.did) or payload.get("password") != self.password:
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        self.logins += 1
        return self._new_session()

    def _refreshSession(self, request: RecordedRequest) -> _Answer:
        token = self._bearer(request)
        if token is None:
            return _error(401, "AuthMissing", "Authentication Required")
        if token not in self._refresh:
            return _error(400, "ExpiredToken", "Token has been revoked")
        self._refresh.discard(token)
        self.refreshes += 1
        return self._new_session()

    def _getSession(self, request: RecordedRequest) -> _Answer:
        return self._authorize(request) or _Answer(
            200, {"handle": self.handle, "did": self.did, "active": True}
        )

    def _describeServer(self, request: RecordedRequest) -> _Answer:
        return _Answer(200, {"did": "did:web:pds.test", "availableUserDomains": [".test"]})

    # -- com.atproto.repo -----------------------------------------------------------------------

    def _uploadBlob(self, request: RecordedRequest) -> _Answer:
        denied = self._authorize(request)
        if denied:
            return denied
        if len(request.body) > self.upload_limit:
            return _error(413, "PayloadTooLarge", "request entity too large")
        mime = request.headers.get("content-type", "application/octet-stream")
        cid = "bafkrei" + hashlib.sha256(request.body).hexdigest()[:52]
        self._blobs[cid] = (mime, request.body)
        blob = {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime}
        blob["size"] = len(request.body)
        return _Answer(200, {"blob": blob}, self._rate_headers(4999))

    def _createRecord(self, request: RecordedRequest) -> _Answer:
        denied = self._authorize(request)
        if denied:
            return denied
        payload = _json(request.body)
        if payload.get("repo") not in (self.did, self.handle):
            return _error(400, "InvalidRequest", "Could not find repo")
        if payload.get("collection") != POST:
            return _error(400, "InvalidRequest", "paperbot's fake only takes posts")
        rkey = payload.get("rkey") or self._next_tid()
        if not isinstance(rkey, str) or not TID_PATTERN.match(rkey):
            return _error(400, "InvalidRequest", f"Invalid TID: {rkey}")
        record = payload.get("record")
        problem = self._check_post(record)
        if problem is not None:
            return problem
        if rkey in self._records:
            # The reference PDS fails the repo write on the unique key: a bare 500.
            return _error(500, "InternalServerError", "Internal Server Error")
        cid = "bafyrei" + hashlib.sha256(request.body).hexdigest()[:52]
        assert isinstance(record, dict)
        self._records[rkey] = FakeRecord(rkey, cid, record, datetime.now(UTC))
        answer = {"uri": self._uri(rkey), "cid": cid, "validationStatus": "valid"}
        answer["commit"] = {"cid": cid, "rev": self._next_tid()}
        return _Answer(200, answer, self._rate_headers(4997))

    def _check_post(self, record: object) -> _Answer | None:
        def invalid(why: str) -> _Answer:
            return _error(400, "InvalidRequest", f"Invalid {POST} record: {why}")

        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            return invalid('Record must have the property "text"')
        text = record["text"]
        if len(regex.findall(r"\X", text)) > 300:
            return invalid("Record/text must not be longer than 300 graphemes")
        size = len(text.encode())
        if size > 3000:
            return invalid("Record/text must not be longer than 3000 characters")
        if not isinstance(record.get("createdAt"), str):
            return invalid('Record must have the property "createdAt"')
        for facet in record.get("facets") or []:
            index = facet.get("index", {})
            if not 0 <= index.get("byteStart", -1) <= index.get("byteEnd", -1) <= size:
                return invalid("Record/facets byte range out of bounds")
        embed = record.get("embed")
        if embed is not None:
            return self._check_images(embed, invalid)
        return None

    def _check_images(self, embed: dict[str, Any], invalid: Any) -> _Answer | None:
        if embed.get("$type") != "app.bsky.embed.images":
            return invalid("Record/embed must be app.bsky.embed.images in this fake")
        images = embed.get("images") or []
        if not 1 <= len(images) <= 4:
            return invalid("Record/embed/images must not have more than 4 elements")
        for number, image in enumerate(images):
            if not isinstance(image.get("alt"), str):
                return invalid(f'Record/embed/images/{number} must have the property "alt"')
            cid = (image.get("image") or {}).get("ref", {}).get("$link")
            if cid not in self._blobs:
                return _error(400, "InvalidRequest", f"Could not find blob: {cid}")
            mime, data = self._blobs[cid]
            if len(data) > self.blob_limit:
                return _error(
                    400,
                    "BlobTooLarge",
                    f"This file is too large. It is {len(data) / 1024:.2f}KB but the maximum "
                    f"size is {self.blob_limit / 1024:.2f}KB.",
                )
            if not mime.startswith("image/"):
                return _error(400, "InvalidMimeType", f"Wrong type of file. It is {mime}")
        return None

    def _getRecord(self, request: RecordedRequest) -> _Answer:
        query = _query(request)
        rkey = query.get("rkey", "")
        if query.get("repo") not in (self.did, self.handle) or query.get("collection") != POST:
            return _error(400, "RecordNotFound", f"Could not locate record: {query}")
        record = self._records.get(rkey)
        if record is None:
            return _error(400, "RecordNotFound", f"Could not locate record: {self._uri(rkey)}")
        return _Answer(200, self._view(record))

    def _listRecords(self, request: RecordedRequest) -> _Answer:
        query = _query(request)
        if query.get("repo") not in (self.did, self.handle):
            return _error(400, "InvalidRequest", "Could not find repo")
        limit = int(query.get("limit", "50"))
        if not 1 <= limit <= 100:
            return _error(400, "InvalidRequest", "Error: limit must be between 1 and 100")
        backwards = query.get("reverse") == "true"  # oldest first
        keys = sorted(self._records, reverse=not backwards)  # TIDs sort by time
        cursor = query.get("cursor")
        if cursor:
            keys = [k for k in keys if (k > cursor if backwards else k < cursor)]
        page = keys[:limit]
        body: dict[str, Any] = {"records": [self._view(self._records[k]) for k in page]}
        if len(page) == limit:
            body["cursor"] = page[-1]
        return _Answer(200, body)

    def _view(self, record: FakeRecord) -> dict[str, Any]:
        return {"uri": self._uri(record.rkey), "cid": record.cid, "value": record.value}

    def _uri(self, rkey: str) -> str:
        return f"at://{self.did}/{POST}/{rkey}"

    def _next_tid(self) -> str:
        self._counter += 1
        value = (time.time_ns() // 1000) << 10 | (self._counter & 0x3FF)
        return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _query(request: RecordedRequest) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(request.query).items()}
