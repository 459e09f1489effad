"""Readers never wait for writers: every read-only command answers while another process holds
SQLite's write lock (`BEGIN IMMEDIATE`, with uncommitted changes), and sees the last commit.

The holder is a separate process that keeps its write transaction open until every command has
answered; it says on a pipe when the lock is held. A reader that waited for the write lock could
never answer before the release: it would stop at the 30 s busy timeout with "database is
locked" and fail the test, however fast or slow the machine.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.store.engine import BUSY_TIMEOUT_MS, session_scope
from bot.store.models import Entry
from tests.conftest import Paperbot

# On PostgreSQL the holder keeps row locks on every entry in an open transaction instead.
PG_HOLDER = """\
import sys
from sqlalchemy import create_engine, text
connection = create_engine(sys.argv[1]).connect()
connection.begin()
connection.execute(text("UPDATE entry SET comment = 'uncommitted'"))
print("held", flush=True)
sys.stdin.readline()
connection.rollback()
print("released", flush=True)
"""

HOLDER = """\
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
connection.execute("BEGIN IMMEDIATE")
connection.execute("UPDATE entry SET comment = 'uncommitted'")
print("held", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
print("released", flush=True)
"""


def add(paperbot: Paperbot, *args: str) -> int:
    result = paperbot("add", *args, "--no-fetch")
    assert result.exit_code == 0, result.output + result.stderr
    return int(result.stdout.strip())


def test_read_commands_answer_while_another_process_holds_the_write_lock(
    paperbot: Paperbot,
) -> None:
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    first = add(paperbot, "https://example.org/a", "--comment", "Committed.", "--at", soon)
    add(paperbot, "https://example.org/b", "--comment", "Also committed.")
    posted = paperbot("post", str(first), "--dry-run")  # gives history something to show
    assert posted.exit_code == 0, posted.stderr
    week = paperbot.json("show", str(first), "--json")["week"]
    commands = [
        ("list",),
        ("list", "--json"),
        ("show", str(first)),
        ("show", str(first), "--json"),
        ("status",),
        ("status", "--json"),
        ("history",),
        ("history", "--json"),
        ("schedule",),
        ("schedule", "--json"),
        ("preview",),
        ("preview", str(first), "--json"),
        ("digest", "--week", week, "--output", str(paperbot.workdir / "digest.md")),
    ]
    for command in commands:  # warm up: imports and first-use costs are not what is measured
        assert paperbot(*command).exit_code == 0, command

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(paperbot.db_path)]
        if paperbot.store == "sqlite"
        else [sys.executable, "-c", PG_HOLDER, paperbot.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    took: dict[str, float] = {}
    try:
        assert holder.stdout.readline() == "held\n"
        for command in commands:
            began = time.monotonic()
            result = paperbot(*command)
            took[" ".join(command[:2])] = time.monotonic() - began
            assert result.exit_code == 0, (command, result.stderr)
            assert "uncommitted" not in result.stdout  # the last commit, not the open write
        assert holder.poll() is None  # still holding: nobody could have waited it out
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline() == "released\n"
        holder.wait(timeout=30)
    print({name: round(seconds, 3) for name, seconds in took.items()})  # shown with -s
    assert max(took.values()) < BUSY_TIMEOUT_MS / 1000


def test_a_read_session_cannot_write(paperbot: Paperbot) -> None:
    """A write slipped into a read session fails at once instead of queueing behind writers."""
    from sqlalchemy.exc import InternalError, OperationalError
    from sqlmodel import select

    engine = paperbot.engine()
    with (
        pytest.raises((OperationalError, InternalError), match=r"readonly|read-only"),
        session_scope(engine, write=False) as session,
    ):
        session.add(Entry(url="https://example.org/x", week="2026-W48", position=1))
        session.flush()
    with session_scope(engine) as session:  # the same pooled connection writes again
        session.add(Entry(url="https://example.org/y", week="2026-W48", position=1))
    with session_scope(engine, write=False) as session:
        assert [e.url for e in session.exec(select(Entry)).all()] == ["https://example.org/y"]
