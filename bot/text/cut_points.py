"""Where a long sentence may be cut, found in one walk over it (bot/text/shorten.py's cuts).

Shortening needs, for every boundary between two atoms (bot/text/twitter_text.py's ``atoms``:
links and grapheme clusters), the X weight before it, and which boundaries end a word or a
clause. ``shorten._cuts(text, atoms(text))`` spells the rules out atom by atom; a long English
comment is hundreds of one-character atoms, and building a tuple per atom and then visiting
each again was most of what shortening cost. Here a stretch of ASCII between links is taken
whole: each of its characters is an atom of weight 1, so its cuts are ranges, and only its
whitespace needs looking at (no emoji, no CJK, clause marks only before whitespace). In other
stretches, where nearly every boundary of CJK prose is a word boundary, each atom's two
characters are looked up in one table (``classes``) inside list comprehensions, instead of a
loop of tests. The result is exactly ``_cuts(text, atoms(text))`` (tests/text/test_textlen.py
compares the two).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache
from itertools import accumulate, compress, repeat

from bot.text import twitter_text as textlen
from bot.text.characters import CJK_RANGES
from bot.text.clusters import clusters
from bot.text.url_extract import extract_urls

__all__ = ["CJK", "MARK", "SPACE", "SPACED_MARK", "Cut", "all_cuts", "classes"]

Cut = tuple[int, int, int]  # (position, weight of the text before it, end of the last link)

_SPACE = re.compile(r"\s")  # (re's \s for str is str.isspace)
_ASCII_CLAUSE_MARKS = ",;:"  # a clause ends there only before whitespace
_CLAUSE_MARKS = "—、，；："
_TEXT, _EMOJI, _URL = textlen.TEXT, textlen.EMOJI, textlen.URL
#: Per code point: SPACE (``str.isspace``), CJK (``characters.is_cjk``), MARK (ends a clause),
#: SPACED_MARK (ends one before whitespace).
SPACE, CJK, MARK, SPACED_MARK = 1, 2, 4, 8
# Where the code points that ``str.isspace`` takes lie (a test checks the table covers all).
_SPACE_BLOCKS = ((0, 0x100), (0x1680, 0x1681), (0x2000, 0x2060), (0x3000, 0x3001))


@cache
def classes() -> bytes:
    """The class of every code point, indexed by code point (built when first needed: a
    megabyte, which only shortening uses)."""
    table = bytearray(0x110000)
    for first, last in CJK_RANGES:
        table[first : last + 1] = bytes([CJK]) * (last - first + 1)
    for first, end in _SPACE_BLOCKS:
        for code in range(first, end):
            if chr(code).isspace():
                table[code] |= SPACE
    for mark in _CLAUSE_MARKS:
        table[ord(mark)] |= MARK
    for mark in _ASCII_CLAUSE_MARKS:
        table[ord(mark)] |= SPACED_MARK
    return bytes(table)


_AFTER_MASK = bytes([SPACE | CJK])  # a word boundary before these
_BEFORE_MASK = bytes([CJK | MARK])  # ... and after these
_MARK_MASK, _SPACED_MASK = bytes([MARK]), bytes([SPACED_MARK])
_MARKS = re.compile(f"[{_CLAUSE_MARKS}{_ASCII_CLAUSE_MARKS}]")


def _weighed(cluster: str) -> tuple[int, str]:
    """A cluster's weight and kind, as ``atoms`` weighs it."""
    if len(cluster) == 1:
        if textlen._emoji_char(cluster):
            return textlen._DEFAULT_CHARS, _EMOJI
        code = ord(cluster)
        return (textlen._BMP_WEIGHT[code] if code < 0x10000 else textlen._DEFAULT_CHARS), _TEXT
    if textlen._emoji_cluster(cluster):
        return textlen._DEFAULT_CHARS, _EMOJI
    return textlen._plain_units(cluster) // textlen.SCALE, _TEXT


_weighed_char = lru_cache(maxsize=4096)(_weighed)  # (a property of the character)


def _gap_atoms(gap: str, offset: int) -> _Atoms:
    """Ends, weights and kinds of the clusters of a non-ASCII ``gap`` starting at ``offset``."""
    found = clusters(gap)
    ends = list(accumulate(map(len, found), initial=offset))
    del ends[0]
    if len(found) == len(gap):  # (one character each: the usual case)
        weighed = list(map(_weighed_char, found))
    else:
        weighed = [_weighed_char(c) if len(c) == 1 else _weighed(c) for c in found]
    weights, kinds = zip(*weighed, strict=True)
    return offset, ends, weights, kinds


# A stretch of the text: ("ascii", start, end, None), one-character atoms of weight 1; ("url",
# end, weight, None), a link's atom; ("gap", 0, 0, atoms), the atoms of a non-ASCII stretch.
_Atoms = tuple[int, list[int], Sequence[int], Sequence[str]]  # (start, ends, weights, kinds)
_Block = tuple[str, int, int, _Atoms | None]
_Cuts = tuple[list[Cut], list[Cut], list[Cut]]


def all_cuts(text: str) -> _Cuts:
    """``shorten._cuts(text, textlen.atoms(text))``: the cuts at word boundaries, at every
    atom boundary and at clause boundaries, in order."""
    blocks: list[_Block] = []
    position = 0
    for start, end in extract_urls(text):
        _add_gap(blocks, text[position:start], position)
        cluster = textlen._CLUSTER.match(text, end - 1)
        cluster_end = max(end, cluster.end()) if cluster else end
        weight = textlen.TRANSFORMED_URL_LENGTH
        weight += textlen._plain_units(text[end:cluster_end]) // textlen.SCALE
        blocks.append(("url", cluster_end, weight, None))
        position = cluster_end
    _add_gap(blocks, text[position:], position)
    cuts: _Cuts = ([], [], [])
    total = 0
    floor = 0  # end of the last link so far
    for index, (tag, first, second, atoms) in enumerate(blocks):
        following_kind = None  # (after the last atom of all: no cut)
        if index + 1 < len(blocks):
            after, _, _, after_atoms = blocks[index + 1]
            following_kind = (
                after_atoms[3][0] if after_atoms else _TEXT if after == "ascii" else _URL
            )
        if tag == "ascii":
            total = _ascii_cuts(text, first, second, total, floor, following_kind, cuts)
        elif atoms is None:  # a link
            total += second
            floor = first
            if following_kind is not None:
                _link_cut(text, first, total, floor, following_kind, cuts)
        else:
            total = _gap_cuts(text, atoms, total, floor, following_kind, cuts)
    return cuts


def _add_gap(blocks: list[_Block], gap: str, offset: int) -> None:
    if not gap:
        return
    if gap.isascii():
        blocks.append(("ascii", offset, offset + len(gap), None))
    else:
        blocks.append(("gap", 0, 0, _gap_atoms(gap, offset)))


def _ascii_cuts(
    text: str, start: int, end: int, total: int, floor: int, following_kind: str | None, cuts: _Cuts
) -> int:
    """The cuts of ``text[start:end]``, ASCII: one atom of weight 1 per character, a word
    boundary before whitespace, a clause boundary after ``,;:`` before whitespace."""
    word_cuts, every_cut, clause_cuts = cuts
    count = end - start
    last_cut = end if following_kind is not None else end - 1  # (a cut needs an atom after it)
    every_cut.extend(
        zip(range(start + 1, last_cut + 1), range(total + 1, total + count + 1), repeat(floor))
    )
    for space in _SPACE.finditer(text, start + 1, end):
        position = space.start()
        cut = (position, total + position - start, floor)
        word_cuts.append(cut)
        if text[position - 1] in _ASCII_CLAUSE_MARKS:
            clause_cuts.append(cut)
    total += count
    if following_kind is not None:
        following = classes()[ord(text[end])]
        if following & SPACE:
            word_cuts.append(cut := (end, total, floor))
            if text[end - 1] in _ASCII_CLAUSE_MARKS:
                clause_cuts.append(cut)
        elif following & CJK or following_kind == _EMOJI:
            word_cuts.append((end, total, floor))
    return total


def _link_cut(
    text: str, end: int, total: int, floor: int, following_kind: str, cuts: _Cuts
) -> None:
    """The cut after a link: a word boundary before whitespace, CJK or an emoji, or after CJK."""
    word_cuts, every_cut, _ = cuts
    cut = (end, total, floor)
    every_cut.append(cut)
    if (
        classes()[ord(text[end])] & (SPACE | CJK)
        or classes()[ord(text[end - 1])] & CJK
        or following_kind == _EMOJI
    ):
        word_cuts.append(cut)


def _gap_cuts(
    text: str, atoms: _Atoms, total: int, floor: int, following_kind: str | None, cuts: _Cuts
) -> int:
    """The cuts after the atoms of a non-ASCII stretch: a word boundary before whitespace or
    CJK, after CJK or a clause mark, beside an emoji; a clause boundary after a clause mark
    (``,;:`` only before whitespace), unless in an emoji."""
    word_cuts, every_cut, clause_cuts = cuts
    offset, ends, weights, kinds = atoms
    totals = list(accumulate(weights, initial=total))
    single = len(kinds) == ends[-1] - offset
    if following_kind is None:
        ends = ends[:-1]  # (no cut after the last atom of all)
    here = list(zip(ends, totals[1:], repeat(floor)))
    every_cut.extend(here)
    nexts = [*kinds[1:], following_kind]
    if single:
        words, clauses = _single_flags(text, offset, len(here), kinds, nexts)
        word_cuts.extend(compress(here, words))
        clause_cuts.extend(compress(here, clauses))
        return totals[-1]
    table = classes()
    pairs = [(table[ord(text[end])], table[ord(text[end - 1])]) for end in ends]
    word_cuts.extend(
        [
            cut
            for cut, (following, last), kind, next_kind in zip(
                here, pairs, kinds, nexts, strict=False
            )
            if following & (SPACE | CJK)
            or last & (CJK | MARK)
            or kind == _EMOJI
            or next_kind == _EMOJI
        ]
    )
    clause_cuts.extend(
        [
            cut
            for cut, (following, last), kind in zip(here, pairs, kinds, strict=False)
            if (last & MARK or (last & SPACED_MARK and following & SPACE)) and kind == _TEXT
        ]
    )
    return totals[-1]


def _single_flags(
    text: str, offset: int, count: int, kinds: Sequence[str], nexts: Sequence[str | None]
) -> tuple[bytearray, bytearray]:
    """Which of the first ``count`` atoms, one character each from ``offset``, end a word and
    which a clause: the classes of the characters before and after each cut are read as two
    big integers, a byte per cut, whose bits give the answers for all cuts at once."""
    if not count:
        return bytearray(), bytearray()
    codes = text[offset : offset + count + 1].translate(classes()).encode("latin-1")
    before = int.from_bytes(codes[:count], "little")
    after = int.from_bytes(codes[1 : count + 1], "little")
    words = bytearray(
        (
            (after & int.from_bytes(_AFTER_MASK * count, "little"))
            | (before & int.from_bytes(_BEFORE_MASK * count, "little"))
        ).to_bytes(count, "little")
    )
    clauses = bytearray(count)
    if _MARKS.search(text, offset, offset + count):
        spaced = (before & int.from_bytes(_SPACED_MASK * count, "little")) >> 3  # (to SPACE)
        clauses[:] = (
            (before & int.from_bytes(_MARK_MASK * count, "little")) | (spaced & after)
        ).to_bytes(count, "little")
    if _EMOJI in kinds or _EMOJI in nexts:
        for index in range(count):
            if kinds[index] == _EMOJI:
                words[index] = 1
                clauses[index] = 0  # (a clause ends in text only)
            elif nexts[index] == _EMOJI:
                words[index] = 1
    return words, clauses
