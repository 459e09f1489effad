"""One poster per database: a lock that dies with its holder, and a heartbeat row for `status`.

Liveness comes from the operating system, not from a heartbeat's age: the poster holds a lock
that is released when its process ends, however it ends (SIGKILL, OOM killer, power loss), so a
restart is accepted at once and a live poster is never taken over. For SQLite the lock is an
exclusive `flock` on a file beside the database (`paperbot.db.lock`); for PostgreSQL a
session advisory lock (bot/store/pg_lock.py), which the server drops with the holder's connection.
The DaemonState row only tells `status` who runs and since when; it decides nothing.
"""

from __future__ import annotations

import os
import threading
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.store.engine import session_scope
from bot.store.liveness import this_host
from bot.store.models import DaemonState

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class PosterLock(Protocol):
    """The lock only one poster of a database may hold."""

    def try_acquire(self) -> bool:
        """Take the lock without waiting; True when this process now holds it."""
        ...

    def release(self) -> None:
        """Give the lock up (a no-op when not held)."""
        ...


class FileLock:
    """An exclusive `flock` on a file: the kernel releases it when the process dies.

    flock locks belong to the open file description, so two FileLocks on one path exclude each
    other even inside one process, and a child process never inherits it (Python opens files
    non-inheritable). The file is never deleted: deleting it while held would let a second
    poster lock a new file of the same name.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        import fcntl

        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor releases the flock


class LocalLock:
    """For an in-memory SQLite database, which only this process can see."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._held = False

    def try_acquire(self) -> bool:
        if not self._held:
            self._held = self._lock.acquire(blocking=False)
        return self._held

    def release(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()


_LOCAL_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def lock_path(engine: Engine) -> Path | None:
    """The lock file of a SQLite database file (`<database>.lock`), None when in memory."""
    database = engine.url.database or ""
    if database.startswith("file:"):  # a URI filename (uri=true)
        database = database[len("file:") :].split("?", 1)[0]
    if database in ("", ":memory:") or "mode=memory" in str(engine.url):
        return None
    # resolve(), not absolute(): two spellings of one file (a symlink, `..`, a symlinked
    # folder) must meet on one lock file, or two posters would share the database.
    resolved = Path(database).expanduser().resolve()
    return resolved.with_name(resolved.name + ".lock")


def poster_lock_for(engine: Engine) -> PosterLock:
    """The poster lock that fits this engine's database."""
    dialect = engine.dialect.name
    if dialect == "sqlite":
        path = lock_path(engine)
        if path is None:
            return LocalLock(_LOCAL_LOCKS.setdefault(engine, threading.Lock()))
        return FileLock(path)
    if dialect == "postgresql":
        from bot.store.pg_lock import AdvisoryLock

        lock: PosterLock = AdvisoryLock(engine)
        return lock
    # normalise_url accepts only SQLite and PostgreSQL URLs, so this is a programming error.
    raise ValueError(f"paperbot posts from SQLite or PostgreSQL databases, not {dialect}")


class AlreadyRunning(RuntimeError):
    pass


class LeaseLost(RuntimeError):
    pass


@dataclass(frozen=True)
class Lease:
    owner: str
    lock: PosterLock


def new_owner() -> str:
    return f"{this_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder(engine: Engine) -> str:
    """Who holds the lock, as the heartbeat row tells it (for messages only)."""
    try:
        state = read_state(engine)
    except Exception:
        state = None
    if state is None or state.owner is None:
        return "pid unknown"
    host, pid, _ = [*state.owner.split(":"), "", ""][:3]
    return f"pid {pid} on {host}"


def refusal(engine: Engine) -> str:
    return (
        f"another paperbot daemon is running on this database ({holder(engine)}); stop it "
        "first, or start this one with `paperbot run --standby` to take over when it stops"
    )


def try_acquire(engine: Engine, *, now: datetime, owner: str | None = None) -> Lease | None:
    """Take the poster lock and record us in the heartbeat row; None when another holds it."""
    lock = poster_lock_for(engine)
    if not lock.try_acquire():
        return None
    owner = owner or new_owner()
    try:
        with session_scope(engine, write=True) as session:
            state = session.get(DaemonState, 1) or DaemonState(id=1)
            state.owner = owner
            state.pid = os.getpid()
            state.started_at = now
            state.heartbeat_at = now
            state.stopped_at = None
            session.add(state)
    except BaseException:
        lock.release()
        raise
    return Lease(owner, lock)


def acquire(engine: Engine, *, now: datetime, owner: str | None = None) -> Lease:
    """Take the lease or raise AlreadyRunning naming the live poster."""
    held = try_acquire(engine, now=now, owner=owner)
    if held is None:
        raise AlreadyRunning(refusal(engine))
    return held


def heartbeat(engine: Engine, lease: Lease, *, now: datetime) -> None:
    """Refresh the heartbeat; raise LeaseLost if the lock is gone to another poster (its
    PostgreSQL session ended under us) or the row names another poster (possible when the lock
    file was deleted under a running daemon and a second one locked a new one)."""
    if not lease.lock.try_acquire():  # a no-op while held; takes it back if it is free
        raise LeaseLost("the poster lock was lost and another daemon holds it")
    with session_scope(engine, write=True) as session:
        state = session.get(DaemonState, 1)
        if state is None or state.owner != lease.owner:
            raise LeaseLost("another daemon took over this database")
        state.heartbeat_at = now
        session.add(state)


def record_run(
    engine: Engine, lease: Lease | None, *, now: datetime, error: str | None = None
) -> None:
    """Remember when due entries were last processed (catch-up after downtime starts here)."""
    with session_scope(engine, write=True) as session:
        state = session.get(DaemonState, 1) or DaemonState(id=1)
        if lease is not None and state.owner not in (None, lease.owner):
            return
        state.last_run_at = now
        if error is not None:
            state.last_error = error
        session.add(state)


def mark_stopped(engine: Engine, lease: Lease, *, now: datetime) -> None:
    """Tell `status` we stopped (the lock itself is released by `release` or by our exit)."""
    with session_scope(engine, write=True) as session:
        state = session.get(DaemonState, 1)
        if state is not None and state.owner == lease.owner:
            state.owner = None
            state.stopped_at = now
            state.heartbeat_at = None
            session.add(state)


def release(engine: Engine, lease: Lease, *, now: datetime) -> None:
    """Mark the row stopped, then give the lock up (even if the row cannot be written)."""
    try:
        mark_stopped(engine, lease, now=now)
    finally:
        lease.lock.release()


def read_state(engine: Engine) -> DaemonState | None:
    with session_scope(engine, write=False) as session:
        return session.get(DaemonState, 1)
