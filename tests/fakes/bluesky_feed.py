"""The fake PDS's ``app.bsky.feed.getPosts``, as the PDS answers it by proxying to the AppView.

Up to 25 ``uris``; each post the AppView knows comes back as a post view with ``likeCount``,
``repostCount``, ``replyCount`` and ``quoteCount`` (set by tests with ``set_counts``). Posts it
does not know are silently left out: deleted ones (``delete_record``), and ones not indexed yet
(``hide_from_appview``), which ``getRecord`` still finds on the account's own server.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from tests.fakes.bluesky_model import Answer, error
from tests.fakes.bluesky_repo import BlueskyRepo
from tests.fakes.http_server import RecordedRequest


class BlueskyFeed(BlueskyRepo):
    """getPosts (called with the lock held) and the controls tests use."""

    def set_counts(
        self, rkey: str, *, likes: int = 0, reposts: int = 0, replies: int = 0, quotes: int = 0
    ) -> None:
        with self._lock:
            self._counts[rkey] = {
                "likeCount": likes,
                "repostCount": reposts,
                "replyCount": replies,
                "quoteCount": quotes,
            }

    def delete_record(self, rkey: str) -> None:
        """The post is deleted: getRecord answers RecordNotFound, getPosts leaves it out."""
        with self._lock:
            self._records.pop(rkey, None)

    def hide_from_appview(self, rkey: str, hidden: bool = True) -> None:
        """The AppView has not indexed this post (yet): getPosts leaves it out."""
        with self._lock:
            (self._unindexed.add if hidden else self._unindexed.discard)(rkey)

    def _getPosts(self, request: RecordedRequest) -> Answer:
        denied = self._authorize(request)
        if denied:
            return denied
        uris = parse_qs(request.query).get("uris", [])
        if not 1 <= len(uris) <= 25:
            return error(400, "InvalidRequest", "Error: uris must have between 1 and 25 items")
        prefix = self._uri("")
        views: list[dict[str, Any]] = []
        for uri in uris:
            rkey = uri.removeprefix(prefix) if uri.startswith(prefix) else None
            record = self._records.get(rkey) if rkey else None
            if rkey is None or record is None or rkey in self._unindexed:
                continue
            views.append(
                {
                    "uri": uri,
                    "cid": record.cid,
                    "author": {"did": self.did, "handle": self.handle},
                    "record": record.value,
                    "indexedAt": record.created_at.isoformat().replace("+00:00", "Z"),
                    **dict.fromkeys(_COUNTS, 0),
                    **self._counts.get(rkey, self.default_counts),
                }
            )
        return Answer(200, {"posts": views})


_COUNTS = ("likeCount", "repostCount", "replyCount", "quoteCount")
