"""The timetable's and the X ledger's part of the PostgreSQL read layer (bot/store/read_pg.py):
which entries the plan may place, what each post cost, what a span of time cost, and which X
posts wait for next month's budget. Same answers as bot/store/read_orm.py (which asks
bot/store/ledger.py) and bot/store/read_sqlite.py; psycopg only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.schedule.plan_entry import PlanEntry
from bot.store.money import BUDGET_REACHED
from bot.store.read_records import DRY_RUN_CHANNEL, PostRecord, field_names

# The dry-run channel: entries not rehearsed since their last edit (no retry time there).
_REHEARSAL = (
    "SELECT entry.id, entry.position, entry.week, entry.at, NULL::timestamptz FROM entry"
    " WHERE entry.status IN ('queued', 'posting') AND NOT EXISTS (SELECT 1 FROM post"
    " WHERE post.entry_id = entry.id AND post.channel = %s"
    " AND post.created_at >= entry.updated_at) ORDER BY entry.id"
)
# A real channel: entries that target it and whose post there is neither done nor awaiting the
# operator's decision; the retry time is that post's.
_FOR_CHANNEL = (
    "SELECT entry.id, entry.position, entry.week, entry.at, post.next_attempt_at FROM entry"
    " LEFT JOIN post ON post.entry_id = entry.id AND post.channel = %s"
    " WHERE entry.status IN ('queued', 'posting')"
    " AND EXISTS (SELECT 1 FROM json_array_elements_text(entry.channels) AS target"
    " WHERE target = %s)"
    " AND (post.id IS NULL OR (post.status NOT IN ('posted', 'failed')"
    " AND post.decision_needed_at IS NULL)) ORDER BY entry.id"
)


class PgMoreReads:
    """Mixed into PgReader, which supplies the rows and the record builder."""

    _rows: Callable[..., list[tuple[Any, ...]]]  # PgReader's: one query's rows
    _records: Callable[..., list[Any]]  # PgReader's: rows as records

    def plan_entries(self, channel: str, *, per_week: int | None = None) -> list[PlanEntry]:
        from bot.schedule.reach import keep_for_plan

        if channel == DRY_RUN_CHANNEL:
            rows = self._rows(_REHEARSAL, [channel])
        else:
            rows = self._rows(_FOR_CHANNEL, [channel, channel])
        entries = [
            PlanEntry(id=i, position=p, week=w, at=a, next_attempt_at=n) for i, p, w, a, n in rows
        ]
        return entries if per_week is None else keep_for_plan(entries, per_week)

    def post_costs(self, post_ids: Sequence[int]) -> dict[int, int]:
        costs = dict.fromkeys(post_ids, 0)
        if post_ids:
            sql = (
                "SELECT post_id, sum(amount) FROM x_ledger WHERE post_id = ANY(%s) GROUP BY post_id"
            )
            for post_id, total in self._rows(sql, [list(post_ids)]):
                costs[post_id] = int(total)
        return costs

    def x_spent(self, start: datetime, end: datetime) -> int:
        sql = (
            "SELECT coalesce(sum(amount), 0) FROM x_ledger WHERE billed_at >= %s AND billed_at < %s"
        )
        [(total,)] = self._rows(sql, [start, end])
        return int(total)

    def budget_held_posts(self) -> list[PostRecord]:
        columns = ", ".join(f"post.{name}" for name in field_names(PostRecord))
        sql = (
            f"SELECT {columns} FROM post WHERE channel = 'x' AND status = 'retrying'"
            " AND starts_with(last_error, %s) ORDER BY entry_id, id"
        )
        return self._records(PostRecord, sql, [BUDGET_REACHED])
