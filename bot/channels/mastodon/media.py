"""Uploading one image to a Mastodon instance and waiting until it is processed.

``POST /api/v2/media`` answers 200 with a ``url`` for small files, and 202 with ``url: null``
for files the instance still processes; a status naming unprocessed media is refused, so the
upload is read again (``GET /api/v1/media/:id``) until it has a ``url``, a bounded number of
times. Split from bot/channels/mastodon/channel.py; Mastodon.py calls go through the channel's
``call``, which turns its exceptions into ChannelErrors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.channels.base import ChannelError, ErrorKind, MediaItem
from bot.channels.staging import (
    MASTODON_ORPHAN_WINDOW,
    StagedMedia,
    check_count,
    usable_until,
)

__all__ = ["MediaUploader"]

_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
}


@dataclass(frozen=True)
class MediaUploader:
    """``call(request, what=..., creating=False)`` runs one Mastodon.py call; ``max_media``
    is the instance's ``max_media_attachments``, checked before anything is uploaded."""

    api: Any
    call: Callable[..., Any]
    poll_tries: int
    poll_interval: float
    sleep: Callable[[float], None]
    max_media: int = 4

    def check_count(self, count: int) -> None:
        check_count(count, self.max_media, "this Mastodon instance allows")

    def stage(self, media: Sequence[MediaItem], now: datetime) -> StagedMedia:
        """Every image uploaded and processed now, for a status sent later: unattached media
        are kept by the server for a while (bot/channels/staging.py)."""
        self.check_count(len(media))
        ids = tuple(self.upload(item, position=n) for n, item in enumerate(media, 1))
        return StagedMedia("mastodon", ids, usable_until(now, MASTODON_ORPHAN_WINDOW))

    def upload(self, item: MediaItem, *, position: int) -> str:
        """The media id of ``item``, uploaded with its description and processed."""
        media = self.call(
            lambda: self.api.media_post(
                item.data,
                mime_type=item.mime_type,
                description=item.alt or None,
                file_name=f"figure-{position}{_EXTENSIONS.get(item.mime_type, '')}",
            ),
            what=f"uploading image {position}",
            creating=False,
        )
        media_id = str(media["id"])
        for _ in range(self.poll_tries):
            if media.get("url"):
                return media_id
            self.sleep(self.poll_interval)
            media = self.call(
                lambda: self.api.media(media_id),
                what=f"waiting for image {position} to be processed",
                creating=False,
            )
        if media.get("url"):
            return media_id
        raise ChannelError(
            ErrorKind.TRANSIENT,
            f"Mastodon was still processing image {position} after {self.poll_tries} checks; "
            "nothing was posted",
        )
