"""The parts of an entry's post that do not depend on the platform: the sentence and the title.

bot/text/compose.py fills a template from these and shortens them by a platform's rule. Choosing
the comment's first sentence and removing copies of the post's own link are the same work for
X, Bluesky and Mastodon, and an entry is usually composed for all of them in a row
(bot/text/per_channel.py), so ``prepare`` keeps its last few answers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from bot.text import url_extract
from bot.text.sentences import first_sentence

__all__ = ["Prepared", "nfc", "prepare"]

_SCHEME = re.compile(r"^https?://(?:www\.)?", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Prepared:
    """The title (one line, NFC, without the link), the sentence chosen for the post, where
    it came from (``comment`` or ``title``) and warnings about what was changed."""

    title: str
    sentence: str
    source: str
    warnings: tuple[str, ...]


def nfc(text: str) -> str:
    """``text`` NFC-normalised (as X counts it), without copying text that already is."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


@lru_cache(maxsize=32)
def prepare(url: str, comment: str, title: str, has_title: bool) -> Prepared:
    """The sentence and title for the post of ``url`` (already stripped).

    The sentence is the comment's first sentence, or the title when there is no comment
    (warned as "no comment"; "" when the template shows the title anyway, ``has_title``).
    A copy of the post's own link in either is removed: the template adds the link.
    """
    warnings: list[str] = []
    key = _url_key(url)
    title = " ".join(nfc(title).split())
    if title and _without_link(title, key) != title:
        warnings.append("the link was removed from the title (the template adds it)")
        title = _without_link(title, key)
    chosen = first_sentence(nfc(comment))
    source = "comment"
    if chosen:
        without = _without_link(chosen, key)
        if without != chosen:
            warnings.append("the link was removed from the comment (the template adds it)")
            chosen = without
    if not chosen:
        warnings.append("no comment")
        if not title:
            warnings.append("no title")
        chosen, source = ("", "title") if has_title else (title, "title")
    return Prepared(title, chosen, source, tuple(warnings))


def _url_key(url: str) -> str:
    """A link compared loosely: scheme, 'www.', case and a trailing '/' do not matter."""
    return _SCHEME.sub("", url.strip()).rstrip("/").lower()


def _without_link(sentence: str, key: str) -> str:
    """The sentence with any copy of the post's own link (``_url_key``) removed."""
    if key not in sentence.lower():
        return sentence  # (the usual case, without extracting links)
    spans = [
        (start, end)
        for start, end in url_extract.extract_urls(sentence)
        if _url_key(sentence[start:end]) == key
    ]
    for start, end in reversed(spans):
        sentence = sentence[:start] + sentence[end:]
    return _WHITESPACE.sub(" ", sentence).strip()
