"""The fake X's post lookup by ids with ``public_metrics``: what engagement reads ask for.

``GET /2/tweets?ids=1,2,3&tweet.fields=public_metrics`` (up to 100 ids): found posts in
``data`` with their counts, missing ones in ``errors`` as "resource-not-found", as X answers.
Tests set counts with ``set_metrics`` (or ``default_metrics`` for every post, set before the
posts exist) and delete posts with ``delete_post``; ``posts_returned``
counts the posts every lookup returned (X bills each one).
"""

from __future__ import annotations

from tests.fakes.x_model import Reply, invalid
from tests.fakes.x_state import XState

NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
METRICS = ("retweet_count", "reply_count", "like_count", "quote_count")


class XMetrics(XState):
    """Counts per post id, set by tests; the lookup route (called with the lock held)."""

    def set_metrics(
        self, post_id: str, *, likes: int = 0, reposts: int = 0, replies: int = 0, quotes: int = 0
    ) -> None:
        with self._lock:
            self._metrics[post_id] = {
                "like_count": likes,
                "retweet_count": reposts,
                "reply_count": replies,
                "quote_count": quotes,
            }

    def delete_post(self, post_id: str) -> None:
        """The post is deleted on X: lookups answer not found from now on."""
        with self._lock:
            self._posts[:] = [post for post in self._posts if post.id != post_id]

    @property
    def posts_returned(self) -> int:
        with self._lock:
            return self._returned

    def _tweets_lookup(self, query: dict[str, str]) -> Reply:
        ids = [i for i in query.get("ids", "").split(",") if i]
        if not ids or len(ids) > 100:
            return invalid("The `ids` query parameter value must hold 1 to 100 ids", "ids")
        fields = set(query.get("tweet.fields", "").split(","))
        known = {post.id: post for post in self._posts}
        data: list[dict[str, object]] = []
        errors: list[dict[str, object]] = []
        for post_id in ids:
            post = known.get(post_id)
            if post is None:
                errors.append(
                    {
                        "value": post_id,
                        "detail": f"Could not find tweet with ids: [{post_id}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "resource_id": post_id,
                        "type": NOT_FOUND,
                    }
                )
                continue
            item: dict[str, object] = {
                "id": post.id,
                "text": post.shown,
                "edit_history_tweet_ids": [post.id],
            }
            if "public_metrics" in fields:
                counts = self._metrics.get(post.id, self.default_metrics)
                item["public_metrics"] = {
                    **{name: counts.get(name, 0) for name in METRICS},
                    "bookmark_count": 0,
                    "impression_count": 0,
                }
            data.append(item)
        self._returned += len(data)
        body: dict[str, object] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        return Reply(200, body)
