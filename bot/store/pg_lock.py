"""One poster per PostgreSQL database: a session-level advisory lock on a dedicated connection.

The lock belongs to the server session, not to a row: when the holder's process dies (SIGKILL
included) or its connection drops, the server ends the session and releases the lock, so a
crashed daemon never blocks the next one and a `--standby` daemon on another host takes over at
its next try. The connection is kept out of the engine's pool: returning it to the pool would
hand a locked session to unrelated work, and a pool reset would not release a session lock.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# A constant 64-bit key: every paperbot process on one database competes for the same lock.
# ("paperbot" in ASCII, so it is recognisable in pg_locks: classid 0x70617065, objid 0x72626f74.)
LOCK_KEY = 0x7061706572626F74
# Transaction-level keys ("paperbqu", "paperbmi"): queue writers (add, import, edit) and
# migrations take them so that, as under SQLite's BEGIN IMMEDIATE, they run one at a time.
QUEUE_LOCK_KEY = 0x7061706572627175
MIGRATION_LOCK_KEY = 0x706170657262D69
# How long a refused try waits for a just-killed holder's server process to exit (1 s).
HOLDER_EXIT_TRIES = 10
HOLDER_EXIT_WAIT = 0.1


def lock_transaction(connection: Any, key: int) -> None:
    """On PostgreSQL, wait for `key` until this transaction ends (commit or rollback).

    Positions (max + 1) and the "URL once per week" check read, then insert: under READ
    COMMITTED two writers could both read the same maximum. SQLite needs nothing: BEGIN IMMEDIATE
    already lets one writer in at a time. `connection` is a Connection or a Session.
    """
    bind = connection.get_bind() if hasattr(connection, "get_bind") else connection
    if bind.dialect.name == "postgresql":
        from sqlalchemy import text

        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


class AdvisoryLock:
    """`try_acquire()` at each poll; `release()` on shutdown (or exit: the server frees it)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Any = None

    @property
    def held(self) -> bool:
        return self._connection is not None

    def try_acquire(self) -> bool:
        """Take the lock without waiting; True if this process holds it (now or already)."""
        if self._connection is not None:
            if self._alive():
                return True
            self._drop()  # the connection died, and the server released the lock with it
        connection = self.engine.raw_connection()
        try:
            connection.driver_connection.autocommit = True  # type: ignore[union-attr]
            taken = _take(connection)
            for _ in range(HOLDER_EXIT_TRIES):
                if taken:
                    break
                # A holder killed a moment ago still holds the lock until its server process
                # notices the closed socket and exits (milliseconds): ask again before refusing.
                time.sleep(HOLDER_EXIT_WAIT)
                taken = _take(connection)
        except BaseException:
            connection.invalidate()
            raise
        if taken:
            self._connection = connection
            return True
        connection.invalidate()  # closed, never pooled (see the module docstring)
        return False

    def release(self) -> None:
        """Give the lock up now, so a standby can take over without waiting for a timeout."""
        if self._connection is None:
            return
        try:
            cursor = self._connection.cursor()
            cursor.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
            cursor.close()
        except Exception:
            pass  # a dead connection: the server has released the lock already
        self._drop()

    def _alive(self) -> bool:
        try:
            cursor = self._connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            return True
        except Exception:
            return False

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        with contextlib.suppress(Exception):
            connection.invalidate()


def _take(connection: Any) -> bool:
    """One `pg_try_advisory_lock` on `connection` (autocommit): True if it is ours now."""
    cursor = connection.cursor()
    cursor.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
    row = cursor.fetchone()
    cursor.close()
    return row is not None and bool(row[0])
