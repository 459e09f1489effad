"""Hashtags as Bluesky's official app finds them, as tag facets with UTF-8 byte offsets. Pure.

On Bluesky a ``#hashtag`` in the text is plain text unless the post carries a tag facet over its
bytes (``{"$type": "app.bsky.richtext.facet#tag", "tag": "MachineLearning"}``, no ``#``): only
then is it a link to the tag's feed and found by search. The rules are ``@atproto/api``'s
``detectFacets`` (``TAG_REGEX``): a ``#`` or ``＃`` at the start of the text or after whitespace,
then a run without whitespace (nor soft hyphen, word joiner, zero-width spaces or joiners) that
holds at least one character other than a digit or punctuation; trailing punctuation is not part
of the tag; a tag longer than 64 UTF-16 units is none (so it keeps within the lexicon's 64
graphemes); ``#️⃣`` (a keycap) is none.

Offsets are into the text as posted: give ``tag_facets`` the shown text (``bluesky.render``),
whose links may be shortened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regex

from bot.text.bluesky_links import JS_SPACE

__all__ = ["TAG_FEATURE", "TagFacet", "tag_facets"]

TAG_FEATURE = "app.bsky.richtext.facet#tag"
MAX_TAG_LENGTH = 64  # UTF-16 units, as the app counts (tag.length)

_INVISIBLE = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
# TAG_REGEX (a JavaScript pattern with the u flag: \s is JavaScript's, \d is ASCII digits).
_TAG = regex.compile(
    f"(?:^|(?<=[{JS_SPACE}]))[#＃]"
    f"(?P<tag>(?!\\ufe0f)[^{JS_SPACE}{_INVISIBLE}]*"
    f"[^0-9{JS_SPACE}{_INVISIBLE}\\p{{P}}]+[^{JS_SPACE}{_INVISIBLE}]*)?"
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
# What JavaScript's String.prototype.trim() removes (JS_SPACE, its ranges spelled out).
_JS_TRIM = "\t\n\v\f\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
    map(chr, range(0x2000, 0x200B))
)


@dataclass(frozen=True)
class TagFacet:
    """A tag facet: bytes ``[byte_start, byte_end)`` of the text (``#`` and the tag) are the
    hashtag ``tag`` (without its ``#``)."""

    byte_start: int
    byte_end: int
    tag: str

    def record(self) -> dict[str, Any]:
        """The facet as an ``app.bsky.feed.post`` record holds it."""
        return {
            "$type": "app.bsky.richtext.facet",
            "index": {"byteStart": self.byte_start, "byteEnd": self.byte_end},
            "features": [{"$type": TAG_FEATURE, "tag": self.tag}],
        }


def tag_facets(text: str) -> list[TagFacet]:
    """A facet for each hashtag in ``text`` that the official app would make one for, in order."""
    if "#" not in text and "＃" not in text:
        return []
    facets: list[TagFacet] = []
    for match in _TAG.finditer(text):
        tag = match.group("tag")
        if not tag:
            continue
        tag = _TRAILING_PUNCTUATION.sub("", tag.strip(_JS_TRIM))
        if not tag or len(tag.encode("utf-16-le")) // 2 > MAX_TAG_LENGTH:
            continue
        start = match.start()
        byte_start = len(text[:start].encode())
        size = len(text[start : start + 1 + len(tag)].encode())
        facets.append(TagFacet(byte_start, byte_start + size, tag))
    return facets
