"""X's weighted text length (twitter-text v3), written out so the composer never guesses.

X refuses a post whose *weighted* length exceeds 280, and the weight is not ``len()``: text is
NFC-normalised, code points in a few ranges weigh 1 and all others 2, every emoji sequence
(a ZWJ family, a flag, a keycap, a skin tone) weighs 2 in total, and every URL weighs 23 however
long it is (X wraps it in t.co). A counter that is off by one either way either loses posts to
400 errors or cuts comments that would have fitted, so this module follows twitter-text's
published rules and is checked against its conformance suite (``validate.yml``).

Why not the ``twitter-text-parser`` package: it fails to import with current setuptools (it
imports ``pkg_resources``), its emoji table is from 2019 (newer sequences such as 🐦‍🔥 count 5),
and it manages ~900 calls/s, while the composer measures many candidate texts per entry. Here
emoji come from the installed ``regex`` module's Unicode data (grapheme clusters ``\\X`` plus
Extended_Pictographic / Emoji_Presentation / Regional_Indicator / keycap checks), and links are
found by bot/text/url_extract.py.

The URL rules, the weight table and the TLD list are those of twitter-text v3
(https://github.com/twitter/twitter-text, Apache-2.0); the code is ours. Offsets are in code
points of the text as given (twitter-text counts UTF-16 units, which only matters for its
display ranges, which we do not need).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import regex

from bot.text.clusters import clusters
from bot.text.url_extract import extract_urls

# --- config-v3.json, embedded: the repository must not read ../shared at run time -------------
MAX_WEIGHTED_LENGTH = 280
SCALE = 100
DEFAULT_WEIGHT = 200
TRANSFORMED_URL_LENGTH = 23
#: (first code point, last code point, weight); everything else weighs DEFAULT_WEIGHT.
RANGES: tuple[tuple[int, int, int], ...] = (
    (0, 4351, 100),
    (8192, 8205, 100),
    (8208, 8223, 100),
    (8242, 8247, 100),
)

_LIGHT = RANGES[0][2]
if any(weight != _LIGHT for _, _, weight in RANGES):  # pragma: no cover - guards a config edit
    raise RuntimeError("textlen assumes every range in the v3 config has the same weight")
_EXTRA = DEFAULT_WEIGHT - _LIGHT
_HEAVY = re.compile(
    "[^" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi, _ in RANGES) + "]",
)
_URL_UNITS = TRANSFORMED_URL_LENGTH * SCALE
_INVALID_CHARS = frozenset("\ufffe\ufeff\uffff")

# --- emoji ----------------------------------------------------------------------------------
# A grapheme cluster is an emoji sequence when it starts with a keycap (0-9 # * [FE0F] 20E3), a
# regional indicator (flags), an emoji-presentation character, or a pictograph that is turned
# into an emoji by what follows (FE0F, a skin tone, ZWJ or a tag sequence). A bare text-style
# pictograph such as © keeps its per-code-point weight, as in twitter-text.
_EMOJI_CLUSTER = regex.compile(
    r"(?=[#*0-9]\uFE0F?\u20E3"
    r"|\p{Regional_Indicator}"
    r"|\p{Extended_Pictographic}[\uFE0F\u200D\p{Emoji_Modifier}\U000E0020-\U000E007F]"
    r"|\p{Emoji_Presentation})\X"
)
_CLUSTER = regex.compile(r"\X")
# Every character that can start an emoji sequence, and more (whole blocks, so that emoji added
# to Unicode later are still found); tests check it covers what the installed regex knows.
_EMOJI_HINT = re.compile(
    "[#*0-9]\ufe0f?\u20e3|[\u00a9\u00ae\u203c\u2049\u2122\u2139\u2190-\u21ff\u2300-\u23ff"
    "\u24c2\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001ffff]"
)

# --- weights ----------------------------------------------------------------------------------
_BMP_WEIGHT = bytearray([DEFAULT_WEIGHT // SCALE]) * 0x10000  # weight of each BMP code point
for _lo, _hi, _weight in RANGES:
    _BMP_WEIGHT[_lo : _hi + 1] = bytes([_weight // SCALE]) * (_hi - _lo + 1)
_DEFAULT_CHARS = DEFAULT_WEIGHT // SCALE


def _plain_units(text: str) -> int:
    """Weight in SCALE units, code point by code point (no emoji or URL rules)."""
    if text.isascii():
        return len(text) * _LIGHT
    return len(text) * _LIGHT + len(_HEAVY.findall(text)) * _EXTRA


def _units(text: str) -> int:
    """Weight in SCALE units of text that holds no URL: code points, emoji sequences counted 2."""
    units = _plain_units(text)
    if not text.isascii():
        for start, end in _emoji_spans(text):
            units += DEFAULT_WEIGHT - _plain_units(text[start:end])
    return units


def _emoji_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the emoji sequences in ``text``.

    Equivalent to ``_EMOJI_CLUSTER.finditer(text)``, but the slow grapheme pattern only runs
    where a cheap superset of emoji starting characters (``_EMOJI_HINT``) is found.
    """
    spans: list[tuple[int, int]] = []
    end = 0
    for hint in _EMOJI_HINT.finditer(text):
        if hint.start() < end:
            continue
        match = _EMOJI_CLUSTER.match(text, hint.start())
        if match:
            spans.append(match.span())
            end = match.end()
    return spans


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _scaled_length(text: str, spans: list[tuple[int, int]] | None = None) -> int:
    units = 0
    position = 0
    for start, end in extract_urls(text) if spans is None else spans:
        units += _units(text[position:start]) + _URL_UNITS
        position = end
    return units + _units(text[position:])


def weighted_length(text: str) -> int:
    """The length X checks against 280 (twitter-text v3 ``weightedLength``)."""
    return _scaled_length(_nfc(text)) // SCALE


def measure(text: str) -> tuple[int, list[tuple[int, int]]]:
    """``weighted_length(text)`` and ``extract_urls(text)`` at the cost of one: for NFC text."""
    spans = extract_urls(text)
    return _scaled_length(text, spans) // SCALE, spans


def is_known_tld(label: str) -> bool:
    """Whether ``label`` (ASCII, any case) is a top-level domain in twitter-text's list.

    Other platforms link bare domains (``arxiv.org/abs/...``) only under a known TLD too.
    """
    from bot.text.tlds import ASCII_TLDS

    return label.lower() in ASCII_TLDS


def is_emoji_sequence(cluster: str) -> bool:
    """Whether a grapheme cluster counts as one emoji (weight 2 whatever its code points)."""
    match = _EMOJI_CLUSTER.match(cluster)
    return match is not None and match.end() == len(cluster)


TEXT, EMOJI, URL = "text", "emoji", "url"  # kinds of atom


def _emoji_cluster(cluster: str) -> bool:
    return _EMOJI_HINT.match(cluster) is not None and is_emoji_sequence(cluster)


_emoji_char = lru_cache(maxsize=4096)(_emoji_cluster)  # (a property of the character)


def atoms(text: str, max_weight: int | None = None) -> list[tuple[int, int, int, str]]:
    """``(start, end, weight, kind)`` for the indivisible pieces of ``text``, in order.

    The pieces are URLs and grapheme clusters: a cut between atoms never splits a link, an
    emoji sequence or a combining sequence. Weights (in whole characters) add up to
    ``weighted_length`` for NFC text, as long as a cut does not create or destroy a URL, which
    callers verify. With ``max_weight`` the list stops at the first atom past that weight, for
    shortening long texts without walking all of them.
    """
    pieces: list[tuple[int, int, int, str]] = []
    table = _BMP_WEIGHT
    bound = max_weight if max_weight is not None else -1
    total = 0

    def add_gap(offset: int, gap: str) -> bool:
        """Append the gap's clusters; False once past ``max_weight``."""
        nonlocal total
        if gap.isascii():
            count = len(gap) if bound < 0 else min(len(gap), bound - total + 1)
            pieces.extend((i, i + 1, 1, TEXT) for i in range(offset, offset + max(count, 0)))
            total += count
            return bound < 0 or total <= bound
        position = offset
        for cluster in clusters(gap):  # (\\X only where a character joins)
            size = len(cluster)
            emoji = _emoji_char(cluster) if size == 1 else _emoji_cluster(cluster)
            if emoji:
                weight = _DEFAULT_CHARS
            elif size == 1:
                code = ord(cluster)
                weight = table[code] if code < 0x10000 else _DEFAULT_CHARS
            else:
                weight = _plain_units(cluster) // SCALE
            pieces.append((position, position + size, weight, EMOJI if emoji else TEXT))
            position += size
            total += weight
            if 0 <= bound < total:
                return False
        return True

    position = 0
    for start, end in extract_urls(text):
        if not add_gap(position, text[position:start]):
            return pieces
        # A link can end inside a grapheme cluster ("…/2009.01835#️⃣" ends at '#'): the rest of
        # the cluster goes with the link, so that no cut separates them.
        cluster = _CLUSTER.match(text, end - 1)
        cluster_end = max(end, cluster.end()) if cluster else end
        weight = TRANSFORMED_URL_LENGTH + _plain_units(text[end:cluster_end]) // SCALE
        pieces.append((start, cluster_end, weight, URL))
        total += weight
        if 0 <= bound < total:
            return pieces
        position = cluster_end
    add_gap(position, text[position:])
    return pieces


@dataclass(frozen=True)
class TextCheck:
    """What X's counter says about a text: its weight and whether X would accept it."""

    weighted_length: int
    valid: bool
    permillage: int


def check(text: str, limit: int = MAX_WEIGHTED_LENGTH) -> TextCheck:
    """twitter-text's ``parseTweet``: valid = non-empty, within ``limit``, no U+FFFE/FEFF/FFFF."""
    normalized = _nfc(text)
    length = _scaled_length(normalized) // SCALE
    valid = 0 < length <= limit and _INVALID_CHARS.isdisjoint(normalized)
    return TextCheck(length, valid, int(length / limit * 1000))


# --- URL validation (twitter-text isValidUrl) ---------------------------------------------------
_URL_PARTS = re.compile(r"(?:([^:/?#]+)://)?([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.DOTALL)
_UNRESERVED = r"[a-z\u0400-\u04ff0-9\-._~]"
_PCT = r"%[0-9a-f]{2}"
_SUB_DELIMS = r"[!$&'()*+,;=]"
_PCHAR = f"(?:{_UNRESERVED}|{_PCT}|{_SUB_DELIMS}|[:|@])"
_NON_ASCII = r"[^\x00-\x7f]"
_SEGMENT_CHAR = f"(?:[a-z0-9]|{_NON_ASCII})"
_VALID_PATH = re.compile(f"(?:/{_PCHAR}*)*", re.IGNORECASE)
_VALID_QUERY = re.compile(f"(?:{_PCHAR}|/|\\?)*", re.IGNORECASE)
_DEC_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])"
_AUTHORITY = re.compile(
    f"(?:(?:{_UNRESERVED}|{_PCT}|{_SUB_DELIMS}|:)*@)?"
    "(?:"
    f"{_DEC_OCTET}(?:\\.{_DEC_OCTET}){{3}}"
    r"|\[[a-f0-9:.]+\]"
    f"|(?:{_SEGMENT_CHAR}(?:(?:[a-z0-9_\\-]|{_NON_ASCII})*{_SEGMENT_CHAR})?\\.)*"
    f"(?:{_SEGMENT_CHAR}(?:(?:[a-z0-9\\-]|{_NON_ASCII})*{_SEGMENT_CHAR})?\\.)"
    f"(?:(?:[a-z]|{_NON_ASCII})(?:(?:[a-z0-9\\-]|{_NON_ASCII})*{_SEGMENT_CHAR})?)"
    ")"
    "(?::[0-9]{1,5})?",
    re.IGNORECASE,
)


def _whole(pattern: re.Pattern[str], text: str) -> bool:
    """twitter-text's test: the pattern's first match at the start must cover the whole text."""
    match = pattern.match(text)
    return match is not None and match.end() == len(text)


def is_valid_url(text: str, *, require_protocol: bool = True) -> bool:
    """Whether ``text`` as a whole is a well-formed http(s) URL (RFC 3986, Unicode hosts).

    This is twitter-text's ``isValidUrl``; it is stricter about syntax than extraction (which
    finds links inside prose) and is what the ``urls`` conformance sections test.
    """
    parts = _URL_PARTS.fullmatch(text) if text else None
    if parts is None:
        return False
    scheme, authority, path, query, fragment = parts.groups()
    if require_protocol and (scheme is None or scheme.lower() not in ("http", "https")):
        return False
    if not _whole(_VALID_PATH, path):
        return False
    if query is not None and not _whole(_VALID_QUERY, query):
        return False
    if fragment is not None and not _whole(_VALID_QUERY, fragment):
        return False
    return _whole(_AUTHORITY, authority)
