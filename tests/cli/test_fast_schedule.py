"""`paperbot schedule` is answered without click (bot/cli/fast.py): the same output and exit
code as click's command, table and JSON, and anything it does not take goes to click."""

from __future__ import annotations

import pytest

from bot.cli.fast import schedule_request
from tests.conftest import Paperbot, assert_answered_as_click_does, imported_modules
from tests.store.test_read_layer import BOTH_STORES, live  # noqa: F401 (fixture)


@BOTH_STORES
@pytest.mark.parametrize(
    "args",
    [
        ["schedule"],
        ["schedule", "--json"],
        ["schedule", "--days", "3"],
        ["schedule", "--json", "--days=60"],
        ["schedule", "--days", "0"],  # bad input: click says so (exit 2)
        ["schedule", "--days", "61", "--json"],
        ["schedule", "--days", "three"],
        ["schedule", "--days"],
        ["schedule", "--bogus"],
    ],
)
def test_the_fast_answer_is_clicks(live: Paperbot, args: list[str]) -> None:  # noqa: F811
    live.env["COLUMNS"] = "100"  # rich's width for both, whatever the terminal running pytest
    assert_answered_as_click_does(live, *args)


@BOTH_STORES
def test_schedule_never_imports_click(live: Paperbot) -> None:  # noqa: F811
    result = live.process("schedule", importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "posts planned" in result.stdout and "X cost" in result.stdout
    imported = imported_modules(result)
    assert "bot.store.read_sqlite" in imported or "bot.store.read_pg" in imported
    assert not {"click", "sqlalchemy", "bot.cli.group", "rich.console"} & imported


@pytest.mark.parametrize("store", ["sqlite"])
def test_a_database_the_fast_readers_cannot_open_goes_to_click(paperbot: Paperbot) -> None:
    """No SQLite file yet: click's command creates and migrates it, as before."""
    result = paperbot.process("schedule", "--json", importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert '"free_slots"' in result.stdout
    imported = imported_modules(result)
    assert {"click", "sqlalchemy"} <= imported


def test_only_the_forms_click_accepts_alike_are_taken() -> None:
    assert schedule_request(["schedule"]) == (7, False)
    assert schedule_request(["schedule", "--days", "3", "--json"]) == (3, True)
    assert schedule_request(["schedule", "--json", "--days=60"]) == (60, True)
    for argv in (
        ["list", "--json"],
        ["schedule", "--days", "0"],
        ["schedule", "--days", "61"],
        ["schedule", "--days", "+3"],
        ["schedule", "--days", "٣"],  # a digit to str.isdigit, not to click
        ["schedule", "--days", "3", "--days", "4"],
        ["schedule", "--json", "--json"],
        ["schedule", "--help"],
        ["schedule", "--days"],
        ["schedule", "-d", "3"],
    ):
        assert schedule_request(argv) is None, argv
