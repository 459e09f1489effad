"""`paperbot db copy`: a SQLite queue moved to PostgreSQL, nothing lost, ids and history kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bot.store.engine import open_database, session_scope
from bot.store.models import ArxivCache, Attempt, ChannelState, DaemonState, Entry, Post
from bot.store.post_state import begin_attempt, record_failure, record_posted
from bot.store.queue import NewEntry, add_entry

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
MODELS: tuple[type[Any], ...] = (Entry, Post, Attempt, ChannelState, DaemonState, ArxivCache)


@pytest.fixture
def pg_url(pg_databases: Any) -> Iterator[str]:
    url = pg_databases.create(migrated=False)  # the copy must create the schema itself
    yield url
    pg_databases.drop(url)


def cli(url: str, *args: str) -> Result:
    from bot.cli import cli as paperbot

    env = {"PAPERBOT_DATABASE_URL": url, "PAPERBOT_OFFLINE": "1", "PAPERBOT_CONFIG": ""}
    return CliRunner().invoke(paperbot, list(args), env=env, catch_exceptions=False)


def fill(url: str) -> None:
    """A queue with history: posted, failed, removed (an id gap), dry runs, channel state."""
    engine = open_database({"PAPERBOT_DATABASE_URL": url})
    with session_scope(engine) as session:
        entries = [
            add_entry(session=session, new=NewEntry(url=f"https://e.org/{n}", week="2026-W48"))
            for n in range(6)
        ]
        session.delete(entries[2])
        post, attempt = begin_attempt(
            session=session, entry=entries[0], channel="x", text="a", now=NOW
        )
        record_posted(
            session=session,
            entry=entries[0],
            post=post,
            attempt=attempt,
            remote_id="111",
            remote_url="https://x.com/i/status/111",
            media_ids=["m1"],
            now=NOW,
        )
        post, attempt = begin_attempt(
            session=session, entry=entries[1], channel="x", text="b", now=NOW
        )
        record_failure(
            session=session,
            entry=entries[1],
            post=post,
            attempt=attempt,
            outcome="error",
            error="HTTP 503",
            now=NOW,
            http_status=503,
            retry_at=NOW,
        )
        begin_attempt(session=session, entry=entries[3], channel="x", text="c", now=NOW)  # unknown
        for _ in range(2):
            begin_attempt(session=session, entry=entries[4], channel="dry-run", text="d", now=NOW)
        session.add(ChannelState(channel="x", rate_limited_until=NOW, updated_at=NOW))
        session.add(DaemonState(id=1, owner="h:1:t", pid=1, heartbeat_at=NOW, last_run_at=NOW))
        session.add(ArxivCache(arxiv_id="2401.00001", title="T", authors=["A"], fetched_at=NOW))
    engine.dispose()


def rows(url: str) -> dict[str, list[dict[str, Any]]]:
    from sqlmodel import select

    engine = open_database({"PAPERBOT_DATABASE_URL": url})
    with session_scope(engine) as session:
        found = {
            model.__tablename__: sorted(
                (row.model_dump() for row in session.exec(select(model))), key=repr
            )
            for model in MODELS
        }
    engine.dispose()
    return found  # type: ignore[return-value]


def test_sqlite_queue_moves_to_postgresql_whole(tmp_path: Path, pg_url: str) -> None:
    source = f"sqlite:///{tmp_path / 'paperbot.db'}"
    fill(source)
    result = cli(source, "db", "copy", "--to", pg_url)
    assert result.exit_code == 0, result.output + result.stderr
    assert "5 entry" in result.stdout and "5 post" in result.stdout

    before, after = rows(source), rows(pg_url)
    lease = {"owner": None, "pid": None, "heartbeat_at": None}
    before["daemon_state"] = [{**row, **lease} for row in before["daemon_state"]]
    assert after == before
    assert sorted(e["id"] for e in after["entry"]) == [1, 2, 4, 5, 6]  # the gap is kept

    # New rows continue after the copied ids (sequences reset), and the queue works there.
    added = cli(pg_url, "add", "https://e.org/new", "--week", "2026-W48")
    assert added.exit_code == 0, added.stderr
    assert added.stdout.strip() == "7"

    again = cli(source, "db", "copy", "--to", pg_url)
    assert again.exit_code == 2 and "is not empty" in again.stderr
    assert len(rows(pg_url)["entry"]) == 6  # nothing written by the refused copy


def test_copy_refuses_bad_arguments_without_writing(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'paperbot.db'}"
    assert cli(source, "db", "copy").exit_code == 2
    both = cli(source, "db", "copy", "--to", source, "--from", source)
    assert both.exit_code == 2 and "exactly one" in both.stderr
    same = cli(source, "db", "copy", "--to", source)
    assert same.exit_code == 2 and "same database" in same.stderr
    assert cli(source, "db", "copy", "--to", "::nonsense").exit_code == 2


def test_copy_does_not_take_the_sqlite_write_lock_from_a_running_daemon(tmp_path: Path) -> None:
    """A writer (as a daemon mid-transaction) holds SQLite's write lock the whole time: the copy
    reads its snapshot beside it instead of queueing behind it (or taking the lock itself)."""
    import sqlite3
    import time

    source = f"sqlite:///{tmp_path / 'paperbot.db'}"
    fill(source)
    writer = sqlite3.connect(tmp_path / "paperbot.db", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the write lock, held until we commit
        writer.execute("UPDATE entry SET comment = 'mid-transaction' WHERE id = 1")
        started = time.monotonic()
        result = cli(source, "db", "copy", "--to", f"sqlite:///{tmp_path / 'copy.db'}")
        took = time.monotonic() - started
        assert result.exit_code == 0, result.output + result.stderr
        assert took < 20, f"the copy waited {took:.1f} s for the write lock"  # busy timeout: 30 s
        writer.execute("COMMIT")  # the daemon's write went through too, untouched by the copy
    finally:
        writer.close()
    copied = rows(f"sqlite:///{tmp_path / 'copy.db'}")
    assert "mid-transaction" not in {entry["comment"] for entry in copied["entry"]}
    [first] = [entry for entry in rows(source)["entry"] if entry["id"] == 1]
    assert first["comment"] == "mid-transaction"
