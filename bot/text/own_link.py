"""The post's own link, found again in the text around it.

Curators often paste the link into the comment or the title too; the template adds it once, so
a second copy is removed (links compare loosely: scheme, "www.", case and a trailing "/" do not
matter).
"""

from __future__ import annotations

import re

from bot.text import url_extract

_SCHEME = re.compile(r"^https?://(?:www\.)?", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def url_key(url: str) -> str:
    """A link compared loosely: scheme, 'www.', case and a trailing '/' do not matter."""
    return _SCHEME.sub("", url.strip()).rstrip("/").lower()


def without_link(sentence: str, key: str) -> str:
    """The sentence with any copy of the post's own link (``url_key``) removed."""
    if key not in sentence.lower():
        return sentence  # (the usual case, without extracting links)
    spans = [
        (start, end)
        for start, end in url_extract.extract_urls(sentence)
        if url_key(sentence[start:end]) == key
    ]
    for start, end in reversed(spans):
        sentence = sentence[:start] + sentence[end:]
    return _WHITESPACE.sub(" ", sentence).strip()
