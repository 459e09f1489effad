"""The fake X's vocabulary: the messages X answers with, the faults a test can inject, what the
fake records (requests, posts, media) and the JSON error bodies X v2 sends.

Used by tests/fakes/fake_x.py and its parts (x_state, x_auth, x_posts, x_media, x_faults).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tests.fakes.x_text import ShownLink

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
    received: datetime | None = None  # when the request had arrived whole


@dataclass(frozen=True)
class FakePost:
    id: str
    text: str  # as the client sent it
    media_ids: tuple[str, ...]
    alt_texts: tuple[str | None, ...]
    created_at: datetime
    shown: str = ""  # as X shows it: t.co links, the media link appended (not yet escaped)
    links: tuple[ShownLink, ...] = ()  # what each t.co link in ``shown`` stands for
    kind: str = "post"  # or "reply", "repost": what ``exclude`` leaves out of a timeline


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
class Fault:
    route: str
    mode: FaultMode
    times: int
    status: int | None
    reset: int | None
    user_reset: int | None
    delay: float
    message: str | None


@dataclass
class Reply:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)


ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"/2/tweets"), "create_tweet"),
    ("GET", re.compile(r"/2/tweets"), "tweets_lookup"),
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
ROUTE_NAMES = frozenset(name for _, _, name in ROUTES)


def problem(status: int, title: str, detail: str, *, type_: str = "about:blank") -> Reply:
    return Reply(status, {"title": title, "type": type_, "status": status, "detail": detail})


def invalid(message: str, parameter: str | None = None) -> Reply:
    error: dict[str, object] = {"message": message}
    if parameter:
        error["parameters"] = {parameter: []}
    return Reply(
        400,
        {
            "errors": [error],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def too_many_body() -> dict[str, object]:
    return {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }


def json_body(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
