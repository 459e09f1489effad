"""`paperbot add` on a PostgreSQL database at the current schema, with psycopg alone.

The same reason and the same rules as bot/store/add_sqlite.py (no ORM import: ~0.5 s more than
the command needs): a URL once per week, at the end of the queue, `queued`, the row of
bot/store/entry_rows.py. Positions and the duplicate check read, then insert, so the transaction
first takes the queue's advisory lock (bot/store/pg_lock.py's QUEUE_LOCK_KEY), as the ORM path
and `import` do: two writers cannot read the same maximum. Anything else (an outdated or new
database, a server that cannot be reached) returns None: the caller takes the ORM path, which
migrates or says in one line what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.store.engine import HEAD_REVISION
from bot.store.entry_rows import MAX_IMAGES, DuplicateURL, entry_values, insert_sql
from bot.store.new_entry import NewEntry
from bot.store.pg_lock import QUEUE_LOCK_KEY
from bot.store.queue_changes import BUMP_SQL, NOTIFY_CHANNEL
from bot.store.read_pg import connect_directly, pg_conninfo


def add_entry_on_pg(environ: Mapping[str, str], new: NewEntry, *, now: datetime) -> int | None:
    """The new entry's id, or None when the ORM path must add it."""
    if pg_conninfo(environ) is None:
        return None
    if len(new.images) > MAX_IMAGES:
        raise ValueError(f"at most {MAX_IMAGES} images per post, got {len(new.images)}")
    connection = connect_directly(environ)
    if connection is None:
        return None
    try:
        try:
            entry_id = _insert(connection, new, now)
        except BaseException:
            connection.rollback()
            raise
        if entry_id is None:
            connection.rollback()
        else:
            connection.commit()
        return entry_id
    finally:
        connection.close()


def _insert(connection: Any, new: NewEntry, now: datetime) -> int | None:
    import psycopg

    try:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except psycopg.Error:
        return None
    if revision is None or revision[0] != HEAD_REVISION:
        return None
    connection.execute("SELECT pg_advisory_xact_lock(%s)", [QUEUE_LOCK_KEY])
    existing = connection.execute(
        "SELECT id FROM entry WHERE url = %s AND week = %s", [new.url, new.week]
    ).fetchone()
    if existing is not None:
        raise DuplicateURL(f"{new.url} is already queued for {new.week} as entry {existing[0]}")
    (last,) = connection.execute("SELECT max(position) FROM entry").fetchone()
    values = entry_values(new, position=int(last or 0) + 1, now=now, sqlite=False)
    (entry_id,) = connection.execute(insert_sql(sqlite=False) + " RETURNING id", values).fetchone()
    connection.execute(BUMP_SQL)  # the daemon re-plans (the ORM's sessions do this themselves)
    connection.execute(f"NOTIFY {NOTIFY_CHANNEL}")
    return int(entry_id)
