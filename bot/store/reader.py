"""The one read layer of the read-only commands, and how a command gets one.

`Reader` is what `list`, `show`, `status`, `history`, `schedule` and `preview` ask of the
database. `open_reader` hands out the standard-library reader (bot/store/read_sqlite.py) when the
database is a SQLite file already at the current schema, and the libpq one (bot/store/read_pg.py)
on a PostgreSQL database at the current schema, so those commands never import SQLAlchemy
(~0.5 s, more than the command itself) nor psycopg (0.13-0.23 s); anything else (a new or outdated
database, another driver) gets the ORM reader (bot/store/read_orm.py) on the engine, which also
migrates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.store.read_records import (
    AttemptRecord,
    ChannelRecord,
    DaemonRecord,
    EngagementRecord,
    EntryRecord,
    HistoryFilter,
    PostRecord,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.schedule.plan_entry import PlanEntry
    from bot.store.read_pg import PgReader
    from bot.store.read_sqlite import SqliteReader

ENTRY_STATUSES = ("queued", "posting", "posted", "failed", "skipped")


class EntryMissing(ValueError):
    """No entry with that id: bad input (exit 2), worded as bot/store/queue.py's EntryNotFound."""

    def __init__(self, entry_id: int) -> None:
        super().__init__(f"no entry with id {entry_id} (see `paperbot list`)")


class Reader(Protocol):
    """Reads only; every method is one query (the SQLite and libpq readers run them all in one
    snapshot)."""

    def entries(self, *, week: str | None, statuses: Sequence[str]) -> list[EntryRecord]:
        """Entries in queue order (week, then position)."""
        ...

    def entries_by_id(self, entry_ids: Sequence[int]) -> dict[int, EntryRecord]: ...

    def posts_for(self, entry_ids: Sequence[int]) -> dict[int, list[PostRecord]]:
        """Posts grouped by entry id (every id present), oldest first."""
        ...

    def attempts_for(self, post_ids: Sequence[int]) -> dict[int, list[AttemptRecord]]:
        """Attempts grouped by post id (every id present), oldest first."""
        ...

    def history(self, filters: HistoryFilter) -> list[tuple[PostRecord, EntryRecord]]:
        """Posts with their entries, most recently updated first."""
        ...

    def latest_engagement(self, post_ids: Sequence[int]) -> dict[int, EngagementRecord]:
        """Each post's newest engagement snapshot (posts never read are absent)."""
        ...

    def count_by_status(self) -> dict[str, int]:
        """Entries per status (only the statuses present)."""
        ...

    def channel_states(self) -> list[ChannelRecord]: ...

    def daemon_state(self) -> DaemonRecord | None: ...

    def last_failed_entry(self) -> EntryRecord | None:
        """The most recently updated entry that carries an error."""
        ...

    def plan_entries(self, channel: str, *, per_week: int | None = None) -> list[PlanEntry]:
        """Queued and `posting` entries in the timetable's terms, by id.

        On the dry-run channel an entry already rehearsed since its last edit is left out, so a
        dry-run daemon records each entry once instead of at every slot. With `per_week`, only
        what bot/posting/planning.py's `keep_for_plan` keeps.
        """
        ...

    def undecided_posts(self) -> list[PostRecord]:
        """Posts whose outcome is unknown and cannot be looked up: `paperbot resolve` them."""
        ...

    def recent_post_times(self, channel: str, since: datetime) -> list[datetime]:
        """When this channel posted at or after `since`."""
        ...

    def post_costs(self, post_ids: Sequence[int]) -> dict[int, int]:
        """Micro-dollars the X ledger holds per post (every id present, 0 when none)."""
        ...

    def x_spent(self, start: datetime, end: datetime) -> int:
        """Micro-dollars the X ledger holds from `start` (inclusive) to `end` (exclusive)."""
        ...

    def budget_held_posts(self) -> list[PostRecord]:
        """X posts waiting for next month's budget (their message says so)."""
        ...


def require_entry(reader: Reader, entry_id: int) -> EntryRecord:
    found = reader.entries_by_id([entry_id]).get(entry_id)
    if found is None:
        raise EntryMissing(entry_id)
    return found


def open_fast_reader(environ: Mapping[str, str]) -> SqliteReader | PgReader | None:
    """The reader without the ORM if the database allows it (at head), else None."""
    from bot.store.engine import database_url

    if database_url(environ).startswith("postgresql+psycopg://"):
        from bot.store.read_pg import open_pg_reader  # only the reader the store needs

        return open_pg_reader(environ)
    from bot.store.read_sqlite import open_sqlite_reader

    return open_sqlite_reader(environ)  # None unless a plain SQLite file at head


@contextmanager
def open_reader(environ: Mapping[str, str], engine: Callable[[], Engine]) -> Iterator[Reader]:
    """A fast reader when the database allows it, else the ORM one on `engine()` (migrated)."""
    fast = open_fast_reader(environ)
    if fast is not None:
        with fast:
            yield fast
        return
    from bot.store.read_orm import OrmReader

    yield OrmReader(engine())
