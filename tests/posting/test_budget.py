"""The monthly budget's arithmetic on both stores: the month's spending, plus the creates of
posts still in flight (reserved once, and no longer once booked), plus this post's price."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels.x.billing import XPrices
from bot.posting.budget import BudgetGate, can_spend_now
from bot.posting.x_costs import XCostPolicy
from bot.store.engine import open_database, session_scope
from bot.store.ledger import Billed, record_billed
from bot.store.models import Entry, Post

NOW = datetime(2026, 12, 30, 23, 0, tzinfo=UTC)
LINKED = "A finding.\nhttps://example.org/a"


@pytest.fixture
def engine(database_url: str) -> Iterator[Any]:
    engine = open_database({"PAPERBOT_DATABASE_URL": database_url})
    yield engine
    engine.dispose()


def entry_with_post(engine: Any, n: int, status: str | None) -> tuple[int, int | None]:
    with session_scope(engine) as session:
        entry = Entry(url=f"https://example.org/{n}", week="2026-W53", channels=["x"])
        session.add(entry)
        session.flush()
        assert entry.id is not None
        if status is None:
            return entry.id, None
        post = Post(entry_id=entry.id, channel="x", status=status, text=LINKED, created_at=NOW)
        session.add(post)
        session.flush()
        return entry.id, post.id


def test_a_post_in_flight_is_reserved_once_and_the_held_post_waits_for_next_month(
    engine: Any,
) -> None:
    gate = BudgetGate(engine, 400_000, XPrices())
    _, done_post = entry_with_post(engine, 1, "posted")
    with session_scope(engine) as session:
        record_billed(session, [Billed("post_with_link", 200_000)], now=NOW, post_id=done_post)
    flying, flying_post = entry_with_post(engine, 2, "posting")  # its answer was lost
    waiting, _ = entry_with_post(engine, 3, None)

    message = gate.hold_if_over(waiting, LINKED, 200_000, NOW)
    expected = "X budget reached: $0.40 of $0.40 this month; X posts resume on 2027-01-01"
    assert message == expected
    # The post in flight itself is not held by its own reservation.
    assert gate.hold_if_over(flying, LINKED, 200_000, NOW) is None
    # Settled: its create is booked, and counted once (still $0.40, not $0.60).
    with session_scope(engine) as session:
        record_billed(session, [Billed("post_with_link", 200_000)], now=NOW, post_id=flying_post)
    assert gate.hold_if_over(waiting, LINKED, 200_000, NOW) == expected
    # What an engagement read asks: $0.40 spent of $0.40, nothing left; a bigger budget has.
    assert not can_spend_now(engine, XCostPolicy(XPrices(), 400_000), 5_000, NOW)
    assert can_spend_now(engine, XCostPolicy(XPrices(), 405_000), 5_000, NOW)
    assert can_spend_now(engine, XCostPolicy(XPrices(), None), 10**9, NOW)
    # A post the rest of the budget still pays for goes.
    assert (
        BudgetGate(engine, 415_000, XPrices()).hold_if_over(waiting, "plain", 15_000, NOW) is None
    )

    with session_scope(engine) as session:
        entry = session.get(Entry, waiting)
        assert entry is not None
        [post] = [p for p in session.exec(select_posts(waiting))]
        assert (entry.status, entry.last_error) == ("queued", expected)
        assert (post.status, post.attempts) == ("retrying", 0)
        assert post.next_attempt_at == datetime(2027, 1, 1, tzinfo=UTC)


def test_no_budget_holds_nothing(engine: Any) -> None:
    waiting, _ = entry_with_post(engine, 1, None)
    assert BudgetGate(engine, None, XPrices()).hold_if_over(waiting, LINKED, 10**9, NOW) is None


def select_posts(entry_id: int) -> Any:
    from sqlmodel import select

    return select(Post).where(Post.entry_id == entry_id)
