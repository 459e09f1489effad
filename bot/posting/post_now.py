"""Posting one entry now, outside the timetable (what `paperbot post ID` does).

Only one process posts from a database. When a daemon holds the poster lock, posting here too
could race it on this very entry, so the entry is handed over instead: made due now, which the
daemon picks up within seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.posting.outcome import ChannelPaused

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.posting.outcome import Outcome
    from bot.posting.publisher import Worker


@dataclass(frozen=True)
class PostNowResult:
    """One of: the outcome of posting, the daemon the entry went to, or why posting paused."""

    outcome: Outcome | None = None
    handed_to: str | None = None  # the poster lock's holder, which will post the entry
    paused: str | None = None


def pause_message(reason: str) -> str:
    """What to tell the operator when X refused the credentials and posting paused."""
    return (
        f"X rejected the credentials ({reason}); posting is paused. Fix: check the four X_* "
        "keys in .env and that the app has Read and Write permission (regenerate the "
        "access token after changing it), then `paperbot check`"
    )


def check_postable(engine: Engine, entry_id: int) -> None:
    """Raise ValueError (bad input) unless the entry is still to be posted."""
    from bot.store.engine import session_scope
    from bot.store.queue import get_entry

    with session_scope(engine, write=False) as session:
        entry = get_entry(session=session, entry_id=entry_id)
        if entry.status not in ("queued", "posting"):
            raise ValueError(
                f"entry {entry_id} is {entry.status}; "
                + (
                    "`paperbot retry` it first"
                    if entry.status != "posted"
                    else "it was posted already"
                )
            )


def hand_to_daemon(engine: Engine, entry_id: int, now: datetime) -> str:
    """Make the entry due now for the poster holding the lock; returns that holder."""
    from bot.store.engine import session_scope
    from bot.store.lease import holder
    from bot.store.queue import EntryChanges, edit_entry

    with session_scope(engine, write=True) as session:
        edit_entry(session=session, entry_id=entry_id, changes=EntryChanges(at=now))
    return holder(engine)


def post_now(
    engine: Engine,
    entry_id: int,
    *,
    make_worker: Callable[[], Worker],
    now: Callable[[], datetime],
    dry_run: bool = False,
) -> PostNowResult:
    """Post `entry_id` at once with the worker `make_worker` builds (on the dry-run channel
    when `dry_run`, which needs no lock), or hand it to the running daemon."""
    check_postable(engine, entry_id)
    if dry_run:
        return PostNowResult(outcome=make_worker().post(entry_id, now()))
    from bot.store import lease

    held = lease.try_acquire(engine, now=now())
    if held is None:
        return PostNowResult(handed_to=hand_to_daemon(engine, entry_id, now()))
    try:
        worker = make_worker()
    except BaseException:
        lease.release(engine, held, now=now())
        raise
    try:
        return PostNowResult(outcome=worker.post(entry_id, now()))
    except ChannelPaused as paused:
        return PostNowResult(paused=str(paused))
    finally:
        lease.release(engine, held, now=now())
        worker.channel.close()
