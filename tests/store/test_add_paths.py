"""`paperbot add`: the direct paths (the standard library on a SQLite file at head, psycopg on a
PostgreSQL database at head) write the row the ORM path writes, refuse what it refuses, and
import no ORM."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Paperbot, imported_modules

ENTRIES = [
    ["https://example.org/a", "--comment", "Café 中文 🐦‍🔥.", "--title", "A", "--kind", "article"],
    ["arXiv:2009.01835v2", "--no-fetch", "--week", "2026-W7", "--at", "2026-03-01T09:00+09:00"],
    ["https://example.org/c", "--image", "fig.png", "--alt", 'Fig "1"', "--image", "fig.png"],
    ["https://example.org/a", "--week", "2026-W9", "--at", "2026-02-27 18:30"],
]
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")


@pytest.fixture
def store() -> str:
    """These tests are about the SQLite file paths (no ORM import): SQLite only."""
    return "sqlite"


def _rows(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        rows = [dict(row) for row in connection.execute("SELECT * FROM entry ORDER BY id")]
    for row in rows:
        assert STAMP.match(row.pop("created_at")) and STAMP.match(row.pop("updated_at")), row
    return rows


def _add_all(paperbot: Paperbot) -> list[str]:
    outputs = []
    for args in ENTRIES:
        result = paperbot("add", *args)
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    duplicate = paperbot("add", "https://example.org/a")
    assert duplicate.exit_code == 2 and duplicate.stdout == ""
    outputs.append(duplicate.stderr)
    return outputs


def test_the_direct_path_writes_the_rows_the_orm_writes(paperbot: Paperbot) -> None:
    (paperbot.workdir / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    paperbot.env["PAPERBOT_NOW"] = "2026-02-18T12:00:00+00:00"
    assert paperbot.json("list", "--json") == []  # creates and migrates the file: at head now
    fast = _add_all(paperbot)
    orm_db = paperbot.workdir / "orm.db"
    # A URL with options is never taken directly: the same CLI goes through the ORM.
    paperbot.env["PAPERBOT_DATABASE_URL"] = f"sqlite:///{orm_db}?timeout=30"
    slow = _add_all(paperbot)
    assert fast == slow == ["1\n", "2\n", "3\n", "4\n", fast[-1]]
    assert fast[-1] == "error: https://example.org/a is already queued for 2026-W08 as entry 1\n"
    assert _rows(paperbot.db_path) == _rows(orm_db)
    assert [row["week"] for row in _rows(orm_db)][1] == "2026-W07"


@pytest.mark.parametrize("store", ["postgres"])
def test_the_direct_path_on_postgres_writes_the_rows_the_orm_writes(paperbot: Paperbot) -> None:
    from bot.store.engine import session_scope
    from bot.store.new_entry import NewEntry
    from bot.store.queue import add_entry

    (paperbot.workdir / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    paperbot.env["PAPERBOT_NOW"] = "2026-02-18T12:00:00+00:00"
    outputs = _add_all(paperbot)
    assert outputs[:4] == ["1\n", "2\n", "3\n", "4\n"]
    assert outputs[-1] == "error: https://example.org/a is already queued for 2026-W08 as entry 1\n"
    direct = paperbot.query("SELECT * FROM entry ORDER BY id")
    assert [row["week"] for row in direct][1] == "2026-W07" and direct[1]["at"] is not None
    fields = ("kind", "title", "url", "arxiv_id", "comment", "images", "authors", "abstract")
    with session_scope(paperbot.engine()) as session:  # the same entries, in other weeks
        for row in direct:
            new = NewEntry(
                week=f"2030-W{row['id']:02d}",
                at=row["at"],
                channels=tuple(row["channels"]),
                **{name: row[name] for name in fields if name != "images"},
                images=tuple(row["images"]),
            )
            add_entry(session=session, new=new)
    by_orm = paperbot.query("SELECT * FROM entry WHERE week LIKE '2030-%' ORDER BY id")
    skip = ("id", "week", "position", "created_at", "updated_at")
    assert [{k: v for k, v in row.items() if k not in skip} for row in direct] == [
        {k: v for k, v in row.items() if k not in skip} for row in by_orm
    ]
    assert [row["position"] for row in direct] == [1, 2, 3, 4]


def test_image_limits_agree() -> None:
    from bot.store import entry_rows, queue

    assert entry_rows.MAX_IMAGES == queue.MAX_IMAGES


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_add_imports_no_orm_on_a_file_at_head(paperbot: Paperbot) -> None:
    assert paperbot.json("list", "--json") == []
    result = paperbot.process("add", "https://example.org/x", importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == "1\n"
    imported = imported_modules(result)
    assert not {"sqlalchemy", "sqlmodel", "alembic", "bot.store.models"} & imported
