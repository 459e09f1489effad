"""A post's text as each platform displays it: which parts are links, and how a link reads.

The preview page shows a post the way its platform will: X shows each link by its
``display_url`` (no scheme, no ``www.``, long ones cut with "…", the link itself through t.co),
Mastodon hides the scheme and ``www.`` and cuts what is left at 30 characters with "…",
Bluesky's app shows the shortened text paperbot posts (bot/text/bluesky.py) with the full URL
in the facet. Which spans are links is each platform's own rule (bot/text), and #hashtags are
shown as tags where Bluesky's rules find them (bot/text/hashtags.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.text.bluesky import render
from bot.text.bluesky_tags import tag_facets
from bot.text.length_rules import XRule
from bot.text.mastodon import MastodonRule

__all__ = ["Segment", "displayed", "mastodon_display", "x_display"]

X_DISPLAY_MAX = 27  # characters of a link X shows before its "…" (display_url)
MASTODON_DISPLAY_MAX = 30  # Mastodon's TextFormatter: the rest is hidden behind "…"
_PREFIX = re.compile(r"(?i)^(?:https?://)?(?:www\.)?")


@dataclass(frozen=True)
class Segment:
    """A run of the shown text: plain, a link to ``href``, or a tag (``href`` is the tag)."""

    text: str
    href: str | None = None
    kind: str = "text"


def x_display(url: str) -> str:
    """How X shows a link in a post (its ``display_url``)."""
    bare = _PREFIX.sub("", url)
    return bare if len(bare) <= X_DISPLAY_MAX else bare[:X_DISPLAY_MAX] + "…"


def mastodon_display(url: str) -> str:
    """How Mastodon's web interface shows a link."""
    bare = _PREFIX.sub("", url)
    return bare if len(bare) <= MASTODON_DISPLAY_MAX else bare[:MASTODON_DISPLAY_MAX] + "…"


def displayed(channel: str, text: str) -> list[Segment]:
    """The text as ``channel`` shows it, in segments; ``text`` has its links in full."""
    if channel == "bluesky":
        shown = render(text)
        data = shown.text.encode()
        spans = [
            (len(data[: f.byte_start].decode()), len(data[: f.byte_end].decode()), f.uri)
            for f in shown.facets
        ]
        return _segments(shown.text, spans, lambda piece: piece)
    if channel == "mastodon":
        links = MastodonRule().links(text)
        show = mastodon_display
    else:  # x and dry-run
        links = XRule().links(text)
        show = x_display
    spans = [(start, end, _href(text[start:end])) for start, end in links]
    return _segments(text, spans, show)


def _href(link: str) -> str:
    return link if re.match(r"(?i)^[a-z][a-z0-9+.-]*://", link) else "https://" + link


def _segments(
    text: str, links: list[tuple[int, int, str]], show: Callable[[str], str]
) -> list[Segment]:
    """Plain runs, links (shown by ``show``) and tags, in order; a tag inside a link is none."""
    data = text.encode()
    spans: list[tuple[int, int, str, str]] = [(s, e, uri, "link") for s, e, uri in links]
    for tag in tag_facets(text):
        start = len(data[: tag.byte_start].decode())
        end = len(data[: tag.byte_end].decode())
        if not any(s < end and start < e for s, e, _u, _k in spans):
            spans.append((start, end, tag.tag, "tag"))
    segments: list[Segment] = []
    position = 0
    for start, end, target, kind in sorted(spans):
        if start > position:
            segments.append(Segment(text[position:start]))
        piece = text[start:end]
        segments.append(Segment(show(piece) if kind == "link" else piece, target, kind))
        position = end
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments
