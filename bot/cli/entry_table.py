"""`paperbot list`'s table: one row an entry, with each targeted channel's post and link.

Without click, so that bot/cli/fast.py prints exactly what the command prints.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.cli.table import Cell
    from bot.store.read_records import EntryRecord, PostRecord

HEADERS = ("id", "week", "status", "kind", "at", "title / url", "channels")
_MARKS = {"posted": "✓", "failed": "✗", "posting": "…"}


def print_entries(
    entries: Sequence[EntryRecord], posts: dict[int, list[PostRecord]], tz: tzinfo
) -> None:
    """The entries as a table (times in `tz`), or a hint when there are none."""
    from bot.cli.table import print_table

    if not entries:
        sys.stdout.write("No entries. Add one with `paperbot add URL --comment ...`.\n")
        sys.stdout.flush()
        return
    rows: list[list[Cell]] = []
    for entry in entries:
        at = entry.at.astimezone(tz).strftime("%a %d %b %H:%M") if entry.at else ""
        label: Cell = ((entry.title, False), ("\n", False), (entry.url, True))
        status: Cell = entry.status
        if entry.last_error and entry.status in ("queued", "failed"):
            status = ((entry.status, False), ("\n", False), (entry.last_error[:60], True))
        rows.append(
            [
                str(entry.id),
                entry.week,
                status,
                entry.kind,
                at,
                label if entry.title else entry.url,
                _channel_cells(entry, posts.get(entry.id, [])),
            ]
        )
    print_table(HEADERS, rows)


def _channel_cells(entry: EntryRecord, posts: Sequence[PostRecord]) -> Cell:
    """Each targeted channel with its post's state and link (`x ✓ https://...`)."""
    by_channel = {post.channel: post for post in posts}
    fragments: list[tuple[str, bool]] = []
    for name in entry.channels:
        post = by_channel.get(name)
        mark = _MARKS.get(post.status, "·") if post is not None else "·"
        fragments.append((f"\n{name} {mark}" if fragments else f"{name} {mark}", False))
        if post and post.remote_url:
            fragments += [(" ", False), (post.remote_url, True)]
    return tuple(fragments)
