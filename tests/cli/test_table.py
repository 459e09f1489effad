"""bot/cli/table.py draws what rich's Table draws, on any text and any console width: the
same box, column widths, wrapping and folding (wide CJK and emoji, combining marks, zero-width
joiners, control characters), and in a terminal the same text with bold headers and dim spans."""

from __future__ import annotations

import io
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli.table import Cell, rich_table, table_lines

# Words, spaces and newlines, wide and zero-width characters, markup-like brackets, controls.
PIECES = [
    *"abc de  fgh",
    "漢",
    "字",
    "🎉",
    "é",
    "e\u0301",
    "❤️",
    "👨\u200d👩\u200d👧",
    "\u200b",
    "\n",
    "[",
    "]",
    "\\",
    "/",
    "-",
    "\t",
    "\r",
    "\x1b",
    "\x1c",
    "\u2028",
    "https://arxiv.org/abs/2601.00001",
]
texts = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)
cells: st.SearchStrategy[Cell] = st.one_of(
    texts, st.lists(st.tuples(texts, st.booleans()), min_size=1, max_size=3).map(tuple)
)
# Our headers are single words or "title / url"; never a line break.
headers = st.lists(st.sampled_from([*"abc漢🎉é", " ", "/"]), min_size=1, max_size=8).map("".join)


def _rich(
    heads: list[str],
    rows: list[list[Cell]],
    width: int,
    *,
    terminal: bool,
    title: str = "",
    caption: str = "",
) -> str:
    from rich.console import Console

    out = io.StringIO()
    console = Console(
        width=width,
        file=out,
        force_terminal=terminal,
        color_system="standard" if terminal else None,
        legacy_windows=False,
    )
    console.print(rich_table(heads, rows, title=title, caption=caption))
    return out.getvalue()


def _ours(
    heads: list[str],
    rows: list[list[Cell]],
    width: int,
    *,
    styled: bool,
    title: str = "",
    caption: str = "",
) -> str:
    lines = table_lines(heads, rows, width, styled=styled, title=title, caption=caption)
    return "".join(line + "\n" for line in lines)


Table = tuple[list[str], list[list[Cell]], int, str, str]


@st.composite
def tables(draw: st.DrawFn) -> Table:
    count = draw(st.integers(1, 7))
    heads = draw(st.lists(headers, min_size=count, max_size=count))
    rows = draw(st.lists(st.lists(cells, min_size=count, max_size=count), max_size=5))
    width = draw(st.integers(4 * count + 1, 160))  # print_table leaves narrower ones to rich
    # schedule's title is "Plan for the next 7 days (Europe/Paris)", engagement's caption its
    # totals; print_table leaves those with controls or line breaks to rich
    notes = st.one_of(st.just(""), texts.filter(str.isprintable))
    return heads, rows, width, draw(notes), draw(notes)


@settings(max_examples=400, deadline=None)
@given(tables())
def test_the_lines_are_richs_on_any_text_and_width(table: Table) -> None:
    heads, rows, width, title, caption = table
    ours = _ours(heads, rows, width, styled=False, title=title, caption=caption)
    assert ours == _rich(heads, rows, width, terminal=False, title=title, caption=caption)


@settings(max_examples=200, deadline=None)
@given(tables())
def test_a_terminal_gets_the_same_text_as_rich_gives_it(table: Table) -> None:
    heads, rows, width, title, caption = table
    ours = _ours(heads, rows, width, styled=True, title=title, caption=caption)
    theirs = _rich(heads, rows, width, terminal=True, title=title, caption=caption)
    assert re.sub(r"\x1b\[[0-9;]*m", "", ours) == re.sub(r"\x1b\[[0-9;]*m", "", theirs)


def test_dim_spans_and_bold_headers_in_a_terminal() -> None:
    rows: list[list[Cell]] = [["1", (("Title", False), ("\n", False), ("https://e.org/x", True))]]
    lines = list(table_lines(["id", "title / url"], rows, 80, styled=True))
    assert lines[1] == "┃\x1b[1m id \x1b[0m┃\x1b[1m title / url     \x1b[0m┃"
    assert lines[4] == "│    │ \x1b[2mhttps://e.org/x\x1b[0m │"
    assert "\x1b" not in "".join(table_lines(["id", "title / url"], rows, 80, styled=False))


def test_a_title_and_a_caption_are_centred_and_italic_in_a_terminal() -> None:
    lines = list(table_lines(["id"], [["1"]], 80, styled=True, title="Plan", caption="all"))
    assert lines[0] == "\x1b[3m Plan \x1b[0m"
    assert lines[-1] == "\x1b[2;3m all  \x1b[0m"
    theirs = _rich(["id"], [["1"]], 80, terminal=True, title="Plan", caption="all")
    assert theirs.startswith(lines[0] + "\n") and theirs.endswith("\n" + lines[-1] + "\n")
