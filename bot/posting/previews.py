"""Preview items: what `paperbot preview` shows, built from the pure composer."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.store.reader import require_entry

if TYPE_CHECKING:
    from bot.posting.x_costs import XCostPolicy
    from bot.store.read_records import EntryRecord
    from bot.store.reader import Reader
    from bot.text.compose import ComposeInput, ComposeSettings
    from bot.text.per_channel import ChannelDraft

#: The statuses `preview` shows without an ID: what may still be posted.
PREVIEWED_STATUSES = ("queued", "failed")


class AlreadyPosted(ValueError):
    """Previewing a posted entry is bad input: its text is in `paperbot show`."""


def entries_to_preview(
    reader: Reader, *, entry_id: int | None, week: str | None
) -> list[EntryRecord]:
    """The entry asked for (not posted yet), else the unposted entries of `week` or of all."""
    if entry_id is not None:
        entry = require_entry(reader, entry_id)
        if entry.status == "posted":
            raise AlreadyPosted(f"entry {entry_id} is already posted (see `paperbot show`)")
        return [entry]
    return reader.entries(week=week, statuses=PREVIEWED_STATUSES)


def preview_items(
    entries: Sequence[EntryRecord],
    settings: ComposeSettings,
    *,
    channel: str | None = None,
    compose_options: Mapping[str, int] | None = None,
    image_warnings: Callable[[str, Sequence[str]], list[str]] | None = None,
    x_costs: XCostPolicy | None = None,
) -> list[dict[str, Any]]:
    """One preview item per entry and targeted channel (only `channel` if given): id, url,
    channel, text, weighted_length (that platform's count), limit, unit, images, warnings,
    card (Bluesky's link card for a post without images: uri, title, description; else None).

    `compose_options` are a Mastodon instance's limits (bot/text/per_channel.py's compose_for).
    `image_warnings(channel, sources)` says which images are over that channel's own size limit
    (bot/images/limits.py): each platform's, never X's for everyone.
    With `x_costs`, an X item is the post in the configured citation style and has `cost` (what
    X will bill for it, USD) and `saving` (what the arXiv-id citation saves on it).
    """
    from bot.posting.x_costs import price_entry
    from bot.store.money import usd
    from bot.text.per_channel import compose_for

    items = []
    for entry in entries:
        source = compose_input(entry)
        for name in entry.channels:
            if channel is not None and name != channel:
                continue
            price = None
            if name == "x" and x_costs is not None:
                draft, price = price_entry(source, settings, x_costs, arxiv_id=entry.arxiv_id)
            else:
                draft = compose_for(name, source, settings, **(compose_options or {}))
            items.append(
                {
                    "id": entry.id,
                    "url": entry.url,
                    "status": entry.status,
                    "channel": name,
                    "text": draft.text,
                    "weighted_length": draft.length,
                    "limit": draft.limit,
                    "unit": draft.unit,
                    "images": [{"source": i.source, "alt": i.alt} for i in draft.images],
                    "warnings": [
                        *draft.warnings,
                        *_missing_alt(entry.images, draft.warnings),
                        *(
                            image_warnings(name, [i.source for i in draft.images])
                            if image_warnings is not None
                            else []
                        ),
                    ],
                    "card": _card(draft),
                    **({} if price is None else {"cost": usd(price.cost)}),
                    **({} if price is None else {"saving": usd(price.saving)}),
                }
            )
    return items


def _card(draft: ChannelDraft) -> dict[str, str] | None:
    card = draft.card
    return (
        None
        if card is None
        else {"uri": card.uri, "title": card.title, "description": card.description}
    )


def compose_input(entry: EntryRecord) -> ComposeInput:
    """What the composer needs from a stored entry."""
    from bot.text.compose import ComposeInput, ImageSpec

    return ComposeInput(
        url=entry.url,
        comment=entry.comment,
        title=entry.title,
        kind=entry.kind,
        images=tuple(
            ImageSpec(image.get("source", ""), image.get("alt", "")) for image in entry.images
        ),
        abstract=entry.abstract,
    )


def preview_drafts(
    entries: Sequence[EntryRecord],
    settings: ComposeSettings,
    *,
    channel: str | None = None,
    compose_options: Mapping[str, int] | None = None,
) -> dict[tuple[int, str], ChannelDraft]:
    """The drafts behind `preview_items`, by (entry id, channel): the page shows each post
    from its draft (links in full, Bluesky's card)."""
    from bot.text.per_channel import compose_for

    return {
        (entry.id, name): compose_for(
            name, compose_input(entry), settings, **(compose_options or {})
        )
        for entry in entries
        for name in entry.channels
        if channel is None or name == channel
    }


def _missing_alt(images: Sequence[Mapping[str, str]], said: Sequence[str]) -> list[str]:
    """Images stored without alt text: the composer lets the title stand in, which tells a
    reader who cannot see the figure nothing about it (`edit --image P --alt T` fixes it)."""
    return [
        f"image {number} has no alt text of its own (the title stands in)"
        for number, image in enumerate(images, start=1)
        if not image.get("alt", "").strip() and f"image {number} has no alt text" not in said
    ]
