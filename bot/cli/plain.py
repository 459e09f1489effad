"""Text for a pipe without rich's Console: the width it would choose and the lines it would print.

Importing rich's Console (styles, themes, markup, segments) costs ~30 ms, a sixth of a read-only
command, and into a pipe it prints no styles: only plain text, wrapped at a width it reads from
the environment. That is done here by rich's own rules (Console.size,
Text.wrap with overflow "fold", tested against rich in tests/cli/test_plain.py) and rich's own
line division. A terminal, a stdout that is not UTF-8, or text rich would change (control
characters, tabs) goes to rich's Console as before.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

from rich._wrap import divide_line
from rich.cells import cell_len, set_cell_size

#: A piece of a line: its text and a rich style for terminals ("" for none).
Segment = tuple[str, str]


def pipe_width(environ: Mapping[str, str] = os.environ) -> int | None:
    """The width rich's `Console()` prints at when stdout is plainly not a terminal (and is
    UTF-8); None where rich decides: a terminal, or an environment that names one."""
    if _rich_decides(environ):
        return None
    if not (getattr(sys.stdout, "encoding", None) or "utf-8").lower().startswith("utf"):
        return None
    columns = environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
    else:
        width = 0
        for descriptor in (0, 1, 2):  # rich asks stdin, stdout and stderr, in that order
            try:
                width = os.get_terminal_size(descriptor).columns
            except (AttributeError, ValueError, OSError):
                continue
            break
        width = width or 80
    return width if width > 0 else None


def _rich_decides(environ: Mapping[str, str]) -> bool:
    """Whether rich's Console may take stdout for a terminal: a tty, or an environment that
    says what it is (`FORCE_COLOR`, `TTY_COMPATIBLE`), whose reading changed between rich
    versions (13.7 takes any FORCE_COLOR for a terminal, 14 an empty one for none)."""
    if "FORCE_COLOR" in environ or "TTY_COMPATIBLE" in environ:
        return True
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        return False if isatty is None else bool(isatty())
    except ValueError:  # a closed stdout (rich says: not a terminal)
        return False


def wrapped(text: str, width: int) -> list[str] | None:
    """`text` as rich prints it `width` cells wide (Text.wrap, overflow "fold"); None when rich
    would change its characters (controls, tabs, line breaks): let rich print it then."""
    if not text.isprintable():
        return None
    pieces = [text[begin:end] for begin, end in fold_line(text, width)]
    # Text.truncate: a character wider than the line itself is cut (to spaces)
    return [set_cell_size(piece, width) if cell_width(piece) > width else piece for piece in pieces]


def print_lines(lines: Iterable[Sequence[Segment]]) -> None:
    """Print each line as rich's `Console(highlight=False).print(Text.assemble(*line))` does."""
    rows = [tuple(line) for line in lines]
    width = pipe_width()
    if width is not None:
        out: list[str] = []
        for line in rows:
            pieces = wrapped("".join(text for text, _ in line), width)
            if pieces is None:
                break
            out += pieces
        else:
            write_lines(out)
            return
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False)
    for line in rows:
        console.print(Text.assemble(*line))


def write_lines(lines: Iterable[str], chunk: int = 2000) -> None:
    """Write lines to stdout, `chunk` at a time (`| head` sees them at once); a closed pipe ends
    the command with exit 1 and no word, as rich's Console does."""
    try:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) == chunk:
                sys.stdout.write("\n".join(batch) + "\n")
                batch = []
        sys.stdout.write("".join(line + "\n" for line in batch))
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None


def fold_line(line: str, size: int) -> list[tuple[int, int]]:
    """Where rich's Text.wrap(overflow="fold") breaks `line` (no line break in it) into lines of
    at most `size` cells: (begin, end) offsets, the spaces at a break dropped as rich drops them."""
    if cell_width(line) <= size:
        return [(0, len(line))]
    if line.isascii() and line.isprintable() and " " not in line:
        # One long word (a URL): divide_line folds it every `size` characters.
        return [(at, min(at + size, len(line))) for at in range(0, len(line), size)]
    offsets = [0, *divide_line(line, size, fold=True), len(line)]
    pieces = []
    for begin, end in pairwise(offsets):
        excess = end - begin - size  # Text.rstrip_end: characters, not cells
        if excess > 0:
            text = line[begin:end]
            end -= min(len(text) - len(text.rstrip()), excess)
        pieces.append((begin, end))
    return pieces


def cell_width(text: str) -> int:
    """Cells on a terminal: len() for printable ASCII, rich's count for anything else."""
    if text.isascii() and text.isprintable():
        return len(text)
    return cell_len(text)
