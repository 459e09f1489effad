"""The `--json` documents of `list` and `show`: entries with their posts (and attempts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.store.documents import entry_to_json, post_to_json
from bot.store.reader import require_entry

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bot.store.reader import Reader


def entry_documents(
    reader: Reader, *, week: str | None, statuses: Sequence[str], tz: ZoneInfo
) -> list[dict[str, Any]]:
    """Every entry that passes the filters, in queue order, with its posts and their attempts
    (one query each, whatever the number of entries)."""
    entries = reader.entries(week=week, statuses=statuses)
    posts = reader.posts_for([e.id for e in entries])
    found = [p.id for group in posts.values() for p in group]
    costs, attempts = reader.post_costs(found), reader.attempts_for(found)
    return [entry_to_json(e, tz, posts.get(e.id, []), attempts, costs=costs) for e in entries]


def entry_document(reader: Reader, entry_id: int, tz: ZoneInfo) -> dict[str, Any]:
    """One entry with its posts and every attempt; EntryMissing (bad input) if there is none."""
    entry = require_entry(reader, entry_id)
    posts = reader.posts_for([entry_id]).get(entry_id, [])
    attempts = reader.attempts_for([p.id for p in posts])
    return entry_to_json(entry, tz, posts, attempts, reader.post_costs([p.id for p in posts]))


def entry_documents_text(
    reader: Reader, *, week: str | None, statuses: Sequence[str], tz: ZoneInfo
) -> str | None:
    """`json.dumps(entry_documents(...), ensure_ascii=False)`, byte for byte, with the entries
    written by the database (bot/store/entry_json.py); None when this reader cannot (the ORM's)
    or the data needs the Python path."""
    heads_of = getattr(reader, "entry_heads", None)
    found = heads_of(week, statuses) if heads_of is not None else None
    if found is None:
        return None
    import json

    from bot.store.entry_json import assemble

    heads, moment = found
    posts = reader.posts_for([head[0] for head in heads])
    ids = [p.id for group in posts.values() for p in group]
    costs, attempts = reader.post_costs(ids), reader.attempts_for(ids)
    texts = {
        entry_id: json.dumps(
            [post_to_json(p, tz, attempts.get(p.id, ()), costs.get(p.id, 0)) for p in group],
            ensure_ascii=False,
        )
        for entry_id, group in posts.items()
        if group
    }
    return assemble(heads, tz, texts, moment)
