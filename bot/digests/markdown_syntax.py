"""The Markdown a digest is written in: our link forms and the lines that mean something.

CommonMark's block structure comes from markdown-it-py (`bot.digests.markdown_blocks`); what
is ours lives here: a line that is only a link (in any of the forms digests use, ``【url】``
and ``arXiv:ID`` included), image lines, embed-card edges, "Posted:" lines and headings that
hold links. `bot.digests.markdown_escape` uses the same patterns to keep comment text from
being taken for one of them. Pure string work.
"""

from __future__ import annotations

import re

from bot.digests.records import normalize_title

__all__ = [
    "EMBED_END",
    "EMBED_START",
    "HEADING",
    "HR",
    "HR_STARTS",
    "IMAGE_LINE",
    "IMAGE_RE",
    "INLINE",
    "is_posted_line",
    "link_dest",
    "link_line",
    "split_heading",
    "trim_url",
    "unescape",
]


# Every pattern below is written so that no two parts can match the same characters: a 10 MB
# line of "[[[[" or "![a](    " must take linear time, not hang the import.
_DEST = r"(?:<[^<>\n]*>|(?:[^\s()<>]|\([^\s()<>]*\))+)"
_LINK_TITLE = r"""(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?"""
_TEXT_ATOM = r"(?:\\.|[^\[\]\\])"
_TEXT = rf"(?:{_TEXT_ATOM}|\[{_TEXT_ATOM}*\])*"  # one level of nested brackets


def _target(name: str) -> str:
    """``(dest "title")`` with ``dest`` in group ``name`` (None for an empty ``()``)."""
    return rf"\(\s*(?:(?P<{name}>{_DEST}){_LINK_TITLE}\s*)?\)"


_IMAGE = rf"!\[(?P<alt>{_TEXT})\]{_target('src')}"
_URL_CHARS = r"[^\s<>\u3000-\u303f\uff00-\uffef]+"
_ID = r"(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"

HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
HR = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
IMAGE_RE = re.compile(_IMAGE)
IMAGE_LINE = re.compile(rf"^(?:{_IMAGE}\s*)+$")
_MD_LINK = re.compile(rf"\[(?P<text>{_TEXT})\]{_target('dest')}")
_AUTOLINK = re.compile(r"<(https?://[^\s<>]+)>", re.IGNORECASE)
_BARE = re.compile(rf"https?://{_URL_CHARS}", re.IGNORECASE)
_ARXIV_TAG = re.compile(rf"arxiv:\s?{_ID}", re.IGNORECASE)
_FULLWIDTH = re.compile(rf"^【\s*(https?://{_URL_CHARS})\s*(?:】)?$", re.IGNORECASE)
_LABEL = re.compile(r"^[^\s:：\[\]<>()【】]{1,16}\s*[:：]\s*(?=\S)")
_POSTED = re.compile(r"^(?:Posted|已发布|投稿)\s*[:：]\s*")
EMBED_START = re.compile(rf"^(?:\[\]\((?P<dest>{_DEST})?\)\s*)?\[(?=\s*#{{1,6}}\s)")
EMBED_END = re.compile(rf"\]\((?P<dest>{_DEST})\)\s*$")
INLINE = re.compile(
    rf"(?P<img>{_IMAGE})"
    rf"|(?P<md>\[{_TEXT}\]{_target('mddest')})"
    r"|<(?P<auto>https?://[^\s<>]+)>"
    rf"|(?P<bare>https?://{_URL_CHARS})"
    rf"|(?P<tag>arxiv:\s?{_ID})",
    re.IGNORECASE,
)
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_PLACEHOLDER = 0xF0000  # where escaped punctuation hides while a heading is parsed


def trim_url(url: str) -> str:
    """Drop the sentence punctuation that follows a bare URL, and unbalanced closing brackets."""
    opened = {")": url.count("("), "]": url.count("[")}
    closed = {")": url.count(")"), "]": url.count("]")}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in closed and opened[last] < closed[last]:
            closed[last] -= 1
        elif last not in ".,;:!?'\"*_~":
            break
        end -= 1
    return url[:end]


def link_dest(raw: str) -> str:
    raw = raw.strip()
    return raw[1:-1].strip() if raw.startswith("<") and raw.endswith(">") else raw


def unescape(text: str) -> str:
    return _ESCAPE.sub(r"\1", text)


# Most lines are prose; these cheap first-character tests spare them the regexes below.
_LINK_STARTS = ("[", "<", "h", "H", "【", "a", "A")
HR_STARTS = frozenset("-*_ ")


def _link_target(line: str) -> str | None:
    """The link when ``line`` is nothing but one link (in any accepted form), else None."""
    s = line.strip()
    if not s.startswith(_LINK_STARTS):
        return None
    first = s[0]
    if first == "[":
        md = _MD_LINK.fullmatch(s)
        return link_dest(md.group("dest") or "") if md else None
    if first == "<":
        auto = _AUTOLINK.fullmatch(s)
        return auto.group(1) if auto else None
    if first == "【":
        wide = _FULLWIDTH.match(s)
        return trim_url(wide.group(1)) if wide else None
    if first in "hH":
        return s if _BARE.fullmatch(s) and trim_url(s) == s else None
    return s if _ARXIV_TAG.fullmatch(s) else None


def link_line(line: str) -> str | None:
    """Like _link_target, also for a labelled link such as ``Paper: https://…``."""
    target = _link_target(line)
    if target is None and (":" in line[:40] or "：" in line[:40]):
        label = _LABEL.match(line.strip())
        if label:
            target = _link_target(line.strip()[label.end() :])
    return target


def is_posted_line(line: str) -> bool:
    s = line.strip()
    if not s.startswith(("P", "已", "投")):
        return False
    match = _POSTED.match(s)
    return match is not None and _link_target(s[match.end() :]) is not None


def _placeholder_base(text: str) -> int | None:
    """A block of 128 private-use code points that ``text`` does not use.

    Escaped punctuation hides there while links and emphasis are taken apart, so ``\\*`` or
    ``\\[`` in a title never count as syntax; a title that itself uses the block simply moves
    us to the next one. None only for a title using all 1,024 blocks.
    """
    if not text or max(text) < chr(_PLACEHOLDER):
        return _PLACEHOLDER
    used = {ord(c) >> 7 for c in text if ord(c) >= _PLACEHOLDER}
    free = next((b for b in range(_PLACEHOLDER >> 7, 0x110000 >> 7) if b not in used), None)
    return None if free is None else free << 7


def split_heading(text: str) -> tuple[str, list[str]]:
    """The plain title of a heading and the links it holds (``## [Title](url)`` is common)."""
    raw = _CLOSING_HASHES.sub("", text.strip())
    base = _placeholder_base(raw)
    if base is None:
        return normalize_title(raw), []
    hidden = _ESCAPE.sub(lambda m: chr(base + ord(m.group(1))), raw)
    block = re.compile(f"[{chr(base)}-{chr(base + 127)}]")

    def restore(value: str) -> str:
        return block.sub(lambda m: chr(ord(m.group(0)) - base), value)

    links: list[str] = []

    def take_link(match: re.Match[str]) -> str:
        links.append(restore(link_dest(match.group("dest") or "")))
        return match.group("text")

    def take_autolink(match: re.Match[str]) -> str:
        links.append(restore(match.group(1)))
        return ""

    hidden = _MD_LINK.sub(take_link, hidden)
    hidden = _AUTOLINK.sub(take_autolink, hidden)
    hidden = _BOLD.sub(r"\1", hidden)
    return normalize_title(restore(hidden)), links
