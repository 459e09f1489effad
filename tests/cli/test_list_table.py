"""The tables of `list` and `history` as a person reads them: columns, headers, wrapping and
folding at 80, 120 and 40 columns (COLUMNS), wide titles (CJK, emoji), styles in a terminal and
none in a pipe. The expected tables are what rich's Table printed before bot/cli/table.py drew
them (the 120-column one is tests/fixtures/list_table_120.txt, wider than our lines);
tests/cli/test_table.py holds the two renderers to each other on any text."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.conftest import REPO, Paperbot

PIPE: dict[str, str] = {}  # CliRunner's stdout is not a terminal
TERMINAL = {"FORCE_COLOR": "1"}  # rich's switch for "a terminal"
ERROR = "HTTP 403: You are not permitted to perform this action, duplicate content found here"


@pytest.fixture(autouse=True)
def _console_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the switches rich reads from the environment, whatever the shell set."""
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "TERM"):
        monkeypatch.delenv(name, raising=False)


def _queue(paperbot: Paperbot) -> None:
    """Three entries of 2026-W48: one posted on x with a link, one failed with a CJK and emoji
    title, one without a title (its URL shown instead)."""
    for args in (
        ("https://arxiv.org/abs/2601.00001", "--title", "Attention is all you need, again"),
        (
            "https://example.org/deep",
            "--title",
            "深層学習による論文の要約 🎉 and a long tail of words",
        ),
        ("https://example.org/a/very/long/path/without/any/title/at-all",),
    ):
        result = paperbot("add", *args, "--week", "2026-W48", "--comment", "c", "--no-fetch")
        assert result.exit_code == 0, result.stderr
    assert paperbot("edit", "1", "--at", "2026-11-24T09:00").exit_code == 0
    assert paperbot("post", "1", "--dry-run").exit_code == 0
    paperbot.execute(
        "UPDATE post SET channel = 'x', remote_url = 'https://x.com/u/status/1', posted_at = :at",
        at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    )
    paperbot.execute("UPDATE entry SET status = 'posted' WHERE id = 1")
    paperbot.execute(
        "UPDATE entry SET status = 'failed', last_error = :error WHERE id = 2", error=ERROR
    )


def _print(paperbot: Paperbot, *args: str, columns: int, env: dict[str, str] = PIPE) -> str:
    result = paperbot(*args, COLUMNS=str(columns), **env)
    assert result.exit_code == 0, result.stderr
    return result.stdout


LIST_80 = """\
┏━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━┓
┃    ┃          ┃             ┃       ┃             ┃ title /    ┃             ┃
┃ id ┃ week     ┃ status      ┃ kind  ┃ at          ┃ url        ┃ channels    ┃
┡━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━┩
│ 1  │ 2026-W48 │ posted      │ paper │ Tue 24 Nov  │ Attention  │ x ✓         │
│    │          │             │       │ 09:00       │ is all you │ https://x.c │
│    │          │             │       │             │ need,      │ om/u/status │
│    │          │             │       │             │ again      │ /1          │
│    │          │             │       │             │ https://ar │             │
│    │          │             │       │             │ xiv.org/ab │             │
│    │          │             │       │             │ s/2601.000 │             │
│    │          │             │       │             │ 01         │             │
│ 2  │ 2026-W48 │ failed      │ paper │             │ 深層学習に │ x ·         │
│    │          │ HTTP 403:   │       │             │ よる論文の │             │
│    │          │ You are not │       │             │ 要約 🎉    │             │
│    │          │ permitted   │       │             │ and a long │             │
│    │          │ to perform  │       │             │ tail of    │             │
│    │          │ this        │       │             │ words      │             │
│    │          │ action,     │       │             │ https://ex │             │
│    │          │ dupl        │       │             │ ample.org/ │             │
│    │          │             │       │             │ deep       │             │
│ 3  │ 2026-W48 │ queued      │ paper │             │ https://ex │ x ·         │
│    │          │             │       │             │ ample.org/ │             │
│    │          │             │       │             │ a/very/lon │             │
│    │          │             │       │             │ g/path/wit │             │
│    │          │             │       │             │ hout/any/t │             │
│    │          │             │       │             │ itle/at-al │             │
│    │          │             │       │             │ l          │             │
└────┴──────────┴─────────────┴───────┴─────────────┴────────────┴─────────────┘
"""

LIST_40 = """\
┏━━━━┳━━━━━┳━━━━━┳━━━━━┳━━━━┳━━━━━┳━━━━┓
┃    ┃     ┃     ┃     ┃    ┃ tit ┃ ch ┃
┃    ┃     ┃     ┃     ┃    ┃ le  ┃ an ┃
┃    ┃ wee ┃ sta ┃ kin ┃    ┃ /   ┃ ne ┃
┃ id ┃ k   ┃ tus ┃ d   ┃ at ┃ url ┃ ls ┃
┡━━━━╇━━━━━╇━━━━━╇━━━━━╇━━━━╇━━━━━╇━━━━┩
│ 1  │ 202 │ pos │ pap │ Tu │ Att │ x  │
│    │ 6-W │ ted │ er  │ e  │ ent │ ✓  │
│    │ 48  │     │     │ 24 │ ion │ ht │
│    │     │     │     │ No │  is │ tp │
│    │     │     │     │ v  │ all │ s: │
│    │     │     │     │ 09 │ you │ // │
│    │     │     │     │ :0 │ nee │ x. │
│    │     │     │     │ 0  │ d,  │ co │
│    │     │     │     │    │ aga │ m/ │
│    │     │     │     │    │ in  │ u/ │
│    │     │     │     │    │ htt │ st │
│    │     │     │     │    │ ps: │ at │
│    │     │     │     │    │ //a │ us │
│    │     │     │     │    │ rxi │ /1 │
│    │     │     │     │    │ v.o │    │
│    │     │     │     │    │ rg/ │    │
│    │     │     │     │    │ abs │    │
│    │     │     │     │    │ /26 │    │
│    │     │     │     │    │ 01. │    │
│    │     │     │     │    │ 000 │    │
│    │     │     │     │    │ 01  │    │
│ 2  │ 202 │ fai │ pap │    │ 深  │ x  │
│    │ 6-W │ led │ er  │    │ 層  │ ·  │
│    │ 48  │ HTT │     │    │ 学  │    │
│    │     │ P   │     │    │ 習  │    │
│    │     │ 403 │     │    │ に  │    │
│    │     │ :   │     │    │ よ  │    │
│    │     │ You │     │    │ る  │    │
│    │     │ are │     │    │ 論  │    │
│    │     │ not │     │    │ 文  │    │
│    │     │ per │     │    │ の  │    │
│    │     │ mit │     │    │ 要  │    │
│    │     │ ted │     │    │ 約  │    │
│    │     │  to │     │    │ 🎉  │    │
│    │     │ per │     │    │ and │    │
│    │     │ for │     │    │ a   │    │
│    │     │ m   │     │    │ lon │    │
│    │     │ thi │     │    │ g   │    │
│    │     │ s   │     │    │ tai │    │
│    │     │ act │     │    │ l   │    │
│    │     │ ion │     │    │ of  │    │
│    │     │ ,   │     │    │ wor │    │
│    │     │ dup │     │    │ ds  │    │
│    │     │ l   │     │    │ htt │    │
│    │     │     │     │    │ ps: │    │
│    │     │     │     │    │ //e │    │
│    │     │     │     │    │ xam │    │
│    │     │     │     │    │ ple │    │
│    │     │     │     │    │ .or │    │
│    │     │     │     │    │ g/d │    │
│    │     │     │     │    │ eep │    │
│ 3  │ 202 │ que │ pap │    │ htt │ x  │
│    │ 6-W │ ued │ er  │    │ ps: │ ·  │
│    │ 48  │     │     │    │ //e │    │
│    │     │     │     │    │ xam │    │
│    │     │     │     │    │ ple │    │
│    │     │     │     │    │ .or │    │
│    │     │     │     │    │ g/a │    │
│    │     │     │     │    │ /ve │    │
│    │     │     │     │    │ ry/ │    │
│    │     │     │     │    │ lon │    │
│    │     │     │     │    │ g/p │    │
│    │     │     │     │    │ ath │    │
│    │     │     │     │    │ /wi │    │
│    │     │     │     │    │ tho │    │
│    │     │     │     │    │ ut/ │    │
│    │     │     │     │    │ any │    │
│    │     │     │     │    │ /ti │    │
│    │     │     │     │    │ tle │    │
│    │     │     │     │    │ /at │    │
│    │     │     │     │    │ -al │    │
│    │     │     │     │    │ l   │    │
└────┴─────┴─────┴─────┴────┴─────┴────┘
"""

HISTORY_80 = """\
┏━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━┓
┃ entry ┃ week     ┃ channel ┃ status ┃ when         ┃ attempts ┃ link / error ┃
┡━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━┩
│ 1     │ 2026-W48 │ x       │ posted │ 2026-11-24   │ 1        │ https://x.co │
│       │          │         │        │ 09:00        │          │ m/u/status/1 │
└───────┴──────────┴─────────┴────────┴──────────────┴──────────┴──────────────┘
"""


def test_list_prints_the_table_rich_printed_at_80_120_and_40_columns(paperbot: Paperbot) -> None:
    _queue(paperbot)
    assert _print(paperbot, "list", columns=80) == LIST_80
    wide = (REPO / "tests" / "fixtures" / "list_table_120.txt").read_text(encoding="utf-8")
    assert _print(paperbot, "list", "--week", "2026-W48", columns=120) == wide
    assert _print(paperbot, "list", columns=40) == LIST_40


def test_history_prints_the_table_rich_printed(paperbot: Paperbot) -> None:
    _queue(paperbot)
    assert _print(paperbot, "history", columns=80) == HISTORY_80


def test_a_terminal_gets_the_same_text_with_bold_headers_and_dim_links(paperbot: Paperbot) -> None:
    _queue(paperbot)
    styled = _print(paperbot, "list", columns=80, env=TERMINAL)
    assert re.sub(r"\x1b\[[0-9;]*m", "", styled) == LIST_80
    header = "\n".join(styled.splitlines()[1:3])  # "title / url" takes two lines
    assert "\x1b[1m id \x1b[0m" in header and "\x1b[1m channels    \x1b[0m" in header
    assert "\x1b[2mhttps://ar\x1b[0m" in styled  # the URL under a title
    assert "\x1b[2mhttps://x.c\x1b[0m" in styled  # the post's link
    assert "\x1b[2mHTTP 403:" in styled  # the last error
    assert "\x1b" not in _print(paperbot, "list", columns=80)


def test_a_title_is_shown_as_written_not_read_as_markup(paperbot: Paperbot) -> None:
    title = "[v2] Faster [bold]attention[/bold] [/x]"
    result = paperbot(
        "add", "https://example.org/v2", "--title", title, "--comment", "c", "--no-fetch"
    )
    assert result.exit_code == 0, result.stderr
    assert title in _print(paperbot, "list", columns=120)
