"""`paperbot list ...` (its JSON into a pipe, or its table) is answered without click
(bot/cli/fast.py): the same bytes and exit code as click's command, and anything it does not
know goes to click."""

from __future__ import annotations

import pytest

from bot.cli.fast import list_request
from tests.conftest import Paperbot, assert_answered_as_click_does, imported_modules
from tests.store.test_read_layer import BOTH_STORES, live  # noqa: F401 (fixture)


@BOTH_STORES
@pytest.mark.parametrize(
    "args",
    [
        ["list", "--json"],
        ["list", "--week", "2026-W48", "--json"],
        ["list", "--json", "--week=2026-W48", "--status", "queued", "--status=failed"],
        ["list", "--status", "skipped", "--json"],
        ["list", "--week", "", "--json"],
        ["list", "--week", "2026-W99", "--json"],  # bad input: click says so (exit 2)
        ["list", "--status", "nonsense", "--json"],
        ["list", "--json", "--bogus"],
        ["list", "--week", "--json"],
        ["list"],  # the table
        ["list", "--week", "2026-W48"],
        ["list", "--status=queued", "--status", "failed", "--week=2026-W48"],
        ["list", "--week", "2026-W01"],  # no entries: the hint
        ["list", "--week", "2026-W99"],
        ["list", "--status", "nonsense"],
        ["list", "--week"],
    ],
)
def test_the_fast_answer_is_clicks_to_the_byte(live: Paperbot, args: list[str]) -> None:  # noqa: F811
    assert_answered_as_click_does(live, *args)


@BOTH_STORES
def test_list_json_never_imports_click(live: Paperbot) -> None:  # noqa: F811
    result = live.process("list", "--week", "2026-W48", "--json", importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    imported = imported_modules(result)
    assert "bot.store.read_sqlite" in imported or "bot.store.read_pg" in imported
    assert not {"click", "rich", "sqlalchemy", "psycopg"} & imported


@BOTH_STORES
def test_the_list_table_never_imports_click(live: Paperbot) -> None:  # noqa: F811
    result = live.process("list", "--week", "2026-W48", importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("┏") and "2026-W48" in result.stdout
    imported = imported_modules(result)
    assert "bot.store.read_sqlite" in imported or "bot.store.read_pg" in imported
    assert not {"click", "sqlalchemy", "psycopg", "rich.console"} & imported


def test_only_the_forms_click_accepts_alike_are_taken() -> None:
    assert list_request(["list", "--json"]) == ("", (), True)
    assert list_request(["list"]) == ("", (), False)
    assert list_request(["list", "--week=2026-W01", "--json", "--status", "posted"]) == (
        "2026-W01",
        ("posted",),
        True,
    )
    for argv in (
        ["show", "1", "--json"],
        ["list", "--json", "--help"],
        ["list", "--help"],
        ["list", "--week", "2026-W01", "--week", "2026-W02", "--json"],
        ["list", "--status", "Queued", "--json"],
        ["list", "--week"],
    ):
        assert list_request(argv) is None, argv
