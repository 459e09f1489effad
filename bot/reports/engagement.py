"""`paperbot engagement`: what each post of a week earned, per entry and channel, with totals.

Counts are the newest snapshot of each post (a post gone from its platform keeps its last
counts, still in the totals). Entries are sorted by their total, highest first, so the papers
readers cared about come first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.store.documents import engagement_to_json, iso

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bot.store.reader import Reader

COUNTS = ("likes", "reposts", "replies", "quotes")


def engagement_document(reader: Reader, week: str, tz: ZoneInfo) -> dict[str, Any]:
    """The week's posted entries with their posts' latest counts, and the week's totals."""
    entries = reader.entries(week=week, statuses=())
    posts = reader.posts_for([entry.id for entry in entries])
    posted = {
        entry_id: [p for p in items if p.remote_id and p.channel != "dry-run"]
        for entry_id, items in posts.items()
    }
    latest = reader.latest_engagement([p.id for items in posted.values() for p in items])
    totals = dict.fromkeys(COUNTS, 0)
    documents: list[dict[str, Any]] = []
    for entry in entries:
        entry_posts = posted.get(entry.id, [])
        if not entry_posts:
            continue
        entry_total = 0
        items = []
        for post in entry_posts:
            counts = engagement_to_json(latest.get(post.id), tz)
            for name in COUNTS:
                value = (counts or {}).get(name) or 0
                totals[name] += value
                entry_total += value
            items.append(
                {
                    "channel": post.channel,
                    "remote_url": post.remote_url,
                    "engagement": counts,
                    "gone_at": iso(post.gone_at, tz),
                }
            )
        documents.append(
            {
                "id": entry.id,
                "title": entry.title,
                "url": entry.url,
                "total": entry_total,
                "posts": items,
            }
        )
    documents.sort(key=lambda document: (-document["total"], document["id"]))
    return {
        "week": week,
        "entries": documents,
        "totals": {**totals, "all": sum(totals.values())},
    }
