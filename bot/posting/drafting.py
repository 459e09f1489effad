"""What a worker sends: the entry composed for its channel, and its images loaded.

Split from bot/posting/publisher.py, which only orders the claim, the send and the answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.channels.base import MediaItem
from bot.store.queue import DRY_RUN_CHANNEL

if TYPE_CHECKING:
    from bot.images.types import ImagePolicy
    from bot.posting.x_costs import XCostPolicy
    from bot.store.models import Entry
    from bot.text.compose import ComposeSettings
    from bot.text.per_channel import ChannelDraft


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
