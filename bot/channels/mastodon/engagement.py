"""Mastodon: posts' counts from ``GET /api/v1/statuses?id[]=`` (Mastodon 4.3+), else one by one.

Servers before 4.3 and servers that only speak the API answer the batch endpoint with 404 (or
422): the channel then remembers to read each status with ``GET /api/v1/statuses/:id``. A status
that answers 404 there is gone. Quotes are counted only where the server has them
(``quotes_count``); elsewhere they are None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.channels.engagement import Counts, EngagementRead

__all__ = ["BATCH", "counts_of", "read_counts"]

BATCH = 20  # Mastodon's own cap on id[] in one request


def counts_of(status: Mapping[str, Any]) -> Counts:
    """A status's counts; ``quotes`` only where the server counts them."""
    quotes = status.get("quotes_count")
    return Counts(
        likes=_count(status.get("favourites_count")),
        reposts=_count(status.get("reblogs_count")),
        replies=_count(status.get("replies_count")),
        quotes=quotes if isinstance(quotes, int) and quotes >= 0 else None,
    )


def read_counts(
    get_many: Callable[[list[str]], Sequence[Mapping[str, Any]]] | None,
    get_one: Callable[[str], Mapping[str, Any] | None],
    ids: Sequence[str],
) -> EngagementRead:
    """Counts for ``ids``: in one request through ``get_many`` when given, else one by one.

    ``get_one`` answers None for a status the server no longer has (404). The batch endpoint
    leaves out missing statuses; those are asked for one by one to tell gone from hidden.
    """
    if len(ids) > BATCH:
        raise ValueError(f"Mastodon reads at most {BATCH} statuses a request, got {len(ids)}")
    counts: dict[str, Counts] = {}
    if get_many is not None:
        for status in get_many(list(ids)):
            counts[str(status.get("id"))] = counts_of(status)
    gone: set[str] = set()
    for status_id in ids:
        if status_id in counts:
            continue
        one = get_one(status_id)
        if one is None:
            gone.add(status_id)
        else:
            counts[status_id] = counts_of(one)
    return EngagementRead(counts=counts, gone=frozenset(gone), returned=tuple(counts))


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
