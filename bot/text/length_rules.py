"""How long a post is, per platform: the one thing composition needs to know about a platform.

``bot.text.compose`` fills a template and shortens the sentence until the post fits; it asks a
``LengthRule`` how long a candidate is and where its links are. X counts with twitter-text v3
(``bot.text.twitter_text``: weighted characters, every link 23); Bluesky counts graphemes and UTF-8
bytes
of the text as its app shows it (``bot.text.bluesky``). A rule is a small frozen value, so
composition results can be cached by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from bot.text import twitter_text as textlen

__all__ = ["MASTODON_MAX_CHARACTERS", "MASTODON_URL_LENGTH", "LengthRule", "XRule", "measure_x"]

#: A stock Mastodon instance's ``max_characters`` and ``characters_reserved_per_url`` (the
#: defaults when the instance does not say; bot.text.mastodon counts by them).
MASTODON_MAX_CHARACTERS = 500
MASTODON_URL_LENGTH = 23


class LengthRule(Protocol):
    """A platform's length limit, as composition needs it.

    ``measure`` is compared with ``limit``; ``links`` gives the ``(start, end)`` spans of the
    text that the platform will make links of, so composition can check the post's own link is
    there exactly once. ``unit`` names what ``measure`` counts, for warnings. A rule may also
    have ``measure_links(text)`` returning both at once, when one pass over the text finds them
    (composition then uses it: a post is measured many times while it is shortened).
    """

    @property
    def name(self) -> str: ...

    @property
    def limit(self) -> int: ...

    @property
    def unit(self) -> str: ...

    def measure(self, text: str) -> int: ...

    def __hash__(self) -> int: ...  # compositions are cached per rule

    def links(self, text: str) -> list[tuple[int, int]]: ...


@dataclass(frozen=True)
class XRule:
    """X's rule: twitter-text v3 weighted length (links 23, CJK and emoji 2), NFC."""

    limit: int = textlen.MAX_WEIGHTED_LENGTH
    name: str = "x"
    unit: str = "weighted characters"

    def measure(self, text: str) -> int:
        return textlen.weighted_length(text)

    def links(self, text: str) -> list[tuple[int, int]]:
        from bot.text.url_extract import extract_urls

        return extract_urls(text)


@lru_cache(maxsize=64)
def measure_x(text: str) -> tuple[int, list[tuple[int, int]]]:
    """twitter-text's ``measure`` of NFC ``text`` (weight and link spans), kept for a while.

    An entry composed for X and then for Mastodon usually gives the same text, and Mastodon
    finds links with twitter-text too (bot/text/mastodon.py): one search serves both. The
    spans list is shared: callers must not change it.
    """
    return textlen.measure(text)
