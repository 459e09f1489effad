"""PostgreSQL-only guarantees: the server really ran, the advisory lock, and interleavings.

The interleavings are forced, not hoped for: the second transaction is started while the first
still holds its row or index lock, and the test waits (on pg_locks, not on a sleep) until the
server shows the second one blocked before the first commits.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.store.engine import make_engine, session_scope
from bot.store.models import Entry, Post
from bot.store.pg_lock import AdvisoryLock
from bot.store.post_state import begin_attempt, claim_post
from bot.store.queue import NewEntry, QueueError, add_entry
from tests.conftest import REPO, postgres_required
from tests.waiting import wait_until

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def pg_url(pg_databases: Any) -> Iterator[str]:
    url = pg_databases.create()
    yield url
    pg_databases.drop(url)


def test_the_postgresql_half_really_runs(pg_databases: Any, pg_url: str) -> None:
    """In CI a missing server fails the pg_databases fixture; here: it is a real PostgreSQL."""
    version = pg_databases.version()
    assert version.startswith("PostgreSQL "), version
    engine = make_engine(pg_url)
    assert engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT current_database()").scalar() in pg_url
    engine.dispose()


def test_ci_flags_make_a_missing_server_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("PAPERBOT_REQUIRE_POSTGRES", raising=False)
    assert not postgres_required()
    monkeypatch.setenv("CI", "true")
    assert postgres_required()


# --- the advisory lock --------------------------------------------------------------------------

HOLDER = """
import sys
from bot.store.engine import make_engine
from bot.store.pg_lock import AdvisoryLock
lock = AdvisoryLock(make_engine(sys.argv[1]))
print("held" if lock.try_acquire() else "refused", flush=True)
sys.stdin.read()
"""


def test_lock_of_a_sigkilled_holder_is_free_at_once(pg_url: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, pg_url],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        standby = AdvisoryLock(make_engine(pg_url))
        assert not standby.try_acquire()
        assert not standby.try_acquire()  # polling does not steal it either
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        started = time.monotonic()
        wait_until(standby.try_acquire, "the standby to take the lock")
        took = time.monotonic() - started
        print(f"standby took the lock {took * 1000:.0f} ms after the SIGKILL")
        assert took < 5.0
        assert standby.try_acquire()  # held now, and asking again says so
        standby.release()
    finally:
        holder.kill()
        holder.wait()


def test_lock_is_one_holder_and_survives_the_loss_of_its_connection(
    pg_url: str, pg_databases: Any
) -> None:
    first, second = AdvisoryLock(make_engine(pg_url)), AdvisoryLock(make_engine(pg_url))
    assert first.try_acquire() and not second.try_acquire()
    first.release()
    assert second.try_acquire() and not first.try_acquire()
    # The holder's connection is cut (a network drop, a failover): the lock goes with it.
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    with pg_databases.admin.connect() as admin:
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND granted AND database = (SELECT oid FROM pg_database WHERE datname = :name)"
            ),
            {"name": make_url(pg_url).database},
        )
    wait_until(first.try_acquire, "the other daemon to take over after the connection died")
    assert not second.try_acquire()  # it notices its connection is gone and does not hold it
    first.release()


# --- forced interleavings -------------------------------------------------------------------------


def blocked_sessions(admin: Any) -> int:
    with admin.connect() as connection:
        return int(
            connection.exec_driver_sql("SELECT count(*) FROM pg_locks WHERE NOT granted").scalar()
        )


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(work())
        except Exception as exc:
            result.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def queued_entry(engine: Any) -> int:
    with session_scope(engine) as session:
        entry = add_entry(session=session, new=NewEntry(url="https://e.org/a", week="2026-W48"))
        assert entry.id is not None
        return entry.id


def test_two_claims_of_one_entry_one_wins_even_when_both_read_queued(
    pg_url: str, pg_databases: Any
) -> None:
    engine = make_engine(pg_url)
    entry_id = queued_entry(engine)
    with session_scope(engine) as first:
        mine = first.get(Entry, entry_id)
        assert mine is not None
        claim_post(
            session=first, entry=mine, channel="x", now=NOW, request_key=None
        )  # row locked, not yet committed

        def second_claim() -> str:
            with session_scope(engine) as second:
                theirs = second.get(Entry, entry_id)
                assert theirs is not None and theirs.status == "queued"  # read-then-write trap
                claim_post(session=second, entry=theirs, channel="x", now=NOW, request_key=None)
                return "claimed"

        thread, result = in_thread(second_claim)
        wait_until(lambda: blocked_sessions(pg_databases.admin) == 1, "the second claim to wait")
    thread.join(timeout=30)
    assert len(result) == 1 and isinstance(result[0], QueueError), result
    with session_scope(engine) as session:
        entry = session.get(Entry, entry_id)
        assert entry is not None and entry.status == "posting"
        posts = session.exec(select(Post).where(Post.entry_id == entry_id)).all()
        assert [(p.channel, p.status, p.attempts) for p in posts] == [("x", "posting", 1)]
    engine.dispose()


def test_second_real_post_for_an_entry_fails_whatever_the_interleaving(
    pg_url: str, pg_databases: Any
) -> None:
    from sqlalchemy.exc import IntegrityError

    engine = make_engine(pg_url)
    entry_id = queued_entry(engine)

    def insert_post() -> Post:
        with session_scope(engine) as session:
            post = Post(entry_id=entry_id, channel="x", created_at=NOW, updated_at=NOW)
            session.add(post)
        return post

    with session_scope(engine) as first:
        first.add(Post(entry_id=entry_id, channel="x", created_at=NOW, updated_at=NOW))
        first.flush()  # in the index, not committed: the second insert has to wait for us
        thread, result = in_thread(insert_post)
        wait_until(lambda: blocked_sessions(pg_databases.admin) == 1, "the second insert to wait")
    thread.join(timeout=30)
    assert len(result) == 1 and isinstance(result[0], IntegrityError), result
    engine.dispose()


def test_begin_attempt_after_a_concurrent_claim_is_refused(pg_url: str) -> None:
    engine = make_engine(pg_url)
    entry_id = queued_entry(engine)
    with session_scope(engine) as stale:
        old_view = stale.get(Entry, entry_id)
        assert old_view is not None and old_view.status == "queued"
        with session_scope(engine) as other:
            entry = other.get(Entry, entry_id)
            assert entry is not None
            begin_attempt(session=other, entry=entry, channel="x", text="t", now=NOW)
        with pytest.raises(QueueError, match="is posting"):
            begin_attempt(session=stale, entry=old_view, channel="x", text="t", now=NOW)
    engine.dispose()


# --- URLs and secrets ---------------------------------------------------------------------------


def test_a_failing_postgres_url_never_shows_its_password(pg_url: str, tmp_path: Any) -> None:
    from click.testing import CliRunner
    from sqlalchemy.engine import make_url

    from bot.cli import cli

    secret = "s3cret-Pa55word"
    wrong = make_url(pg_url).set(password=secret, database="no_such_database")
    url = wrong.render_as_string(hide_password=False).replace("postgresql+psycopg", "postgres", 1)
    for args in (("list", "--json"), ("db", "upgrade"), ("status",)):
        result = CliRunner().invoke(
            cli, list(args), env={"DATABASE_URL": url, "PAPERBOT_DATABASE_URL": ""}
        )
        assert result.exit_code == 1, (args, result.output)
        assert "no_such_database" in result.stderr, result.stderr
        assert secret not in result.output + result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_missing_driver_is_one_line_naming_the_extra() -> None:
    from bot.store.engine import DatabaseError

    with pytest.raises(DatabaseError) as caught:
        make_engine("postgresql+pg8000://u:s3cret-Pa55word@db.example.org/paperbot")
    message = str(caught.value)
    assert "paperbot[postgres]" in message and "s3cret" not in message
