"""Escaping for the digest writer (`bot.digests.writer`), and its undoing in the reader.

A digest is both an import file and a page people read in a CommonMark viewer, so a comment
line is escaped when either would take it for something other than text:

* the reader (`bot.digests.markdown`): a heading or fence (asked of the same markdown-it-py
  tokenizer the reader uses), a rule, a link line, an image line, an embed card's start, a
  "Posted:" line;
* a viewer: an HTML block (``<!--`` hides the rest of the page), a setext underline (``===``
  under a line makes it a heading), a link reference definition (the line disappears), or a
  heading, rule or code inside a list item or quote. A viewer's view is checked by parsing
  the comment with markdown-it-py's full CommonMark parser, so nesting is covered too.

The escape is one backslash in front, which CommonMark itself removes before punctuation, and
the reader removes exactly one. A line starting with a digit cannot be escaped that way (a
backslash before a digit stays visible), so an ordered-list marker is escaped as CommonMark
does it, ``1\\.``, and the reader undoes that too.
"""

from __future__ import annotations

import functools
import re
import string

from markdown_it import MarkdownIt

from bot.digests.markdown_blocks import block_kind
from bot.digests.markdown_syntax import (
    EMBED_START,
    HR,
    HR_STARTS,
    IMAGE_LINE,
    is_posted_line,
    link_line,
)
from bot.digests.records import normalize_title

__all__ = [
    "escape_alt",
    "escape_comment",
    "escape_title",
    "unescape_comment_line",
]

_ASCII_PUNCT = frozenset(string.punctuation)
_ORDERED = re.compile(r"(\d{1,9})([.)])")
_ORDERED_ESCAPED = re.compile(r"\d{1,9}\\[.)]")
_STRUCTURE = frozenset(("heading_open", "hr", "code_block", "fence", "html_block"))


def _is_special(line: str) -> bool:
    """Whether the reader would take ``line`` for structure rather than comment text."""
    s = line.strip()
    return bool(
        (s[:1] in ("#", "`", "~") and block_kind(line) != "text")
        or (s[:1] in HR_STARTS and HR.match(line))
        or (s.startswith("![") and IMAGE_LINE.match(s))
        or (s.startswith("[") and EMBED_START.match(s))
        or is_posted_line(line)
        or link_line(line) is not None
        or (s[:1].isdigit() and _ORDERED_ESCAPED.match(s) is not None)
    )


def _escape_line(line: str) -> str:
    """A comment line as the digest must spell it so that our reader reads it as text."""
    return "\\" + line if line.startswith("\\") or _is_special(line) else line


def escape_comment(comment: str) -> list[str]:
    """A (normalised) comment's lines as the digest spells them.

    Line by line first; then, while a CommonMark viewer would still see structure in the
    comment (see the module docstring), the line where it starts is escaped. Each round
    escapes a line not escaped before, so this ends after at most one round per line.
    """
    lines = [_escape_line(line) for line in comment.split("\n")]
    escaped: set[int] = set()
    while (at := _viewer_structure("\n".join(lines))) is not None and at not in escaped:
        escaped.add(at)
        line = lines[at]
        ordered = _ORDERED.match(line)
        lines[at] = _ORDERED.sub(r"\1\\\2", line, count=1) if ordered else "\\" + line
    return lines


def _viewer_structure(text: str) -> int | None:
    """The first line where CommonMark sees more than text, lists and quotes, else None."""
    env: dict[str, dict[str, dict[str, list[int]]]] = {}
    starts = []
    for token in _viewer().parse(text, env):
        if token.type in _STRUCTURE and token.map is not None:
            setext = token.type == "heading_open" and token.markup in ("=", "-")
            starts.append(token.map[1] - 1 if setext else token.map[0])
    starts += [ref["map"][0] for ref in env.get("references", {}).values()]
    return min(starts, default=None)


@functools.cache
def _viewer() -> MarkdownIt:
    """What GitHub and most editors' previews follow: CommonMark, HTML on."""
    return MarkdownIt("commonmark")


def unescape_comment_line(line: str) -> str:
    """The reader's half: one leading backslash off (or the one in ``1\\.``), if the writer
    could have put it there; any other backslash is the comment's own."""
    if (
        line.startswith("\\")
        and len(line) > 1
        and (line[1] in _ASCII_PUNCT or _is_special(line[1:]))
    ):
        return line[1:]
    if line[:1].isdigit() and _ORDERED_ESCAPED.match(line):
        return line.replace("\\", "", 1)
    return line


def escape_title(title: str) -> str:
    """A title as a ``##`` heading must spell it: emphasis, links and closing #s escaped."""
    escaped = re.sub(r"([\\*\[\]<])", r"\\\1", normalize_title(title))
    trailing = re.search(r"#+$", escaped)
    if trailing and (trailing.start() == 0 or escaped[trailing.start() - 1].isspace()):
        escaped = escaped[: trailing.start()] + "\\" + escaped[trailing.start() :]
    return escaped


def escape_alt(alt: str) -> str:
    return re.sub(r"([\\\[\]])", r"\\\1", normalize_title(alt))
