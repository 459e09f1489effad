"""Shortening a text to fit a post: the longest presentable prefix, ending in "…".

A cut that lands inside a link, an emoji sequence or a quotation makes a post look broken, so
cuts fall at word boundaries (in CJK, at any character), never inside a link or a grapheme
cluster, and brackets or quotes left open are closed after the "…". Pure functions.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.text import twitter_text as textlen
from bot.text.characters import OPENERS, PAIRS, QUOTE, is_cjk, nfc, open_brackets

ELLIPSIS = "…"
_ELLIPSIS_WEIGHT = textlen.weighted_length(ELLIPSIS)
# Trailing characters a cut should not leave before "…".
_SOFT_TRAILING = frozenset(",;:、，；：-–—/·")


def _candidate(text: str, end: int, floor: int) -> str | None:
    """``text[:end]`` made presentable: no trailing comma or dangling opener, "…", closed.

    Nothing before ``floor`` (the end of the last link) is stripped: a link ending in '/' or
    '-' keeps it.
    """
    prefix = text[:end]
    while True:
        while len(prefix) > floor and (
            prefix[-1].isspace() or prefix[-1] in _SOFT_TRAILING or prefix[-1] in OPENERS
        ):
            prefix = prefix[:-1]
        if not prefix:
            return None
        still_open = open_brackets(prefix)
        if still_open and still_open[-1] == QUOTE and prefix[-1] == QUOTE and len(prefix) > floor:
            prefix = prefix[:-1]  # a '"' that opens nothing yet
            continue
        closers = "".join(PAIRS.get(opener, opener) for opener in reversed(still_open))
        return prefix + ELLIPSIS + closers


_Cut = tuple[int, int, int]  # (position, weight of the text before it, end of the last link)


def shorten(text: str, limit: int | Callable[[str], bool]) -> str:
    """``text`` if it fits, else its longest presentable prefix that does, ending in "…".

    ``limit`` is a maximum weighted length (X's count) or a predicate telling whether a
    candidate fits (to measure it inside a whole post). The cut falls at a word boundary (in
    CJK, at any character), never inside a URL or an emoji or other grapheme cluster; a
    trailing comma or a dangling opener is dropped and brackets or quotes left open are
    closed after the "…". Falls back to any grapheme boundary when not even the first word
    fits; returns "" when nothing does. The result is NFC-normalised, as X counts it.
    """
    text = nfc(text)
    fits: Callable[[str], bool]
    if isinstance(limit, int):
        budget = limit

        def fits_budget(candidate: str) -> bool:
            return textlen.weighted_length(candidate) <= budget

        fits = fits_budget
    else:
        budget = None
        fits = limit
    if fits(text):
        return text
    # With a known budget only the atoms that can fit matter (long comments are common).
    pieces = textlen.atoms(text, None if budget is None else budget + 1)
    word_cuts: list[_Cut] = []
    every_cut: list[_Cut] = []
    total = 0
    floor = 0  # end of the last link so far
    is_cjk_char = is_cjk
    emoji = textlen.EMOJI
    for index in range(len(pieces) - 1):
        _, end, weight, kind = pieces[index]
        total += weight
        if kind == textlen.URL:
            floor = end
        cut = (end, total, floor)
        every_cut.append(cut)
        following = text[end]
        # A word boundary; in CJK any character boundary; emoji are cut between like CJK.
        if (
            following.isspace()
            or kind == emoji
            or pieces[index + 1][3] == emoji
            or (following >= "\u3000" and is_cjk_char(following))
            or (text[end - 1] >= "\u3000" and is_cjk_char(text[end - 1]))
        ):
            word_cuts.append(cut)
    found = _longest_fitting(text, word_cuts, fits, budget)
    if found is None:
        # Not even the first word fits: cut it at any grapheme boundary instead.
        found = _longest_fitting(text, every_cut, fits, budget)
    return found or ""


def _longest_fitting(
    text: str,
    cuts: list[_Cut],
    fits: Callable[[str], bool],
    budget: int | None,
) -> str | None:
    """The candidate at the rightmost cut that fits (cuts ascending by position)."""
    ellipsis_weight = _ELLIPSIS_WEIGHT
    if budget is not None:
        # Prefix weights are known: start from the last cut whose estimate fits.
        index = len(cuts) - 1
        while index >= 0 and cuts[index][1] + ellipsis_weight > budget:
            index -= 1
    else:
        low, high = 0, len(cuts) - 1
        index = -1
        while low <= high:  # binary search, assuming longer candidates weigh more
            middle = (low + high) // 2
            candidate = _candidate(text, cuts[middle][0], cuts[middle][2])
            if candidate is not None and fits(candidate):
                index, low = middle, middle + 1
            else:
                high = middle - 1
    while index >= 0:
        candidate = _candidate(text, cuts[index][0], cuts[index][2])
        if candidate is not None and fits(candidate):
            return candidate
        index -= 1
    return None
