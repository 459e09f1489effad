"""The PostgreSQL poster lock's session: short keepalives on both ends, an idle timeout that its
pings keep away, and every pooled session's keepalives too (bot/store/pg_lock.py).

That a vanished holder really frees the lock is tests/e2e/test_pg_lost_holder.py's (slow)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from bot.store.engine import make_engine
from bot.store.pg_lock import (
    CLIENT_KEEPALIVES,
    LOCK_SESSION_SETTINGS,
    SERVER_KEEPALIVES,
    AdvisoryLock,
    open_lock_connection,
)
from tests.waiting import wait_until


@pytest.fixture
def pg_url(pg_databases: Any) -> Iterator[str]:
    url = pg_databases.create()
    yield url
    pg_databases.drop(url)


def session_settings(cursor: Any, names: list[str]) -> dict[str, str]:
    found = {}
    for name in names:
        cursor.execute("SELECT setting FROM pg_settings WHERE name = %s", (name,))
        found[name] = str(cursor.fetchone()[0])
    return found


def socket_keepalives(fd: int) -> tuple[int, int, int, int]:
    sock = socket.socket(fileno=os.dup(fd))
    try:
        return (
            sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
        )
    finally:
        sock.close()


def test_the_lock_session_has_short_keepalives_on_both_ends(pg_url: str) -> None:
    engine = make_engine(pg_url)
    connection = open_lock_connection(engine)
    try:
        cursor = connection.cursor()
        # The server side, as the server reports it for this session.
        assert session_settings(cursor, list(LOCK_SESSION_SETTINGS)) == LOCK_SESSION_SETTINGS
        cursor.execute("SELECT pg_try_advisory_lock(1)")
        cursor.close()
        # Our side: libpq set the socket's own keepalives.
        assert socket_keepalives(connection.fileno()) == (
            1,
            CLIENT_KEEPALIVES["keepalives_idle"],
            CLIENT_KEEPALIVES["keepalives_interval"],
            CLIENT_KEEPALIVES["keepalives_count"],
        )
        assert connection.info.get_parameters()["tcp_user_timeout"] == "30000"
    finally:
        connection.close()
        engine.dispose()


def test_pooled_sessions_have_the_keepalives_but_no_idle_timeout(pg_url: str) -> None:
    engine = make_engine(pg_url)
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        cursor = raw.cursor()
        names = [*SERVER_KEEPALIVES, "idle_session_timeout"]
        assert session_settings(cursor, names) == {**SERVER_KEEPALIVES, "idle_session_timeout": "0"}
        cursor.close()
        assert socket_keepalives(raw.fileno())[:2] == (1, CLIENT_KEEPALIVES["keepalives_idle"])
    engine.dispose()


def test_the_holder_pings_its_session_while_it_holds_the_lock(
    pg_url: str, pg_databases: Any
) -> None:
    from sqlalchemy.engine import make_url

    lock = AdvisoryLock(make_engine(pg_url))
    assert lock.try_acquire()
    database = make_url(pg_url).database

    def last_activity() -> Any:
        """When the lock's session last ran a statement, as the server saw it."""
        with pg_databases.admin.connect() as admin:
            return admin.exec_driver_sql(
                "SELECT a.state_change FROM pg_stat_activity a JOIN pg_locks l "
                "ON l.pid = a.pid WHERE l.locktype = 'advisory' AND a.datname = %(db)s",
                {"db": database},
            ).scalar_one()

    first = last_activity()
    wait_until(lambda: last_activity() > first, "the holder to ping its session", 60)
    lock.release()
