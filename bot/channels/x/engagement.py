"""X: a batch of posts' public counts from ``GET /2/tweets?ids=`` (tweepy's ``get_tweets``).

Up to 100 ids a request. X bills every post the read returns (Posts: Read), so the caller asks
only for posts due a read and records ``returned`` in the ledger. A post X no longer has comes
back in ``errors`` as a "resource-not-found" for its id: it is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.channels.engagement import Counts, EngagementRead
from bot.channels.x.billing import ChargeLog

__all__ = ["BATCH", "CountReads", "read_counts"]

BATCH = 100
_NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"


def read_counts(
    get_tweets: Callable[[list[str]], Any], remote_ids: Sequence[str]
) -> EngagementRead:
    """Counts for ``remote_ids`` (at most ``BATCH``) through ``get_tweets(ids)``."""
    if len(remote_ids) > BATCH:
        raise ValueError(f"X reads at most {BATCH} posts a request, got {len(remote_ids)}")
    response = get_tweets(list(remote_ids))
    counts: dict[str, Counts] = {}
    for tweet in response.data or ():
        metrics = getattr(tweet, "public_metrics", None) or {}
        counts[str(tweet.id)] = Counts(
            likes=_count(metrics, "like_count"),
            reposts=_count(metrics, "retweet_count"),
            replies=_count(metrics, "reply_count"),
            quotes=_count(metrics, "quote_count"),
        )
    gone = {
        str(error.get("resource_id") or error.get("value"))
        for error in getattr(response, "errors", None) or ()
        if isinstance(error, Mapping) and error.get("type") == _NOT_FOUND
    }
    return EngagementRead(counts=counts, gone=frozenset(gone - set(counts)), returned=tuple(counts))


def _count(metrics: Mapping[str, Any], key: str) -> int:
    value = metrics.get(key)
    return value if isinstance(value, int) and value >= 0 else 0


class CountReads:
    """``XChannel.read_engagement``: one ``get_tweets`` request for up to 100 posts, each post
    returned logged as a billed read (``charges``) for the ledger."""

    def __init__(self, client: Any, call: Callable[..., Any], charges: ChargeLog) -> None:
        self._client = client
        self._call = call
        self._charges = charges

    def read(self, remote_ids: Sequence[str]) -> EngagementRead:
        found = read_counts(self._get_tweets, remote_ids)
        self._charges.read(found.returned)
        return found

    def _get_tweets(self, ids: list[str]) -> Any:
        return self._call(
            lambda: self._client.get_tweets(ids, tweet_fields=["public_metrics"], user_auth=True),
            what="reading the posts' counts",
            creating=False,
        )
