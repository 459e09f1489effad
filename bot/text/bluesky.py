"""Bluesky's text rules, pure and without I/O: what its app shows, how long that is, the facets.

A Bluesky post is plain text plus "facets": a link is only clickable if a facet covers it, with
UTF-8 byte offsets into the text. The official app shows a long link shortened (host plus the
first 13 characters of the path and "...", the full URL kept in the facet) and counts only what
it shows: at most 300 graphemes and 3,000 UTF-8 bytes.

paperbot composes with full URLs (so the queue and history hold the real link) and renders the
text as Bluesky shows it here: ``render`` is what the channel posts, ``BlueskyRule`` is what
composition measures with, ``compose_for_bluesky`` gives a preview both.
"""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlsplit

import regex

from bot.text import twitter_text as textlen
from bot.text.compose import ComposeInput, ComposeSettings, Draft, compose

__all__ = [
    "BYTE_LIMIT",
    "GRAPHEME_LIMIT",
    "BlueskyDraft",
    "BlueskyRule",
    "LinkFacet",
    "Rendered",
    "compose_for_bluesky",
    "display_url",
    "find_links",
    "graphemes",
    "render",
    "with_full_links",
]

GRAPHEME_LIMIT = 300
BYTE_LIMIT = 3000
_BYTES_PER_GRAPHEME = BYTE_LIMIT // GRAPHEME_LIMIT

# The app's link detection: after a line start, whitespace or "(", a http(s) URL up to the next
# whitespace, or a bare domain (kept only under a known TLD).
_LINK = re.compile(
    r"(?:^|(?<=[\s(]))(?:(?P<url>https?://\S+)|(?P<domain>[a-z][a-z0-9]*(?:\.[a-z0-9]+)+)\S*)",
    re.IGNORECASE | re.MULTILINE,
)
_CLUSTER = regex.compile(r"\X")
# A whitespace-separated token holding a "." (the lookbehind keeps the scan linear).
_DOTTED_TOKEN = re.compile(r"(?<!\S)[^\s.]*\.\S*")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
# What a JavaScript URL parser leaves alone in a path, query or fragment (it encodes the rest).
_URL_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))
# A link that needs no parser: http(s), an ASCII host without port or user, printable ASCII.
_PLAIN_URL = re.compile(r"https?://([a-z0-9-]+(?:\.[a-z0-9-]+)*)([/?#][!-~]*)?", re.I | re.A)


@dataclass(frozen=True)
class LinkFacet:
    """A link facet: bytes ``[byte_start, byte_end)`` of the shown text lead to ``uri``."""

    byte_start: int
    byte_end: int
    uri: str


@dataclass(frozen=True)
class Rendered:
    """The text as Bluesky shows it, its link facets and its two lengths."""

    text: str
    facets: tuple[LinkFacet, ...]
    graphemes: int
    utf8_bytes: int

    @property
    def valid(self) -> bool:
        return 0 < self.graphemes <= GRAPHEME_LIMIT and self.utf8_bytes <= BYTE_LIMIT


def graphemes(text: str) -> int:
    """Grapheme clusters, as the server's ``Intl.Segmenter`` counts them.

    Every ASCII character starts a cluster (but the LF of CR LF), so the slow ``\\X`` pattern
    only runs over the non-ASCII stretches, each with the character before it (a combining mark
    joins it).
    """
    count = len(text) - text.count("\r\n")
    if text.isascii():
        return count
    for run in _NON_ASCII_RUN.finditer(text):
        start, end = run.span()
        count += _joined(text[max(start - 1, 0) : end])
    return count


@lru_cache(maxsize=256)
def _joined(stretch: str) -> int:
    """How many fewer clusters than characters ``stretch`` has (kept: Bluesky's shown text
    and Mastodon's counted text of one post share their non-ASCII stretches)."""
    return len(_CLUSTER.findall(stretch)) - len(stretch)


def find_links(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, uri)`` for each link the app would detect, in order (code point offsets).

    As the official app: a trailing ``.,;:!?`` is not part of the link, nor a trailing ``)``
    when the link has no ``(``; a bare domain becomes ``https://`` + the text.
    """
    if "." not in text:
        return []
    links: list[tuple[int, int, str]] = []
    # A link starts a whitespace-separated token or follows a "(" in one, and holds a ".": only
    # such tokens are tried (scanning all of a long text with the pattern is far slower).
    for token in _DOTTED_TOKEN.finditer(text):
        position, token_end = token.span()
        while position < token_end:
            match = _LINK.match(text, position)
            if match is None:
                position = text.find("(", position, token_end) + 1
                if position == 0:
                    break
                continue
            position = match.end()
            link = _link(match)
            if link is not None:
                links.append(link)
    return links


def _link(match: re.Match[str]) -> tuple[int, int, str] | None:
    uri = match.group(0)
    start, end = match.span()
    bare = match.group("url") is None
    if bare and not textlen.is_known_tld(match.group("domain").rsplit(".", 1)[-1]):
        return None
    if uri[-1] in ".,;:!?":
        uri, end = uri[:-1], end - 1
    if uri.endswith(")") and "(" not in uri:
        uri, end = uri[:-1], end - 1
    return start, end, "https://" + uri if bare else uri


@lru_cache(maxsize=4096)
def display_url(uri: str) -> str:
    """The link as the app shows it: no scheme, and a path over 15 characters cut to 13 + "...".

    A plain ASCII link (the usual case: every entry has a new one) is taken apart by a pattern;
    anything else by ``urlsplit``, with the host in IDNA and the rest percent-encoded.
    """
    plain = _PLAIN_URL.fullmatch(uri)
    if plain is None:
        return _display_url_parsed(uri)
    # As urlsplit: the fragment starts at the first "#", the query at the first "?" before it.
    rest, _, fragment = (plain.group(2) or "").partition("#")
    path, _, query = rest.partition("?")
    shown = "" if path in ("", "/") else path
    if query:
        shown += "?" + query
    if fragment:
        shown += "#" + fragment
    host = plain.group(1).lower()
    return host + shown[:13] + "..." if len(shown) > 15 else host + shown


def _display_url_parsed(uri: str) -> str:
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return uri
    if parts.scheme.lower() not in ("http", "https") or not host:
        return uri
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    if port is not None and port != {"http": 80, "https": 443}[parts.scheme.lower()]:
        host = f"{host}:{port}"
    path = quote(parts.path, safe=_URL_SAFE)
    path = "" if path in ("", "/") else path
    if parts.query:
        path += "?" + quote(parts.query, safe=_URL_SAFE)
    if parts.fragment:
        path += "#" + quote(parts.fragment, safe=_URL_SAFE)
    if len(path.encode("utf-16-le")) // 2 > 15:
        return host + path[:13] + "..."
    return host + path


def render(text: str) -> Rendered:
    """``text`` (with full URLs) as Bluesky shows it: links shortened, each one a facet."""
    return _render_with_spans(text)[0]


@lru_cache(maxsize=64)
def _render_with_spans(text: str) -> tuple[Rendered, list[tuple[int, int]]]:
    """``render`` and the spans of the links in ``text`` itself, found in the same pass.

    Kept for the last few texts: composition measures a post, checks its links and then
    renders it to send, all on the same text.
    """
    pieces: list[str] = []
    facets: list[LinkFacet] = []
    spans: list[tuple[int, int]] = []
    position = 0
    offset = 0  # UTF-8 bytes shown so far
    for start, end, uri in find_links(text):
        before = text[position:start]
        shown = display_url(uri) if text[start:end] == uri else text[start:end]
        offset += len(before.encode())
        size = len(shown.encode())
        facets.append(LinkFacet(offset, offset + size, uri))
        spans.append((start, end))
        pieces += (before, shown)
        offset += size
        position = end
    pieces.append(text[position:])
    shown_text = "".join(pieces)
    rendered = Rendered(shown_text, tuple(facets), graphemes(shown_text), len(shown_text.encode()))
    return rendered, spans


@dataclass(frozen=True)
class BlueskyRule:
    """Bluesky's limit for composition: the shown text within 300 graphemes and 3,000 bytes.

    ``measure`` folds both limits into one number compared with 300: the graphemes, or the
    bytes divided by 10 (rounded up) when that is more, as happens only with long clusters.
    """

    limit: int = GRAPHEME_LIMIT
    name: str = "bluesky"
    unit: str = "characters"

    def measure(self, text: str) -> int:
        return _folded(render(text))

    def links(self, text: str) -> list[tuple[int, int]]:
        """Spans of the links in the composed text (full URLs, before shortening)."""
        return list(_render_with_spans(text)[1])

    def measure_links(self, text: str) -> tuple[int, list[tuple[int, int]]]:
        """``measure`` and ``links`` in one pass."""
        shown, spans = _render_with_spans(text)
        return _folded(shown), list(spans)


def _folded(shown: Rendered) -> int:
    return max(shown.graphemes, math.ceil(shown.utf8_bytes / _BYTES_PER_GRAPHEME))


@dataclass(frozen=True)
class BlueskyDraft:
    """A composed post for Bluesky: the draft (full URLs) and what is posted from it."""

    draft: Draft
    shown: Rendered

    @property
    def text(self) -> str:
        return self.shown.text

    @property
    def facets(self) -> tuple[LinkFacet, ...]:
        return self.shown.facets


def compose_for_bluesky(
    entry: ComposeInput, settings: ComposeSettings = ComposeSettings()
) -> BlueskyDraft:
    """The entry composed within Bluesky's limits, and the text and facets to post."""
    draft = compose(entry, settings, BlueskyRule())
    return BlueskyDraft(draft, render(draft.text))


def with_full_links(text: str, facets: tuple[LinkFacet, ...]) -> str:
    """The inverse of ``render``: each link facet's shown text replaced by its full URL.

    A post read back from Bluesky then compares with the composed text it came from.
    """
    data = text.encode()
    pieces: list[bytes] = []
    position = 0
    for facet in sorted(facets, key=lambda f: f.byte_start):
        if not position <= facet.byte_start <= facet.byte_end <= len(data):
            continue  # overlapping or out of range: leave that one alone
        pieces += (data[position : facet.byte_start], facet.uri.encode())
        position = facet.byte_end
    pieces.append(data[position:])
    return b"".join(pieces).decode(errors="replace")
