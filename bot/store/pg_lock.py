"""One poster per PostgreSQL database: a session-level advisory lock on a dedicated connection.

The lock belongs to the server session, not to a row: when the holder's process dies (SIGKILL
included) or its connection drops, the server ends the session and releases the lock, so a
crashed daemon never blocks the next one and a `--standby` daemon on another host takes over at
its next try. The connection is kept out of the engine's pool: returning it to the pool would
hand a locked session to unrelated work, and a pool reset would not release a session lock.

A holder whose host loses power sends no FIN or RST: by the server's defaults its session, and
the lock, would live on for 2 h 11 min (keepalive idle 7,200 s + 9 × 75 s). So the lock's
session asks for short TCP keepalives on both ends (the server's `tcp_keepalives_*` and
`tcp_user_timeout` for this session; libpq's `keepalives*` and `tcp_user_timeout` on ours) and,
for a silent peer that still answers TCP (a NAT box or proxy that keeps the socket open), an
`idle_session_timeout`: the holder pings its session every few seconds while it holds the lock,
and a session that stopped pinging is ended by the server. Either way a vanished holder frees
the lock within about a minute.

Session advisory locks need a direct connection: a transaction-pooling proxy (PgBouncer's
`pool_mode=transaction`) hands each transaction to any server session, so the lock would be
taken on one and the pings sent on others. `shared_sessions` tells `check` when it sees one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger("paperbot")

# A constant 64-bit key: every paperbot process on one database competes for the same lock.
# ("paperbot" in ASCII, so it is recognisable in pg_locks: classid 0x70617065, objid 0x72626f74.)
LOCK_KEY = 0x7061706572626F74
# Transaction-level keys ("paperbqu", "paperbmi"): queue writers (add, import, edit) and
# migrations take them so that, as under SQLite's BEGIN IMMEDIATE, they run one at a time.
QUEUE_LOCK_KEY = 0x7061706572627175
MIGRATION_LOCK_KEY = 0x706170657262D69
# libpq, on the lock's own connection: the holder learns within ~30 s that its server is gone.
CLIENT_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,  # ms: unacknowledged data gives up after this
}
# The server, for each of our sessions: one whose client vanished ends within ~1 min (with it
# the lock, or the row locks of a transaction cut short by a power loss).
SERVER_KEEPALIVES = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "30000",  # ms (PostgreSQL 12+)
}
# The lock's session only, for a peer that is silent but still answers TCP (PostgreSQL 14+):
# the pings below keep a live holder's session from ever reaching it.
LOCK_SESSION_SETTINGS = {**SERVER_KEEPALIVES, "idle_session_timeout": "45000"}
SINCE_VERSION = {"tcp_user_timeout": 120000, "idle_session_timeout": 140000}  # server_version
PING_SECONDS = 15.0  # how often the holder pings its lock session (a third of the idle timeout)
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
    """`try_acquire()` at each poll; `release()` on shutdown (or exit: the server frees it).

    While held, a thread pings the lock's session every PING_SECONDS (the session's idle timeout
    must not end a live holder's lock). The connection is shared by that thread and the caller,
    so every use of it holds `_using`.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Any = None
        self._using = threading.Lock()
        self._stop_pings = threading.Event()

    @property
    def held(self) -> bool:
        return self._connection is not None

    def try_acquire(self) -> bool:
        """Take the lock without waiting; True if this process holds it (now or already)."""
        with self._using:
            if self._connection is not None:
                if _ping(self._connection):
                    return True
                self._drop()  # the connection died, and the server released the lock with it
        connection = open_lock_connection(self.engine)
        try:
            taken = _take(connection)
            for _ in range(HOLDER_EXIT_TRIES):
                if taken:
                    break
                # A holder killed a moment ago still holds the lock until its server process
                # notices the closed socket and exits (milliseconds): ask again before refusing.
                time.sleep(HOLDER_EXIT_WAIT)
                taken = _take(connection)
        except BaseException:
            _close(connection)
            raise
        if not taken:
            _close(connection)  # never pooled (see the module docstring)
            return False
        with self._using:
            self._connection = connection
            self._stop_pings = threading.Event()
        threading.Thread(
            target=self._ping_while_held, args=(self._stop_pings,), name="lock-ping", daemon=True
        ).start()
        return True

    def release(self) -> None:
        """Give the lock up now, so a standby can take over without waiting for a timeout."""
        with self._using:
            if self._connection is None:
                return
            try:
                cursor = self._connection.cursor()
                cursor.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
                cursor.close()
            except Exception:
                pass  # a dead connection: the server has released the lock already
            self._drop()

    def _ping_while_held(self, stop: threading.Event) -> None:
        """Keep the session from idling out while we hold the lock; drop it once it is dead
        (the next `try_acquire`, the daemon's heartbeat, then finds the lock gone)."""
        while not stop.wait(PING_SECONDS):
            with self._using:
                if stop.is_set() or self._connection is None:
                    return
                if not _ping(self._connection):
                    log.error("the poster lock's database session ended: the lock is lost")
                    self._drop()
                    return

    def _drop(self) -> None:
        """Forget the connection (caller holds `_using`) and stop its pings."""
        self._stop_pings.set()
        connection, self._connection = self._connection, None
        _close(connection)


def keep_alive(engine: Engine) -> None:
    """Short keepalives on both ends of every connection of a PostgreSQL engine's pool."""
    from sqlalchemy import event

    @event.listens_for(engine, "do_connect")
    def _libpq(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        for name, value in CLIENT_KEEPALIVES.items():
            cparams.setdefault(name, value)  # the URL's own choice wins

    @event.listens_for(engine, "connect")
    def _server(connection: Any, _record: Any) -> None:
        _apply(connection, SERVER_KEEPALIVES)
        connection.commit()  # the settings are the session's; end the transaction they opened


def open_lock_connection(engine: Engine) -> Any:
    """A new DB-API connection (autocommit) with short keepalives on both ends, never pooled."""
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    connection = engine.dialect.connect(*cargs, **{**CLIENT_KEEPALIVES, **cparams})
    try:
        connection.autocommit = True
        _apply(connection, LOCK_SESSION_SETTINGS)
    except BaseException:
        _close(connection)
        raise
    return connection


def shared_sessions(engine: Engine) -> bool:
    """Whether two of our connections can land on one server session: the sign of a pooling
    proxy in transaction or statement mode (PgBouncer `pool_mode=transaction`), under which
    the poster lock means nothing. Two connections, each asked twice for its server process,
    in turn: a direct connection keeps its own process throughout and never shares it; behind
    such a proxy the second connection's statement gets the server session the first one just
    gave back. (A proxy with idle sessions to spare may hand out distinct ones by chance: this
    can miss a proxy, never accuse a direct connection.)"""
    first, second = open_lock_connection(engine), open_lock_connection(engine)
    try:
        seen: list[tuple[int, int]] = []
        for _ in range(3):
            for index, connection in enumerate((first, second)):
                cursor = connection.cursor()
                cursor.execute("SELECT pg_backend_pid()")
                seen.append((index, int(cursor.fetchone()[0])))
                cursor.close()
    finally:
        _close(first)
        _close(second)
    pids = {index: {pid for i, pid in seen if i == index} for index in (0, 1)}
    return len(pids[0]) > 1 or len(pids[1]) > 1 or bool(pids[0] & pids[1])


def _apply(connection: Any, settings: dict[str, str]) -> None:
    """SET them for the session, in one statement; those the server is too old for left out."""
    info = getattr(connection, "info", None)
    version = int(getattr(info, "server_version", 0) or getattr(connection, "server_version", 0))
    wanted = [(k, v) for k, v in settings.items() if version >= SINCE_VERSION.get(k, 0)]
    if not wanted:
        return
    cursor = connection.cursor()
    try:
        calls = ", ".join("set_config(%s, %s, false)" for _ in wanted)
        cursor.execute(f"SELECT {calls}", [part for pair in wanted for part in pair])
    finally:
        cursor.close()


def _ping(connection: Any) -> bool:
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        return True
    except Exception:
        return False


def _close(connection: Any) -> None:
    if connection is not None:
        with contextlib.suppress(Exception):
            connection.close()


def _take(connection: Any) -> bool:
    """One `pg_try_advisory_lock` on `connection` (autocommit): True if it is ours now."""
    cursor = connection.cursor()
    cursor.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
    row = cursor.fetchone()
    cursor.close()
    return row is not None and bool(row[0])
