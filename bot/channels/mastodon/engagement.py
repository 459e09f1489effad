"""Mastodon: posts' counts from ``GET /api/v1/statuses?id[]=`` (Mastodon 4.3+), else one by one.

Servers before 4.3 and servers that only speak the API answer the batch endpoint with 404 (or
422): the channel then remembers to read each status with ``GET /api/v1/statuses/:id``. A status
that answers 404 there is gone. Quotes are counted only where the server has them
(``quotes_count``); elsewhere they are None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.channels.base import ChannelError
from bot.channels.engagement import Counts, EngagementRead

__all__ = ["BATCH", "StatusReads", "counts_of", "read_counts"]

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


class StatusReads:
    """``MastodonChannel.read_engagement``: statuses' counts through Mastodon.py.

    ``call(request, what=..., creating=False)`` is the channel's call wrapper (errors become
    ChannelErrors). The batch endpoint is tried until the server refuses it once (404, 422 or
    400: before 4.3, or not Mastodon); from then on statuses are read one by one. Mastodon.py
    would refuse the batch endpoint by the version paperbot gives it (4.0, which keeps media
    uploads on v2 without asking the server): the server is asked instead, and answers for
    itself. The channel is used by one thread at a time (its lock), so the switch is safe.
    """

    def __init__(self, api: Any, call: Callable[..., Any]) -> None:
        self._api = api
        self._call = call
        self.batch = True

    def read(self, remote_ids: Sequence[str]) -> EngagementRead:
        """Counts of these statuses: one request where the server takes several ids."""
        return read_counts(self._many if self.batch else None, self._one, remote_ids)

    def _many(self, ids: list[str]) -> Sequence[Mapping[str, Any]]:
        try:
            return list(self._call(lambda: self._unchecked(ids), what=_WHAT, creating=False))
        except ChannelError as error:
            if error.status_code not in (400, 404, 422):
                raise
            self.batch = False
            return []

    def _unchecked(self, ids: list[str]) -> Any:
        mode = self._api.version_check_mode
        self._api.version_check_mode = "none"
        try:
            return self._api.statuses(ids)
        finally:
            self._api.version_check_mode = mode

    def _one(self, status_id: str) -> Mapping[str, Any] | None:
        try:
            found = self._call(lambda: self._api.status(status_id), what=_WHAT, creating=False)
        except ChannelError as error:
            if error.status_code == 404:
                return None
            raise
        return dict(found)


_WHAT = "reading the statuses' counts"
