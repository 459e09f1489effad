"""SQLite writers of one process take turns on a lock of ours (bot/store/engine.py): a writer
waiting for another starts as soon as that one ends, every way a transaction can end gives the
turn back (commit, rollback, a connection returned to the pool mid-transaction), and readers
never wait. A real SQLite file; threads synchronised by events, never by sleeps.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text
from sqlmodel import select

from bot.store.engine import open_database, session_scope
from bot.store.models import ChannelState


def engine_at(tmp_path: Path):  # type: ignore[no-untyped-def]
    return open_database({"PAPERBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'turns.db'}"})


def test_a_waiting_writer_goes_when_the_writer_before_it_commits(tmp_path: Path) -> None:
    engine = engine_at(tmp_path)
    inside, release, done = threading.Event(), threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        with session_scope(engine) as session:
            session.add(ChannelState(channel="first"))
            session.flush()
            inside.set()
            release.wait(timeout=30)
            order.append("first commits")

    def second() -> None:
        inside.wait(timeout=30)
        with session_scope(engine) as session:
            session.exec(select(ChannelState))  # its transaction begins: it waits its turn
            order.append("second writes")
            session.add(ChannelState(channel="second"))
        done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert inside.wait(timeout=30)
    # A reader is never held up by the writer in its transaction.
    with session_scope(engine, write=False) as session:
        assert session.get(ChannelState, "first") is None
    assert not done.is_set()
    release.set()
    assert done.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=30)
    assert order == ["first commits", "second writes"]
    with session_scope(engine, write=False) as session:
        assert {s.channel for s in session.exec(select(ChannelState)).all()} == {"first", "second"}
    engine.dispose()


def test_every_way_a_transaction_ends_gives_the_turn_back(tmp_path: Path) -> None:
    engine = engine_at(tmp_path)
    try:
        with session_scope(engine) as session:
            session.add(ChannelState(channel="rolled back"))
            session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    connection = engine.connect()
    connection.begin()
    connection.execute(text("INSERT INTO channel_state (channel, updated_at) VALUES ('x', 0)"))
    connection.close()  # back to the pool mid-transaction: rolled back, turn given back
    finished = threading.Event()

    def write() -> None:
        with session_scope(engine) as session:
            session.add(ChannelState(channel="after"))
        finished.set()

    thread = threading.Thread(target=write)
    thread.start()
    # A turn not given back would hold the writer the whole busy timeout (30 s).
    assert finished.wait(timeout=20)
    thread.join(timeout=30)
    with session_scope(engine, write=False) as session:
        assert {s.channel for s in session.exec(select(ChannelState)).all()} == {"after"}
    engine.dispose()
