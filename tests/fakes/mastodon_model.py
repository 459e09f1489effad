"""The fake Mastodon's vocabulary: the messages it answers with, the faults a test can inject,
the records it keeps (media, statuses) and the shapes of its bodies (JSON, multipart, forms).

Used by tests/fakes/fake_mastodon.py and its parts (mastodon_state, _instance, _media, _statuses).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import parse_qs

from tests.fakes.http_server import RecordedRequest, Reply

TOO_LONG = "Validation failed: Text character limit of {max} exceeded"
NOT_READY = "Cannot attach files that have not finished processing. Try again in a moment!"
INVALID_TOKEN = "The access token is invalid"
OUT_OF_SCOPE = "This action is outside the authorized scopes"
#: The scopes README asks for; a token made with exactly these is what most users have.
DOCUMENTED_SCOPES = ("write:statuses", "write:media", "read:accounts", "read:statuses")
#: Server profiles: how servers that speak the Mastodon API differ from Mastodon 4 (FACTS.md,
#: "Seen on real servers": Takahē showed all of these; Pixelfed and GoToSocial ignore the key).
PROFILES: dict[str, frozenset[str]] = {
    "mastodon4": frozenset(),
    "ignores-idempotency-key": frozenset({"ignores-idempotency-key"}),
    "full-length-links": frozenset({"full-length-links"}),  # advertises 23, counts raw length
    "read-scope-verify": frozenset({"read-scope-verify"}),  # verify_credentials needs ``read``
    "plaintext-400-auth": frozenset({"plaintext-400-auth"}),  # bad token: 400 text/html
    "instance-404": frozenset({"instance-404"}),  # only ``/api/v2/instance`` without a slash
}
PROFILES["takahe"] = frozenset().union(*PROFILES.values())
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
class Fault:
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


def parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[bytes, str]] | None:
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


def json_reply(status: int, body: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status,
        {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        json.dumps(body).encode(),
    )


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    return json_reply(status, {"error": message}, headers)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"


def form_params(request: RecordedRequest) -> dict[str, list[str]]:
    """The parameters of a form-encoded or JSON body (Mastodon.py sends either)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        data = json.loads(request.body or b"{}")
        return {
            k: [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in data.items()
        }
    return parse_qs(request.body.decode(), keep_blank_values=True)
