"""The read layer through SQLModel: PostgreSQL, and SQLite files that needed migrating.

Same answers as bot/store/read_sqlite.py (tests/store/test_read_layer.py holds them to it); ORM
rows are
copied into the plain records of bot/store/read_records.py so nothing downstream sees which path
ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import col, select

from bot.schedule.plan_entry import PlanEntry
from bot.store.engine import session_scope
from bot.store.ledger import post_costs
from bot.store.models import (
    Attempt,
    ChannelState,
    DaemonState,
    EngagementSnapshot,
    Entry,
    Post,
    XLedger,
)
from bot.store.money import BUDGET_REACHED
from bot.store.read_records import (
    DRY_RUN_CHANNEL,
    AttemptRecord,
    ChannelRecord,
    DaemonRecord,
    EngagementRecord,
    EntryRecord,
    HistoryFilter,
    PostRecord,
    from_object,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class OrmReader:
    """`bot.store.reader.Reader` over an engine; each method is one short session."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _all(self, query: Any) -> list[Any]:
        with session_scope(self.engine, write=False) as session:
            return list(session.exec(query).all())

    def entries(self, *, week: str | None, statuses: Sequence[str]) -> list[EntryRecord]:
        query = select(Entry)
        if week:
            query = query.where(Entry.week == week)
        if statuses:
            query = query.where(col(Entry.status).in_(list(statuses)))
        query = query.order_by(col(Entry.week), col(Entry.position))
        return [from_object(EntryRecord, e) for e in self._all(query)]

    def entries_by_id(self, entry_ids: Sequence[int]) -> dict[int, EntryRecord]:
        query = select(Entry).where(col(Entry.id).in_(list(entry_ids)))
        return {e.id: from_object(EntryRecord, e) for e in self._all(query)}

    def posts_for(self, entry_ids: Sequence[int]) -> dict[int, list[PostRecord]]:
        grouped: dict[int, list[PostRecord]] = {entry_id: [] for entry_id in entry_ids}
        if entry_ids:
            query = select(Post).where(col(Post.entry_id).in_(list(entry_ids)))
            for post in self._all(query.order_by(col(Post.id))):
                grouped.setdefault(post.entry_id, []).append(from_object(PostRecord, post))
        return grouped

    def attempts_for(self, post_ids: Sequence[int]) -> dict[int, list[AttemptRecord]]:
        grouped: dict[int, list[AttemptRecord]] = {post_id: [] for post_id in post_ids}
        if post_ids:
            query = select(Attempt).where(col(Attempt.post_id).in_(list(post_ids)))
            for attempt in self._all(query.order_by(col(Attempt.id))):
                grouped.setdefault(attempt.post_id, []).append(from_object(AttemptRecord, attempt))
        return grouped

    def latest_engagement(self, post_ids: Sequence[int]) -> dict[int, EngagementRecord]:
        if not post_ids:
            return {}
        newest = (
            select(func.max(col(EngagementSnapshot.id)))
            .where(col(EngagementSnapshot.post_id).in_(list(post_ids)))
            .group_by(col(EngagementSnapshot.post_id))
        )
        query = select(EngagementSnapshot).where(col(EngagementSnapshot.id).in_(newest))
        records = [from_object(EngagementRecord, row) for row in self._all(query)]
        return {record.post_id: record for record in records}

    def history(self, filters: HistoryFilter) -> list[tuple[PostRecord, EntryRecord]]:
        query = select(Post, Entry).join(Entry, col(Entry.id) == col(Post.entry_id))
        if filters.week:
            query = query.where(Entry.week == filters.week)
        if filters.since:
            query = query.where(col(Post.updated_at) >= filters.since)
        if filters.status:
            query = query.where(Post.status == filters.status)
        if filters.channel:
            query = query.where(Post.channel == filters.channel)
        query = query.order_by(col(Post.updated_at).desc(), col(Post.id).desc())
        return [
            (from_object(PostRecord, post), from_object(EntryRecord, entry))
            for post, entry in self._all(query)
        ]

    def count_by_status(self) -> dict[str, int]:
        query = select(Entry.status, func.count()).group_by(col(Entry.status))
        return {status: count for status, count in self._all(query)}

    def channel_states(self) -> list[ChannelRecord]:
        return [from_object(ChannelRecord, s) for s in self._all(select(ChannelState))]

    def daemon_state(self) -> DaemonRecord | None:
        with session_scope(self.engine, write=False) as session:
            state = session.get(DaemonState, 1)
        return None if state is None else from_object(DaemonRecord, state)

    def last_failed_entry(self) -> EntryRecord | None:
        query = (
            select(Entry)
            .where(col(Entry.last_error).is_not(None))
            .order_by(col(Entry.updated_at).desc(), col(Entry.id).desc())
            .limit(1)
        )
        found = self._all(query)
        return from_object(EntryRecord, found[0]) if found else None

    def plan_entries(self, channel: str, *, per_week: int | None = None) -> list[PlanEntry]:
        from bot.schedule.reach import keep_for_plan

        query = select(Entry).where(col(Entry.status).in_(["queued", "posting"]))
        rows: list[tuple[Entry, Post | None]]
        if channel == DRY_RUN_CHANNEL:
            rehearsed = (
                select(Post.id)
                .where(
                    col(Post.entry_id) == col(Entry.id),
                    Post.channel == DRY_RUN_CHANNEL,
                    col(Post.created_at) >= col(Entry.updated_at),
                )
                .exists()
            )
            rows = [(entry, None) for entry in self._all(query.where(~rehearsed))]
        else:
            rows = self._for_channel(channel)
        entries = [
            PlanEntry(
                id=entry.id or 0,
                position=entry.position,
                week=entry.week,
                at=entry.at,
                next_attempt_at=None if post is None else post.next_attempt_at,
            )
            for entry, post in sorted(rows, key=lambda row: row[0].id or 0)
        ]
        return entries if per_week is None else keep_for_plan(entries, per_week)

    def _for_channel(self, channel: str) -> list[tuple[Entry, Post | None]]:
        """Entries targeting `channel` whose post there is not done (nor awaiting a decision),
        with that post if there is one (its retry time is the one that counts)."""
        joined = (
            select(Entry, Post)
            .outerjoin(Post, (col(Post.entry_id) == col(Entry.id)) & (col(Post.channel) == channel))
            .where(col(Entry.status).in_(["queued", "posting"]))
        )
        rows: list[tuple[Entry, Post | None]] = []
        for entry, post in self._all(joined):
            if channel not in entry.channels:
                continue
            if post is not None and (
                post.status in ("posted", "failed") or post.decision_needed_at is not None
            ):
                continue
            rows.append((entry, post))
        return rows

    def undecided_posts(self) -> list[PostRecord]:
        query = (
            select(Post)
            .where(Post.status == "posting", col(Post.decision_needed_at).is_not(None))
            .order_by(col(Post.entry_id), col(Post.id))
        )
        return [from_object(PostRecord, post) for post in self._all(query)]

    def recent_post_times(self, channel: str, since: datetime) -> list[datetime]:
        query = select(Post.posted_at).where(
            Post.channel == channel,
            Post.status == "posted",
            col(Post.posted_at) >= since,
        )
        return [moment for moment in self._all(query) if moment is not None]

    def post_costs(self, post_ids: Sequence[int]) -> dict[int, int]:
        with session_scope(self.engine, write=False) as session:
            return post_costs(session, post_ids)

    def x_spent(self, start: datetime, end: datetime) -> int:
        query = select(func.coalesce(func.sum(XLedger.amount), 0)).where(
            col(XLedger.billed_at) >= start, col(XLedger.billed_at) < end
        )
        return int(self._all(query)[0])

    def budget_held_posts(self) -> list[PostRecord]:
        query = (
            select(Post)
            .where(
                Post.channel == "x",
                Post.status == "retrying",
                col(Post.last_error).startswith(BUDGET_REACHED),
            )
            .order_by(col(Post.entry_id), col(Post.id))
        )
        return [from_object(PostRecord, post) for post in self._all(query)]
