"""How the fake X shows a post's text: as X does, never as it was sent.

Real X (see the "Platforms" notes the project keeps) returns every link in a post's ``text``
wrapped as a ``https://t.co/...`` link, links typed without a scheme (``example.com/x``)
included, because X auto-links them; a post with media gets one more t.co link appended, whose
entity in ``entities.urls`` carries a ``media_key``, expands to
``https://x.com/<user>/status/<id>/photo/1`` and displays as ``pic.x.com/...``; and ``&``, ``<``,
``>`` come back HTML-escaped. Clients that want their own text back must undo all of it.

The link rules here are written independently of bot/text/twitter_text.py (a second opinion, not a
copy):
a narrower but faithful subset of twitter-text's: http(s) links, ``www.`` links, and bare
domains under a few generic TLDs, with the path cut at characters twitter-text does not allow at
the end of a link (a full stop or a comma after a link stays text). Also the weighted length X
checks against 280, simplified: NFC, links 23, emoji clusters 2, CJK and others 2.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import regex

__all__ = ["ShownLink", "escape", "link_spans", "render", "url_entities", "weighted_length"]

_PATH_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_SCHEME_URL = re.compile(rf"(?i)\bhttps?://{_PATH_CHARS}+")
_BARE_URL = re.compile(
    r"(?i)(?<![A-Za-z0-9@$#._/\-])(?:www\.)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    rf"(?:com|org|net|edu|gov|info|dev|app)(?![A-Za-z0-9\-])(?:/{_PATH_CHARS}*)?"
)
_END_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=_#/+-")
_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


@dataclass(frozen=True)
class ShownLink:
    """One entry of ``entities.urls``: the t.co link and what it stands for."""

    url: str  # https://t.co/<slug>, as it appears in the text
    expanded_url: str
    display_url: str
    media_key: str | None = None


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Cut trailing characters a link may not end with; keep a ``)`` that closes a ``(``."""
    while end > start:
        last = text[end - 1]
        if last in _END_OK:
            break
        if last == ")" and text.count("(", start, end) >= text.count(")", start, end):
            break
        end -= 1
    return start, end


def link_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every link X would wrap in ``text``, in order."""
    spans = []
    for match in _SCHEME_URL.finditer(text):
        start, end = _trim(text, match.start(), match.end())
        if not text[start:end].endswith("/") or end - start > len("https://"):
            spans.append((start, end))  # not a scheme alone
    for match in _BARE_URL.finditer(text):
        if not any(s <= match.start() < e for s, e in spans):
            spans.append(_trim(text, match.start(), match.end()))
    return sorted(spans)


def _display(link: str) -> str:
    bare = re.sub(r"(?i)^(?:https?://)?(?:www\.)?", "", link)
    return bare if len(bare) <= 26 else bare[:25] + "…"


def render(
    text: str,
    new_slug: Callable[[], str],
    *,
    media_key: str | None = None,
    status_url: str = "",
) -> tuple[str, tuple[ShownLink, ...]]:
    """The text as X stores and shows it (before HTML escaping), and its link entities.

    ``media_key`` (the first attachment's) appends the media link, which points at
    ``status_url + "/photo/1"``.
    """
    text = unicodedata.normalize("NFC", text)
    pieces: list[str] = []
    links: list[ShownLink] = []
    position = 0
    for start, end in link_spans(text):
        typed = text[start:end]
        short = f"https://t.co/{new_slug()}"
        expanded = typed if re.match(r"(?i)https?://", typed) else "http://" + typed
        links.append(ShownLink(short, expanded, _display(typed)))
        pieces += [text[position:start], short]
        position = end
    pieces.append(text[position:])
    shown = "".join(pieces)
    if media_key is not None:
        slug = new_slug()
        short = f"https://t.co/{slug}"
        shown = f"{shown} {short}" if shown else short
        links.append(ShownLink(short, f"{status_url}/photo/1", f"pic.x.com/{slug}", media_key))
    return shown, tuple(links)


def escape(text: str) -> str:
    """X returns exactly these three HTML-escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def url_entities(shown: str, links: tuple[ShownLink, ...]) -> list[dict[str, object]]:
    """``entities.urls`` for a post: positions in the escaped text, in code points."""
    escaped = escape(shown)
    entities: list[dict[str, object]] = []
    position = 0
    for link in links:
        start = escaped.index(link.url, position)
        position = start + len(link.url)
        entity: dict[str, object] = {
            "start": start,
            "end": position,
            "url": link.url,
            "expanded_url": link.expanded_url,
            "display_url": link.display_url,
        }
        if link.media_key is not None:
            entity["media_key"] = link.media_key
        entities.append(entity)
    return entities


def weighted_length(text: str) -> int:
    """twitter-text v3, simplified: NFC, links 23, emoji clusters 2, CJK and others 2."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for start, end in link_spans(text):
        total += _plain_length(text[position:start]) + 23
        position = end
    return total + _plain_length(text[position:])


def _is_emoji_cluster(cluster: str) -> bool:
    return any(
        ord(ch) >= 0x1F000 or 0x2600 <= ord(ch) <= 0x27BF or ch in "\u200d\ufe0f" for ch in cluster
    )


def _plain_length(text: str) -> int:
    total = 0
    for cluster in regex.findall(r"\X", text):
        if _is_emoji_cluster(cluster):
            total += 2
            continue
        for ch in cluster:
            light = any(lo <= ord(ch) <= hi for lo, hi in _LIGHT)
            total += 1 if light else 2
    return total
