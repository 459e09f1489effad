"""bot/cli/plain.py prints into a pipe what rich's Console prints there, without importing it:
the same width from the same environment, the same wrapping and folding of any text."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli.plain import Segment, pipe_width, print_lines, wrapped

PIECES = [*"abc de  fgh", "漢", "字", "🎉", "é", "e\u0301", "❤️", "👨\u200d👩\u200d👧"]
PIECES += ["\u200b", "[", "]", "[red]", "[/x]", ":smile:", "\t", "\x1b", "-", "/"]
PIECES += ["https://arxiv.org/abs/2601.00001", "a-very-long-word-without-spaces" * 3]
texts = st.lists(st.sampled_from(PIECES), max_size=20).map("".join)


def _rich_lines(line: list[Segment], width: int) -> str:
    from rich.console import Console
    from rich.text import Text

    out = io.StringIO()
    console = Console(width=width, file=out, highlight=False, legacy_windows=False)
    console.print(Text.assemble(*line))
    return out.getvalue()


@settings(max_examples=400, deadline=None)
@given(texts, st.integers(1, 120))
def test_a_line_wraps_as_rich_wraps_it(text: str, width: int) -> None:
    pieces = wrapped(text, width)
    if pieces is None:  # rich's to print: it changes such characters
        assert not text.isprintable()
        return
    assert "".join(piece + "\n" for piece in pieces) == _rich_lines([(text, "")], width)


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"COLUMNS": "100"},
        {"COLUMNS": "37", "LINES": "5"},
        {"COLUMNS": "0"},
        {"COLUMNS": "wide"},
        {"FORCE_COLOR": ""},
        {"FORCE_COLOR": "1"},
        {"TTY_COMPATIBLE": "1"},
        {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1", "COLUMNS": "90"},
        {"TERM": "dumb", "COLUMNS": "120"},
    ],
)
def test_the_width_is_the_one_rich_chooses(environ: dict[str, str]) -> None:
    """Into a pipe, rich's width; where the environment names a terminal or not, rich decides
    (its reading of FORCE_COLOR and TTY_COMPATIBLE changed between versions)."""
    from rich.console import Console

    console = Console(_environ=environ)
    width = pipe_width(environ)
    if {"FORCE_COLOR", "TTY_COMPATIBLE"} & environ.keys():
        assert width is None
    else:
        assert not console.is_terminal  # pytest captures stdout: a pipe
        assert width == (console.width if console.width > 0 else None)


def test_lines_printed_into_a_pipe_are_richs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    lines: list[list[Segment]] = [
        [("daemon: ", ""), ("not running", "red")],
        [("next post: entry 3 [Re] Attention [/b] all you need, again and again", "")],
        [("", "")],
        [("queue: queued 1, posted 2", "yellow")],
    ]
    print_lines(lines)
    ours = capsys.readouterr().out
    assert ours == "".join(_rich_lines(line, 40) for line in lines)
    assert "entry 3 [Re] Attention [/b]" in ours


def test_a_line_rich_must_print_sends_them_all_to_rich(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    lines: list[list[Segment]] = [[("first", "")], [("a\ttab", "")]]
    print_lines(lines)
    assert capsys.readouterr().out == "".join(_rich_lines(line, 40) for line in lines)
