"""The reads whose SQL is the same on both stores, mixed into the SQLite and PostgreSQL readers.

Each reader supplies ``_rows`` (one query's rows, values as the driver gives them) and
``_records`` (rows as read records, times and JSON converted for its store); the SQL here uses
no placeholders, so it needs neither store's parameter style.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.store.read_records import (
    ChannelRecord,
    DaemonRecord,
    EntryRecord,
    PostRecord,
    field_names,
)

__all__ = ["SharedReads", "columns"]


def columns(record_type: type, table: str) -> str:
    """The record's fields as ``table.field`` for a SELECT list, in the record's order."""
    return ", ".join(f"{table}.{name}" for name in field_names(record_type))


class SharedReads:
    """Part of `bot.store.reader.Reader`: status's reads."""

    _rows: Callable[..., list[tuple[Any, ...]]]
    _records: Callable[..., list[Any]]

    def count_by_status(self) -> dict[str, int]:
        sql = "SELECT status, count(*) FROM entry GROUP BY status"
        return {status: count for status, count in self._rows(sql)}

    def channel_states(self) -> list[ChannelRecord]:
        sql = f"SELECT {columns(ChannelRecord, 'channel_state')} FROM channel_state"
        return self._records(ChannelRecord, sql)

    def daemon_state(self) -> DaemonRecord | None:
        sql = f"SELECT {columns(DaemonRecord, 'daemon_state')} FROM daemon_state WHERE id = 1"
        found = self._records(DaemonRecord, sql)
        return found[0] if found else None

    def last_failed_entry(self) -> EntryRecord | None:
        # Through the partial index ix_entry_last_failed (migration 0009): never a scan.
        sql = (
            f"SELECT {columns(EntryRecord, 'entry')} FROM entry WHERE last_error IS NOT NULL "
            "ORDER BY updated_at DESC, id DESC LIMIT 1"
        )
        found = self._records(EntryRecord, sql)
        return found[0] if found else None

    def undecided_posts(self) -> list[PostRecord]:
        sql = (
            f"SELECT {columns(PostRecord, 'post')} FROM post WHERE status = 'posting'"
            " AND decision_needed_at IS NOT NULL ORDER BY entry_id, id"
        )
        return self._records(PostRecord, sql)
