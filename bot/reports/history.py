"""`paperbot history`: posts and failures, newest first, each with its entry and attempts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.store.documents import iso, post_to_json

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bot.store.read_records import HistoryFilter
    from bot.store.reader import Reader


def history_items(reader: Reader, filters: HistoryFilter, tz: ZoneInfo) -> list[dict[str, Any]]:
    rows = reader.history(filters)
    attempts = reader.attempts_for([post.id for post, _ in rows])
    costs = reader.post_costs([post.id for post, _ in rows])
    engagement = reader.latest_engagement([post.id for post, _ in rows])
    items: list[dict[str, Any]] = []
    for post, entry in rows:
        item = post_to_json(
            post, tz, attempts.get(post.id, []), costs.get(post.id, 0), engagement.get(post.id)
        )
        item.update(
            entry_id=entry.id,
            title=entry.title,
            url=entry.url,
            week=entry.week,
            updated_at=iso(post.updated_at, tz),
        )
        items.append(item)
    return items
