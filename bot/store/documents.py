"""The stable `--json` shapes of DESIGN.md: entries, posts, attempts. Times in ISO 8601 with offset.

Changing a key here breaks users' scripts: add keys, never rename or remove them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from bot.store.money import usd

if TYPE_CHECKING:
    from bot.store.read_records import AttemptRecord as Attempt
    from bot.store.read_records import EngagementRecord
    from bot.store.read_records import EntryRecord as Entry
    from bot.store.read_records import PostRecord as Post


def iso(moment: datetime | None, tz: tzinfo) -> str | None:
    return None if moment is None else moment.astimezone(tz).isoformat()


def post_to_json(
    post: Post,
    tz: tzinfo,
    attempts: Sequence[Attempt] = (),
    cost: int = 0,
    engagement: EngagementRecord | None = None,
) -> dict[str, Any]:
    """`cost`: the micro-dollars the X ledger holds for the post (0 elsewhere: Bluesky and
    Mastodon bill nothing), shown in dollars; `engagement`: its newest counts, if ever read."""
    return {
        "id": post.id,
        "channel": post.channel,
        "status": post.status,
        "text": post.text,
        "media_ids": list(post.media_ids),
        "remote_id": post.remote_id,
        "remote_url": post.remote_url,
        "posted_at": iso(post.posted_at, tz),
        "last_error": post.last_error,
        # The outcome is unknown and cannot be looked up: `paperbot resolve` settles it.
        "needs_decision": getattr(post, "decision_needed_at", None) is not None,
        "next_attempt_at": iso(post.next_attempt_at, tz),
        "attempts": [attempt_to_json(a, tz) for a in attempts],
        # What X billed for this post: its uploads' alt texts, its create, settling reads.
        "cost": usd(cost),
        "engagement": engagement_to_json(engagement, tz),
        "gone_at": iso(getattr(post, "gone_at", None), tz),
    }


def engagement_to_json(engagement: EngagementRecord | None, tz: tzinfo) -> dict[str, Any] | None:
    """The newest counts of a post (DESIGN.md "Engagement"), or None if never read."""
    if engagement is None:
        return None
    return {
        "likes": engagement.likes,
        "reposts": engagement.reposts,
        "replies": engagement.replies,
        "quotes": engagement.quotes,
        "read_at": iso(engagement.read_at, tz),
    }


def attempt_to_json(attempt: Attempt, tz: tzinfo) -> dict[str, Any]:
    return {
        "started_at": iso(attempt.started_at, tz),
        "finished_at": iso(attempt.finished_at, tz),
        "outcome": attempt.outcome,
        "error": attempt.error,
        "http_status": attempt.http_status,
    }


def entry_to_json(
    entry: Entry,
    tz: tzinfo,
    posts: Sequence[Post] = (),
    attempts: dict[int, list[Attempt]] | None = None,
    costs: dict[int, int] | None = None,
) -> dict[str, Any]:
    attempts, costs = attempts or {}, costs or {}
    return {
        "id": entry.id,
        "kind": entry.kind,
        "title": entry.title,
        "url": entry.url,
        "arxiv_id": entry.arxiv_id,
        "comment": entry.comment,
        "images": [
            {"source": image.get("source", ""), "alt": image.get("alt", "")}
            for image in entry.images
        ],
        "week": entry.week,
        "at": iso(entry.at, tz),
        "position": entry.position,
        "status": entry.status,
        "channels": list(entry.channels),
        "attempts": entry.attempts,
        "last_error": entry.last_error,
        "next_attempt_at": iso(entry.next_attempt_at, tz),
        "created_at": iso(entry.created_at, tz),
        "updated_at": iso(entry.updated_at, tz),
        "posts": [
            post_to_json(p, tz, attempts.get(p.id or 0, ()), costs.get(p.id or 0, 0)) for p in posts
        ],
    }
