"""`paperbot status` is answered without click (bot/cli/fast.py): the same output and exit code
as click's command, and anything it does not take goes to click. Values from the queue and the
platforms are shown as they are, brackets included."""

from __future__ import annotations

import pytest

from bot.cli.status_view import print_status
from tests.conftest import Paperbot, assert_answered_as_click_does, imported_modules
from tests.store.test_read_layer import BOTH_STORES, live  # noqa: F401 (fixture)


@BOTH_STORES
@pytest.mark.parametrize(
    "args", [["status"], ["status", "--json"], ["status", "--bogus"], ["status", "--json", "-v"]]
)
def test_the_fast_answer_is_clicks(live: Paperbot, args: list[str]) -> None:  # noqa: F811
    live.env["COLUMNS"] = "100"  # rich's width for both, whatever the terminal running pytest
    assert_answered_as_click_does(live, *args)


@BOTH_STORES
def test_status_never_imports_click(live: Paperbot) -> None:  # noqa: F811
    result = live.process("status", importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "X paused: 401 Unauthorized" in result.stdout
    imported = imported_modules(result)
    assert "bot.store.read_sqlite" in imported or "bot.store.read_pg" in imported
    assert not {"click", "sqlalchemy", "bot.cli.group", "rich.console"} & imported


@pytest.mark.parametrize("store", ["sqlite"])
def test_a_database_the_fast_readers_cannot_open_goes_to_click(paperbot: Paperbot) -> None:
    """No SQLite file yet: click's command creates and migrates it, as before."""
    result = paperbot.process("status", importtime=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "daemon: not running" in result.stdout
    assert {"click", "sqlalchemy"} <= imported_modules(result)


def test_brackets_from_the_queue_and_platforms_are_printed_as_they_are(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """rich would read `[Re]` as a style and drop it, and stop at a stray `[/...]`."""
    document = {
        "daemon": {"running": False, "stopped_at": None},
        "next_post": {"when": "Mon 09:00", "entry_id": 3, "title": "[Re] Attention [/b] all"},
        "counts": {"queued": 1},
        "needs_decision": {"count": 0, "posts": []},
        "channels": {
            "x": {"paused_reason": "403 [forbidden]", "engagement_note": "[red]no[/red]"},
            "bluesky": {"staging_note": "blob [/too] large"},
        },
        "costs": {"x": {"month": "2026-12", "spent": 0.5, "budget": None, "message": ""}},
        "last_error": "HTTP 400 [code 187] [/x]",
    }
    print_status(document)
    out = capsys.readouterr().out
    for shown in (
        "entry 3 [Re] Attention [/b] all",
        "X paused: 403 [forbidden]",
        "X engagement not read: [red]no[/red]",
        "Bluesky figures not staged ahead: blob [/too] large",
        "last error: HTTP 400 [code 187] [/x]",
    ):
        assert shown in out, out
