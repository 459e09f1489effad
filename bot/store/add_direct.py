"""`paperbot add` on a database at the current schema, without the ORM (bot/store/direct_write.py).

The same rules and the same row as bot/store/queue.py's `add_entry`: a URL once per week, at
the end of the queue, `queued` (tests/store/test_add_paths.py adds the same entries both ways
and compares the rows column by column). None when the ORM's path must add it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.store.direct_write import writing_directly
from bot.store.entry_rows import MAX_IMAGES, DuplicateURL, entry_values, insert_sql
from bot.store.new_entry import NewEntry


def add_entry_directly(environ: Mapping[str, str], new: NewEntry, *, now: datetime) -> int | None:
    """The new entry's id, or None when the ORM's path must add it (a new or outdated database:
    it migrates)."""
    if len(new.images) > MAX_IMAGES:
        raise ValueError(f"at most {MAX_IMAGES} images per post, got {len(new.images)}")
    with writing_directly(environ) as write:
        if write is None:
            return None
        cursor = write.cursor
        cursor.execute(
            write.sql("SELECT id FROM entry WHERE url = ? AND week = ?"), (new.url, new.week)
        )
        existing = cursor.fetchone()
        if existing is not None:
            raise DuplicateURL(f"{new.url} is already queued for {new.week} as entry {existing[0]}")
        cursor.execute("SELECT max(position) FROM entry")
        (last,) = cursor.fetchone()
        values = entry_values(new, position=int(last or 0) + 1, now=now, sqlite=write.sqlite)
        if write.sqlite:  # (RETURNING needs SQLite 3.35; Python may bring an older one)
            cursor.execute(insert_sql(sqlite=True), values)
            entry_id = cursor.lastrowid
        else:
            cursor.execute(insert_sql(sqlite=False) + " RETURNING id", values)
            (entry_id,) = cursor.fetchone()
        write.changed = True
        return int(entry_id)
