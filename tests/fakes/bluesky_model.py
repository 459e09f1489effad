"""The fake Bluesky PDS's vocabulary: its routes and their NSIDs, TIDs, the faults a test can
inject, what it records (calls, records) and its XRPC error bodies.

Used by tests/fakes/fake_bluesky.py and its parts (bluesky_state, _sessions, _repo).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.http_server import RecordedRequest

TID_PATTERN = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
POST = "app.bsky.feed.post"
ROUTES = {
    "createSession": "POST",
    "refreshSession": "POST",
    "getSession": "GET",
    "describeServer": "GET",
    "uploadBlob": "POST",
    "createRecord": "POST",
    "getRecord": "GET",
    "listRecords": "GET",
    "getPosts": "GET",
}
NSID = {
    "createSession": "com.atproto.server.createSession",
    "refreshSession": "com.atproto.server.refreshSession",
    "getSession": "com.atproto.server.getSession",
    "describeServer": "com.atproto.server.describeServer",
    "uploadBlob": "com.atproto.repo.uploadBlob",
    "createRecord": "com.atproto.repo.createRecord",
    "getRecord": "com.atproto.repo.getRecord",
    "listRecords": "com.atproto.repo.listRecords",
    "getPosts": "app.bsky.feed.getPosts",
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
class Fault:
    route: str
    mode: FaultMode
    times: int
    status: int
    reset: int | None
    delay: float


@dataclass
class Answer:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def error(status: int, error: str, message: str) -> Answer:
    return Answer(status, {"error": error, "message": message})


def json_body(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def query_params(request: RecordedRequest) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(request.query).items()}
