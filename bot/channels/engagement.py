"""Reading what a post earned: the counts every platform shows, in one shape.

A channel that can read its posts' public counts implements ``EngagementSource``; the daemon
(bot/posting/engagement_reads.py) batches the posts due a read and asks once per batch, so a
read costs as few requests as the platform allows (X: 100 ids, Bluesky: 25 URIs, Mastodon:
several ids where the server takes them). ``gone`` holds the posts the platform says no longer
exist: they keep their last counts and are never posted again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = ["Counts", "EngagementRead", "EngagementSource"]


@dataclass(frozen=True)
class Counts:
    """A post's public counts; ``quotes`` is None where the platform does not count them."""

    likes: int
    reposts: int
    replies: int
    quotes: int | None


@dataclass(frozen=True)
class EngagementRead:
    """What one batch read found: counts by remote id, the ids gone, and what it billed.

    ``returned`` counts the posts the platform returned (X bills each one); ids neither counted
    nor gone were not answered for (a Bluesky post not yet indexed): read again later.
    """

    counts: dict[str, Counts] = field(default_factory=dict)
    gone: frozenset[str] = frozenset()
    returned: tuple[str, ...] = ()


@runtime_checkable
class EngagementSource(Protocol):
    """A channel that reads its own posts' counts, ``engagement_batch`` ids a request."""

    name: str
    engagement_batch: int

    def read_engagement(self, remote_ids: Sequence[str]) -> EngagementRead:
        """Counts for at most ``engagement_batch`` of this account's posts; raises ChannelError."""
        ...
