"""The X ledger's part of the SQLite read layer (bot/store/read_sqlite.py), standard library only:
what each post cost, what a span of time cost, and which X posts wait for next month's budget.
Same answers as bot/store/read_orm.py, which asks bot/store/ledger.py.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.store.money import BUDGET_REACHED
from bot.store.read_records import PostRecord, field_names


def _stored(moment: datetime) -> str:
    # As SQLAlchemy stores a UTC instant on SQLite (bot/store/read_sqlite.py's stored_time).
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class LedgerReads:
    """Mixed into SqliteReader, which supplies the connection and the record builder."""

    _db: sqlite3.Connection
    _records: Callable[..., list[Any]]  # SqliteReader's: rows as records

    def post_costs(self, post_ids: Sequence[int]) -> dict[int, int]:
        costs = dict.fromkeys(post_ids, 0)
        if post_ids:
            sql = (
                "SELECT post_id, sum(amount) FROM x_ledger"
                " WHERE post_id IN (SELECT value FROM json_each(?)) GROUP BY post_id"
            )
            for post_id, total in self._db.execute(sql, [json.dumps(list(post_ids))]):
                costs[post_id] = int(total)
        return costs

    def x_spent(self, start: datetime, end: datetime) -> int:
        sql = "SELECT coalesce(sum(amount), 0) FROM x_ledger WHERE billed_at >= ? AND billed_at < ?"
        (total,) = self._db.execute(sql, [_stored(start), _stored(end)]).fetchone()
        return int(total)

    def budget_held_posts(self) -> list[PostRecord]:
        columns = ", ".join(f"post.{name}" for name in field_names(PostRecord))
        sql = (
            f"SELECT {columns} FROM post WHERE channel = 'x' AND status = 'retrying'"
            " AND last_error LIKE ? ORDER BY entry_id, id"
        )
        return self._records(PostRecord, sql, [BUDGET_REACHED + "%"])
