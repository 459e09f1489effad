"""What a worker sends: the entry composed for its channel, and its images loaded.

Split from bot/posting/publisher.py, which only orders the claim, the send and the answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.channels.base import Channel, KeyedChannel, LinkCard, MediaItem, Publication
from bot.store.queue import DRY_RUN_CHANNEL

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Engine

    from bot.images.types import ImagePolicy
    from bot.posting.x_costs import XCostPolicy
    from bot.store.models import Entry
    from bot.text.compose import ComposeSettings
    from bot.text.per_channel import ChannelDraft


class Drafter(Protocol):
    """What composing needs of a worker (bot/posting/publisher.py's Worker)."""

    engine: Engine
    channel: Channel | KeyedChannel
    compose_settings: ComposeSettings
    compose_options: dict[str, int]
    x_costs: XCostPolicy | None


def draft_entry(worker: Drafter, entry_id: int) -> tuple[ChannelDraft, datetime]:
    """The entry composed for the worker's channel, and the `updated_at` it was composed from
    (a claim made later refuses an entry edited since)."""
    from bot.store.engine import session_scope
    from bot.store.models import Entry

    with session_scope(worker.engine, write=False) as session:
        entry = session.get(Entry, entry_id)
        assert entry is not None
        draft = compose_entry(
            worker.channel.name,
            entry,
            worker.compose_settings,
            worker.compose_options,
            worker.x_costs,
        )
        return draft, entry.updated_at


def change_since(
    worker: Drafter, entry: Entry, draft: ChannelDraft, composed: datetime, now: datetime
) -> str | None:
    """What happened to ``entry`` since ``draft`` was made from it at ``composed`` (its
    ``updated_at`` then): None when it still makes the same post now (a post on another
    channel moves ``updated_at`` too), "skipped" when its ``at`` moved past ``now`` (the
    daemon plans it again), "edited" when it composes anew."""
    if entry.updated_at == composed:
        return None
    if entry.at is not None and entry.at > now:
        return "skipped"
    again = compose_entry(
        worker.channel.name, entry, worker.compose_settings, worker.compose_options, worker.x_costs
    )
    same = again.composed == draft.composed and again.images == draft.images
    return None if same else "edited"


def publication_of(
    draft: ChannelDraft,
    policy: ImagePolicy,
    base_dir: Path,
    *,
    fetch: bool,
    card: LinkCard | None = None,
) -> Publication:
    """What to send: the text, its images loaded and checked, and (Bluesky) a link card:
    ``card`` if it was fetched ahead, else made now. ``fetch`` False (dry runs) loads nothing.
    Raises ImageError (a ValueError)."""
    from bot.posting.cards import link_card

    media = load_media(draft, policy, base_dir) if fetch else ()
    if card is None:
        card = link_card(draft, policy, fetch=fetch)
    return Publication(draft.composed, media, card)


def compose_entry(
    channel: str,
    entry: Entry,
    settings: ComposeSettings,
    options: dict[str, int],
    x_costs: XCostPolicy | None = None,
) -> ChannelDraft:
    """The entry's text and images for ``channel`` (``options``: a Mastodon instance's limits;
    ``x_costs``: X's citation style, which may cite an arXiv id instead of the link)."""
    from bot.text.compose import ComposeInput, ImageSpec
    from bot.text.per_channel import compose_for

    source = ComposeInput(
        url=entry.url,
        comment=entry.comment,
        title=entry.title,
        kind=entry.kind,
        images=tuple(ImageSpec(i.get("source", ""), i.get("alt", "")) for i in entry.images),
        abstract=entry.abstract,
    )
    if x_costs is not None and channel in ("x", DRY_RUN_CHANNEL):
        from bot.posting.x_costs import compose_x

        return compose_x(
            source,
            settings,
            arxiv_id=entry.arxiv_id,
            link_style=x_costs.link_style,
            channel=channel,
        )
    return compose_for(channel, source, settings, **options)


def load_media(draft: ChannelDraft, policy: ImagePolicy, base_dir: Path) -> tuple[MediaItem, ...]:
    """The draft's images, loaded and checked (raises ImageError, a ValueError)."""
    from contextlib import nullcontext

    from bot.images.load import is_remote, load_image

    if not draft.images:
        return ()
    import httpx

    # Only for remote images: each new client loads the CA bundle (~40 ms, most of a post).
    remote = any(is_remote(spec.source) for spec in draft.images)
    items = []
    with (
        httpx.Client(timeout=policy.timeout, follow_redirects=False) if remote else nullcontext()
    ) as client:
        for spec in draft.images:
            image = load_image(spec.source, base_dir=base_dir, policy=policy, client=client)
            items.append(MediaItem(image.data, image.mime_type, spec.alt))
    return tuple(items)
