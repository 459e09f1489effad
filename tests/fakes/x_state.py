"""The fake X's state (account, credentials, posts, media, requests, faults) and what tests read
of it; the parts of tests/fakes/fake_x.py share it through this base class.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING

from tests.fakes.x_model import FakeMedia, FakePost, Fault, LoggedRequest

if TYPE_CHECKING:
    from tests.fakes.x_billing import BillLine


class XState:
    """The account and everything the fake has seen. Thread-safe: every read takes the lock."""

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
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
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
        self.now = now  # the fake's clock: a test's virtual clock stamps its posts
        self.reject_credentials = False  # True: every request gets 401, signed or not
        self.media_processing_polls = 0  # STATUS polls before finalized media is ready
        self.media_check_after_secs = 0  # what processing_info tells clients to wait
        self.fail_media_processing = False  # processing ends in "failed"
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._released = threading.Event()  # ends HOLD faults
        self._posts: list[FakePost] = []
        self._metrics: dict[str, dict[str, int]] = {}  # public_metrics by post id (x_metrics.py)
        self._returned = 0  # posts returned by lookups by ids (X bills each one)
        self.default_metrics: dict[str, int] = {}  # public_metrics of posts without their own
        self._media: dict[str, FakeMedia] = {}
        self._requests: list[LoggedRequest] = []
        self._bill: list[BillLine] = []  # what X charged (tests/fakes/x_billing.py)
        self._faults: list[Fault] = []
        self._nonces: set[str] = set()
        self._next_id = 1_861_000_000_000_000_000
        self._slugs = 0
        self._held = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- inspection -----------------------------------------------------------------------------

    @property
    def posts(self) -> list[FakePost]:
        with self._lock:
            return list(self._posts)

    @property
    def media(self) -> dict[str, FakeMedia]:
        with self._lock:
            return dict(self._media)

    def expire_unused_media(self) -> int:
        """Media ids past their ``expires_after_secs`` and never attached are gone (a create
        naming one is refused "Your media IDs are invalid."). Returns how many."""
        with self._lock:
            used = {media_id for post in self._posts for media_id in post.media_ids}
            unused = [media_id for media_id in self._media if media_id not in used]
            for media_id in unused:
                del self._media[media_id]
            return len(unused)

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

    def _new_id(self) -> str:
        self._next_id += 4096 + len(self._posts) + len(self._media)
        return str(self._next_id)
