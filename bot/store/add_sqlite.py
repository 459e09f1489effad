"""`paperbot add` on a SQLite file at the current schema, with the standard library.

Adding is what a curator does all day, and the ORM alone costs more to import (~0.5 s) than
the command needs. When the file is at head, the entry is written here with the same rules and
the same row as bot/store/queue.py's `add_entry` (a URL once per week, at the end of the queue,
`queued`); tests/store/test_add_paths.py adds the same entries both ways and compares the rows
column
by column. The connection is set up as bot/store/engine.py sets up the ORM's (busy timeout, foreign
keys,
synchronous=NORMAL on a WAL file) and writes in one BEGIN IMMEDIATE transaction, so the check
for a duplicate and the insert cannot race another writer. Anything else (no file yet, an
outdated file) returns None: the caller takes the ORM path, which also migrates. PostgreSQL is
bot/store/add_pg.py's, by the same rules.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime

from bot.store.engine import BUSY_TIMEOUT_MS, HEAD_REVISION
from bot.store.entry_rows import MAX_IMAGES, DuplicateURL, entry_values, insert_sql
from bot.store.new_entry import NewEntry
from bot.store.queue_changes import BUMP_SQL
from bot.store.read_sqlite import sqlite_path


def add_entry_directly(environ: Mapping[str, str], new: NewEntry, *, now: datetime) -> int | None:
    """The new entry's id, or None when the ORM path must add it (PostgreSQL: add_pg.py's)."""
    path = sqlite_path(environ)
    if path is None:
        from bot.store.add_pg import add_entry_on_pg

        return add_entry_on_pg(environ, new, now=now)
    if not path.is_file():
        return None
    if len(new.images) > MAX_IMAGES:
        raise ValueError(f"at most {MAX_IMAGES} images per post, got {len(new.images)}")
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("BEGIN IMMEDIATE")
        try:
            entry_id = _insert(connection, new, now)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT" if entry_id is not None else "ROLLBACK")
        return entry_id
    finally:
        connection.close()


def _insert(connection: sqlite3.Connection, new: NewEntry, now: datetime) -> int | None:
    try:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    if revision is None or revision[0] != HEAD_REVISION:
        return None
    existing = connection.execute(
        "SELECT id FROM entry WHERE url = ? AND week = ?", (new.url, new.week)
    ).fetchone()
    if existing is not None:
        raise DuplicateURL(f"{new.url} is already queued for {new.week} as entry {existing[0]}")
    (last,) = connection.execute("SELECT max(position) FROM entry").fetchone()
    values = entry_values(new, position=int(last or 0) + 1, now=now, sqlite=True)
    entry_id = connection.execute(insert_sql(sqlite=True), values).lastrowid
    connection.execute(BUMP_SQL)  # the ORM's sessions do this by themselves
    return entry_id
