"""Posts on the fake X: creating one (length, media, duplicate and daily-limit checks), the
timeline and lookups, texts as X shows them (t.co links, tests/fakes/x_text.py).
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

from tests.fakes.x_model import (
    DUPLICATE_MESSAGE,
    INVALID_MEDIA_MESSAGE,
    TOO_LONG_MESSAGE,
    FakePost,
    Reply,
    invalid,
    json_body,
    parse_time,
    problem,
    too_many_body,
)
from tests.fakes.x_state import XState
from tests.fakes.x_text import escape, render, url_entities, weighted_length


class XPosts(XState):
    """The post routes (called with the lock held) and ``add_post`` for tests."""

    def add_post(
        self, text: str, *, created_at: datetime | None = None, images: int = 0
    ) -> FakePost:
        """Put a post on the timeline directly, as if made earlier (or from X's web app)."""
        with self._lock:
            media_ids = tuple(self._new_id() for _ in range(images))
            post = self._new_post(text, media_ids, (None,) * images, created_at)
            self._posts.append(post)
            return post

    def _new_slug(self) -> str:
        """A t.co slug: ten characters of [0-9A-Za-z], never the same twice."""
        self._slugs += 1
        number = int.from_bytes(hashlib.sha256(f"slug{self._slugs}".encode()).digest()[:8])
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        slug = ""
        for _ in range(10):
            number, digit = divmod(number, 62)
            slug += alphabet[digit]
        return slug

    def _new_post(
        self,
        text: str,
        media_ids: tuple[str, ...],
        alt_texts: tuple[str | None, ...],
        created_at: datetime | None,
    ) -> FakePost:
        post_id = self._new_id()
        shown, links = render(
            text,
            self._new_slug,
            media_key=f"3_{media_ids[0]}" if media_ids else None,
            status_url=f"https://x.com/{self.username}/status/{post_id}",
        )
        return FakePost(
            post_id, text, media_ids, alt_texts, created_at or datetime.now(UTC), shown, links
        )

    def _user(self) -> dict[str, str]:
        return {"id": self.user_id, "name": "Paperbot Test", "username": self.username}

    def _create_tweet(self, body: bytes) -> Reply:
        payload = json_body(body)
        if not isinstance(payload, dict):
            return invalid("Request body is not valid JSON.")
        text = payload.get("text")
        media = payload.get("media") or {}
        media_ids = (media.get("media_ids") or []) if isinstance(media, dict) else None
        if media_ids is None or not isinstance(media_ids, list):
            return invalid("media must be an object with a list of media_ids.")
        if not isinstance(text, str) and not media_ids:
            return invalid("Post text or media is required.")
        text = text if isinstance(text, str) else ""
        if weighted_length(text) > 280:
            return invalid(TOO_LONG_MESSAGE, parameter="text")
        if len(media_ids) > 4:
            return invalid("[media.media_ids]: size must be between 1 and 4", "media.media_ids")
        ready = [self._media.get(str(m)) for m in media_ids]
        if any(item is None or item.state != "succeeded" for item in ready):
            return invalid(INVALID_MEDIA_MESSAGE, parameter="media.media_ids")
        if any(post.text == text for post in self._posts if text):
            return problem(403, "Forbidden", DUPLICATE_MESSAGE)
        created_today = [
            p for p in self._posts if (datetime.now(UTC) - p.created_at).total_seconds() < 86400
        ]
        limit_headers: dict[str, str] = {}
        if self.daily_post_limit is not None:
            reset = str(int(time.time()) + 86400)
            remaining = self.daily_post_limit - len(created_today)
            limit_headers = {
                "x-user-limit-24hour-limit": str(self.daily_post_limit),
                "x-user-limit-24hour-remaining": str(max(0, remaining - 1)),
                "x-user-limit-24hour-reset": reset,
            }
            if remaining <= 0:
                limit_headers["x-user-limit-24hour-remaining"] = "0"
                return Reply(429, too_many_body(), limit_headers)
        post = self._new_post(
            text,
            tuple(str(m) for m in media_ids),
            tuple(item.alt_text for item in ready if item is not None),
            None,
        )
        self._posts.append(post)
        data = {"id": post.id, "text": post.shown, "edit_history_tweet_ids": [post.id]}
        return Reply(201, {"data": data}, limit_headers)

    def _user_tweets(self, user_id: str, query: dict[str, str]) -> Reply:
        if user_id != self.user_id:
            return problem(404, "Not Found Error", f"Could not find user with id: [{user_id}].")
        try:
            max_results = int(query.get("max_results", "10"))
            offset = int(query.get("pagination_token", "0"))
        except ValueError:
            return invalid("max_results and pagination_token must be numbers.")
        if not 5 <= max_results <= 100:
            return invalid(
                f"The `max_results` query parameter value [{max_results}] is not between 5 and 100",
                parameter="max_results",
            )
        start = parse_time(query.get("start_time"))
        end = parse_time(query.get("end_time"))
        fields = set(query.get("tweet.fields", "").split(","))
        matching = [
            p
            for p in self._posts
            if (start is None or p.created_at >= start) and (end is None or p.created_at <= end)
        ]
        matching.sort(key=lambda p: p.created_at, reverse=True)
        page = matching[offset : offset + max_results]
        data = [_post_view(post, fields) for post in page]
        meta: dict[str, object] = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = page[0].id, page[-1].id
        if offset + max_results < len(matching):
            meta["next_token"] = str(offset + max_results)
        return Reply(200, {"data": data, "meta": meta} if data else {"meta": meta})

    def _tweet_lookup(self, post_id: str, query: dict[str, str]) -> Reply:
        fields = set(query.get("tweet.fields", "").split(","))
        for post in self._posts:
            if post.id == post_id:
                return Reply(200, {"data": _post_view(post, fields)})
        return Reply(
            200,
            {
                "errors": [
                    {
                        "value": post_id,
                        "detail": f"Could not find tweet with id: [{post_id}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "id",
                        "resource_id": post_id,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            },
        )


def _post_view(post: FakePost, fields: set[str]) -> dict[str, object]:
    """A post as X v2 returns it for ``tweet.fields``: t.co links, HTML-escaped text."""
    item: dict[str, object] = {
        "id": post.id,
        "text": escape(post.shown),
        "edit_history_tweet_ids": [post.id],
    }
    if "created_at" in fields:
        item["created_at"] = post.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if "entities" in fields and post.links:
        item["entities"] = {"urls": url_entities(post.shown, post.links)}
    if "attachments" in fields and post.media_ids:
        item["attachments"] = {"media_keys": [f"3_{m}" for m in post.media_ids]}
    return item
