"""Media uploaded ahead of a post's slot, and how each platform lets it wait.

A post with figures spends most of its time uploading them (and, on X, describing them; on
Mastodon, waiting for processing). The daemon stages them a few minutes before the slot
(bot/posting/staging_job.py), so at the slot only the post itself is sent. Each channel's
``stage_media`` uploads the images and says until when the platform keeps them usable:

* X: the upload's ``expires_after_secs`` (FINALIZE and STATUS answers; 86,400 s, a day, in
  X's own examples) — a media id must be attached before then;
* Mastodon: media not attached to a status are "orphans", deleted by the server's vacuum once a
  day old (``Vacuum::MediaAttachmentsVacuum::TTL = 1.day``); other servers speaking the API
  (GoToSocial, Takahe) prune on their own terms, so we take half a day;
* Bluesky: an uploaded blob is temporary until a record references it, and "will be deleted if
  it is not referenced within a time window (eg, minutes)" (``uploadBlob``'s lexicon); the
  maintainers keep them "long enough for someone to upload, then create the record by hand",
  and other PDSes differ (bluesky-social/atproto#1781): we take fifteen minutes.

Staged media are used once: the first send consumes them. Should the platform have dropped
them anyway (a vacuum, a restart), the create is refused before anything is posted, the channel
raises ``StagedMediaGone``, and the worker uploads the images again and sends once more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from bot.channels.base import ChannelError, ErrorKind, MediaItem, Publication

__all__ = [
    "BLUESKY_BLOB_WINDOW",
    "MASTODON_ORPHAN_WINDOW",
    "MediaStaging",
    "StagedMedia",
    "StagedMediaGone",
    "check_count",
    "media_count",
    "staged_or_uploaded",
]

BLUESKY_BLOB_WINDOW = timedelta(minutes=15)
MASTODON_ORPHAN_WINDOW = timedelta(hours=12)
X_DEFAULT_EXPIRY = timedelta(days=1)
# Kept in hand before a platform's own expiry: the post may wait a little past its slot.
EXPIRY_MARGIN = 0.1


@dataclass(frozen=True)
class StagedMedia:
    """Images already on the platform: what a create attaches (media ids, Bluesky image
    entries), in order, and until when the platform keeps them usable."""

    channel: str
    refs: tuple[Any, ...]
    usable_until: datetime

    def usable(self, now: datetime) -> bool:
        return now < self.usable_until

    def __repr__(self) -> str:
        return (
            f"StagedMedia({self.channel!r}, {len(self.refs)} images, "
            f"usable_until={self.usable_until.isoformat(timespec='seconds')})"
        )


class StagedMediaGone(ChannelError):
    """The platform refused a create because staged media are gone (expired, vacuumed):
    nothing was posted; upload the images again and send again."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(ErrorKind.INVALID, message, status_code=status_code)


@runtime_checkable
class MediaStaging(Protocol):
    """A channel that can upload a post's images before the post itself."""

    name: str

    def stage_media(self, media: Sequence[MediaItem], now: datetime) -> StagedMedia:
        """Upload ``media`` now (raises ChannelError; nothing is posted either way)."""
        ...


@runtime_checkable
class Preloading(Protocol):
    """A channel whose SDK loads, and builds its models, on first use (Bluesky's atproto: 600-odd
    pydantic models). A daemon has it load at start, so that neither a post's slot nor the
    garbage collections after it pay for it (bot/posting/daemon_parts.py ``settle_heap``)."""

    def preload(self, now: datetime) -> None: ...


def usable_until(now: datetime, keeps_for: timedelta) -> datetime:
    """``now`` plus what the platform keeps media for, less a margin."""
    return now + keeps_for * (1 - EXPIRY_MARGIN)


def check_count(count: int, limit: int, allows: str) -> None:
    """Refuse more images than the platform takes, before anything is uploaded."""
    if count > limit:
        raise ChannelError(
            ErrorKind.INVALID, f"{allows} at most {limit} images per post, got {count}"
        )


def media_count(publication: Publication) -> int:
    """How many images the post will carry, staged or not."""
    staged = publication.staged
    return len(staged.refs) if staged is not None else len(publication.media)


def staged_or_uploaded(
    publication: Publication, upload: Callable[[MediaItem, int], Any]
) -> tuple[Any, ...]:
    """The publication's staged refs, or each of its images uploaded now (numbered from 1)."""
    if publication.staged is not None:
        return publication.staged.refs
    return tuple(upload(item, number) for number, item in enumerate(publication.media, 1))


def gone_if_staged(publication: Publication, error: ChannelError, gone: bool) -> ChannelError:
    """``error`` as ``StagedMediaGone`` when the post carried staged media and the platform
    says they are not there (``gone``), before anything was posted; else ``error`` itself."""
    if publication.staged is None or not gone or error.maybe_posted:
        return error
    return StagedMediaGone(
        f"staged images are gone ({error.message})", status_code=error.status_code
    )
