"""A new queue entry as a plain row, and the batched insert that writes many in one go.

`add` (bot/store/add_direct.py) and `import` (bot/digests/importer.py) write entries without
building ORM objects: constructing 10,000 SQLModel instances cost more than parsing the digest
and inserting the rows together. The row is the one bot/store/queue.py's `add_entry` writes
(tests/store/test_add_paths.py and tests/store/test_entry_rows.py compare them column by column,
and `ENTRY_COLUMNS` against the model's table): `queued`, no attempt yet, times in UTC. Values
are given as each store's driver takes them: SQLite as SQLAlchemy stores them (text times, JSON
text), PostgreSQL as psycopg adapts them (aware datetimes; JSON text, cast by the server).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.store.new_entry import NewEntry
from bot.store.read_sqlite import stored_time

MAX_IMAGES = 4  # bot/store/queue.py's MAX_IMAGES (a test checks they agree)


class DuplicateURL(ValueError):
    """The URL is queued for that week already: bad input, worded as bot/store/queue.py's."""


#: Every column of `entry` but its id, in the order of the values below.
ENTRY_COLUMNS = (
    "kind",
    "title",
    "url",
    "arxiv_id",
    "comment",
    "images",
    "authors",
    "abstract",
    "week",
    "at",
    "position",
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
    "channels",
    "created_at",
    "updated_at",
)


def entry_values(new: NewEntry, *, position: int, now: datetime, sqlite: bool) -> tuple[Any, ...]:
    """The values of one new entry's row, in `ENTRY_COLUMNS` order."""
    stamp: str | datetime = stored_time(now) if sqlite else now.astimezone(UTC)
    at: str | datetime | None = new.at
    if new.at is not None:
        at = stored_time(new.at) if sqlite else new.at.astimezone(UTC)
    return (
        new.kind,
        new.title,
        new.url,
        new.arxiv_id,
        new.comment,
        json.dumps([dict(image) for image in new.images]),
        new.authors,
        new.abstract,
        new.week,
        at,
        position,
        "queued",
        0,
        None,
        None,
        json.dumps(list(new.channels)),
        stamp,
        stamp,
    )


def insert_sql(*, sqlite: bool) -> str:
    """The INSERT of one row, in the driver's parameter style (`?` or `%s`)."""
    marks = ", ".join(("?" if sqlite else "%s") for _ in ENTRY_COLUMNS)
    return f"INSERT INTO entry ({', '.join(ENTRY_COLUMNS)}) VALUES ({marks})"


def insert_entries(
    cursor: Any, new: Sequence[NewEntry], *, first_position: int, now: datetime, sqlite: bool
) -> dict[tuple[str, str], int]:
    """Insert `new` at consecutive positions from `first_position` with one executemany on a
    DB-API cursor (the caller's transaction: all or nothing), and return (url, week) -> new id
    (unique in `entry`, so found again in one query instead of one RETURNING per row)."""
    if not new:
        return {}
    rows = [
        entry_values(entry, position=first_position + offset, now=now, sqlite=sqlite)
        for offset, entry in enumerate(new)
    ]
    cursor.executemany(insert_sql(sqlite=sqlite), rows)
    weeks = sorted({entry.week for entry in new})
    if sqlite:
        marks = ", ".join("?" for _ in weeks)
        cursor.execute(f"SELECT id, url, week FROM entry WHERE week IN ({marks})", weeks)
    else:
        cursor.execute("SELECT id, url, week FROM entry WHERE week = ANY(%s)", [weeks])
    wanted = {(entry.url, entry.week) for entry in new}
    return {(url, week): i for i, url, week in cursor.fetchall() if (url, week) in wanted}
