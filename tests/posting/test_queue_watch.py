"""The daemon's watch on the queue (bot/posting/daemon_parts.py QueueChanges): a change made by
another process is seen at the next poll on both stores, the daemon's own heartbeat is not a
change, and on PostgreSQL an idle poll sends nothing to the server (it waits for NOTIFY)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.posting.daemon_parts import QueueChanges
from bot.store import lease
from tests.conftest import Paperbot
from tests.waiting import wait_until

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def add(paperbot: Paperbot, slug: str) -> None:
    result = paperbot("add", f"https://example.org/{slug}", "--no-fetch")
    assert result.exit_code == 0, result.stderr


def test_a_change_is_seen_and_the_heartbeat_is_not_one(paperbot: Paperbot) -> None:
    engine = paperbot.engine()
    watch = QueueChanges(engine)
    try:
        first = watch.read()
        assert first is not None
        held = lease.acquire(engine, now=NOW)
        for _ in range(3):
            lease.heartbeat(engine, held, now=NOW)
            assert watch.read() == first  # our own heartbeat is not a change of the queue
        add(paperbot, "a")  # another process (the CLI) queues an entry
        changed = wait_until(lambda: watch.read() != first, "the watch to see the new entry", 10)
        assert changed
        assert watch.read() == first + 1
        lease.release(engine, held, now=NOW)
    finally:
        watch.close()
        engine.dispose()


def test_an_idle_poll_on_postgresql_sends_nothing(paperbot: Paperbot, store: str) -> None:
    if store != "postgres":
        pytest.skip("SQLite reads one page of a local file at each poll")
    engine = paperbot.engine()
    watch = QueueChanges(engine)
    try:
        first = watch.read()
        pid = watch._connection.driver_connection.info.backend_pid

        def last_statement() -> Any:
            [row] = paperbot.query(
                "SELECT state_change, query FROM pg_stat_activity WHERE pid = :pid", pid=pid
            )
            return row

        before = last_statement()
        for _ in range(20):
            assert watch.read() == first
        assert last_statement() == before  # the server saw no statement from the idle polls
        add(paperbot, "b")
        wait_until(lambda: watch.read() != first, "the NOTIFY to reach the watch", 10)
        assert last_statement()["state_change"] > before["state_change"]
    finally:
        watch.close()
        engine.dispose()
