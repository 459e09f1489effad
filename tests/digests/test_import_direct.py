"""`paperbot import` without arXiv on a database at head: written with the driver alone
(bot/store/direct_write.py), the rows the ORM's path writes, on both stores, and no ORM import."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.digests.import_digest import parse_digest
from bot.digests.importer import ImportPlan, import_entries, import_entries_directly
from tests.conftest import REPO, Paperbot, imported_modules

EXAMPLES = REPO / "examples"
SKIP = ("id", "week", "position", "created_at", "updated_at")


@pytest.fixture
def week_file(paperbot: Paperbot) -> Path:
    target = paperbot.workdir / "week"
    shutil.copytree(EXAMPLES, target)
    return target / "2020-W37.md"


def _entries(path: Path, week: str) -> list[Any]:
    return list(parse_digest("markdown", path.read_bytes(), path.parent, path.name, week).entries)


def _counter(paperbot: Paperbot) -> int:
    rows = paperbot.query("SELECT counter FROM queue_change")
    return int(rows[0]["counter"]) if rows else 0


def test_the_direct_import_writes_the_rows_the_orm_writes(
    paperbot: Paperbot, week_file: Path
) -> None:
    assert paperbot.json("list", "--json") == []  # the database at head
    options: dict[str, Any] = {
        "file_week": None,
        "default_week": "2026-W01",
        "tz": ZoneInfo("Europe/London"),
        "channels": ("x", "bluesky"),
    }
    before = _counter(paperbot)
    direct = import_entries_directly(
        paperbot.env, ImportPlan(_entries(week_file, "2030-W01"), **options)
    )
    assert direct is not None
    assert _counter(paperbot) == before + 1  # the daemon re-plans, as after the ORM's writes
    by_orm = import_entries(
        paperbot.engine(), ImportPlan(_entries(week_file, "2030-W02"), **options)
    )
    assert [url for _, url in direct.added] == [url for _, url in by_orm.added]
    assert len(direct.added) == 8 and all(entry_id for entry_id, _ in direct.added)
    rows = paperbot.query("SELECT * FROM entry ORDER BY id")
    first, second = rows[:8], rows[8:]
    assert {row["week"] for row in first} == {"2030-W01"}
    assert {row["week"] for row in second} == {"2030-W02"}
    assert [{k: v for k, v in row.items() if k not in SKIP} for row in first] == [
        {k: v for k, v in row.items() if k not in SKIP} for row in second
    ]
    assert [row["position"] for row in rows] == list(range(1, 17))
    assert [row["id"] for row in first] == [entry_id for entry_id, _ in direct.added]
    # Again: every URL is queued for that week already, and nothing is written.
    again = import_entries_directly(
        paperbot.env, ImportPlan(_entries(week_file, "2030-W01"), **options)
    )
    assert again is not None and again.added == [] and len(again.duplicates) == 8
    assert _counter(paperbot) == before + 2 and len(paperbot.query("SELECT id FROM entry")) == 16


def test_a_dry_run_writes_nothing_and_a_new_database_takes_the_orms_path(
    paperbot: Paperbot, week_file: Path
) -> None:
    options: dict[str, Any] = {"file_week": None, "default_week": "2026-W01", "tz": ZoneInfo("UTC")}
    if paperbot.store == "sqlite":  # no file yet: the ORM's path creates and migrates it
        assert (
            import_entries_directly(
                paperbot.env, ImportPlan(_entries(week_file, "2030-W01"), **options)
            )
            is None
        )
    assert paperbot.json("list", "--json") == []
    before = _counter(paperbot)
    dry = import_entries_directly(
        paperbot.env, ImportPlan(_entries(week_file, "2030-W01"), dry_run=True, **options)
    )
    assert dry is not None and len(dry.added) == 8 and {i for i, _ in dry.added} == {None}
    assert paperbot.query("SELECT id FROM entry") == [] and _counter(paperbot) == before


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_import_without_arxiv_imports_no_orm_on_a_database_at_head(
    paperbot: Paperbot, week_file: Path
) -> None:
    assert paperbot.json("list", "--json") == []
    result = paperbot.process("import", str(week_file), "--no-fetch", importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "8 added, 0 already queued, 3 skipped" in result.stdout
    imported = imported_modules(result)
    assert not {"sqlalchemy", "sqlmodel", "alembic", "bot.store.models"} & imported
    assert len(paperbot.json("list", "--json")) == 8


def test_a_driver_error_on_the_direct_path_is_one_line(paperbot: Paperbot, week_file: Path) -> None:
    """A database at head whose queue table is gone: the driver's own error, in one line."""
    assert paperbot.json("list", "--json") == []
    with paperbot.engine().begin() as connection:
        connection.exec_driver_sql(
            "DROP TABLE entry CASCADE" if paperbot.store == "postgres" else "DROP TABLE entry"
        )
    for args in (["import", str(week_file), "--no-fetch"], ["add", "https://example.org/a"]):
        result = paperbot(*args)
        assert result.exit_code == 1, result.stderr
        assert result.stderr.startswith("error: database error: ") and "entry" in result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
