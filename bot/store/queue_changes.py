"""The queue's change counter: every transaction that writes what the plan reads raises it.

The daemon re-plans when the counter moved, instead of at every poll (PostgreSQL had no cheap
change signal) or whenever SQLite's `data_version` moved (its own heartbeat moves it every few
seconds); at 50,000 queued entries one plan costs seconds. The plan reads entries, their posts
and the channels' pauses and rate limits, so a write to any of those tables counts.

Writers do not call anything: every ORM session raises the counter by itself at commit when the
transaction wrote one of those tables (flushed objects, or ORM insert/update/delete statements),
so a new write path cannot forget it. Paths that write with plain SQL (bot/store/direct_write.py)
run BUMP_SQL themselves. The bump is the transaction's last statement: on PostgreSQL the row
lock it takes is held only until the commit that follows, so it never waits while holding
another lock, and two writers cannot deadlock on it.
"""

from __future__ import annotations

from typing import Any

# The tables the plan reads (bot/store/read_*.py): entries, their posts, the channels' state.
WATCHED_TABLES = frozenset({"entry", "post", "channel_state"})
# Written as an upsert so that a database whose row went missing heals at the next write.
BUMP_SQL = (
    "INSERT INTO queue_change (id, counter) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET counter = queue_change.counter + 1"
)
READ_SQL = "SELECT counter FROM queue_change WHERE id = 1"
# On PostgreSQL a bump also notifies this channel (delivered at commit), so a daemon that LISTENs
# learns of a change without asking the server at every poll.
NOTIFY_CHANNEL = "paperbot_queue"
_FLAG = "paperbot_queue_changed"
_installed: list[bool] = []


def install() -> None:
    """Listen on every ORM session (once per process; the store calls it before any session)."""
    if _installed:
        return
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    _installed.append(True)


def read_counter(cursor: Any) -> int | None:
    """The counter through a DB-API cursor; None when the row is missing (not migrated yet)."""
    cursor.execute(READ_SQL)
    row = cursor.fetchone()
    return None if row is None else int(row[0])


def _watched(instance: object) -> bool:
    table = getattr(instance, "__tablename__", None)
    return table in WATCHED_TABLES


def mark_changed(session: Any) -> None:
    """The session wrote the queue with plain SQL on its own connection (a digest's batch
    insert): raise the counter at its commit, as for its ORM writes."""
    session.info[_FLAG] = True


def _before_flush(session: Any, _context: Any, _instances: Any) -> None:
    groups = (session.new, session.dirty, session.deleted)
    if any(_watched(obj) for group in groups for obj in group):
        session.info[_FLAG] = True


def _on_execute(state: Any) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED_TABLES:
        state.session.info[_FLAG] = True


def _before_commit(session: Any) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the transaction around it bumps once, at its own commit
    session.flush()  # what is still pending counts too, and is written before the bump
    if session.info.pop(_FLAG, False):
        from sqlalchemy import text

        connection = session.connection()
        connection.execute(text(BUMP_SQL))
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


def _after_rollback(session: Any) -> None:
    session.info.pop(_FLAG, None)
