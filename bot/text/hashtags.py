"""The #hashtags of a post, as Bluesky's app finds them: pure, with UTF-8 byte offsets.

Bluesky makes a hashtag clickable and searchable only when the post sends it as a tag facet
(``app.bsky.richtext.facet#tag``: the tag without its ``#``, over the bytes of ``#tag``). The
rules follow the official ``@atproto/api`` detection: a ``#`` (or the full-width ``＃``) at the
start of the text or after whitespace, then a run of non-space characters that holds at least
one character that is neither a digit nor punctuation (``#1`` is no tag); trailing punctuation
is not part of the tag (``#AI.`` tags ``AI``). The lexicon takes at most 64 graphemes per tag,
so longer ones are left as text rather than sent and refused.

A ``#`` inside a link (``https://example.org/page#part``) never starts a tag: a tag must start
a whitespace-separated word, and a link's word starts with its scheme or host.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

__all__ = ["MAX_TAG_GRAPHEMES", "TagSpan", "find_hashtags"]

MAX_TAG_GRAPHEMES = 64
_MAX_TAG_LENGTH = 640  # the lexicon's maxLength (UTF-8 bytes of the tag)

# Characters that end a tag besides whitespace: soft hyphen, word joiner, hair space, zero-width
# space and joiners, and the combining enclosing keycap.
_BREAKS = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_TAG = regex.compile(
    rf"(?:^|(?<=\s))[#＃]"
    rf"((?!\ufe0f)[^\s{_BREAKS}]*[^\d\s\p{{P}}{_BREAKS}]+[^\s{_BREAKS}]*)",
    regex.VERSION1,
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
_CLUSTER = regex.compile(r"\X")


@dataclass(frozen=True)
class TagSpan:
    """A hashtag: bytes ``[byte_start, byte_end)`` of the text are ``#`` + ``tag``."""

    byte_start: int
    byte_end: int
    tag: str


def find_hashtags(text: str) -> list[TagSpan]:
    """Every hashtag in ``text`` that Bluesky's app would tag, in order.

    Offsets are UTF-8 bytes into ``text`` as given (the text that is posted, after links are
    shortened for display), which is what a facet's ``byteStart``/``byteEnd`` count.
    """
    if "#" not in text and "＃" not in text:
        return []
    found: list[TagSpan] = []
    for match in _TAG.finditer(text):
        tag = _TRAILING_PUNCTUATION.sub("", match.group(1))
        if not tag or not _fits(tag):
            continue
        start = match.start()
        byte_start = len(text[:start].encode())
        byte_end = byte_start + len(text[start : start + 1 + len(tag)].encode())
        found.append(TagSpan(byte_start, byte_end, tag))
    return found


def _fits(tag: str) -> bool:
    """Within the lexicon's limits: at most 64 graphemes and 640 bytes."""
    return len(tag.encode()) <= _MAX_TAG_LENGTH and len(_CLUSTER.findall(tag)) <= MAX_TAG_GRAPHEMES
