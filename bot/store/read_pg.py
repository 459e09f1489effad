"""The read layer on PostgreSQL without SQLAlchemy or psycopg: libpq itself (bot/store/libpq.py).

The ORM costs ~0.5 s to import and psycopg 0.13-0.23 s, several times what `list` or `status`
need on PostgreSQL; libpq (the library psycopg drives) loads in a few ms and reads the same rows.
Used only when the database is already at the current schema (bot/store/engine.py's
HEAD_REVISION), so nothing here migrates. Rows are given the shapes the ORM gives them (aware UTC
datetimes: the session's time zone is UTC; JSON decoded), so every command prints the same
document either way (tests/store/test_read_layer.py compares all three readers). All queries run
in one REPEATABLE READ, READ ONLY transaction: one snapshot per command, never waiting for
writers, and a stray write fails at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from bot.store.engine import HEAD_REVISION, database_url
from bot.store.read_pg_more import PgMoreReads
from bot.store.read_records import (
    TIME_COLUMNS,
    AttemptRecord,
    EngagementRecord,
    EntryRecord,
    HistoryFilter,
    PostRecord,
    field_names,
)
from bot.store.read_shared import SharedReads
from bot.store.read_shared import columns as _columns

if TYPE_CHECKING:
    import psycopg

    from bot.store.entry_json import Heads
    from bot.store.libpq import PqConnection

_DRIVER_SCHEME = "postgresql+psycopg://"  # what bot/store/engine.py's normalise_url gives


def pg_conninfo(environ: Mapping[str, str]) -> str | None:
    """The libpq URI of a PostgreSQL URL read through psycopg, else None (SQLite, psycopg2...)."""
    url = database_url(environ)
    if not url.startswith(_DRIVER_SCHEME):
        return None
    return "postgresql://" + url[len(_DRIVER_SCHEME) :]


def connect_directly(environ: Mapping[str, str]) -> psycopg.Connection[Any] | None:
    """A psycopg connection to the configured PostgreSQL database, or None when the ORM path
    must be taken (not PostgreSQL, no psycopg, the server refused): the ORM then migrates or
    says in one line why the database cannot be opened."""
    conninfo = pg_conninfo(environ)
    if conninfo is None:
        return None
    try:
        import psycopg
    except ImportError:
        return None
    try:
        return psycopg.connect(conninfo)
    except psycopg.Error:
        return None


# One round trip. UTC: times come back as the ORM gives them. No JIT: every query here is short,
# and compiling one (planned on a 100,000-entry queue) took longer than running it. LOCAL: the
# settings end with the transaction (a pooled server connection is handed back as it was).
_OPEN = (
    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL TIME ZONE 'UTC';"
    " SET LOCAL jit = off; SELECT version_num FROM alembic_version"
)


def open_pg_reader(environ: Mapping[str, str]) -> PgReader | None:
    """A reader on the configured PostgreSQL database if it is at head, else None (the ORM's:
    it migrates, or says in one line why the database cannot be opened)."""
    conninfo = pg_conninfo(environ)
    if conninfo is None:
        return None
    from bot.store.libpq import LibpqError, PqConnection, load_libpq

    lib = load_libpq()
    if lib is None:
        return None
    try:
        connection = PqConnection(lib, conninfo)
    except LibpqError:
        return None
    try:
        revision = connection.script(_OPEN)
    except LibpqError:
        revision = None
    if revision != HEAD_REVISION:
        connection.close()
        return None
    return PgReader(connection)


# The timestamptz columns any query here returns (JSON gives them as ISO 8601 text).
_TIMES = TIME_COLUMNS | {"retry_at", "e_at", "e_next_attempt_at", "e_created_at", "e_updated_at"}


class PgReader(PgMoreReads, SharedReads):
    """`bot.store.reader.Reader` on one libpq connection, inside one read-only snapshot."""

    def __init__(self, connection: PqConnection) -> None:
        self._db = connection

    def __enter__(self) -> PgReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._db.close()  # rolls the read-only transaction back

    def entry_heads(self, week: str | None, statuses: Sequence[str]) -> Heads | None:
        """`list --json`'s entries as JSON text written by PostgreSQL (bot/store/entry_json.py)."""
        from bot.store.entry_json import pg_heads

        return pg_heads(self._db, week, statuses)

    def _rows(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[tuple[Any, ...]]:
        return self._db.rows(sql, params, _TIMES)

    def _named_rows(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any], names: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        return self._db.named_rows(sql, params, names, _TIMES)

    def _records(self, record_type: type[Any], sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """`sql` selects the record's fields in order (`_columns`)."""
        rows = self._named_rows(sql, params, field_names(record_type))
        return [record_type(*row) for row in rows]

    def entries(self, *, week: str | None, statuses: Sequence[str]) -> list[EntryRecord]:
        where: list[str] = ["TRUE"]
        params: list[Any] = []
        if week:
            where.append("week = %s")
            params.append(week)
        if statuses:
            where.append("status = ANY(%s)")
            params.append(list(statuses))
        sql = f"SELECT {_columns(EntryRecord, 'entry')} FROM entry WHERE {' AND '.join(where)}"
        return self._records(EntryRecord, sql + " ORDER BY week, position", params)

    def entries_by_id(self, entry_ids: Sequence[int]) -> dict[int, EntryRecord]:
        sql = f"SELECT {_columns(EntryRecord, 'entry')} FROM entry WHERE id = ANY(%s)"
        return {e.id: e for e in self._records(EntryRecord, sql, [list(entry_ids)])}

    def posts_for(self, entry_ids: Sequence[int]) -> dict[int, list[PostRecord]]:
        grouped: dict[int, list[PostRecord]] = {entry_id: [] for entry_id in entry_ids}
        if entry_ids:
            sql = (
                f"SELECT {_columns(PostRecord, 'post')} FROM post "
                "WHERE entry_id = ANY(%s) ORDER BY id"
            )
            for post in self._records(PostRecord, sql, [list(entry_ids)]):
                grouped.setdefault(post.entry_id, []).append(post)
        return grouped

    def attempts_for(self, post_ids: Sequence[int]) -> dict[int, list[AttemptRecord]]:
        grouped: dict[int, list[AttemptRecord]] = {post_id: [] for post_id in post_ids}
        if post_ids:
            sql = (
                f"SELECT {_columns(AttemptRecord, 'attempt')} FROM attempt "
                "WHERE post_id = ANY(%s) ORDER BY id"
            )
            for attempt in self._records(AttemptRecord, sql, [list(post_ids)]):
                grouped.setdefault(attempt.post_id, []).append(attempt)
        return grouped

    def latest_engagement(self, post_ids: Sequence[int]) -> dict[int, EngagementRecord]:
        if not post_ids:
            return {}
        sql = (
            f"SELECT {_columns(EngagementRecord, 'engagement')} FROM engagement "
            "WHERE id IN (SELECT max(id) FROM engagement "
            "WHERE post_id = ANY(%s) GROUP BY post_id)"
        )
        records = self._records(EngagementRecord, sql, [list(post_ids)])
        return {record.post_id: record for record in records}

    def history(self, filters: HistoryFilter) -> list[tuple[PostRecord, EntryRecord]]:
        where, params = ["TRUE"], []
        for clause, value in (
            ("entry.week = %s", filters.week),
            ("post.updated_at >= %s", filters.since),
            ("post.status = %s", filters.status),
            ("post.channel = %s", filters.channel),
        ):
            if value:
                where.append(clause)
                params.append(value)
        post_columns = _columns(PostRecord, "post")
        # Aliased: a row is one JSON object, whose keys must differ from the post's.
        entry_columns = ", ".join(f"entry.{name} AS e_{name}" for name in field_names(EntryRecord))
        sql = (
            f"SELECT {post_columns}, {entry_columns} FROM post "
            f"JOIN entry ON entry.id = post.entry_id WHERE {' AND '.join(where)} "
            "ORDER BY post.updated_at DESC, post.id DESC"
        )
        split = len(field_names(PostRecord))
        return [
            (PostRecord(*row[:split]), EntryRecord(*row[split:])) for row in self._rows(sql, params)
        ]

    def recent_post_times(self, channel: str, since: datetime) -> list[datetime]:
        sql = (
            "SELECT posted_at FROM post WHERE channel = %s AND status = 'posted'"
            " AND posted_at >= %s"
        )
        return [moment for (moment,) in self._rows(sql, [channel, since]) if moment is not None]
