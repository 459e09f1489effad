"""Tables of thousands of rows for people: rich's Table look, laid out once over plain strings.

rich's Table measures and renders every cell through Text, Segment and Style objects, ~1 ms a
row: seconds for one week of `list`. Its rules for our tables are few: each column as wide as
its widest line plus padding, the widest columns narrowed first until the table fits the
console, words wrapped and longer words folded, cells padded to the row's height (a header
aligned to the bottom). They are applied here once, with rich's own cell widths and line
division, and every row becomes lines of text written in chunks. rich's Console still decides
what it decides in a terminal (width, styles); into a pipe its width comes from the same rules
without importing it (bot/cli/plain.py). It draws the table itself where this path does not
apply: a stdout that is not UTF-8, a console too narrow for the columns, a title with controls.
tests/cli/test_table.py compares both paths character for character.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from rich._ratio import ratio_reduce
from rich.cells import set_cell_size

from bot.cli.plain import cell_width, fold_line, pipe_width, write_lines

# A cell: plain text, or fragments of (text, dim) joined; "\n" breaks a line in either.
Fragment = tuple[str, bool]
Cell = str | tuple[Fragment, ...]

# Control characters never reach the terminal (an escape sequence in a title could drive it),
# nor line separators other than "\n" (rich measures them as breaks but does not break there);
# a tab is a space (rich's expansion depends on the column).
_CONTROL: dict[int, str | None] = {
    **dict.fromkeys((*range(32), 127, *range(0x80, 0xA0), 0x2028, 0x2029)),
    ord("\n"): "\n",
    ord("\t"): " ",
}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
_ITALIC, _DIM_ITALIC = "\x1b[3m", "\x1b[2;3m"  # rich's "table.title" and "table.caption"


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    title: str = "",
    caption: str = "",
) -> None:
    """Print rows under headers (a title above, a caption below) as rich's `Table()` would, on
    the console rich would choose."""
    notes = {"title": title, "caption": caption}
    plain = title.isprintable() and caption.isprintable()
    width = pipe_width()  # a pipe: rich's Console is not even imported
    if width is not None and _fits(width, len(headers)) and plain:
        write_lines(table_lines(headers, rows, width, styled=False, **notes))
        return
    from rich.console import Console

    console = Console(highlight=False)
    if not plain:  # rich's rules for controls and line breaks in a title or caption
        console.print(rich_table(headers, rows, **notes))
        return
    width = console.width
    if (
        console.encoding.startswith("utf")
        and not console.legacy_windows
        and _fits(width, len(headers))
    ):
        styled = console.is_terminal and console.color_system is not None
        write_lines(table_lines(headers, rows, width, styled=styled, **notes))
        return
    console.print(rich_table(headers, rows, **notes))


def _fits(width: int, count: int) -> bool:
    """Whether every column keeps a character at `width` (else rich draws the table)."""
    return width - count - 1 >= 3 * count


def rich_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    title: str = "",
    caption: str = "",
) -> Any:
    """The same table as rich's Table: the fallback, and what the fast path must equal."""
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=Text(title.translate(_CONTROL), style="table.title") if title else None,
        caption=Text(caption.translate(_CONTROL), style="table.caption") if caption else None,
    )
    for header in headers:
        table.add_column(Text(header.translate(_CONTROL)), overflow="fold")
    for row in rows:
        table.add_row(
            *(
                Text(cell.translate(_CONTROL))
                if isinstance(cell, str)
                else Text.assemble(
                    *((text.translate(_CONTROL), "dim" if dim else "") for text, dim in cell)
                )
                for cell in row
            )
        )
    return table


def table_lines(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    width: int,
    *,
    styled: bool,
    title: str = "",
    caption: str = "",
) -> Iterator[str]:
    """The table's lines for a console `width` cells wide (ANSI bold and dim when `styled`),
    `title` centred above and `caption` below (printable; italic, and dim for the caption, when
    `styled`)."""
    head = [_parse(header, styled) for header in headers]
    body = [[_parse(cell, styled) for cell in row] for row in rows]
    count = len(headers)
    room = width - count - 1  # less the borders
    natural = [0] * count
    for row in (head, *body):
        for index, (plain, _) in enumerate(row):
            widest = max(map(cell_width, plain.split("\n")))
            if widest > natural[index]:
                natural[index] = widest
    widths = [min(widest, room - 2) + 2 for widest in natural]
    if sum(widths) > room:
        widths = _collapse(widths, room)
        if sum(widths) > room:
            widths = ratio_reduce(sum(widths) - room, [1] * count, widths, widths)
    # A column as wide as its widest line never wraps: its cells are only padded.
    fits = [natural[index] + 2 <= size for index, size in enumerate(widths)]
    columns = list(zip(widths, fits, strict=True))

    def rule(left: str, line: str, middle: str, right: str) -> str:
        return left + middle.join(line * size for size in widths) + right

    if title:
        yield from _centred(title, sum(widths) + count + 1, _ITALIC if styled else "")
    yield rule("┏", "━", "┳", "┓")
    yield from _row(head, columns, "┃", bottom=True, style=_BOLD if styled else "")
    yield rule("┡", "━", "╇", "┩")
    for row in body:
        yield from _row(row, columns, "│", bottom=False, style="")
    yield rule("└", "─", "┴", "┘")
    if caption:
        yield from _centred(caption, sum(widths) + count + 1, _DIM_ITALIC if styled else "")


def _row(
    cells: list[tuple[str, tuple[tuple[int, int], ...]]],
    columns: list[tuple[int, bool]],
    edge: str,
    *,
    bottom: bool,
    style: str,
) -> list[str]:
    """One row's lines: each cell wrapped to its column, padded, and aligned to the tallest."""
    rendered = [
        _cell_lines(plain, spans, size - 2, style, fits)
        for (plain, spans), (size, fits) in zip(cells, columns, strict=True)
    ]
    height = max(map(len, rendered))
    if height == 1:
        return [edge + edge.join(lines[0] for lines in rendered) + edge]
    for index, lines in enumerate(rendered):
        if len(lines) < height:
            blank = [" " * columns[index][0]] * (height - len(lines))
            rendered[index] = blank + lines if bottom else lines + blank
    return [edge + edge.join(parts) + edge for parts in zip(*rendered, strict=True)]


def _cell_lines(
    plain: str, spans: tuple[tuple[int, int], ...], size: int, style: str, fits: bool
) -> list[str]:
    """A cell's text wrapped as rich's Text.wrap(overflow="fold") does, each line padded."""
    if fits and not spans and not style:  # most cells: padding only
        return [f" {_pad(paragraph, size)} " for paragraph in plain.split("\n")]
    lines = []
    start = 0
    for paragraph in plain.split("\n"):
        if fits or cell_width(paragraph) <= size:
            pieces = [(start, start + len(paragraph))]
        else:
            pieces = [(start + begin, start + end) for begin, end in fold_line(paragraph, size)]
        for begin, end in pieces:
            text = _pad(plain[begin:end], size)
            if spans:
                text = _dim(text, begin, end, spans, style)
            lines.append(f"{style} {text} {_RESET}" if style else f" {text} ")
        start += len(paragraph) + 1
    return lines


def _centred(text: str, width: int, style: str) -> list[str]:
    """A table's title or caption as rich renders it: wrapped to the table's width, each line
    stripped on the right and centred (Lines.justify "center"), padding included in the style."""
    lines = []
    for begin, end in fold_line(text, width):
        line = text[begin:end].rstrip()
        if cell_width(line) > width:
            line = set_cell_size(line, width)
        left = (width - cell_width(line)) // 2
        line = " " * left + line + " " * (width - left - cell_width(line))
        lines.append(f"{style}{line}{_RESET}" if style else line)
    return lines


def _dim(text: str, begin: int, end: int, spans: tuple[tuple[int, int], ...], style: str) -> str:
    """`text` (plain[begin:end], padded) with its dim spans between ANSI codes."""
    pieces = []
    done = 0
    for low, high in spans:
        low, high = max(low, begin) - begin, min(high, end) - begin
        if low < high:
            pieces += [text[done:low], _DIM, text[low:high], _RESET + style]
            done = high
    return "".join(pieces) + text[done:]


def _collapse(widths: list[int], room: int) -> list[int]:
    """rich's Table._collapse_widths, every column wrappable: the widest narrowed first."""
    excess = sum(widths) - room
    while sum(widths) and excess > 0:
        widest = max(widths)
        second = max((size for size in widths if size != widest), default=0)
        if widest == second:
            break
        ratios = [1 if size == widest else 0 for size in widths]
        widths = ratio_reduce(excess, ratios, [min(excess, widest - second)] * len(widths), widths)
        excess = sum(widths) - room
    return widths


def _parse(cell: Cell, styled: bool) -> tuple[str, tuple[tuple[int, int], ...]]:
    """(plain text without control characters, dim spans as character ranges; none unstyled)."""
    if isinstance(cell, str):
        return cell.translate(_CONTROL), ()
    if not styled:
        return "".join(text for text, _ in cell).translate(_CONTROL), ()
    plain, spans, at = [], [], 0
    for text, dim in cell:
        text = text.translate(_CONTROL)
        if dim and text:
            spans.append((at, at + len(text)))
        plain.append(text)
        at += len(text)
    return "".join(plain), tuple(spans)


def _pad(text: str, size: int) -> str:
    """`text` cropped or padded to `size` cells, as rich's set_cell_size (faster on ASCII)."""
    if text.isascii() and text.isprintable() and len(text) <= size:
        return text + " " * (size - len(text))
    return set_cell_size(text, size)
