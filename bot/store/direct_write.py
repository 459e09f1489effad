"""Writing the queue with the database's own driver: sqlite3 or psycopg, no ORM.

`add` and `import --no-fetch` are what a curator runs all day, and importing SQLAlchemy and
SQLModel (~0.3-0.5 s) costs them more than their writes. On a database at the current schema
they write through `writing_directly` instead, by the same rules as the ORM's paths (the rows
of bot/store/entry_rows.py; tests/store/test_add_paths.py and tests/digests compare both):

- one transaction that holds the queue's write lock from its first statement, so reading the
  last position and the queued URLs cannot race another writer: BEGIN IMMEDIATE on SQLite (set
  up as bot/store/engine.py sets up the ORM's connections: busy timeout, foreign keys,
  synchronous=NORMAL), the queue's advisory lock on PostgreSQL (bot/store/pg_lock.py);
- at its end, when it wrote, the queue's change counter raised (and, on PostgreSQL, the daemon
  notified), as the ORM's sessions do by themselves (bot/store/queue_changes.py).

Anything else (no file yet, an outdated schema, a server that cannot be reached, psycopg
missing) gives None: the caller takes the ORM's path, which migrates, or says in one line what
is wrong.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bot.store.engine import BUSY_TIMEOUT_MS, HEAD_REVISION
from bot.store.queue_changes import BUMP_SQL, NOTIFY_CHANNEL
from bot.store.read_sqlite import sqlite_path


@dataclass
class DirectWrite:
    """The open transaction: a DB-API cursor in the driver's parameter style (`?` on SQLite,
    `%s` on PostgreSQL: `sql` turns one into the other). Set `changed` once the queue was
    written; `rollback` writes nothing."""

    cursor: Any
    sqlite: bool
    changed: bool = False
    rollback: bool = False

    def sql(self, statement: str) -> str:
        """`statement`, written with `?` placeholders, in this driver's style."""
        return statement if self.sqlite else statement.replace("?", "%s")


@contextmanager
def writing_directly(environ: Mapping[str, str]) -> Iterator[DirectWrite | None]:
    """The transaction on the configured database if it is at head, else None (the block then
    takes the ORM's path). Committed at the end of the block, unless it raised or asked for a
    rollback."""
    path = sqlite_path(environ)
    if path is None:
        with _on_postgresql(environ) as write:
            yield write
        return
    if not path.is_file():
        yield None
        return
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("BEGIN IMMEDIATE")
        try:
            at_head = _at_head(connection, sqlite3.Error)
            write = DirectWrite(connection.cursor(), sqlite=True) if at_head else None
            yield write
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        if write is None or write.rollback or not write.changed:
            connection.execute("ROLLBACK")
            return
        connection.execute(BUMP_SQL)
        connection.execute("COMMIT")
    finally:
        connection.close()


@contextmanager
def _on_postgresql(environ: Mapping[str, str]) -> Iterator[DirectWrite | None]:
    from bot.store.pg_lock import QUEUE_LOCK_KEY
    from bot.store.read_pg import connect_directly

    connection = connect_directly(environ)  # None without psycopg, or when the server refused
    if connection is None:
        yield None
        return
    import psycopg

    try:
        if not _at_head(connection, psycopg.Error):
            connection.rollback()
            yield None
            return
        connection.execute("SELECT pg_advisory_xact_lock(%s)", [QUEUE_LOCK_KEY])
        write = DirectWrite(connection.cursor(), sqlite=False)
        try:
            yield write
        except BaseException:
            connection.rollback()
            raise
        if write.rollback or not write.changed:
            connection.rollback()
            return
        connection.execute(BUMP_SQL)
        connection.execute(f"NOTIFY {NOTIFY_CHANNEL}")
        connection.commit()
    finally:
        connection.close()


def _at_head(connection: Any, error: type[Exception]) -> bool:
    """Whether the schema is the current one (a new database has no version table: `error`)."""
    try:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except error:
        return False
    return revision is not None and revision[0] == HEAD_REVISION
