"""Uploading one image to a Mastodon instance and waiting until it is processed.

``POST /api/v2/media`` answers 200 with a ``url`` for small files, and 202 with ``url: null``
for files the instance still processes; a status naming unprocessed media is refused, so the
upload is read again (``GET /api/v1/media/:id``) until it has a ``url``, a bounded number of
times. Split from bot/channels/mastodon/channel.py; Mastodon.py calls go through the channel's
``call``, which turns its exceptions into ChannelErrors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.channels.base import ChannelError, ErrorKind, MediaItem

__all__ = ["MediaUploader"]

_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
}


@dataclass(frozen=True)
class MediaUploader:
    """``call(request, what=..., creating=False)`` runs one Mastodon.py call."""

    api: Any
    call: Callable[..., Any]
    poll_tries: int
    poll_interval: float
    sleep: Callable[[float], None]

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
