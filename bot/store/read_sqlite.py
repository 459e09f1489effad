"""The read layer on a SQLite file with the standard library: no SQLAlchemy import at all.

Used only when the file is already at the current schema (bot/store/engine.py's HEAD_REVISION);
rows are given the shapes the ORM gives them (aware UTC datetimes, decoded JSON), so every
command prints the same document either way (tests/store/test_read_layer.py compares them on one
database). The queries run in one read transaction, so a command sees one snapshot while the
daemon writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from bot.schedule.plan_entry import PlanEntry
from bot.store.engine import DEFAULT_DATABASE_URL, HEAD_REVISION
from bot.store.read_ledger import LedgerReads
from bot.store.read_records import (
    DRY_RUN_CHANNEL,
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
    from bot.store.entry_json import Heads

_JSON_COLUMNS = frozenset(("images", "media_ids", "channels"))


def sqlite_path(environ: Mapping[str, str]) -> Path | None:
    """The file of a plain `sqlite:///` URL, else None (memory, other drivers, options)."""
    url = environ.get("PAPERBOT_DATABASE_URL") or environ.get("DATABASE_URL") or ""
    url = url.strip() or DEFAULT_DATABASE_URL
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or url == prefix:
        return None
    return Path(url[len(prefix) :])


def open_sqlite_reader(environ: Mapping[str, str]) -> SqliteReader | None:
    """A reader on the configured SQLite file if it is at head, else None (use the ORM)."""
    path = sqlite_path(environ)
    if path is None or not path.is_file():
        return None
    try:
        connection = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, timeout=30, isolation_level=None
        )
    except sqlite3.Error:
        return None
    try:
        connection.execute("BEGIN")
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        revision = None
    if revision is None or revision[0] != HEAD_REVISION:
        connection.close()
        return None
    return SqliteReader(connection)


def stored_time(moment: datetime) -> str:
    """A UTC instant as SQLAlchemy stores it on SQLite, so comparisons in SQL agree."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# Every week in the queue, one index probe each: DISTINCT reads the whole week index (4 ms on
# 100,000 entries against 0.14 ms here; bot/store/read_pg_more.py asks PostgreSQL the same way).
_WEEKS = (
    "WITH RECURSIVE weeks(week) AS (SELECT min(week) FROM entry UNION ALL"
    " SELECT (SELECT min(week) FROM entry WHERE week > weeks.week) FROM weeks"
    " WHERE weeks.week IS NOT NULL) SELECT week FROM weeks WHERE week IS NOT NULL"
)


def _time(value: str | None) -> datetime | None:
    # SQLAlchemy stores UTC without an offset ("2026-11-27 23:50:33.386439").
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _converters(names: Sequence[str]) -> list[tuple[int, Any]]:
    converters: list[tuple[int, Any]] = []
    for index, name in enumerate(names):
        if name in TIME_COLUMNS:
            converters.append((index, _time))
        elif name in _JSON_COLUMNS:
            converters.append((index, lambda text: json.loads(text or "[]")))
    return converters


class SqliteReader(LedgerReads, SharedReads):
    """`bot.store.reader.Reader` on one read-only connection, inside one read transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def __enter__(self) -> SqliteReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._db.close()

    def entry_heads(self, week: str | None, statuses: Sequence[str]) -> Heads | None:
        """`list --json`'s entries as JSON text written by SQLite (bot/store/entry_json.py)."""
        from bot.store.entry_json import sqlite_heads

        return sqlite_heads(self._db, week, statuses, _time)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._db.execute(sql, params))

    def _records(self, record_type: type[Any], sql: str, params: Sequence[Any] = ()) -> list[Any]:
        names = field_names(record_type)
        converters = _converters(names)
        records = []
        for row in self._db.execute(sql, params):
            values = list(row)
            for index, convert in converters:
                values[index] = convert(values[index])
            records.append(record_type(*values))
        return records

    def entries(self, *, week: str | None, statuses: Sequence[str]) -> list[EntryRecord]:
        where, params = ["1"], []
        if week:
            where.append("week = ?")
            params.append(week)
        if statuses:
            where.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        sql = f"SELECT {_columns(EntryRecord, 'entry')} FROM entry WHERE {' AND '.join(where)}"
        return self._records(EntryRecord, sql + " ORDER BY week, position", params)

    def entries_by_id(self, entry_ids: Sequence[int]) -> dict[int, EntryRecord]:
        sql = (
            f"SELECT {_columns(EntryRecord, 'entry')} FROM entry "
            "WHERE id IN (SELECT value FROM json_each(?))"
        )
        return {e.id: e for e in self._records(EntryRecord, sql, [json.dumps(list(entry_ids))])}

    def posts_for(self, entry_ids: Sequence[int]) -> dict[int, list[PostRecord]]:
        grouped: dict[int, list[PostRecord]] = {entry_id: [] for entry_id in entry_ids}
        if entry_ids:
            sql = (
                f"SELECT {_columns(PostRecord, 'post')} FROM post "
                "WHERE entry_id IN (SELECT value FROM json_each(?)) ORDER BY id"
            )
            for post in self._records(PostRecord, sql, [json.dumps(list(entry_ids))]):
                grouped.setdefault(post.entry_id, []).append(post)
        return grouped

    def attempts_for(self, post_ids: Sequence[int]) -> dict[int, list[AttemptRecord]]:
        grouped: dict[int, list[AttemptRecord]] = {post_id: [] for post_id in post_ids}
        if post_ids:
            sql = (
                f"SELECT {_columns(AttemptRecord, 'attempt')} FROM attempt "
                "WHERE post_id IN (SELECT value FROM json_each(?)) ORDER BY id"
            )
            for attempt in self._records(AttemptRecord, sql, [json.dumps(list(post_ids))]):
                grouped.setdefault(attempt.post_id, []).append(attempt)
        return grouped

    def latest_engagement(self, post_ids: Sequence[int]) -> dict[int, EngagementRecord]:
        sql = (
            f"SELECT {_columns(EngagementRecord, 'engagement')} FROM engagement "
            "WHERE id IN (SELECT max(id) FROM engagement "
            "WHERE post_id IN (SELECT value FROM json_each(?)) GROUP BY post_id)"
        )
        records = self._records(EngagementRecord, sql, [json.dumps(list(post_ids))])
        return {record.post_id: record for record in records}

    def history(self, filters: HistoryFilter) -> list[tuple[PostRecord, EntryRecord]]:
        where, params = ["1"], []
        for clause, value in (
            ("entry.week = ?", filters.week),
            ("post.updated_at >= ?", stored_time(filters.since) if filters.since else None),
            ("post.status = ?", filters.status),
            ("post.channel = ?", filters.channel),
        ):
            if value:
                where.append(clause)
                params.append(value)
        sql = (
            f"SELECT post.id FROM post JOIN entry ON entry.id = post.entry_id "
            f"WHERE {' AND '.join(where)} ORDER BY post.updated_at DESC, post.id DESC"
        )
        post_ids = [row[0] for row in self._db.execute(sql, params)]
        posts_sql = (
            f"SELECT {_columns(PostRecord, 'post')} FROM post "
            "WHERE id IN (SELECT value FROM json_each(?))"
        )
        posts = {p.id: p for p in self._records(PostRecord, posts_sql, [json.dumps(post_ids)])}
        entries = self.entries_by_id(sorted({p.entry_id for p in posts.values()}))
        return [(posts[i], entries[posts[i].entry_id]) for i in post_ids]

    def plan_entries(self, channel: str, *, per_week: int | None = None) -> list[PlanEntry]:
        # bot/posting/planning.py's keep_for_plan in SQL: one indexed query per week (a
        # 100,000-entry queue holds a few dozen weeks), plus the entries with `at` or a retry.
        # Only entries that target the channel and whose post there is not done; the retry
        # time is that post's. A post awaiting the operator's decision takes no slot.
        params: list[Any] = [channel]
        if channel == DRY_RUN_CHANNEL:
            wanted = (
                "NOT EXISTS (SELECT 1 FROM post WHERE post.entry_id = entry.id"
                " AND post.channel = ? AND post.created_at >= entry.updated_at)"
            )
            retry = "NULL"
        else:
            wanted = (
                "EXISTS (SELECT 1 FROM json_each(entry.channels) WHERE value = ?)"
                " AND NOT EXISTS (SELECT 1 FROM post WHERE post.entry_id = entry.id"
                " AND post.channel = ? AND (post.status IN ('posted', 'failed')"
                " OR (post.status = 'posting' AND post.decision_needed_at IS NOT NULL)))"
            )
            retry = (
                "(SELECT post.next_attempt_at FROM post WHERE post.entry_id = entry.id"
                " AND post.channel = ?)"
            )
            params = [channel] * 3  # the retry time's, the target's and the post's
        inner = (
            f"SELECT id, position, week, at, {retry} AS retry_at FROM entry"
            f" WHERE status IN ('queued', 'posting') AND {wanted}"
        )
        columns = f"SELECT id, position, week, at, retry_at FROM ({inner}) WHERE 1"
        if per_week is None:
            queries = [(columns, params)]
        else:
            weeks = [week for (week,) in self._db.execute(_WEEKS)]
            # Retrying entries are found from their posts: computing retry_at for every
            # queued entry would cost a correlated lookup per row.
            retrying = " AND id IN (SELECT entry_id FROM post WHERE channel = ?"
            retrying += " AND next_attempt_at IS NOT NULL) AND retry_at IS NOT NULL"
            queries = [
                (columns + " AND at IS NOT NULL", params),
                (columns + retrying, [*params, channel]),
            ]
            queries += [
                (
                    columns + " AND week = ? AND at IS NULL AND retry_at IS NULL"
                    " ORDER BY position, id LIMIT ?",
                    [*params, week, per_week],
                )
                for week in weeks
            ]
        rows = {row[0]: row for sql, values in queries for row in self._db.execute(sql, values)}
        return [
            PlanEntry(id=i, position=p, week=w, at=_time(a), next_attempt_at=_time(n))
            for i, p, w, a, n in (rows[key] for key in sorted(rows))
        ]

    def recent_post_times(self, channel: str, since: datetime) -> list[datetime]:
        sql = (
            "SELECT posted_at FROM post WHERE channel = ? AND status = 'posted' AND posted_at >= ?"
        )
        rows = self._db.execute(sql, [channel, stored_time(since)])
        return [moment for (value,) in rows if (moment := _time(value)) is not None]
