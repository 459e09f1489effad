"""A digest's lines as block tokens: headings, text, blank lines, fenced code and embed cards.

Split from `bot.digests.markdown` because block structure is decided before any entry is: a
Medium embed card spans several lines and holds ``##`` headings of its own that must not start
new entries, and fenced code is taken verbatim. Finding where cards end is indexed once per
file, so hostile input stays linear.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass

from bot.digests.markdown_syntax import EMBED_END, EMBED_START, FENCE, HEADING, link_dest

__all__ = ["Token", "tokenize"]

_EMBED_MAX_LINES = 40


@dataclass
class Token:
    """One block of the digest, with its 1-based line number."""

    line: int
    kind: str  # "heading" | "blank" | "text" | "code" | "embed"
    text: str = ""
    level: int = 0
    url: str = ""


def tokenize(lines: list[str]) -> Iterator[Token]:
    """Lines to tokens: headings, text, fenced code (taken verbatim) and Medium embed cards.

    An embed card spans several lines and its text holds ``##`` headings of its own, which must
    not start new entries, so it is recognised before headings are.
    """
    embeds = _Embeds(lines)
    fence: str | None = None
    i = 0
    while i < len(lines):
        raw = lines[i]
        number = i + 1
        stripped = raw.strip()
        if fence is not None:
            yield Token(number, "code", stripped)
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = None
            i += 1
            continue
        opening = FENCE.match(raw) if ("`" in raw[:4] or "~" in raw[:4]) else None
        if opening:
            fence = opening.group(1)
            yield Token(number, "code", stripped)
            i += 1
            continue
        if not stripped:
            yield Token(number, "blank")
            i += 1
            continue
        first = EMBED_START.match(stripped) if stripped[0] == "[" else None
        if first:
            end = embeds.end(i, stripped[first.end() :])
            if end is not None:
                i, url = end
                yield Token(number, "embed", url=url)
                i += 1
                continue
        heading = HEADING.match(raw) if "#" in raw[:4] else None
        if heading:
            yield Token(number, "heading", heading.group(2) or "", len(heading.group(1)))
        else:
            yield Token(number, "text", stripped)
        i += 1


class _Embeds:
    """Finds where embed cards end.

    A card holds one ``##`` title (on its first line) and ``###`` lines and ends at a line
    ending in ``](url)``, at most _EMBED_MAX_LINES on; a ``#`` or ``##`` heading first means
    the ``[`` was never closed and the text is no card. The next end and the next heading are
    indexed once per file, so thousands of unclosed ``[## `` lines cost one pass, not a
    40-line scan each.
    """

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._ends: list[int] | None = None
        self._stops: list[int] = []

    def _index(self) -> list[int]:
        lines = self.lines
        self._stops = [
            j
            for j, line in enumerate(lines)
            if "#" in line[:4] and (h := HEADING.match(line)) and len(h.group(1)) <= 2
        ]
        return [j for j, line in enumerate(lines) if "](" in line and EMBED_END.search(line)]

    def end(self, start: int, rest: str) -> tuple[int, str] | None:
        """(last line, URL) of the card starting at ``start`` (``rest``: the text after its
        opening ``[``), or None when it is not a card."""
        same_line = EMBED_END.search(rest)
        if same_line:
            return start, link_dest(same_line.group("dest"))
        if self._ends is None:
            self._ends = self._index()
        at = bisect.bisect_right(self._ends, start)
        if at == len(self._ends):
            return None
        j = self._ends[at]
        stop = bisect.bisect_right(self._stops, start)
        if (stop < len(self._stops) and self._stops[stop] <= j) or j >= start + _EMBED_MAX_LINES:
            return None
        found = EMBED_END.search(self.lines[j])
        assert found is not None
        return j, link_dest(found.group("dest"))
