"""Grapheme clusters counted fast: most text has no character that joins a cluster.

Counting clusters with ``regex``'s ``\\X`` costs about a microsecond per character, and a post
is counted many times while it is shortened (Bluesky and Mastodon count graphemes). Under
Unicode's segmentation rules (UAX #29) a boundary can be missing only next to a character
whose Grapheme_Cluster_Break property is Extend, ZWJ, SpacingMark, Prepend, Regional_Indicator
or a Hangul jamo/syllable (L, V, T, LV, LVT), or whose Indic_Conjunct_Break is Linker or Extend
(``regex`` joins a virama such as U+1CF6 to the consonant after it), or between CR and LF: text
without any of those characters has one cluster per code point, CR LF aside, and text with
some falls apart at every boundary not beside one. They are listed here as plain ``re``
ranges (the ``regex`` property class is as slow as ``\\X``); the ranges were generated
from the installed ``regex`` module's data, and tests/text/test_bluesky_text.py checks that they
still cover every such character it knows.
"""

from __future__ import annotations

import re

import regex

__all__ = ["cluster_count", "clusters", "exact_count", "has_joining"]

_BMP_JOINING = re.compile(
    "["
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1-\u05c2\u05c4-\u05c5\u05c7-\u05c9"
    "\u0600-\u0605\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dd\u06df-\u06e4\u06e7-\u06e8"
    "\u06ea-\u06ed\u070f\u0711\u0730-\u074a\u07a6-\u07b0\u07eb-\u07f3\u07fd\u0816-\u0819"
    "\u081b-\u0823\u0825-\u0827\u0829-\u082d\u0859-\u085b\u0890-\u0891\u0897-\u089f\u08ca-\u0903"
    "\u093a-\u093c\u093e-\u094f\u0951-\u0957\u0962-\u0963\u0981-\u0983\u09bc\u09be-\u09c4"
    "\u09c7-\u09c8\u09cb-\u09cd\u09d7\u09e2-\u09e3\u09fe\u0a01-\u0a03\u0a3c\u0a3e-\u0a42"
    "\u0a47-\u0a48\u0a4b-\u0a4d\u0a51\u0a70-\u0a71\u0a75\u0a81-\u0a83\u0abc\u0abe-\u0ac5"
    "\u0ac7-\u0ac9\u0acb-\u0acd\u0ae2-\u0ae3\u0afa-\u0aff\u0b01-\u0b03\u0b3c\u0b3e-\u0b44"
    "\u0b47-\u0b48\u0b4b-\u0b4d\u0b53-\u0b57\u0b62-\u0b63\u0b82\u0bbe-\u0bc2\u0bc6-\u0bc8"
    "\u0bca-\u0bcd\u0bd7\u0c00-\u0c04\u0c3c\u0c3e-\u0c44\u0c46-\u0c48\u0c4a-\u0c4d\u0c55-\u0c56"
    "\u0c62-\u0c63\u0c81-\u0c83\u0cbc\u0cbe-\u0cc4\u0cc6-\u0cc8\u0cca-\u0ccd\u0cd5-\u0cd6"
    "\u0ce2-\u0ce3\u0cf3\u0d00-\u0d03\u0d3b-\u0d3c\u0d3e-\u0d44\u0d46-\u0d48\u0d4a-\u0d4e\u0d57"
    "\u0d62-\u0d63\u0d81-\u0d83\u0dca\u0dcf-\u0dd4\u0dd6\u0dd8-\u0ddf\u0df2-\u0df3\u0e31"
    "\u0e33-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb3-\u0ebc\u0ec8-\u0ece\u0f18-\u0f19\u0f35\u0f37\u0f39"
    "\u0f3e-\u0f3f\u0f71-\u0f84\u0f86-\u0f87\u0f8d-\u0f97\u0f99-\u0fbc\u0fc6\u102d-\u1037"
    "\u1039-\u103e\u1056-\u1059\u105e-\u1060\u1071-\u1074\u1082\u1084-\u1086\u108d\u109d"
    "\u1100-\u11ff\u135d-\u135f\u1712-\u1715\u1732-\u1734\u1752-\u1753\u1772-\u1773\u17b4-\u17d3"
    "\u17dd\u180b-\u180d\u180f\u1885-\u1886\u18a9\u1920-\u192b\u1930-\u193b\u1a17-\u1a1b"
    "\u1a55-\u1a5e\u1a60\u1a62\u1a65-\u1a7c\u1a7f\u1ab0-\u1af0\u1b00-\u1b04\u1b34-\u1b44"
    "\u1b6b-\u1b73\u1b80-\u1b82\u1ba1-\u1bad\u1be6-\u1bf3\u1c24-\u1c37\u1cd0-\u1cd2\u1cd4-\u1ce8"
    "\u1ced\u1cf4-\u1cf9\u1dc0-\u1dff\u200c-\u200d\u20d0-\u20f0\u2cef-\u2cf1\u2d7f\u2de0-\u2dff"
    "\u302a-\u302f\u3099-\u309a\ua66f-\ua672\ua674-\ua67d\ua69e-\ua69f\ua6f0-\ua6f1\ua802\ua806"
    "\ua80b\ua823-\ua827\ua82c\ua880-\ua881\ua8b4-\ua8c5\ua8e0-\ua8f1\ua8ff\ua926-\ua92d"
    "\ua947-\ua953\ua960-\ua97c\ua980-\ua983\ua9b3-\ua9c0\ua9e5\uaa29-\uaa36\uaa43\uaa4c-\uaa4d"
    "\uaa7c\uaab0\uaab2-\uaab4\uaab7-\uaab8\uaabe-\uaabf\uaac1\uaaeb-\uaaef\uaaf5-\uaaf6"
    "\uabe3-\uabea\uabec-\uabed\uac00-\ud7a3\ud7b0-\ud7c6\ud7cb-\ud7fb\ufb1e\ufe00-\ufe0f"
    "\ufe20-\ufe2f\uff9e-\uff9f"
    "]"
)
# Beyond the BMP: first and last character of each range, in pairs.
_ASTRAL_JOINING_PAIRS = (
    "\U000101fd\U000101fd\U000102e0\U000102e0\U00010376\U0001037a\U00010a01\U00010a03"
    "\U00010a05\U00010a06\U00010a0c\U00010a0f\U00010a38\U00010a3a\U00010a3f\U00010a3f"
    "\U00010ae5\U00010ae6\U00010d24\U00010d27\U00010d69\U00010d6d\U00010eab\U00010eac"
    "\U00010ecb\U00010ecf\U00010ef0\U00010eff\U00010f46\U00010f50\U00010f82\U00010f85"
    "\U00011000\U00011002\U00011038\U00011046\U00011070\U00011070\U00011073\U00011074"
    "\U0001107f\U00011082\U000110b0\U000110ba\U000110bd\U000110bd\U000110c2\U000110c2"
    "\U000110cd\U000110cd\U00011100\U00011102\U00011127\U00011134\U00011145\U00011146"
    "\U00011173\U00011173\U00011180\U00011182\U000111b3\U000111c0\U000111c2\U000111c3"
    "\U000111c9\U000111cc\U000111ce\U000111cf\U0001122c\U00011237\U0001123e\U0001123e"
    "\U00011241\U00011241\U000112df\U000112ea\U00011300\U00011303\U0001133b\U0001133c"
    "\U0001133e\U00011344\U00011347\U00011348\U0001134b\U0001134d\U00011357\U00011357"
    "\U00011362\U00011363\U00011366\U0001136c\U00011370\U00011374\U000113b8\U000113c0"
    "\U000113c2\U000113c2\U000113c5\U000113c5\U000113c7\U000113ca\U000113cc\U000113d2"
    "\U000113e1\U000113e2\U00011435\U00011446\U0001145e\U0001145e\U000114b0\U000114c3"
    "\U000115af\U000115b5\U000115b8\U000115c0\U000115dc\U000115dd\U00011630\U00011640"
    "\U000116ab\U000116b7\U0001171d\U0001171f\U00011722\U0001172b\U0001182c\U0001183a"
    "\U00011930\U00011935\U00011937\U00011938\U0001193b\U00011943\U000119d1\U000119d7"
    "\U000119da\U000119e0\U000119e4\U000119e4\U00011a01\U00011a0a\U00011a33\U00011a3e"
    "\U00011a47\U00011a47\U00011a51\U00011a5b\U00011a84\U00011a99\U00011b60\U00011b67"
    "\U00011c2f\U00011c36\U00011c38\U00011c3f\U00011c92\U00011ca7\U00011ca9\U00011cb6"
    "\U00011d31\U00011d36\U00011d3a\U00011d3a\U00011d3c\U00011d3d\U00011d3f\U00011d47"
    "\U00011d8a\U00011d8e\U00011d90\U00011d91\U00011d93\U00011d97\U00011df0\U00011df0"
    "\U00011ef3\U00011ef6\U00011f00\U00011f03\U00011f34\U00011f3a\U00011f3e\U00011f42"
    "\U00011f5a\U00011f5a\U00013440\U00013440\U00013447\U00013455\U0001611e\U0001612f"
    "\U00016af0\U00016af4\U00016b30\U00016b36\U00016d63\U00016d63\U00016d67\U00016d6a"
    "\U00016f4f\U00016f4f\U00016f51\U00016f87\U00016f8f\U00016f92\U00016fe4\U00016fe4"
    "\U00016ff0\U00016ff1\U0001bc9d\U0001bc9e\U0001cf00\U0001cf2d\U0001cf30\U0001cf46"
    "\U0001d127\U0001d128\U0001d165\U0001d169\U0001d16d\U0001d172\U0001d17b\U0001d182"
    "\U0001d185\U0001d18b\U0001d1aa\U0001d1ad\U0001d242\U0001d244\U0001d250\U0001d252"
    "\U0001d25b\U0001d25c\U0001d25f\U0001d25f\U0001d280\U0001d281\U0001da00\U0001da36"
    "\U0001da3b\U0001da6c\U0001da75\U0001da75\U0001da84\U0001da84\U0001da9b\U0001da9f"
    "\U0001daa1\U0001daaf\U0001e000\U0001e006\U0001e008\U0001e018\U0001e01b\U0001e021"
    "\U0001e023\U0001e024\U0001e026\U0001e02a\U0001e08f\U0001e08f\U0001e130\U0001e136"
    "\U0001e2ae\U0001e2ae\U0001e2ec\U0001e2ef\U0001e4ec\U0001e4ef\U0001e5ee\U0001e5ef"
    "\U0001e6e3\U0001e6e3\U0001e6e6\U0001e6e6\U0001e6ee\U0001e6ef\U0001e6f5\U0001e6f5"
    "\U0001e8d0\U0001e8d6\U0001e944\U0001e94a\U0001f1e6\U0001f1ff\U0001f3fb\U0001f3ff"
    "\U000e0020\U000e007f\U000e0100\U000e01ef"
)
_ASTRAL_JOINING = frozenset(
    chr(code)
    for first, last in zip(_ASTRAL_JOINING_PAIRS[::2], _ASTRAL_JOINING_PAIRS[1::2], strict=True)
    for code in range(ord(first), ord(last) + 1)
)
# A joining character of the Basic Multilingual Plane, or any character beyond it (looked up in
# the set: a character class with ranges beyond the BMP is tested range by range, far slower).
_MAYBE_JOINING = re.compile(_BMP_JOINING.pattern[:-1] + "\U00010000-\U0010ffff]")
_CLUSTER = regex.compile(r"\X")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def has_joining(text: str) -> bool:
    """Whether ``text`` holds a character that may join a grapheme cluster (CR LF aside)."""
    if text.isascii():
        return False
    for match in _MAYBE_JOINING.finditer(text):
        char = match.group()
        if char < "\U00010000" or char in _ASTRAL_JOINING:
            return True
    return False


def clusters(text: str) -> list[str]:
    """``regex.findall(r"\\X", text)``, with ``\\X`` run only where a character joins.

    A boundary can be missing only beside a joining character or inside CR LF (see above),
    and no rule looks across a boundary that must be there: so the text falls apart at every
    other position, and ``\\X`` runs only on the stretches around joining characters (each
    from the character before the first to the character after the last), each as a text of
    its own. Everything else is one cluster per code point.
    """
    position = 0
    found: list[str] = []
    for start, end in _zones(text):
        found += text[position:start]
        found += _CLUSTER.findall(text[start:end])
        position = end
    found += text[position:]
    return found


def exact_count(text: str) -> int:
    """``len(regex.findall(r"\\X", text))``: ``len(clusters(text))`` without the list."""
    count = len(text)
    for start, end in _zones(text):
        count -= end - start - len(_CLUSTER.findall(text[start:end]))
    return count


def _zones(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the stretches where a boundary may be missing, in order: around
    each joining character and each CR LF. Between stretches there is always a boundary."""
    uncertain: list[int] = []  # i: the boundary between text[i - 1] and text[i] may be missing
    if not text.isascii():
        for match in _MAYBE_JOINING.finditer(text):
            char = match.group()
            if char < "\U00010000" or char in _ASTRAL_JOINING:
                uncertain += (match.start(), match.end())
    crlf = text.find("\r\n")
    while crlf != -1:
        uncertain.append(crlf + 1)
        crlf = text.find("\r\n", crlf + 2)
    zones: list[tuple[int, int]] = []
    for position in sorted(set(uncertain)):
        if not 0 < position < len(text):
            continue  # (the start and the end of the text are boundaries)
        if zones and zones[-1][1] == position:
            zones[-1] = (zones[-1][0], position + 1)
        else:
            zones.append((position - 1, position + 1))
    return zones


def cluster_count(text: str) -> int:
    """Grapheme clusters as the non-ASCII stretches count them (``\\X`` over each, with the
    character before it: a combining mark joins it); every ASCII character starts a cluster
    (but the LF of CR LF). This is ``len(regex.findall(r"\\X", text))`` except where a
    Prepend character (U+0600 ...) stands before ASCII, which it joins for ``\\X``: counted
    apart here, as it always was (kept so that no count changes).
    """
    count = len(text) - text.count("\r\n")
    if not has_joining(text):
        return count
    for run in _NON_ASCII_RUN.finditer(text):
        start, end = run.span()
        stretch = text[max(start - 1, 0) : end]
        count += exact_count(stretch) - len(stretch)
    return count
