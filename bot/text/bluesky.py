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

import math
from dataclasses import dataclass
from functools import lru_cache

from bot.text.bluesky_links import display_url, find_links
from bot.text.clusters import cluster_count
from bot.text.compose import ComposeInput, ComposeSettings, Draft, compose

__all__ = [
    "BYTE_LIMIT",
    "GRAPHEME_LIMIT",
    "BlueskyDraft",
    "BlueskyRule",
    "LinkFacet",
    "Rendered",
    "compose_for_bluesky",
    "graphemes",
    "render",
    "with_full_links",
]

GRAPHEME_LIMIT = 300
BYTE_LIMIT = 3000
_BYTES_PER_GRAPHEME = BYTE_LIMIT // GRAPHEME_LIMIT


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
    """Grapheme clusters, as the server's ``Intl.Segmenter`` counts them (``\\X``; counted
    without it where no character joins a cluster: bot/text/clusters.py)."""
    return cluster_count(text)


def render(text: str) -> Rendered:
    """``text`` (with full URLs) as Bluesky shows it: links shortened, each one a facet."""
    return _render_with_spans(text)[0]


@lru_cache(maxsize=64)
def _links_in(text: str) -> tuple[tuple[int, int, str], ...]:
    """``find_links``, kept for the last few texts: composition asks for a post's links (to
    keep them unglued) and then renders the same post."""
    return tuple(find_links(text))


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
    for start, end, uri in _links_in(text):
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
        return [(start, end) for start, end, _ in _links_in(text)]

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
