"""The poster lock (bot/store/lease.py): held by one process at a time, released with its holder.

The holder is a real second process; it says on a pipe when it holds the lock, so nothing here
waits on a sleep. The daemon-level behaviour (refusal, --standby, signals) is in test_daemon.py.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store import lease
from bot.store.engine import make_engine
from bot.store.liveness import owner_gone
from tests.conftest import Paperbot

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
HOLDER = """\
import sys
from datetime import UTC, datetime
from bot.store import lease
from bot.store.liveness import owner_gone
from bot.store.engine import open_database
engine = open_database({"PAPERBOT_DATABASE_URL": sys.argv[1]})
held = lease.acquire(engine, now=datetime.now(UTC))
print("held", flush=True)
sys.stdin.readline()
"""


def spawn_holder(url: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    return holder


def test_the_lock_of_a_sigkilled_holder_is_free_at_once(paperbot: Paperbot) -> None:
    engine = paperbot.engine()
    holder = spawn_holder(str(engine.url))
    try:
        with pytest.raises(lease.AlreadyRunning, match=rf"pid {holder.pid} on "):
            lease.acquire(engine, now=NOW)
    finally:
        holder.send_signal(signal.SIGKILL)
        assert holder.wait(timeout=30) == -signal.SIGKILL
    # No heartbeat has aged: the kernel released the flock with the process.
    held = lease.acquire(engine, now=NOW)
    if paperbot.store == "sqlite":
        assert (paperbot.workdir / "paperbot.db.lock").is_file()
    state = lease.read_state(engine)
    assert state is not None and state.owner == held.owner
    lease.release(engine, held, now=NOW)
    assert owner_gone(f"{held.owner.split(':')[0]}:{holder.pid}:x")


def test_one_holder_at_a_time_even_inside_one_process(paperbot: Paperbot) -> None:
    engine = paperbot.engine()
    first = lease.acquire(engine, now=NOW)
    assert lease.try_acquire(engine, now=NOW) is None
    lease.release(engine, first, now=NOW)
    second = lease.try_acquire(engine, now=NOW)
    assert second is not None
    state = lease.read_state(engine)
    assert state is not None and state.owner == second.owner and state.stopped_at is None
    lease.release(engine, second, now=NOW)
    state = lease.read_state(engine)
    assert state is not None and state.owner is None and state.stopped_at == NOW


def test_the_lock_file_sits_beside_the_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert lease.lock_path(engine) == tmp_path / "x.db.lock"
    assert lease.lock_path(make_engine("sqlite://")) is None
    assert lease.lock_path(make_engine("sqlite:///:memory:")) is None


def test_in_memory_databases_lock_within_the_process() -> None:
    one, other = make_engine("sqlite://"), make_engine("sqlite://")
    first = lease.poster_lock_for(one)
    assert first.try_acquire()
    assert not lease.poster_lock_for(one).try_acquire()
    other_lock = lease.poster_lock_for(other)  # another database: another lock
    assert other_lock.try_acquire()
    first.release()
    assert lease.poster_lock_for(one).try_acquire()
    other_lock.release()


def test_two_paths_to_one_database_meet_on_one_lock(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    real = tmp_path / "data" / "paperbot.db"
    (tmp_path / "link.db").symlink_to(real)
    (tmp_path / "folder").symlink_to(tmp_path / "data", target_is_directory=True)
    spellings = [
        real,
        tmp_path / "link.db",  # a symlink to the file
        tmp_path / "folder" / "paperbot.db",  # through a symlinked folder
        tmp_path / "data" / ".." / "data" / "paperbot.db",
    ]
    engines = [make_engine(f"sqlite:///{path}") for path in spellings]
    assert {lease.lock_path(engine) for engine in engines} == {
        tmp_path / "data" / "paperbot.db.lock"
    }
    first = lease.poster_lock_for(engines[0])
    assert first.try_acquire()
    for engine in engines[1:]:
        assert not lease.poster_lock_for(engine).try_acquire()
    first.release()
