"""The batched insert (bot/store/entry_rows.py, used by `import` and the direct `add`) writes the
row bot/store/queue.py's `add_entry` writes, on both stores, and all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.store.entry_rows import ENTRY_COLUMNS, insert_entries
from bot.store.new_entry import NewEntry
from tests.conftest import Paperbot

NOW = datetime(2026, 3, 2, 8, 30, 15, 123456, tzinfo=UTC)
TOKYO = timezone(timedelta(hours=9))
NEW = [
    NewEntry(url="https://example.org/a", week="W", title="A", comment="Café 中文 🐦‍🔥."),
    NewEntry(
        url="https://arxiv.org/abs/2009.01835",
        week="W",
        arxiv_id="2009.01835",
        kind="article",
        images=({"source": "fig.png", "alt": 'Fig "1"'}, {"source": "b.png", "alt": ""}),
        at=datetime(2026, 3, 1, 9, 0, tzinfo=TOKYO),
        channels=("x", "bluesky", "mastodon"),
        authors="A. Author",
        abstract="We show.",
    ),
]


def test_the_columns_are_the_models_columns() -> None:
    from bot.store.models import Entry

    table = Entry.__table__  # type: ignore[attr-defined]
    assert set(ENTRY_COLUMNS) == {column.name for column in table.columns} - {"id"}


def _batch(engine: Any, new: list[NewEntry], first_position: int) -> dict[tuple[str, str], int]:
    from bot.store.engine import session_scope

    with session_scope(engine) as session:
        connection = session.connection()
        return insert_entries(
            connection.connection.cursor(),
            new,
            first_position=first_position,
            now=NOW,
            sqlite=connection.dialect.name == "sqlite",
        )


def _rows(paperbot: Paperbot, week: str) -> list[dict[str, Any]]:
    rows = paperbot.query("SELECT * FROM entry WHERE week = :week ORDER BY id", week=week)
    return [{k: v for k, v in row.items() if k not in ("id", "week")} for row in rows]


def test_a_batch_writes_the_rows_the_orm_writes(paperbot: Paperbot) -> None:
    from bot.store.engine import session_scope
    from bot.store.models import utcnow
    from bot.store.queue import add_entry

    engine = paperbot.engine()
    with session_scope(engine) as session:
        for position, new in enumerate(NEW, start=1):
            entry = add_entry(
                session=session,
                new=NewEntry(**{**new.__dict__, "week": "2026-W09"}),
                position=position,
            )
            entry.created_at = entry.updated_at = NOW  # add_entry reads the clock itself
            session.add(entry)
    assert utcnow() > NOW
    ids = _batch(engine, [NewEntry(**{**n.__dict__, "week": "2026-W10"}) for n in NEW], 1)
    assert sorted(ids) == sorted((n.url, "2026-W10") for n in NEW)
    by_orm, batched = _rows(paperbot, "2026-W09"), _rows(paperbot, "2026-W10")
    assert batched == by_orm
    assert [row["position"] for row in batched] == [1, 2]
    assert batched[1]["at"] is not None and batched[1]["images"]


def test_a_batch_is_all_or_nothing(paperbot: Paperbot) -> None:
    engine = paperbot.engine()
    assert _batch(engine, NEW[:1], 1) == {(NEW[0].url, "W"): 1}
    before = paperbot.dump()
    extra = NewEntry(url="https://example.org/new", week="W")
    with pytest.raises(Exception, match=r"(?i)unique"):
        _batch(engine, [extra, NEW[0]], 2)  # the second collides with the stored one
    assert paperbot.dump() == before
