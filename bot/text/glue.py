"""Links never glued to the text after them: a space where a platform would read on. Pure.

Bluesky's app takes everything up to the next whitespace into a link (less one trailing ``.,;:!?``
and an unbalanced ``)``), and Mastodon's extractor runs on through non-ASCII letters and most
punctuation (bot/text/mastodon_urls.py). So a link written as CJK prose writes it,
``論文はhttps://arxiv.org/abs/2009.01835です。``, becomes a link to ``…2009.01835です。`` there:
a broken link. The link meant is the one twitter-text reads (it stops at the first character
no URL holds, and it is what X links in the same post), so wherever a platform's link runs on
past that end, a space is put there. Where the next character is one a URL may well hold
(``{}|^`` and backquote, backslash: ASCII that X's pattern leaves out but prose rarely glues
to a link), the text is left as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from bot.text.url_extract import extract_urls

__all__ = ["unglued", "unglued_for"]

# A link no reading can end earlier than the platform's: ASCII URL characters ending on a
# letter, a digit or "/" (twitter-text ends there too).
_PLAIN_LINK = re.compile(r"[A-Za-z0-9/:.\-_~%?=&#+@]*[A-Za-z0-9/]")
_URL_LIKE = frozenset("{}|^`\\")
# Every link has a scheme or a dot before a letter (its TLD's): text without either has none.
_MAY_HOLD_LINK = re.compile(r"://|\.[A-Za-z]")
_MAY_PRECEDE = re.compile(r"[\s(]")  # what the app's link may follow
_SPACE = re.compile(r"\s")
_LONGEST = 4096  # twitter-text's longest link
_PASSES = 8  # each pass frees at least one link glued to another


def unglued(text: str, links: list[tuple[int, int]], own: str = "") -> str:
    """``text`` with a space after each of ``links`` (a platform's link spans in it) that runs
    on past where twitter-text ends the same link, and before each ``http(s)://`` link the
    platform does not read at all for the text glued before it (Bluesky's app links only after
    whitespace or "("). ``own`` is the entry's own link, kept whole wherever it is (a CJK path
    is part of it) and ended where it ends. Call it again on the result, with the links found
    in that: a link that gains a space before it may then run on after it."""
    cuts = [
        position
        for position in _glued_schemes(text)
        if not any(start <= position < end for start, end in links)
        and _x_link_starts(text, position)
    ]
    for start, end in links:
        link = text[start:end]
        if own and link.startswith(own):
            if len(link) > len(own) and not link[len(own)].isspace():
                cuts.append(start + len(own))
            continue
        meant = None if _PLAIN_LINK.fullmatch(link) else _meant_end(link)
        if meant is not None:
            cuts.append(start + meant)
    for cut in sorted(cuts, reverse=True):
        text = text[:cut] + " " + text[cut:]
    return text


@lru_cache(maxsize=256)
def _meant_end(link: str) -> int | None:
    """Where twitter-text ends ``link`` (a platform's link), if before its end and before a
    character that prose glues to a link; None to leave it (kept: a post is measured many
    times while it is shortened, with the same links)."""
    found = extract_urls(link)
    if not found or found[0][0] != 0:
        return None  # not a link for X at all (localhost, say): as the platform reads it
    meant = found[0][1]
    if meant < len(link) and link[meant] not in _URL_LIKE and not link[meant].isspace():
        return meant
    return None


def _glued_schemes(text: str) -> list[int]:
    """Where an ``http(s)://`` follows a character other than whitespace or "(" (found with
    ``str.find``: a pattern with a look-behind would try every position)."""
    found: list[int] = []
    separator = text.find("://")
    while separator != -1:
        if separator >= 5 and text.startswith("https", separator - 5):
            start = separator - 5
        elif separator >= 4 and text.startswith("http", separator - 4):
            start = separator - 4
        else:
            start = 0  # no scheme the app reads (it wants "http" in lower case)
        if start > 0 and not _MAY_PRECEDE.match(text, start - 1):
            found.append(start)
        separator = text.find("://", separator + 3)
    return found


def _x_link_starts(text: str, position: int) -> bool:
    """Whether twitter-text reads a link starting at ``position`` (with the character before
    it, which may forbid one: "datahttps://..." is no link for X)."""
    end = _SPACE.search(text, position)  # (a link holds no whitespace)
    found = extract_urls(text[position - 1 : end.start() if end else position + _LONGEST])
    return bool(found) and found[0][0] == 1


def unglued_for(text: str, links: Callable[[str], list[tuple[int, int]]], own: str = "") -> str:
    """``unglued`` until nothing changes, ``links`` finding a platform's links in a text (a
    link given a space before it may then run on after it)."""
    if not _MAY_HOLD_LINK.search(text):
        return text
    for _ in range(_PASSES):
        fixed = unglued(text, links(text), own)
        if fixed == text:
            break
        text = fixed
    return text
