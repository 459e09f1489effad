"""The X ledger on both stores: reads free again within the UTC day, money kept when entries
are removed, and (a property) whatever the queue and its bills, the posts' `cost` in the JSON
users see adds up to the month's `spent` in `status`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.posting.status import x_costs
from bot.reports.entries import entry_documents
from bot.store.engine import open_database, session_scope
from bot.store.ledger import (
    Billed,
    can_spend,
    month_spent,
    post_costs,
    record_billed,
    record_reads,
)
from bot.store.models import Entry, Post, XLedger
from bot.store.reader import open_reader
from tests.conftest import Paperbot

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
MONTH_START = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Any]:
    engine = open_database({"PAPERBOT_DATABASE_URL": database_url})
    yield engine
    engine.dispose()


def test_a_post_read_again_the_same_utc_day_is_free(engine: Any) -> None:
    with session_scope(engine) as session:
        first = record_reads(session, ["1", "2", "2"], unit_price=5_000, now=NOW, post_id=7)
        again = record_reads(session, ["2", "3"], unit_price=5_000, now=NOW + timedelta(hours=8))
        tomorrow = record_reads(session, ["1"], unit_price=5_000, now=NOW + timedelta(hours=9))
    assert (first, again, tomorrow) == (10_000, 5_000, 5_000)
    with session_scope(engine) as session:
        assert month_spent(session, NOW) == 20_000
        assert post_costs(session, [7, 8]) == {7: 10_000, 8: 0}
        assert can_spend(session, 5_000, budget=25_000, now=NOW)
        assert not can_spend(session, 5_001, budget=25_000, now=NOW)
        assert can_spend(session, 10**9, budget=None, now=NOW)
        # A new month starts from nothing.
        assert can_spend(session, 25_000, budget=25_000, now=datetime(2027, 1, 1, tzinfo=UTC))


def test_spending_stays_on_record_when_the_entry_is_removed(paperbot: Paperbot) -> None:
    result = paperbot("add", "https://example.org/a", "--no-fetch")
    entry_id = int(result.stdout)
    engine = paperbot.engine()
    with session_scope(engine) as session:
        post = Post(entry_id=entry_id, channel="x", status="failed", created_at=NOW)
        session.add(post)
        session.flush()
        record_billed(session, [Billed("media_metadata", 5_000)], now=NOW, post_id=post.id)
    assert paperbot("remove", str(entry_id)).exit_code == 0
    rows = paperbot.query("SELECT amount, post_id, entry_id FROM x_ledger")
    assert [row["amount"] for row in rows] == [5_000]
    with session_scope(engine) as session:
        assert month_spent(session, NOW) == 5_000
    engine.dispose()


# -- the property -------------------------------------------------------------------------------

KINDS = {"post": 15_000, "post_with_link": 200_000, "media_metadata": 5_000}
charge = st.one_of(
    st.tuples(st.sampled_from(sorted(KINDS)), st.just(()), st.integers(0, 30)),
    st.tuples(
        st.just("post_read"),
        st.lists(st.sampled_from([str(n) for n in range(8)]), max_size=5),
        st.integers(0, 30),
    ),
)
queue = st.lists(st.lists(charge, max_size=6), min_size=1, max_size=5)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(queue=queue)
def test_the_posts_costs_add_up_to_the_months_spent(paperbot: Paperbot, queue: Any) -> None:
    """Each post of the queue gets its bills (creates, alt texts, reads of posts the account
    has, on any day of the month); `list --json`'s costs sum to `status`'s `spent`."""
    engine = paperbot.engine()
    with session_scope(engine) as session:
        for table in (XLedger, Post, Entry):
            for row in session.exec(select_all(table)):
                session.delete(row)
    with session_scope(engine) as session:
        for index, bills in enumerate(queue):
            entry = Entry(url=f"https://example.org/{index}", week="2026-W49", channels=["x"])
            session.add(entry)
            session.flush()
            assert entry.id is not None
            post = Post(entry_id=entry.id, channel="x", status="posted", created_at=NOW)
            session.add(post)
            session.flush()
            for kind, remote_ids, day in bills:
                when = MONTH_START + timedelta(days=day, hours=index)
                if kind == "post_read":
                    record_reads(session, remote_ids, unit_price=5_000, now=when, post_id=post.id)
                else:
                    record_billed(session, [Billed(kind, KINDS[kind])], now=when, post_id=post.id)
    engine.dispose()
    with open_reader(paperbot.env, paperbot.engine) as reader:
        documents = entry_documents(reader, week=None, statuses=(), tz=ZoneInfo("UTC"))
        spent = x_costs(reader, NOW, None)["spent"]
    total = sum(Decimal(str(p["cost"])) for d in documents for p in d["posts"])
    assert total == Decimal(str(spent))
    assert len(documents) == len(queue)


def select_all(table: Any) -> Any:
    from sqlmodel import select

    return select(table)
