"""The read layer: the standard-library SQLite reader, the psycopg PostgreSQL reader and the ORM
reader give every read-only command the same document on the same database, and the fast paths
never import SQLAlchemy.

The database is built through real code paths (the CLI, the queue's state machine, the daemon's
lease) so it holds what a live one holds: posts in every state, attempts, a paused and a
rate-limited channel, a heartbeat, a dry run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.posting.previews import entries_to_preview
from bot.posting.status import gather_status
from bot.reports.entries import entry_document, entry_documents
from bot.reports.history import history_items
from bot.reports.schedule import schedule_report
from bot.schedule.timetable import TimetableConfig
from bot.store import lease
from bot.store.documents import entry_to_json
from bot.store.read_orm import OrmReader
from bot.store.read_pg import PgReader, open_pg_reader
from bot.store.read_records import DRY_RUN_CHANNEL, HistoryFilter
from bot.store.read_sqlite import SqliteReader, open_sqlite_reader
from bot.store.reader import EntryMissing, Reader
from tests.conftest import Paperbot, imported_modules

TZ = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # Thursday of 2026-W48


@pytest.fixture
def store() -> str:
    """Most tests here are about the SQLite file paths; those about both stores say so."""
    return "sqlite"


BOTH_STORES = pytest.mark.parametrize("store", ["sqlite", "postgres"])


def fast_reader(paperbot: Paperbot) -> SqliteReader | PgReader:
    """The store's reader without the ORM (it must exist: the database is at head)."""
    fast = open_sqlite_reader(paperbot.env) or open_pg_reader(paperbot.env)
    assert isinstance(fast, SqliteReader if paperbot.store == "sqlite" else PgReader)
    return fast


def add(paperbot: Paperbot, *args: str) -> int:
    result = paperbot("add", *args, "--no-fetch")
    assert result.exit_code == 0, result.output + result.stderr
    return int(result.stdout)


def _publish(paperbot: Paperbot, entry_id: int, outcome: str, when: datetime) -> None:
    """One attempt on X through the queue's own state machine."""
    from bot.store.engine import session_scope
    from bot.store.post_state import begin_attempt, record_failure, record_posted
    from bot.store.queue import get_entry

    with session_scope(paperbot.engine()) as session:
        entry = get_entry(session=session, entry_id=entry_id)
        post, attempt = begin_attempt(session=session, entry=entry, channel="x", text="t", now=when)
        if outcome == "posted":
            record_posted(
                session=session,
                entry=entry,
                post=post,
                attempt=attempt,
                remote_id="19",
                remote_url="https://x.com/u/status/19",
                media_ids=["7", "8"],
                now=when,
            )
        elif outcome != "posting":
            record_failure(
                session=session,
                entry=entry,
                post=post,
                attempt=attempt,
                outcome="error",
                error=f"HTTP 503 ({outcome})",
                http_status=503,
                now=when,
                retry_at=when + timedelta(hours=1) if outcome == "retrying" else None,
                permanent=outcome == "failed",
            )


def _spend(engine: Any, posted: int, held: int) -> None:
    """X ledger rows (this month, last month, one for a removed post) and a budget hold."""
    from bot.channels.x.billing import XPrices
    from bot.posting.budget import BudgetGate
    from bot.store.engine import session_scope
    from bot.store.ledger import Billed, record_billed, record_reads

    with session_scope(engine) as session:
        [post] = session.exec(select_posts(posted)).all()
        record_billed(session, [Billed("post_with_link", 200_000, "19")], now=NOW, post_id=post.id)
        record_reads(session, ["19", "20"], unit_price=5_000, now=NOW, post_id=post.id)
        record_billed(session, [Billed("media_metadata", 5_000)], now=NOW, post_id=999)
        record_billed(session, [Billed("post", 15_000)], now=NOW - timedelta(days=40))
    gate = BudgetGate(engine, 300_000, XPrices())
    assert gate.hold_if_over(held, "Retry me. https://example.org/d", 200_000, NOW) is not None


def select_posts(entry_id: int) -> Any:
    from sqlmodel import select

    from bot.store.models import Post

    return select(Post).where(Post.entry_id == entry_id, Post.channel == "x")


@pytest.fixture
def live(paperbot: Paperbot) -> Paperbot:
    """A database with a bit of everything, at `NOW`."""
    (paperbot.workdir / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    paperbot.env["PAPERBOT_NOW"] = NOW.isoformat()
    week = ["--week", "2026-W48"]
    a = add(paperbot, "https://example.org/a", "--comment", "Café 中文 🐦‍🔥.", *week)
    add(paperbot, "arXiv:2009.01835", "--title", "Flow", "--image", "fig.png", "--alt", "F", *week)
    c = add(paperbot, "https://example.org/c", "--week", "2026-W47", "--at", "2026-11-27T09:00")
    d = add(paperbot, "https://example.org/d", "--comment", "Retry me.", *week)
    e = add(paperbot, "https://example.org/e", "--week", "2026-W49")
    f = add(paperbot, "https://example.org/f", *week)
    g = add(paperbot, "https://example.org/g", *week)
    assert paperbot("skip", str(e)).exit_code == 0
    assert paperbot("post", str(c), "--dry-run").exit_code == 0
    _publish(paperbot, a, "posted", NOW - timedelta(hours=3))
    _publish(paperbot, d, "retrying", NOW - timedelta(hours=2))
    _publish(paperbot, f, "failed", NOW - timedelta(hours=1))
    _publish(paperbot, g, "posting", NOW - timedelta(minutes=5))
    from bot.store.engine import session_scope
    from bot.store.queue import channel_state

    engine = paperbot.engine()
    with session_scope(engine) as session:
        state = channel_state(session=session, channel="x")
        state.paused_reason, state.paused_at = "401 Unauthorized", NOW - timedelta(hours=1)
        state.rate_limited_until = NOW + timedelta(minutes=15)
        session.add(state)
    _spend(engine, a, d)
    held = lease.acquire(engine, now=NOW - timedelta(seconds=5))
    lease.record_run(engine, held, now=NOW - timedelta(minutes=30))
    return paperbot


def _documents(reader: Reader, paperbot: Paperbot) -> dict[str, Any]:
    config = TimetableConfig(tz=TZ, posts_per_day=2)
    documents: dict[str, Any] = {}
    for week in (None, "2026-W48", "2026-W01"):
        for statuses in ((), ("queued", "failed"), ("skipped",)):
            key = f"list {week} {statuses}"
            documents[key] = entry_documents(reader, week=week, statuses=statuses, tz=TZ)
    for entry_id in range(1, 8):
        documents[f"show {entry_id}"] = entry_document(reader, entry_id, TZ)
        documents[f"preview {entry_id}"] = (
            [entry_to_json(e, TZ) for e in entries_to_preview(reader, entry_id=entry_id, week=None)]
            if entry_id != 1
            else None
        )
    documents["preview all"] = [
        entry_to_json(e, TZ) for e in entries_to_preview(reader, entry_id=None, week=None)
    ]
    for filters in (
        HistoryFilter(),
        HistoryFilter(week="2026-W48"),
        HistoryFilter(since=NOW - timedelta(minutes=90)),
        HistoryFilter(status="retrying"),
        HistoryFilter(channel=DRY_RUN_CHANNEL),
    ):
        documents[f"history {filters}"] = history_items(reader, filters, TZ)
    documents["status"] = gather_status(
        reader, config=config, stale_after=timedelta(minutes=1), now=NOW, tz=TZ, x_budget=300_000
    )
    for days in (1, 7):
        documents[f"schedule {days}"] = schedule_report(
            reader, config, NOW, days=days, timezone="Europe/London"
        )[0]
    for channel in ("x", DRY_RUN_CHANNEL):
        documents[f"plan {channel}"] = reader.plan_entries(channel)
        for per_week in (1, 2, 50):
            documents[f"plan {channel} {per_week}"] = reader.plan_entries(
                channel, per_week=per_week
            )
        documents[f"recent {channel}"] = reader.recent_post_times(channel, NOW - timedelta(1))
    return documents


@BOTH_STORES
def test_the_fast_reader_and_the_orm_reader_agree_on_every_document(live: Paperbot) -> None:
    with fast_reader(live) as fast:
        from_sqlite = _documents(fast, live)
    from_orm = _documents(OrmReader(live.engine()), live)
    assert from_sqlite.keys() == from_orm.keys()
    for key in from_sqlite:
        assert from_sqlite[key] == from_orm[key], key
    # The database really holds what the comparison is meant to cover.
    status = from_sqlite["status"]
    assert status["daemon"]["running"] and status["channels"]["x"]["paused_reason"]
    costs = status["costs"]["x"]
    assert (costs["month"], costs["spent"], costs["held"]) == ("2026-11", 0.215, 1)
    assert costs["message"] == (
        "X budget reached: $0.215 of $0.30 this month; X posts resume on 2026-12-01"
    )
    assert status["counts"] == {"queued": 3, "posting": 1, "posted": 1, "failed": 1, "skipped": 1}
    assert {
        item["status"]
        for item in from_sqlite[
            "history HistoryFilter(week=None, since=None, status=None, channel=None)"
        ]
    } == {"posted", "retrying", "failed", "posting"}
    assert from_sqlite["schedule 7"]["posts"] and from_sqlite["plan dry-run"]


@BOTH_STORES
def test_a_missing_entry_is_the_same_error_on_both_paths(live: Paperbot) -> None:
    with fast_reader(live) as fast, pytest.raises(EntryMissing, match="no entry with id 99"):
        entry_document(fast, 99, TZ)
    with pytest.raises(EntryMissing, match="no entry with id 99"):
        entry_document(OrmReader(live.engine()), 99, TZ)


def test_an_outdated_or_missing_file_takes_the_orm_path_which_migrates(paperbot: Paperbot) -> None:
    assert open_sqlite_reader(paperbot.env) is None  # no file yet
    assert paperbot.json("list", "--json") == []  # created and migrated by the ORM path
    assert open_sqlite_reader(paperbot.env) is not None
    import sqlite3

    with sqlite3.connect(paperbot.db_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001_initial'")
    assert open_sqlite_reader(paperbot.env) is None
    assert open_sqlite_reader({"PAPERBOT_DATABASE_URL": "postgresql://u@h/db"}) is None


def test_dry_run_channel_names_agree() -> None:
    from bot.store import queue

    assert queue.DRY_RUN_CHANNEL == DRY_RUN_CHANNEL


@BOTH_STORES
@pytest.mark.parametrize(
    "args",
    [
        ["list", "--week", "2026-W48", "--json"],
        ["show", "1", "--json"],
        ["status", "--json"],
        ["history", "--week", "2026-W48", "--json"],
        ["schedule", "--json"],
        ["preview", "2", "--json"],
    ],
)
def test_read_only_commands_never_import_the_orm_on_a_file_at_head(
    live: Paperbot, args: list[str]
) -> None:
    result = live.process(*args, importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    json.loads(result.stdout)
    imported = imported_modules(result)
    assert not {"sqlalchemy", "sqlmodel", "alembic", "bot.store.models"} & imported


def test_cli_documents_match_the_orm_path_through_the_cli(live: Paperbot, tmp_path: Path) -> None:
    """The CLI over a URL the fast path refuses (query options) reads the same file via the ORM."""
    orm_url = f"sqlite:///{live.db_path}?timeout=30"
    for args in (
        ["list", "--json"],
        ["show", "2", "--json"],
        ["status", "--json"],
        ["history", "--json"],
        ["schedule", "--json"],
        ["preview", "--json"],
    ):
        fast = live.json(*args)
        live.env["PAPERBOT_DATABASE_URL"], saved = orm_url, live.env["PAPERBOT_DATABASE_URL"]
        try:
            slow = live.json(*args)
        finally:
            live.env["PAPERBOT_DATABASE_URL"] = saved
        assert fast == slow, args
