"""Read a weekly Markdown digest (the shape of Akira's ML News) back into entries.

Digests are written by hand, translated by machines and pasted from Medium, so the reader is
lenient about form and strict about meaning:

* ``#`` headings are the title (with the week) and the sections (papers / technical articles /
  application examples, in English, Chinese or Japanese); one ``##`` heading is one entry.
* An entry's link may be a Markdown link, ``<url>``, a bare URL, ``【url``, ``arXiv:ID``, a link
  in the heading, a Medium embed card, or failing all those a link inside the comment.
* A heading without a usable link is reported as skipped, never dropped silently; so is one
  whose links only lead to the digest author's own profiles ("follow me on Twitter").
* Anything that would upload the wrong file (an image outside the digest's folder) or post
  the wrong link (a link line that is not a URL) is an error, and all errors are collected.

``bot.digest`` writes digests with the escaping rules defined here, so that a rendered digest
reads back to the same entries.
"""

from __future__ import annotations

import bisect
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.sources.records import (
    MAX_IMAGES,
    ErrorList,
    ImageRef,
    ImportedEntry,
    ParsedImport,
    Skipped,
    check_text_size,
    decode_text,
    drop_duplicates,
    make_week,
    normalize_comment,
    normalize_title,
    parse_week,
    resolve_image,
)
from bot.urls import InvalidURL, canonicalize

__all__ = [
    "classify_section",
    "escape_alt",
    "escape_comment_line",
    "escape_title",
    "parse_markdown",
    "parse_markdown_bytes",
]

# -- Markdown syntax, shared with the renderer -------------------------------------------------

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

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HR = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_IMAGE_RE = re.compile(_IMAGE)
_IMAGE_LINE = re.compile(rf"^(?:{_IMAGE}\s*)+$")
_MD_LINK = re.compile(rf"\[(?P<text>{_TEXT})\]{_target('dest')}")
_AUTOLINK = re.compile(r"<(https?://[^\s<>]+)>", re.IGNORECASE)
_BARE = re.compile(rf"https?://{_URL_CHARS}", re.IGNORECASE)
_ARXIV_TAG = re.compile(rf"arxiv:\s?{_ID}", re.IGNORECASE)
_FULLWIDTH = re.compile(rf"^【\s*(https?://{_URL_CHARS})\s*(?:】)?$", re.IGNORECASE)
_LABEL = re.compile(r"^[^\s:：\[\]<>()【】]{1,16}\s*[:：]\s*(?=\S)")
_POSTED = re.compile(r"^(?:Posted|已发布|投稿)\s*[:：]\s*")
_EMBED_START = re.compile(rf"^(?:\[\]\((?P<dest>{_DEST})?\)\s*)?\[(?=\s*#{{1,6}}\s)")
_EMBED_END = re.compile(rf"\]\((?P<dest>{_DEST})\)\s*$")
_INLINE = re.compile(
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
_ASCII_PUNCT = frozenset(string.punctuation)
_PLACEHOLDER = 0xF0000  # where escaped punctuation hides while a heading is parsed
_EMBED_MAX_LINES = 40


def _trim_url(url: str) -> str:
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


def _dest(raw: str) -> str:
    raw = raw.strip()
    return raw[1:-1].strip() if raw.startswith("<") and raw.endswith(">") else raw


def _unescape(text: str) -> str:
    return _ESCAPE.sub(r"\1", text)


# Most lines are prose; these cheap first-character tests spare them the regexes below.
_LINK_STARTS = ("[", "<", "h", "H", "【", "a", "A")
_HR_STARTS = frozenset("-*_ ")


def _link_target(line: str) -> str | None:
    """The link when ``line`` is nothing but one link (in any accepted form), else None."""
    s = line.strip()
    if not s.startswith(_LINK_STARTS):
        return None
    first = s[0]
    if first == "[":
        md = _MD_LINK.fullmatch(s)
        return _dest(md.group("dest") or "") if md else None
    if first == "<":
        auto = _AUTOLINK.fullmatch(s)
        return auto.group(1) if auto else None
    if first == "【":
        wide = _FULLWIDTH.match(s)
        return _trim_url(wide.group(1)) if wide else None
    if first in "hH":
        return s if _BARE.fullmatch(s) and _trim_url(s) == s else None
    return s if _ARXIV_TAG.fullmatch(s) else None


def _link_line(line: str) -> str | None:
    """Like _link_target, also for a labelled link such as ``Paper: https://…``."""
    target = _link_target(line)
    if target is None and (":" in line[:40] or "：" in line[:40]):
        label = _LABEL.match(line.strip())
        if label:
            target = _link_target(line.strip()[label.end() :])
    return target


def _is_posted_line(line: str) -> bool:
    s = line.strip()
    if not s.startswith(("P", "已", "投")):
        return False
    match = _POSTED.match(s)
    return match is not None and _link_target(s[match.end() :]) is not None


def _is_special(line: str) -> bool:
    """Whether the reader would take ``line`` for structure rather than comment text."""
    s = line.strip()
    return bool(
        _HEADING.match(line)
        or _FENCE.match(line)
        or (s[:1] in _HR_STARTS and _HR.match(line))
        or (s.startswith("![") and _IMAGE_LINE.match(s))
        or (s.startswith("[") and _EMBED_START.match(s))
        or _is_posted_line(line)
        or _link_line(line) is not None
    )


def escape_comment_line(line: str) -> str:
    """A comment line as the digest must spell it so that it reads back as text.

    A backslash in front hides headings, link lines, image lines and the like, as Markdown's
    own escapes do; the reader removes exactly one.
    """
    return "\\" + line if line.startswith("\\") or _is_special(line) else line


def _unescape_comment_line(line: str) -> str:
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


def _heading_title(text: str) -> tuple[str, list[str]]:
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
        links.append(restore(_dest(match.group("dest") or "")))
        return match.group("text")

    def take_autolink(match: re.Match[str]) -> str:
        links.append(restore(match.group(1)))
        return ""

    hidden = _MD_LINK.sub(take_link, hidden)
    hidden = _AUTOLINK.sub(take_autolink, hidden)
    hidden = _BOLD.sub(r"\1", hidden)
    return normalize_title(restore(hidden)), links


# -- sections, table of contents and weeks ---------------------------------------------------

_SECTION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("application", ("application", "use case", "应用", "應用", "応用", "活用事例", "事例")),
    ("article", ("article", "blog", "文章", "記事", "ブログ", "博客")),
    ("paper", ("paper", "research", "publication", "论文", "論文", "研究")),
)
_TOC_WORDS = frozenset(
    ("contents", "table of contents", "toc", "内容", "目录", "目錄", "目次", "もくじ", "索引")
)


def classify_section(heading: str) -> str | None:
    """The entry kind a section heading names, in English, Chinese or Japanese, else None."""
    text = heading.lower()
    for kind, words in _SECTION_WORDS:
        if any(word in text for word in words):
            return kind
    return None


def _is_toc(title: str) -> bool:
    text = re.sub(r"^[\d.\s]+|[\s:：]+$", "", title.lower())
    return text in _TOC_WORDS


_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_WEEK_WITH_YEAR = (
    re.compile(r"(?<!\d)(\d{4})\s*-?\s*W\s*(\d{1,2})(?!\d)", re.IGNORECASE),
    re.compile(r"(?<!\d)(\d{4})\s*年\s*の?\s*第\s*(\d{1,2})\s*[周週](?!\d)"),
)
_WEEK_ONLY = (
    re.compile(r"第\s*(\d{1,2})\s*[周週]"),
    re.compile(r"\bweek\s*(?:no\.?\s*|#\s*)?(\d{1,2})(?!\d)", re.IGNORECASE),
    re.compile(r"\bW(\d{1,2})(?!\d)"),
)


def _names_week(title: str) -> bool:
    return any(p.search(title) for p in (*_WEEK_WITH_YEAR, *_WEEK_ONLY))


def _week_of(title: str, context: str, default_year: int | None) -> tuple[int, int] | None:
    """(year, week) a title names, e.g. "2020 年第 37 周", "Week 37 2020", "2020-W37".

    A title that gives the week but not the year ("第37週") takes the year from the text
    before the first entry, then from the caller's default week.
    """
    for pattern in _WEEK_WITH_YEAR:
        match = pattern.search(title)
        if match:
            return int(match.group(1)), int(match.group(2))
    for pattern in _WEEK_ONLY:
        match = pattern.search(title)
        if match:
            year = _YEAR.search(title) or _YEAR.search(context)
            if year:
                return int(year.group(1)), int(match.group(1))
            if default_year is not None:
                return default_year, int(match.group(1))
            return None
    return None


# -- own profiles --------------------------------------------------------------------------

_TWITTER_RESERVED = frozenset(
    ("i", "home", "search", "intent", "hashtag", "share", "explore", "settings", "messages")
)
_GITHUB_RESERVED = frozenset(
    ("orgs", "topics", "features", "about", "marketplace", "explore", "sponsors", "settings",
     "search", "collections", "trending", "login", "join", "notifications", "apps")
)  # fmt: skip
_SIMPLE_PROFILE_HOSTS = {
    "facebook.com": "facebook",
    "instagram.com": "instagram",
    "qiita.com": "qiita",
    "zenn.dev": "zenn",
    "note.com": "note",
    "dev.to": "devto",
    "speakerdeck.com": "speakerdeck",
    "huggingface.co": "huggingface",
}


@dataclass(frozen=True)
class _Social:
    platform: str
    handle: str  # lower-cased
    profile: bool  # the profile itself, or a place the owner keeps notes (repo issues, wiki)
    bare: bool  # nothing after the handle


_HOST = re.compile(r"^https?://(?:[^/?#@]*@)?([^/?#:]+)", re.IGNORECASE)
_SOCIAL_HOSTS = frozenset(
    ("twitter.com", "x.com", "github.com", "medium.com", "linkedin.com", "youtube.com", "bsky.app",
     *_SIMPLE_PROFILE_HOSTS)
)  # fmt: skip


def _social(url: str) -> _Social | None:
    """Who a social-network link belongs to, if it is one."""
    quick = _HOST.match(url)
    if quick:  # most links are not social: skip the full parse for them
        host = quick.group(1).lower()
        for prefix in ("www.", "mobile.", "m."):
            host = host.removeprefix(prefix)
        if host not in _SOCIAL_HOSTS and not host.endswith(".medium.com"):
            return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "mobile.", "m."):
        host = host.removeprefix(prefix)
    segs = [seg for seg in parts.path.split("/") if seg]
    if host in ("twitter.com", "x.com"):
        if not segs or segs[0].lower() in _TWITTER_RESERVED:
            return None
        tabs = ("with_replies", "media", "likes", "highlights")
        profile = len(segs) == 1 or (len(segs) == 2 and segs[1] in tabs)
        return _Social("twitter", segs[0].lower().lstrip("@"), profile, len(segs) == 1)
    if host == "github.com":
        if not segs or segs[0].lower() in _GITHUB_RESERVED:
            return None
        notes = len(segs) >= 3 and segs[2] in ("issues", "discussions", "wiki")
        return _Social("github", segs[0].lower(), len(segs) == 1 or notes, len(segs) == 1)
    if host == "medium.com" and segs:
        return _Social("medium", segs[0].lower().lstrip("@"), len(segs) == 1, len(segs) == 1)
    if host.endswith(".medium.com") and host.count(".") == 2:
        return _Social("medium", host.split(".")[0], not segs, not segs)
    if host == "linkedin.com" and len(segs) >= 2 and segs[0] == "in":
        return _Social("linkedin", segs[1].lower(), len(segs) == 2, len(segs) == 2)
    if host == "youtube.com" and segs and segs[0].startswith("@"):
        return _Social("youtube", segs[0][1:].lower(), len(segs) == 1, len(segs) == 1)
    if host == "bsky.app" and len(segs) >= 2 and segs[0] == "profile":
        return _Social("bluesky", segs[1].lower(), len(segs) == 2, len(segs) == 2)
    if host in _SIMPLE_PROFILE_HOSTS and segs:
        handle = segs[0].lower().lstrip("@")
        return _Social(_SIMPLE_PROFILE_HOSTS[host], handle, len(segs) == 1, len(segs) == 1)
    return None


def _author_handles(preamble_urls: Iterable[str], all_urls: Iterable[str]) -> frozenset[str]:
    """The handles the digest's author goes by, guessed from how the digest links to them.

    A handle counts as the author's when it is linked from the text before the first entry
    (the "original post" link), when a bare Twitter/X profile is linked (digests end with
    "follow me"), or when the same handle appears on two different networks (the seed's
    github.com/AkiraTOSEI and twitter.com/AkiraTOSEI): third parties rarely line up like that.
    """
    handles: set[str] = set()
    for url in preamble_urls:
        social = _social(url)
        if social:
            handles.add(social.handle)
    platforms: dict[str, set[str]] = {}
    for url in all_urls:
        social = _social(url)
        if social is None:
            continue
        platforms.setdefault(social.handle, set()).add(social.platform)
        if social.platform == "twitter" and social.bare:
            handles.add(social.handle)
    handles.update(handle for handle, seen in platforms.items() if len(seen) >= 2)
    return frozenset(handles)


def _is_own_profile(url: str, authors: frozenset[str]) -> bool:
    social = _social(url)
    if social is None:
        return False
    if social.platform == "twitter" and social.bare:
        return True
    return social.profile and social.handle in authors


# -- tokens ----------------------------------------------------------------------------------


@dataclass
class _Token:
    line: int
    kind: str  # "heading" | "blank" | "text" | "code" | "embed"
    text: str = ""
    level: int = 0
    url: str = ""


def _tokens(lines: list[str]) -> Iterator[_Token]:
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
            yield _Token(number, "code", stripped)
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = None
            i += 1
            continue
        opening = _FENCE.match(raw) if ("`" in raw[:4] or "~" in raw[:4]) else None
        if opening:
            fence = opening.group(1)
            yield _Token(number, "code", stripped)
            i += 1
            continue
        if not stripped:
            yield _Token(number, "blank")
            i += 1
            continue
        first = _EMBED_START.match(stripped) if stripped[0] == "[" else None
        if first:
            end = embeds.end(i, stripped[first.end() :])
            if end is not None:
                i, url = end
                yield _Token(number, "embed", url=url)
                i += 1
                continue
        heading = _HEADING.match(raw) if "#" in raw[:4] else None
        if heading:
            yield _Token(number, "heading", heading.group(2) or "", len(heading.group(1)))
        else:
            yield _Token(number, "text", stripped)
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
            if "#" in line[:4] and (h := _HEADING.match(line)) and len(h.group(1)) <= 2
        ]
        return [j for j, line in enumerate(lines) if "](" in line and _EMBED_END.search(line)]

    def end(self, start: int, rest: str) -> tuple[int, str] | None:
        """(last line, URL) of the card starting at ``start`` (``rest``: the text after its
        opening ``[``), or None when it is not a card."""
        same_line = _EMBED_END.search(rest)
        if same_line:
            return start, _dest(same_line.group("dest"))
        if self._ends is None:
            self._ends = self._index()
        at = bisect.bisect_right(self._ends, start)
        if at == len(self._ends):
            return None
        j = self._ends[at]
        stop = bisect.bisect_right(self._stops, start)
        if (stop < len(self._stops) and self._stops[stop] <= j) or j >= start + _EMBED_MAX_LINES:
            return None
        found = _EMBED_END.search(self.lines[j])
        assert found is not None
        return j, _dest(found.group("dest"))


# -- entries ---------------------------------------------------------------------------------


@dataclass
class _Candidate:
    raw: str
    line: int
    strict: bool  # a link line or heading link: a bad URL there is an error, not just ignored
    url: str = ""
    arxiv_id: str | None = None


@dataclass
class _RawEntry:
    line: int
    heading: str
    kind: str | None
    tokens: list[_Token] = field(default_factory=list)


@dataclass
class _Body:
    """An entry's body split into its parts; ``items`` are comment lines, "" for a break."""

    items: list[str] = field(default_factory=list)
    link_items: dict[int, _Candidate] = field(default_factory=dict)
    candidates: list[_Candidate] = field(default_factory=list)
    inline: list[_Candidate] = field(default_factory=list)
    images: list[tuple[int, str, str]] = field(default_factory=list)


def _inline_links(text: str, line: int) -> Iterator[_Candidate]:
    if "[" not in text and "<" not in text and "://" not in text and ":" not in text:
        return
    for match in _INLINE.finditer(text):
        if match.group("img"):
            continue
        if match.group("md"):
            if not match.group("mddest"):
                continue
            raw = _dest(match.group("mddest"))
        elif match.group("bare"):
            raw = _trim_url(match.group("bare"))
        else:
            raw = match.group("auto") or match.group("tag")
        yield _Candidate(raw, line, strict=False)


def _split_body(tokens: list[_Token]) -> _Body:
    body = _Body()
    for token in tokens:
        if token.kind == "blank":
            body.items.append("")
        elif token.kind == "embed":
            body.candidates.append(_Candidate(token.url, token.line, strict=True))
            body.items.append("")
        elif token.kind == "code":
            body.items.append(token.text)
        elif token.kind == "heading":  # "###" and deeper: part of the comment
            body.items.append(token.text and f"{'#' * token.level} {token.text}")
        else:
            _split_text_line(token, body)
    return body


def _split_text_line(token: _Token, body: _Body) -> None:
    text = token.text
    if (text[:1] in _HR_STARTS and _HR.match(text)) or _is_posted_line(text):
        body.items.append("")
        return
    if text.startswith("\\"):
        unescaped = _unescape_comment_line(text)
        if unescaped != text:
            body.items.append(unescaped)
            body.inline.extend(_inline_links(unescaped, token.line))
            return
    if text.startswith("![") and _IMAGE_LINE.match(text):
        for match in _IMAGE_RE.finditer(text):
            body.images.append(
                (token.line, _dest(match.group("src") or ""), _unescape(match.group("alt")))
            )
        return
    target = _link_line(text)
    if target is not None:
        candidate = _Candidate(target, token.line, strict=True)
        body.candidates.append(candidate)
        body.link_items[len(body.items)] = candidate
        body.items.append(text)
        return
    body.items.append(text)
    body.inline.extend(_inline_links(text, token.line))


def _canonical(candidate: _Candidate, errors: ErrorList) -> bool:
    try:
        canonical = canonicalize(candidate.raw)
    except InvalidURL as exc:
        if candidate.strict:
            errors.add(candidate.line, "url", str(exc))
        return False
    candidate.url, candidate.arxiv_id = canonical.url, canonical.arxiv_id
    return True


@dataclass
class _Context:
    base_dir: Path
    week: str | None
    check_images: bool
    errors: ErrorList
    authors: frozenset[str] = frozenset()


def _finish_entry(
    raw: _RawEntry, body: _Body, title: str, heading_links: list[str], ctx: _Context
) -> ImportedEntry | Skipped | None:
    """Pick the entry's link and comment, resolve its images; None when it is not an entry.

    The link is the first usable one of: links in the heading, link lines and embed cards
    (in order), links inside the comment. An empty title is allowed, as in CSV: the caller
    fills it from arXiv.
    """
    candidates = [_Candidate(link, raw.line, strict=True) for link in heading_links]
    candidates += body.candidates + body.inline
    usable = [c for c in candidates if _canonical(c, ctx.errors)]
    if not candidates and _is_toc(title):
        return None
    chosen = next((c for c in usable if not _is_own_profile(c.url, ctx.authors)), None)
    if chosen is None:
        if usable:
            shown = usable[0].url.split("://", 1)[-1]
            return Skipped(raw.line, title, f"links only to the author's own profile ({shown})")
        if candidates:
            return Skipped(raw.line, title, "no usable link (only non-http(s) links)")
        if not title:
            return None
        return Skipped(raw.line, title, "no link (expected a URL or arXiv:ID under the heading)")
    items = [
        "" if (c := body.link_items.get(index)) is not None and c.url == chosen.url else text
        for index, text in enumerate(body.items)
    ]
    images: list[ImageRef] = []
    for line, source, alt in body.images:
        try:
            resolved = resolve_image(
                source, base_dir=ctx.base_dir, confine=True, check=ctx.check_images
            )
        except ValueError as exc:
            ctx.errors.add(line, "image", str(exc))
            continue
        images.append(ImageRef(resolved, normalize_title(alt)))
    if len(body.images) > MAX_IMAGES:
        ctx.errors.add(raw.line, "images", f"{len(body.images)} images; X takes at most 4")
    kind = raw.kind or ("paper" if chosen.arxiv_id else "article")
    return ImportedEntry(
        kind=kind,
        title=title,
        url=chosen.url,
        arxiv_id=chosen.arxiv_id,
        comment=normalize_comment("\n".join(items)),
        images=tuple(images),
        week=ctx.week,
        at=None,
        line=raw.line,
    )


# -- the whole file --------------------------------------------------------------------------


def _levels(tokens: list[_Token]) -> tuple[int, int]:
    """(section level, entry level): ``#``/``##`` as in the seed, or ``##``/``###`` when the
    digest puts its sections one level down and has no ``#`` section."""
    headings = [t for t in tokens if t.kind == "heading"]
    if any(t.level == 1 and classify_section(t.text) for t in headings):
        return 1, 2
    if any(t.level == 2 and classify_section(t.text) for t in headings) and any(
        t.level == 3 for t in headings
    ):
        return 2, 3
    return 1, 2


def parse_markdown(
    text: str,
    *,
    base_dir: Path,
    source_name: str = "<stdin>",
    default_week: str | None = None,
    week_override: str | None = None,
    check_images: bool = True,
) -> ParsedImport:
    """Read a Markdown digest; raise ImportFileError listing every problem in it.

    The week is ``week_override`` when given (the user's explicit ``--week`` beats whatever
    the file says), else the week the title names, else ``default_week``, else None (the
    caller then uses the current week). Relative image paths are resolved against
    ``base_dir`` and must stay inside it; ``check_images=False`` skips checking that they
    exist (for previews and tests), not the confinement.
    """
    errors = ErrorList(source_name)
    check_text_size(text, source_name=source_name)
    override = _checked_week(week_override, errors)
    default = _checked_week(default_week, errors)
    tokens = list(_tokens(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")))
    section_level, entry_level = _levels(tokens)

    title: _Token | None = None
    kind: str | None = None
    started = False  # past the preamble: a section or an entry has begun
    current: _RawEntry | None = None
    raws: list[_RawEntry] = []
    preamble: list[_Token] = []
    for token in tokens:
        if token.kind == "heading" and token.level <= section_level:
            current = None
            section = classify_section(token.text) if token.level == section_level else None
            top = token.level < section_level or _names_week(token.text) or section is None
            if title is None and not started and top:
                title = token
            elif token.level == section_level:
                kind, started = section, True
        elif token.kind == "heading" and token.level == entry_level:
            current = _RawEntry(token.line, token.text, kind)
            raws.append(current)
            started = True
        elif current is not None:
            current.tokens.append(token)
        elif not started:
            preamble.append(token)

    week = override
    if week is None and title is not None:
        context = "\n".join(t.text for t in preamble)
        default_year = int(default[:4]) if default else None
        found = _week_of(title.text, context, default_year)
        if found:
            try:
                week = make_week(*found)
            except ValueError as exc:
                errors.add(title.line, "week", f"the title names a week that does not exist: {exc}")
    week = week or default

    ctx = _Context(base_dir, week, check_images, errors)
    parts = []
    for raw in raws:
        heading_title, heading_links = _heading_title(raw.heading)
        parts.append((raw, _split_body(raw.tokens), heading_title, heading_links))
    preamble_urls = [c.raw for t in preamble for c in _inline_links(t.text, t.line)]
    all_urls = list(preamble_urls)
    for _, body, _, heading_links in parts:
        all_urls += heading_links + [c.raw for c in (*body.candidates, *body.inline)]
    ctx.authors = _author_handles(preamble_urls, all_urls)

    entries: list[ImportedEntry] = []
    skipped: list[Skipped] = []
    for raw, body, heading_title, heading_links in parts:
        result = _finish_entry(raw, body, heading_title, heading_links, ctx)
        if isinstance(result, ImportedEntry):
            entries.append(result)
        elif result is not None:
            skipped.append(result)
    kept = drop_duplicates(entries, skipped)
    if not kept and not errors.errors:
        reason = "no entries found (expected '## title' headings with links)"
        if skipped:
            reason += f"; {len(skipped)} heading(s) skipped, the first: {skipped[0].reason}"
        errors.add(None, None, reason)
    errors.raise_if_any()
    skipped.sort(key=lambda s: s.line)
    return ParsedImport(week=week, entries=kept, skipped=tuple(skipped))


def _checked_week(week: str | None, errors: ErrorList) -> str | None:
    if week is None:
        return None
    try:
        return parse_week(week)
    except ValueError as exc:
        errors.add(None, "week", str(exc))
        return None


def parse_markdown_bytes(
    data: bytes,
    *,
    base_dir: Path,
    source_name: str = "<stdin>",
    default_week: str | None = None,
    week_override: str | None = None,
    check_images: bool = True,
) -> ParsedImport:
    """parse_markdown for raw file contents: checks size and UTF-8 before anything else."""
    text = decode_text(data, source_name=source_name)
    return parse_markdown(
        text,
        base_dir=base_dir,
        source_name=source_name,
        default_week=default_week,
        week_override=week_override,
        check_images=check_images,
    )
