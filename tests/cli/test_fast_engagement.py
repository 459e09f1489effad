"""`paperbot engagement` without --refresh is answered without click (bot/cli/fast.py): the
same output and exit code as click's command, table (with its title and totals) and JSON, and
anything it does not take goes to click."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.cli.fast import engagement_request
from tests.conftest import Paperbot, assert_answered_as_click_does, imported_modules
from tests.store.test_read_layer import BOTH_STORES, NOW, live  # noqa: F401 (fixture)


@pytest.fixture
def read(live: Paperbot) -> Paperbot:  # noqa: F811
    """`live` with counts read for its posted post: one snapshot, then a later one."""
    from sqlmodel import select

    from bot.store.engagement import record_counts
    from bot.store.engine import session_scope
    from bot.store.models import Post

    with session_scope(live.engine()) as session:
        posted = session.exec(select(Post).where(Post.remote_id == "19")).one()
        assert posted.id is not None
        before, after = (3, 1, 0, None), (5, 2, 1, 0)
        record_counts(session, counts={posted.id: before}, gone=(), now=NOW - timedelta(hours=1))
        record_counts(session, counts={posted.id: after}, gone=(), now=NOW)
    return live


@BOTH_STORES
@pytest.mark.parametrize(
    "args",
    [
        ["engagement"],
        ["engagement", "--json"],
        ["engagement", "--week", "2026-W48"],
        ["engagement", "--week=2026-W48", "--json"],
        ["engagement", "--week", "2026-W01"],  # nothing posted
        ["engagement", "--week", "2026-W99"],  # bad input: click says so (exit 2)
        ["engagement", "--week"],
        ["engagement", "--bogus"],
    ],
)
def test_the_fast_answer_is_clicks(read: Paperbot, args: list[str]) -> None:
    read.env["COLUMNS"] = "100"  # rich's width for both, whatever the terminal running pytest
    assert_answered_as_click_does(read, *args)


@BOTH_STORES
def test_engagement_never_imports_click(read: Paperbot) -> None:
    result = read.process("engagement", "--week", "2026-W48", importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Engagement, 2026-W48" in result.stdout
    assert "week total: 8 (5 likes, 2 reposts, 1 replies, 0 quotes)" in result.stdout
    imported = imported_modules(result)
    assert "bot.store.read_sqlite" in imported or "bot.store.read_pg" in imported
    assert not {"click", "sqlalchemy", "bot.cli.group", "rich.console"} & imported


def test_only_the_forms_click_accepts_alike_are_taken() -> None:
    assert engagement_request(["engagement"]) == ("", False)
    assert engagement_request(["engagement", "--json", "--week=2026-W01"]) == ("2026-W01", True)
    for argv in (
        ["engagement", "--refresh"],  # writes: click's command
        ["engagement", "--week", "2026-W01", "--week", "2026-W02"],
        ["engagement", "--json", "--json"],
        ["engagement", "--json=1"],
        ["engagement", "--help"],
        ["engagement", "--week"],
        ["status", "--json"],
    ):
        assert engagement_request(argv) is None, argv
