"""A digest's lines as block tokens, tokenized by markdown-it-py: headings, text, blank lines,
fenced code and Medium embed cards.

Block structure is CommonMark's (ATX headings, fences, indented code, thematic breaks,
paragraphs), read by markdown-it-py with the constructs a digest never means turned off:
setext headings (``text`` over ``---`` is a comment and a rule, not a heading), lists, block
quotes, HTML blocks and link reference definitions are all plain text lines here, as they
were for the hand-written digests this reader grew up on. One construct is ours: a Medium
embed card spans several lines and holds ``##`` headings of its own that must not start new
entries, so it is a block rule of its own, tried before headings. Finding where cards end is
indexed once per file, so hostile input stays linear.

Fences follow CommonMark (the line-based reader before this one did not): a backtick fence's
info string holds no backtick (```` ```a`b ```` is text), and a closing fence is indented at
most three spaces.

Imported only by the ``import`` and ``digest`` commands (markdown-it-py takes ~30 ms to load).
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock

from bot.digests.markdown_syntax import EMBED_END, EMBED_START, HEADING, link_dest

__all__ = ["Token", "block_kind", "tokenize"]

_EMBED_MAX_LINES = 40
# CommonMark constructs a digest does not use; with them off those lines read as text.
_OFF = ["blockquote", "list", "reference", "html_block", "lheading"]


@dataclass(slots=True)
class Token:
    """One block of the digest, with its 1-based line number."""

    line: int
    kind: str  # "heading" | "blank" | "text" | "code" | "embed"
    text: str = ""
    level: int = 0
    url: str = ""


@functools.cache
def _parser() -> MarkdownIt:
    """markdown-it-py's CommonMark block parser, without inline parsing (we read the source)."""
    md = MarkdownIt("commonmark")
    md.disable(_OFF)
    md.core.ruler.enableOnly(["normalize", "block"])
    md.block.ruler.before("code", "embed_card", _embed_rule, {"alt": ["paragraph"]})
    md.block.ruler.at("paragraph", _paragraph_rule)
    return md


def tokenize(lines: list[str]) -> Iterator[Token]:
    """Lines to tokens: headings, text, fenced code (taken verbatim) and Medium embed cards.

    Text and code tokens carry their line stripped; a line of only whitespace (Unicode's, not
    just CommonMark's spaces and tabs) is blank.
    """
    embeds = _Embeds(lines)
    blocks = _parser().parse("\n".join(lines), {"embeds": embeds})
    i = 0
    for block in blocks:
        if block.level != 0 or block.map is None or block.nesting == -1:
            continue
        start, end = block.map
        yield from _plain(lines, i, start)
        if block.type == "embed_card":
            yield Token(start + 1, "embed", url=str(block.meta["url"]))
        elif block.type == "heading_open":
            yield _heading(lines[start], start + 1, int(block.tag[1:]))
        elif block.type == "fence":
            yield from (Token(n + 1, "code", lines[n].strip()) for n in range(start, end))
        else:  # paragraph, indented code, thematic break: text lines for the domain rules
            yield from _plain(lines, start, end)
        i = end
    yield from _plain(lines, i, len(lines))


def block_kind(line: str) -> str:
    """What a line standing alone is to the tokenizer: "text", "heading", "code" or "blank".

    The digest writer escapes a comment line unless it is "text", so reader and writer agree
    by construction on what CommonMark structure is.
    """
    if not line.strip():
        return "blank"
    kinds = [t.type for t in _parser().parse(line, {"embeds": _Embeds([line])}) if t.level == 0]
    if kinds[:1] == ["heading_open"]:
        return "heading"
    return "code" if kinds[:1] == ["fence"] else "text"


def _plain(lines: list[str], start: int, end: int) -> Iterator[Token]:
    for n in range(start, end):
        stripped = lines[n].strip()
        yield Token(n + 1, "text", stripped) if stripped else Token(n + 1, "blank")


def _heading(raw: str, number: int, level: int) -> Token:
    """The heading's text as written (closing #s kept: `split_heading` decides about them)."""
    match = HEADING.match(raw)
    text = (match.group(2) or "") if match else raw.strip().lstrip("#").strip()
    return Token(number, "heading", text, level)


def _paragraph_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """CommonMark's paragraph, as markdown-it-py's own rule finds it, as a single token.

    The stock rule also builds the paragraph's inline content and three tokens; we read the
    lines themselves, and skipping that halves the time a large digest takes to tokenize.
    """
    terminators = state.md.block.ruler.getRules("paragraph")
    last = state.lineMax
    old_parent, state.parentType = state.parentType, "paragraph"
    line = start + 1
    while line < last and not state.isEmpty(line):
        # A line indented 4+ is a lazy continuation, never a terminator (as in the stock rule).
        may_end = state.sCount[line] - state.blkIndent <= 3 and state.sCount[line] >= 0
        if may_end and any(rule(state, line, last, True) for rule in terminators):
            break
        line += 1
    state.parentType = old_parent
    state.line = line
    token = state.push("paragraph", "p", 0)
    token.map = [start, line]
    return True


def _embed_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """markdown-it block rule: a Medium embed card ``[](url) [## title … site](url)``."""
    pos = state.bMarks[start] + state.tShift[start]
    char = state.src[pos] if pos < state.eMarks[start] else ""
    if char != "[" and not char.isspace():  # most lines: not a card. (Python's strip below
        return False  # also skips Unicode spaces, which tShift does not.)
    embeds: _Embeds = state.env["embeds"]
    stripped = embeds.lines[start].strip()
    opening = EMBED_START.match(stripped) if stripped[:1] == "[" else None
    if opening is None:
        return False
    found = embeds.end(start, stripped[opening.end() :])
    if found is None or found[0] >= end:
        return False
    if not silent:
        last, url = found
        token = state.push("embed_card", "", 0)
        token.map = [start, last + 1]
        token.meta = {"url": url}
        state.line = last + 1
    return True


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
