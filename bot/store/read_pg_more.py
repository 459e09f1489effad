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

_ACTIVE = "entry.status IN ('queued', 'posting')"
_POST = "SELECT 1 FROM post WHERE post.entry_id = entry.id AND post.channel = %(channel)s"
# Per channel: (which entries, their retry time, "has no retry time", "has one"). The dry run:
# entries not rehearsed since their last edit, never a retry time. A real channel: entries that
# target it and whose post there (one at most) is neither done nor awaiting the operator's
# decision; the retry time is that post's. Written as (NOT) EXISTS rather than an outer join:
# the planner then estimates the rows well and reads each week in index order up to its limit.
_REHEARSAL = (
    f"NOT EXISTS ({_POST} AND post.created_at >= entry.updated_at)",
    "NULL::timestamptz",
    "TRUE",
    "FALSE",
)
_FOR_CHANNEL = (
    "EXISTS (SELECT 1 FROM json_array_elements_text(entry.channels) AS target"
    f" WHERE target = %(channel)s) AND NOT EXISTS ({_POST}"
    " AND (post.status IN ('posted', 'failed') OR post.decision_needed_at IS NOT NULL))",
    "(SELECT post.next_attempt_at FROM post WHERE post.entry_id = entry.id"
    " AND post.channel = %(channel)s)",
    f"NOT EXISTS ({_POST} AND post.next_attempt_at IS NOT NULL)",
    "entry.id IN (SELECT post.entry_id FROM post WHERE post.channel = %(channel)s"
    " AND post.next_attempt_at IS NOT NULL)",
)
# Every week in the queue, one index probe each (PostgreSQL has no skip scan of its own).
_WEEKS = (
    "WITH RECURSIVE weeks(week) AS (SELECT min(week) FROM entry UNION ALL"
    " SELECT (SELECT min(entry.week) FROM entry WHERE entry.week > weeks.week) FROM weeks"
    " WHERE weeks.week IS NOT NULL) "
)


_PLAN_COLUMNS = ("id", "position", "week", "at", "retry_at")  # plan_sql's, in its order


def plan_sql(channel: str, per_week: int | None) -> str:
    """bot/schedule/reach.py's keep_for_plan in SQL: the entries with `at` or a retry time,
    and of each week's others the first `per_week` by position, then id (one index scan per
    week, stopped at the limit, instead of reading a 100,000-entry queue)."""
    wanted, retry, no_retry, has_retry = _REHEARSAL if channel == DRY_RUN_CHANNEL else _FOR_CHANNEL
    columns = f"SELECT entry.id, entry.position, entry.week, entry.at, {retry} AS retry_at"
    base = f"{columns} FROM entry WHERE {_ACTIVE} AND {wanted}"
    if per_week is None:
        return base + " ORDER BY entry.id"
    return (
        f"{_WEEKS}{base} AND entry.at IS NOT NULL UNION {base} AND {has_retry}"
        " UNION SELECT top.* FROM weeks CROSS JOIN LATERAL"
        f" ({base} AND entry.week = weeks.week AND entry.at IS NULL AND {no_retry}"
        " ORDER BY entry.position, entry.id LIMIT %(per_week)s) AS top"
        " WHERE weeks.week IS NOT NULL ORDER BY 1"
    )


class PgMoreReads:
    """Mixed into PgReader, which supplies the rows and the record builder."""

    _rows: Callable[..., list[tuple[Any, ...]]]  # PgReader's: one query's rows
    _named_rows: Callable[..., list[tuple[Any, ...]]]  # the same, for columns it names
    _records: Callable[..., list[Any]]  # PgReader's: rows as records

    def plan_entries(self, channel: str, *, per_week: int | None = None) -> list[PlanEntry]:
        sql, params = plan_sql(channel, per_week), {"channel": channel, "per_week": per_week}
        rows = self._named_rows(sql, params, _PLAN_COLUMNS)  # (a row each for 52 weeks' heads)
        return [
            PlanEntry(id=i, position=p, week=w, at=a, next_attempt_at=n) for i, p, w, a, n in rows
        ]

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
