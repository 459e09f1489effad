"""A channel that publishes nowhere, for ``--dry-run`` and for tests of everything above channels.

It never touches the network, so a dry run works without credentials; its ids are derived from
the text so the same composed post always gets the same id (handy when comparing runs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from bot.channels.base import Publication, Published, RemotePost

__all__ = ["DRY_RUN_NAME", "DryRunChannel"]

DRY_RUN_NAME = "dry-run"


class DryRunChannel:
    """Records what would have been published; ``publications`` keeps them in order.
    ``clock`` stamps each publication (the CLI's clock, which PAPERBOT_NOW pins)."""

    name = DRY_RUN_NAME

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self.publications: list[Publication] = []
        self._published: list[tuple[Published, str]] = []

    def publish(self, publication: Publication) -> Published:
        remote_id = "dry-run-" + _digest(publication.text)
        published = Published(
            remote_id=remote_id,
            remote_url=f"dry-run://{remote_id}",
            media_ids=tuple(f"{remote_id}-media-{i}" for i in range(len(publication.media))),
            posted_at=self._clock(),
        )
        self.publications.append(publication)
        self._published.append((published, publication.text))
        return published

    def recent_posts(self, since: datetime, until: datetime | None = None) -> list[RemotePost]:
        """What this instance published since ``since``, newest first (like X's timeline)."""
        posts = [
            RemotePost(
                remote_id=published.remote_id,
                remote_url=published.remote_url,
                text=text,
                created_at=published.posted_at,
            )
            for published, text in self._published
            if published.posted_at is not None
            and since <= published.posted_at <= (until or published.posted_at)
        ]
        return posts[::-1]

    def whoami(self) -> str:
        return "@dry-run"

    def close(self) -> None:
        """Nothing to release."""


def _digest(text: str) -> str:
    # An identifier, not a security measure.
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]
