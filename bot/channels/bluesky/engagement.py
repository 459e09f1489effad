"""Bluesky: a batch of posts' counts from ``app.bsky.feed.getPosts`` (up to 25 URIs).

getPosts answers from the AppView, which may lag behind the account's own server and silently
leaves out posts it does not have: a post left out is called gone only after ``getRecord`` on
the account's own server says ``RecordNotFound`` (``is_gone``); otherwise it is read again later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bot.channels.engagement import Counts, EngagementRead

if TYPE_CHECKING:
    from bot.channels.bluesky.connection import BlueskyConnection

__all__ = ["BATCH", "PostReads", "read_counts"]

BATCH = 25


def read_counts(
    get_posts: Callable[[list[str]], Any],
    is_gone: Callable[[str], bool],
    uris: Sequence[str],
) -> EngagementRead:
    """Counts for ``uris`` (at most ``BATCH``); posts left out are checked with ``is_gone``."""
    if len(uris) > BATCH:
        raise ValueError(f"Bluesky reads at most {BATCH} posts a request, got {len(uris)}")
    answer = get_posts(list(uris))
    counts: dict[str, Counts] = {}
    for view in getattr(answer, "posts", None) or ():
        counts[str(view.uri)] = Counts(
            likes=_count(getattr(view, "like_count", None)),
            reposts=_count(getattr(view, "repost_count", None)),
            replies=_count(getattr(view, "reply_count", None)),
            quotes=_count(getattr(view, "quote_count", None)),
        )
    gone = frozenset(uri for uri in uris if uri not in counts and is_gone(uri))
    return EngagementRead(counts=counts, gone=gone, returned=tuple(counts))


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


class PostReads:
    """``BlueskyChannel.read_engagement``: getPosts through the channel's connection, and
    getRecord on the account's own server for the posts getPosts left out."""

    def __init__(self, connection: BlueskyConnection) -> None:
        self._connection = connection

    def read(self, uris: Sequence[str]) -> EngagementRead:
        """Counts of these posts (``at://`` URIs) in one request."""
        return read_counts(self._get_posts, self._gone, uris)

    def _get_posts(self, uris: list[str]) -> Any:
        return self._connection.call(
            lambda client: client.get_posts(uris), what="reading the posts' counts", creating=False
        )

    def _gone(self, uri: str) -> bool:
        """Whether the account's own server says it has no record at ``uri`` (deleted)."""
        return self._connection.own_post(uri.rsplit("/", 1)[-1]) is None
