"""Escaping for the digest writer (`bot.digest`), and its undoing in the reader.

A digest is both an import file and a page people read in a CommonMark viewer, so a comment
line is escaped when either would take it for something other than text:

* the reader (`bot.sources.markdown`): a heading or fence (asked of the same markdown-it-py
  tokenizer the reader uses), a rule, a link line, an image line, an embed card's start, a
  "Posted:" line;
* a viewer: an HTML block (``<!--`` hides the rest of the page), a setext underline (``===``
  under a line makes it a heading), a link reference definition (the line disappears).

The escape is one backslash in front, which CommonMark itself removes before punctuation, and
the reader removes exactly one.
"""

from __future__ import annotations

import re
import string

from bot.sources.markdown_blocks import block_kind
from bot.sources.markdown_syntax import (
    EMBED_START,
    HR,
    HR_STARTS,
    IMAGE_LINE,
    is_posted_line,
    link_line,
)
from bot.sources.records import normalize_title

__all__ = ["escape_alt", "escape_comment_line", "escape_title", "unescape_comment_line"]

_ASCII_PUNCT = frozenset(string.punctuation)
_VIEWER_TRAPS = re.compile(r"<[A-Za-z/!?]|(?:=+|-+)[ \t]*$|\[[^\]]*\]:")


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
    )


def escape_comment_line(line: str) -> str:
    """A comment line as the digest must spell it so that it reads back as text, in the
    reader and in a CommonMark viewer (comment lines arrive trimmed: see normalize_comment)."""
    if line.startswith("\\") or _is_special(line) or _VIEWER_TRAPS.match(line):
        return "\\" + line
    return line


def unescape_comment_line(line: str) -> str:
    if (
        line.startswith("\\")
        and len(line) > 1
        and (line[1] in _ASCII_PUNCT or _is_special(line[1:]))
    ):
        return line[1:]
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
