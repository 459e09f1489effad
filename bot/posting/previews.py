"""Preview items: what `paperbot preview` shows, built from the pure composer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.store.models import Entry

if TYPE_CHECKING:
    from bot.text.compose import ComposeSettings


def preview_items(entries: Sequence[Entry], settings: ComposeSettings) -> list[dict[str, Any]]:
    """One preview item per entry: id, url, text, weighted_length, limit, images, warnings."""
    from bot.text.compose import ComposeInput, ImageSpec, compose

    items = []
    for entry in entries:
        draft = compose(
            ComposeInput(
                url=entry.url,
                comment=entry.comment,
                title=entry.title,
                kind=entry.kind,
                images=tuple(
                    ImageSpec(image.get("source", ""), image.get("alt", ""))
                    for image in entry.images
                ),
            ),
            settings,
        )
        items.append(
            {
                "id": entry.id,
                "url": entry.url,
                "status": entry.status,
                "text": draft.text,
                "weighted_length": draft.weighted_length,
                "limit": draft.limit,
                "images": [{"source": i.source, "alt": i.alt} for i in draft.images],
                "warnings": list(draft.warnings),
            }
        )
    return items
