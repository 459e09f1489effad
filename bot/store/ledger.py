"""The X ledger: what paperbot spent on X, per post and per calendar month (UTC).

Every billable request X answered is a row of `x_ledger` (bot/store/models.py), in integer
micro-dollars, written in the caller's session (committing is the caller's job). Reads are
billed per post returned, and a post X already returned the same UTC day is free: the ledger is
where that is known, so `record_reads` prices them. The budget questions (`month_spent`,
`can_spend`) are asked here too, by posting today and by engagement reads later, so every
spender checks the same sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.store.models import XLedger
from bot.store.money import day_bounds, month_bounds

if TYPE_CHECKING:
    from sqlmodel import Session

__all__ = [
    "Billed",
    "can_spend",
    "month_spent",
    "post_costs",
    "record_billed",
    "record_reads",
]

READ = "post_read"
CREATES = ("post", "post_with_link")


@dataclass(frozen=True)
class Billed:
    """One billable request to record (the store's own shape: it knows no channel types)."""

    kind: str
    amount: int  # micro-dollars
    remote_id: str | None = None


def record_billed(
    session: Session,
    items: Iterable[Billed],
    *,
    now: datetime,
    post_id: int | None = None,
    entry_id: int | None = None,
) -> int:
    """Record creates and alt-text requests as billed; returns the micro-dollars recorded."""
    total = 0
    for item in items:
        session.add(
            XLedger(
                billed_at=now,
                kind=item.kind,
                amount=item.amount,
                post_id=post_id,
                entry_id=entry_id,
                remote_id=item.remote_id,
            )
        )
        total += item.amount
    return total


def record_reads(
    session: Session,
    remote_ids: Sequence[str],
    *,
    unit_price: int,
    now: datetime,
    post_id: int | None = None,
    entry_id: int | None = None,
) -> int:
    """Record a read that returned `remote_ids`: each is billed `unit_price` unless X returned
    it already this UTC day (or earlier in the same read). Returns the micro-dollars billed.

    For settling (attributed to the post being settled) and, later, engagement reads (N posts,
    attributed to each or to none).
    """
    from sqlmodel import col, select

    wanted = list(dict.fromkeys(remote_ids))
    if not wanted:
        return 0
    start, end = day_bounds(now)
    seen = set(
        session.exec(
            select(XLedger.remote_id).where(
                XLedger.kind == READ,
                col(XLedger.remote_id).in_(wanted),
                col(XLedger.billed_at) >= start,
                col(XLedger.billed_at) < end,
            )
        ).all()
    )
    fresh = [remote_id for remote_id in wanted if remote_id not in seen]
    items = [Billed(READ, unit_price, remote_id) for remote_id in fresh]
    return record_billed(session, items, now=now, post_id=post_id, entry_id=entry_id)


def month_spent(session: Session, now: datetime) -> int:
    """Micro-dollars recorded in the UTC calendar month of `now`."""
    from sqlalchemy import func
    from sqlmodel import col, select

    start, end = month_bounds(now)
    total = session.exec(
        select(func.coalesce(func.sum(XLedger.amount), 0)).where(
            col(XLedger.billed_at) >= start, col(XLedger.billed_at) < end
        )
    ).one()
    return int(total)


def can_spend(session: Session, amount: int, *, budget: int | None, now: datetime) -> bool:
    """Whether spending `amount` more micro-dollars now keeps this month within `budget`
    (None: no budget). The one question every X spender asks before a request."""
    if budget is None:
        return True
    return month_spent(session, now) + amount <= budget


def create_recorded(session: Session, post_id: int) -> bool:
    """Whether the post's create is already in the ledger (never bill one create twice)."""
    from sqlmodel import col, select

    found = session.exec(
        select(XLedger.id).where(XLedger.post_id == post_id, col(XLedger.kind).in_(CREATES))
    ).first()
    return found is not None


def post_costs(session: Session, post_ids: Sequence[int]) -> dict[int, int]:
    """Micro-dollars recorded per post (every id present, 0 when none)."""
    from sqlalchemy import func
    from sqlmodel import col, select

    costs = dict.fromkeys(post_ids, 0)
    if post_ids:
        rows = session.exec(
            select(XLedger.post_id, func.sum(XLedger.amount))
            .where(col(XLedger.post_id).in_(list(post_ids)))
            .group_by(col(XLedger.post_id))
        ).all()
        costs.update({int(post_id): int(total) for post_id, total in rows if post_id is not None})
    return costs


def give_staged_charges(session: Session, *, entry_id: int, post_id: int) -> None:
    """What X billed for the entry before it had a post (alt texts of images staged ahead of
    the slot, bot/posting/staged.py) now belongs to its post, so the post's cost includes it."""
    from sqlmodel import col, select

    rows = session.exec(
        select(XLedger).where(XLedger.entry_id == entry_id, col(XLedger.post_id).is_(None))
    ).all()
    for row in rows:
        row.post_id = post_id
        session.add(row)
