"""Preview items: what `paperbot preview` shows, built from the pure composer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.store.reader import require_entry

if TYPE_CHECKING:
    from bot.store.read_records import EntryRecord
    from bot.store.reader import Reader
    from bot.text.compose import ComposeSettings

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
    entries: Sequence[EntryRecord], settings: ComposeSettings
) -> list[dict[str, Any]]:
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
