"""The queue's change counter (bot/store/queue_changes.py): every write the plan depends on
raises it, on both stores and on every path (the CLI's commands, the importer, the standard
library `add` on SQLite, the worker's post states); the daemon's own bookkeeping never does."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.store import lease
from bot.store.engine import session_scope
from bot.store.models import Entry
from bot.store.post_state import begin_attempt, record_failure, record_posted
from tests.conftest import Paperbot

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def counter(paperbot: Paperbot) -> int:
    [row] = paperbot.query("SELECT counter FROM queue_change WHERE id = 1")
    return int(row["counter"])


def run(paperbot: Paperbot, *args: str) -> str:
    result = paperbot(*args)
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def test_every_queue_command_raises_the_counter_once(paperbot: Paperbot) -> None:
    run(paperbot, "db", "upgrade")  # so that `add` takes the standard-library path on SQLite
    start = counter(paperbot)
    entry = run(paperbot, "add", "https://example.org/a", "--comment", "First.", "--no-fetch")
    entry_id = entry.strip()
    steps = [
        ("edit", entry_id, "--comment", "Edited."),
        ("skip", entry_id),
        ("retry", entry_id),
    ]
    seen = [counter(paperbot)]
    for step in steps:
        run(paperbot, *step)
        seen.append(counter(paperbot))
    digest = paperbot.workdir / "week.json"
    digest.write_text(
        json.dumps([{"url": "https://example.org/b", "comment": "Imported."}]), encoding="utf-8"
    )
    run(paperbot, "import", str(digest), "--week", "2026-W49")
    seen.append(counter(paperbot))
    run(paperbot, "remove", entry_id)
    seen.append(counter(paperbot))
    assert seen == list(range(start + 1, start + 7)), seen


def test_refused_and_read_only_commands_leave_it_alone(paperbot: Paperbot) -> None:
    run(paperbot, "add", "https://example.org/a", "--comment", "First.", "--no-fetch")
    before = counter(paperbot)
    refused = paperbot("add", "https://example.org/a", "--comment", "Again.", "--no-fetch")
    assert refused.exit_code == 2
    for command in (("list", "--json"), ("status", "--json"), ("schedule", "--json")):
        run(paperbot, *command)
    assert counter(paperbot) == before


def test_post_states_raise_it_and_the_daemons_bookkeeping_does_not(paperbot: Paperbot) -> None:
    engine = paperbot.engine()
    first = int(run(paperbot, "add", "https://example.org/a", "--no-fetch").strip())
    second = int(run(paperbot, "add", "https://example.org/b", "--no-fetch").strip())

    before = counter(paperbot)
    held = lease.acquire(engine, now=NOW)
    lease.heartbeat(engine, held, now=NOW)
    lease.record_run(engine, held, now=NOW)
    lease.release(engine, held, now=NOW)
    assert counter(paperbot) == before  # the heartbeat row is not the queue

    with session_scope(engine) as session:
        entry = session.get(Entry, first)
        assert entry is not None
        post, attempt = begin_attempt(session=session, entry=entry, channel="x", text="t", now=NOW)
    claimed = counter(paperbot)
    assert claimed == before + 1
    with session_scope(engine) as session:
        entry = session.merge(entry)
        post, attempt = session.merge(post), session.merge(attempt)
        record_posted(
            session=session,
            entry=entry,
            post=post,
            attempt=attempt,
            remote_id="1",
            remote_url="https://x.com/i/status/1",
            media_ids=[],
            now=NOW,
        )
    assert counter(paperbot) == claimed + 1
    with session_scope(engine) as session:
        entry = session.get(Entry, second)
        assert entry is not None
        post, attempt = begin_attempt(session=session, entry=entry, channel="x", text="t", now=NOW)
        record_failure(
            session=session,
            entry=entry,
            post=post,
            attempt=attempt,
            outcome="failed",
            error="gone",
            now=NOW,
            permanent=True,
        )
    assert counter(paperbot) == claimed + 2  # one transaction, one bump
    engine.dispose()


def test_a_rolled_back_write_does_not_count(paperbot: Paperbot) -> None:
    engine = paperbot.engine()
    run(paperbot, "add", "https://example.org/a", "--no-fetch")
    before = counter(paperbot)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(Entry(url="https://example.org/z", week="2026-W49"))
        session.flush()
        raise RuntimeError("changed my mind")
    assert counter(paperbot) == before
    engine.dispose()


def test_resolving_a_post_raises_it(paperbot: Paperbot) -> None:
    engine = paperbot.engine()
    entry_id = int(run(paperbot, "add", "https://example.org/a", "--no-fetch").strip())
    with session_scope(engine) as session:
        entry = session.get(Entry, entry_id)
        assert entry is not None
        begin_attempt(session=session, entry=entry, channel="x", text="t", now=NOW)
    paperbot.execute("UPDATE post SET decision_needed_at = :now", now=NOW)
    before = counter(paperbot)
    run(paperbot, "resolve", str(entry_id), "--not-posted")
    assert counter(paperbot) == before + 1
    engine.dispose()
