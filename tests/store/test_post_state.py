"""The posting state machine with several channels (bot/store/post_state.py) on PostgreSQL,
where two channels' workers really run at once: each claims its own post of the same entry, and
when both finish together the entry still sums up to `posted` (the entry row is locked before
its posts are read)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.store.engine import ensure_schema, make_engine, session_scope
from bot.store.models import Attempt, Entry
from bot.store.post_state import begin_attempt, record_failure, record_posted
from bot.store.queue import NewEntry, add_entry
from tests.store.test_postgres import blocked_sessions, in_thread
from tests.waiting import wait_until

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def pg_url(pg_databases: Any) -> Iterator[str]:
    url = pg_databases.create()
    yield url
    pg_databases.drop(url)


def test_two_channels_claim_and_finish_one_entry_at_once(pg_url: str, pg_databases: Any) -> None:
    engine = make_engine(pg_url)
    with session_scope(engine) as session:
        new = NewEntry(url="https://e.org/a", week="2026-W48", channels=("x", "bluesky"))
        entry_id = add_entry(session=session, new=new).id
    assert entry_id is not None
    ids: dict[str, tuple[int, int]] = {}

    def claim(channel: str) -> None:
        with session_scope(engine) as session:
            entry = session.get(Entry, entry_id)
            assert entry is not None
            post, attempt = begin_attempt(
                session=session, entry=entry, channel=channel, text="t", now=NOW, request_key="k"
            )
            assert post.id is not None and attempt.id is not None
            ids[channel] = (post.id, attempt.id)

    with session_scope(engine) as first:
        entry = first.get(Entry, entry_id)
        assert entry is not None
        post, attempt = begin_attempt(
            session=first, entry=entry, channel="x", text="t", now=NOW, request_key=None
        )
        thread, result = in_thread(lambda: claim("bluesky"))
        wait_until(lambda: blocked_sessions(pg_databases.admin) == 1, "bluesky's claim to wait")
        assert post.id is not None and attempt.id is not None
        ids["x"] = (post.id, attempt.id)
    thread.join(timeout=30)
    assert result == [None], result

    def finish(channel: str, session: Any) -> None:
        from bot.store.models import Attempt, Post

        post_id, attempt_id = ids[channel]
        entry = session.get(Entry, entry_id)
        post = session.get(Post, post_id)
        attempt = session.get(Attempt, attempt_id)
        record_posted(
            session=session,
            entry=entry,
            post=post,
            attempt=attempt,
            remote_id=f"{channel}-1",
            remote_url=f"https://{channel}.example/1",
            media_ids=(),
            now=NOW,
        )

    def finish_in_own_session(channel: str) -> None:
        with session_scope(engine) as session:
            finish(channel, session)

    with session_scope(engine) as first:
        finish("x", first)  # holds the entry row until it commits
        thread, result = in_thread(lambda: finish_in_own_session("bluesky"))
        wait_until(lambda: blocked_sessions(pg_databases.admin) == 1, "bluesky's finish to wait")
    thread.join(timeout=30)
    assert result == [None], result
    with session_scope(engine) as session:
        entry = session.get(Entry, entry_id)
        assert entry is not None and entry.status == "posted", entry
    engine.dispose()


def test_a_settled_attempt_never_finishes_before_it_started(database_url: str) -> None:
    """Whatever `now` a settling caller brings (here one read before the attempt began)."""
    engine = make_engine(database_url)
    ensure_schema(engine)
    with session_scope(engine) as session:
        entry = add_entry(session=session, new=NewEntry(url="https://e.org/t", week="2026-W48"))
        post, attempt = begin_attempt(session=session, entry=entry, channel="x", text="t", now=NOW)
        record_failure(
            session=session,
            entry=entry,
            post=post,
            attempt=attempt,
            outcome="settled-not-posted",
            error="not there",
            now=NOW - timedelta(seconds=5),
        )
    with session_scope(engine, write=False) as session:
        [stored] = session.exec(select(Attempt)).all()
        assert stored.started_at == NOW and stored.finished_at == NOW
    # A later update that brings an earlier clock is clamped too.
    with session_scope(engine) as session:
        [stored] = session.exec(select(Attempt)).all()
        stored.finished_at = NOW - timedelta(hours=1)
        session.add(stored)
    with session_scope(engine, write=False) as session:
        [stored] = session.exec(select(Attempt)).all()
        assert stored.finished_at == NOW
    engine.dispose()
