"""Figures uploaded before their slot: staging one entry, keeping what was staged, sending it.

The daemon's staging job (bot/posting/staging_job.py) calls ``stage_entry`` a few minutes
before an entry's slot: the entry is composed for the channel, its images loaded, checked and
uploaded (``MediaStaging.stage_media``, bot/channels/staging.py), and what the platform gave
back is kept on the worker's ``MediaShelf``, with what it was staged for (the text and the
images' sources and alt texts: not ``updated_at``, which a post on another channel moves). At
the slot the worker takes it (``take``: only for the same draft, only while the platform
still keeps the media) and sends the post alone; nothing staged means the images are loaded
and uploaded then, as without staging. Staging creates no post and claims nothing: a crash
loses only uploads, which the platforms drop by themselves.

A Bluesky post without figures carries a link card, whose thumbnail is the linked page's own
preview image: a page and an image on hosts nobody here controls, so they are fetched ahead
too (``StagedEntry.card``), and only the small thumbnail is uploaded at the slot. An entry with
nothing to stage is marked so (for ``NOTHING_KEEP``), so the job does not compose it again at
every look.

X bills alt texts when they are set, so staging books them in the ledger for the entry; the
claim gives them to the post (bot/store/ledger.py ``give_staged_charges``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.channels.base import (
    ChannelError,
    ErrorKind,
    KeyedChannel,
    LinkCard,
    Publication,
    Published,
)
from bot.channels.staging import MediaStaging, StagedMedia, StagedMediaGone
from bot.posting.drafting import Drafter

if TYPE_CHECKING:
    from bot.channels.base import Channel
    from bot.images.types import ImagePolicy
    from bot.text.per_channel import ChannelDraft

log = logging.getLogger("paperbot")

__all__ = ["MediaShelf", "StagedEntry", "publish_with", "stage_entry"]

#: How long a link card fetched ahead is used: a page's preview image rarely changes sooner.
CARD_KEEP = timedelta(hours=1)
#: How long "nothing to stage" stands: an edit that adds a figure is staged within it.
NOTHING_KEEP = timedelta(minutes=1)


@dataclass(frozen=True)
class StagedEntry:
    """What was made ready for one entry's post, and for which draft."""

    draft: tuple[object, ...]  # what it was staged for (``draft_key``): an edit makes it stale
    media: StagedMedia | None = None  # its figures, uploaded
    card: LinkCard | None = None  # (no figures) its link card, the thumbnail fetched
    until: datetime | None = None  # (no figures) when what was fetched is no longer used

    def usable(self, now: datetime) -> bool:
        if self.media is not None:
            return self.media.usable(now)
        return self.until is not None and now < self.until


def draft_key(draft: ChannelDraft) -> tuple[object, ...]:
    """What staged media belong to: the text, each image's source and alt text, the card."""
    return (draft.composed, tuple((spec.source, spec.alt) for spec in draft.images), draft.card)


class MediaShelf:
    """One channel's staged media by entry. Thread-safe: the staging job puts, ticks take."""

    def __init__(self) -> None:
        self._items: dict[int, StagedEntry] = {}
        self._lock = threading.Lock()

    def put(self, entry_id: int, staged: StagedEntry) -> None:
        with self._lock:
            self._items[entry_id] = staged

    def take(self, entry_id: int, draft: ChannelDraft, now: datetime) -> StagedEntry | None:
        """What was staged for the entry, removed from the shelf (used once); None when
        nothing, staged for another draft (the entry was edited), or no longer usable."""
        with self._lock:
            staged = self._items.pop(entry_id, None)
        if staged is None or staged.draft != draft_key(draft) or not staged.usable(now):
            return None
        return staged

    def ready(self, entry_id: int, now: datetime) -> bool:
        """Whether the entry has something usable staged (media, a card, or the mark that there
        is nothing to stage), of any version: a stale one is seen at the slot, and staged again
        only after the slot, when it is taken."""
        with self._lock:
            staged = self._items.get(entry_id)
        return staged is not None and staged.usable(now)

    def keep_only(self, entry_ids: Iterable[int]) -> None:
        """Forget entries no longer planned (posted elsewhere, removed, skipped)."""
        keep = set(entry_ids)
        with self._lock:
            for entry_id in [e for e in self._items if e not in keep]:
                del self._items[entry_id]

    def __len__(self) -> int:
        return len(self._items)


class Stager(Drafter, Protocol):
    """What staging needs of a worker (bot/posting/publisher.py's Worker)."""

    shelf: MediaShelf | None
    image_policy: ImagePolicy
    image_base_dir: Path


def stage_entry(worker: Stager, entry_id: int, now: datetime) -> int:
    """Stage the entry's images on the worker's channel; returns how many were uploaded (0:
    nothing to upload, or the X budget could not pay for the post). Without images, a link
    card's thumbnail is fetched instead. Raises ChannelError and ImageError (a ValueError);
    nothing is posted and nothing is claimed either way."""
    from bot.posting.drafting import draft_entry, load_media
    from bot.posting.x_ledger import billing_to_entry

    channel = worker.channel
    if not isinstance(channel, MediaStaging) or worker.shelf is None:
        return 0
    draft, _ = draft_entry(worker, entry_id)
    if not draft.images:
        worker.shelf.put(entry_id, _without_figures(worker, draft, entry_id, now))
        return 0
    if not _affordable(worker, draft, now):
        return 0
    media = load_media(draft, worker.image_policy, worker.image_base_dir)
    with billing_to_entry(worker.engine, channel, entry_id, now):
        staged = channel.stage_media(media, now)
    del media  # the bytes are on the platform now: not kept until the slot
    worker.shelf.put(entry_id, StagedEntry(draft_key(draft), staged))
    return len(staged.refs)


def _without_figures(
    worker: Stager, draft: ChannelDraft, entry_id: int, now: datetime
) -> StagedEntry:
    """The link card with its thumbnail fetched (Bluesky), or a mark that nothing is to stage."""
    if draft.card is None or not draft.card.thumbnail_allowed:
        return StagedEntry(draft_key(draft), until=now + NOTHING_KEEP)
    from bot.posting.cards import link_card

    card = link_card(draft, worker.image_policy, fetch=True)
    found = "with" if card is not None and card.thumb is not None else "without"
    log.info("fetched the link card of entry %s ahead (%s a thumbnail)", entry_id, found)
    return StagedEntry(draft_key(draft), card=card, until=now + CARD_KEEP)


def _affordable(worker: Stager, draft: ChannelDraft, now: datetime) -> bool:
    """X with a budget: whether the month can pay for the post with its alt texts (read only;
    the slot itself holds the post if not)."""
    costs = worker.x_costs
    if worker.channel.name != "x" or costs is None or costs.budget is None:
        return True
    from bot.channels.x.billing import price_post
    from bot.posting.budget import can_spend_now
    from bot.posting.x_costs import alt_texts

    price = price_post(draft.composed, alt_texts(draft), costs.prices)
    return can_spend_now(worker.engine, costs, price, now)


def publish_with(
    channel: Channel | KeyedChannel,
    publication: Publication,
    key: str | None,
    reload: Callable[[], Publication],
) -> Published:
    """Send once; should the platform have dropped the staged media (refused before posting),
    load and upload the images again (``reload``) and send once more."""
    try:
        return _publish(channel, publication, key)
    except StagedMediaGone as gone:
        log.warning("%s: %s: uploading the images again", channel.name, gone.message)
    try:
        again = reload()
    except ValueError as exc:  # ImageError: the image is gone too, or its host is down
        transient = bool(getattr(exc, "transient", False))
        kind = ErrorKind.TRANSIENT if transient else ErrorKind.INVALID
        raise ChannelError(kind, f"staged images were gone and reloading failed: {exc}") from exc
    return _publish(channel, again, key)


def _publish(
    channel: Channel | KeyedChannel, publication: Publication, key: str | None
) -> Published:
    if isinstance(channel, KeyedChannel):
        assert key is not None
        return channel.publish(publication, request_key=key)
    return channel.publish(publication)
