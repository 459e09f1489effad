"""The daemon's lease and heartbeat, in the database itself.

Only one daemon may post from one database. A lease row holds the owner and a heartbeat; a
second daemon is refused while the heartbeat is fresh, and takes over once it is stale, so a
daemon killed with SIGKILL never blocks the next one for longer than `stale_after`.
The check-and-take runs in one BEGIN IMMEDIATE transaction, so two starting daemons cannot both win.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.db import session_scope
from bot.models import DaemonState

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class AlreadyRunning(RuntimeError):
    pass


class LeaseLost(RuntimeError):
    pass


@dataclass(frozen=True)
class Lease:
    owner: str


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def ensure_free(state: DaemonState | None, *, now: datetime, stale_after: timedelta) -> None:
    """Raise AlreadyRunning if `state` shows a daemon with a fresh heartbeat."""
    if (
        state is None
        or state.owner is None
        or state.heartbeat_at is None
        or now - state.heartbeat_at >= stale_after
    ):
        return
    host, pid, _ = [*state.owner.split(":"), "", ""][:3]
    raise AlreadyRunning(
        f"another paperbot daemon is running on this database (pid {pid} on {host}, "
        f"last heartbeat {int((now - state.heartbeat_at).total_seconds())} s ago); stop "
        f"it first, or wait {int(stale_after.total_seconds())} s if it was killed"
    )


def acquire(
    engine: Engine, *, now: datetime, stale_after: timedelta, owner: str | None = None
) -> Lease:
    """Take the lease or raise AlreadyRunning naming the live daemon."""
    owner = owner or new_owner()
    with session_scope(engine) as session:
        state = session.get(DaemonState, 1) or DaemonState(id=1)
        ensure_free(state, now=now, stale_after=stale_after)
        state.owner = owner
        state.pid = os.getpid()
        state.started_at = now
        state.heartbeat_at = now
        state.stopped_at = None
        session.add(state)
    return Lease(owner)


def heartbeat(engine: Engine, lease: Lease, *, now: datetime) -> None:
    """Refresh the heartbeat; raise LeaseLost if another daemon took over meanwhile."""
    with session_scope(engine) as session:
        state = session.get(DaemonState, 1)
        if state is None or state.owner != lease.owner:
            raise LeaseLost("another daemon took over this database")
        state.heartbeat_at = now
        session.add(state)


def record_run(
    engine: Engine, lease: Lease | None, *, now: datetime, error: str | None = None
) -> None:
    """Remember when due entries were last processed (catch-up after downtime starts here)."""
    with session_scope(engine) as session:
        state = session.get(DaemonState, 1) or DaemonState(id=1)
        if lease is not None and state.owner not in (None, lease.owner):
            return
        state.last_run_at = now
        if error is not None:
            state.last_error = error
        session.add(state)


def release(engine: Engine, lease: Lease, *, now: datetime) -> None:
    with session_scope(engine) as session:
        state = session.get(DaemonState, 1)
        if state is not None and state.owner == lease.owner:
            state.owner = None
            state.stopped_at = now
            state.heartbeat_at = None
            session.add(state)


def read_state(engine: Engine) -> DaemonState | None:
    with session_scope(engine) as session:
        return session.get(DaemonState, 1)
