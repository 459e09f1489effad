"""Shortening a text to fit a post: the longest presentable prefix, ending in "…".

A cut that lands inside a link, an emoji sequence or a quotation makes a post look broken, so
cuts fall at word boundaries (in CJK, at any character), never inside a link or a grapheme
cluster, and brackets or quotes left open are closed after the "…". A cut that ends a clause
reads better than one that stops mid-phrase ("…of models five…"), so the last clause boundary
(``,`` ``;`` ``:`` ``—`` ``、`` ``，`` ``；`` ``：``) is taken instead of the last word
when it keeps at least 60 % of the room. Pure functions.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from functools import lru_cache

from bot.text import twitter_text as textlen
from bot.text.characters import OPENERS, PAIRS, QUOTE, is_cjk, nfc, open_brackets
from bot.text.cut_points import all_cuts

ELLIPSIS = "…"
_ELLIPSIS_WEIGHT = textlen.weighted_length(ELLIPSIS)
# Trailing characters a cut should not leave before "…".
_SOFT_TRAILING = frozenset(",;:、，；：-–—/·")
# Marks that end a clause; the ASCII ones only before whitespace ("1,000" and "a:b" go on).
CLAUSE_MARKS = frozenset(",;:—、，；：")
_SPACED_CLAUSE_MARKS = frozenset(",;:")
#: The share of the room a clause cut must keep to be taken instead of the last word.
CLAUSE_SHARE = 0.6
_STRIPPED = 4  # what a candidate's trailing separators may weigh (", " or " — ")


def _candidate(text: str, end: int, floor: int, link_gap: bool = False) -> str | None:
    """``text[:end]`` made presentable: no trailing comma or dangling opener, "…", closed.

    Nothing before ``floor`` (the end of the last link) is stripped: a link ending in '/' or
    '-' keeps it. With ``link_gap`` a cut right after a link puts a space before "…":
    Mastodon's and Bluesky's link patterns would take the "…" into the link's address.
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
        gap = " " if link_gap and floor and len(prefix) == floor else ""
        return prefix + gap + ELLIPSIS + closers


_Cut = tuple[int, int, int]  # (position, weight of the text before it, end of the last link)


def _search(cuts: list[_Cut], fitting: Callable[[int], bool], hint: float | None) -> int:
    """The last index whose candidate fits (-1 if none), assuming longer ones weigh more.

    Without a hint: binary search. With one: start at the cut nearest that share of the
    weight, step outwards by doubling until the answer is bracketed, then halve the bracket.
    """
    count = len(cuts)
    low, high = -1, count  # the candidate at low fits (or low is -1); at high it does not
    if hint is not None and count:
        target = hint * cuts[-1][1]
        guess = min(max(bisect_right(cuts, target, key=_weight) - 1, 0), count - 1)
        step = 1
        if fitting(guess):
            low = guess
            while low + step < count:
                if not fitting(low + step):
                    high = low + step
                    break
                low, step = low + step, step * 2
        else:
            high = guess
            while high - step >= 0:
                if fitting(high - step):
                    low = high - step
                    break
                high, step = high - step, step * 2
    while high - low > 1:
        middle = (low + high) // 2
        if fitting(middle):
            low = middle
        else:
            high = middle
    return low


def _weight(cut: _Cut) -> int:
    return cut[1]


def _fits_for(
    limit: int | Callable[[str], bool], weigh: Callable[[str], int]
) -> tuple[Callable[[str], bool], int | None]:
    """The fit test and, for a weight budget, the budget itself."""
    if not isinstance(limit, int):
        return limit, None
    budget = limit

    def fits_budget(candidate: str) -> bool:
        return weigh(candidate) <= budget

    return fits_budget, budget


def shorten(
    text: str,
    limit: int | Callable[[str], bool],
    *,
    hint: float | None = None,
    link_gap: bool = False,
    weigh: Callable[[str], int] = textlen.weighted_length,
) -> str:
    """``text`` if it fits, else its longest presentable prefix that does, ending in "…".

    ``limit`` is a maximum weighted length (X's count) or a predicate telling whether a
    candidate fits (to measure it inside a whole post). The cut falls at a word boundary (in
    CJK, at any character), or at the last clause boundary before it when that keeps at least
    ``CLAUSE_SHARE`` of it, never inside a URL or an emoji or other grapheme cluster; a
    trailing comma or a dangling opener is dropped and brackets or quotes left open are
    closed after the "…". Falls back to any grapheme boundary when not even the first word
    fits; returns "" when nothing does. The result is NFC-normalised, as X counts it.

    With a predicate, ``hint`` (0 to 1) may say about which share of the text (by X's weight)
    will fit: the search starts there and widens, instead of halving the whole text, so a good
    hint measures two or three candidates instead of ten. The answer is the same.
    ``link_gap``: see ``_candidate`` (for platforms other than X). ``weigh`` is X's count
    (``weighted_length``), for a budget: a caller that weighs the same texts again may pass one
    that remembers them.
    """
    text = nfc(text)
    fits, budget = _fits_for(limit, weigh)
    if fits(text):
        return text
    # With a known budget only the atoms that can fit matter (long comments are common).
    word_cuts, every_cut, clause_cuts = _cuts_within(text, None if budget is None else budget + 1)
    found = _longest_fitting(text, word_cuts, fits, budget, hint, link_gap)
    if found is None:
        # Not even the first word fits: cut it at any grapheme boundary instead.
        found = _longest_fitting(text, every_cut, fits, budget, hint, link_gap)
        return found[1] if found else ""
    return _at_clause(text, clause_cuts, found, fits, link_gap) or found[1]


@lru_cache(maxsize=4)
def _all_cuts(text: str) -> tuple[list[_Cut], list[_Cut], list[_Cut]]:
    """``_cuts`` of all of ``text``'s atoms, kept for the last few texts: an entry's sentence
    is shortened for X, for Bluesky and for Mastodon in turn (the lists are shared: callers
    must not change them). Found by ``cut_points.all_cuts``: the same cuts, faster."""
    return all_cuts(text)


def _cuts_within(text: str, max_weight: int | None) -> tuple[list[_Cut], list[_Cut], list[_Cut]]:
    """``_cuts(text, textlen.atoms(text, max_weight))``, from ``_all_cuts``: the atoms up to
    the first one past ``max_weight`` are the first of all atoms, so their cuts are the first
    cuts, up to the first one past ``max_weight`` (excluded)."""
    word_cuts, every_cut, clause_cuts = _all_cuts(text)
    if max_weight is None or not every_cut or every_cut[-1][1] <= max_weight:
        return word_cuts, every_cut, clause_cuts
    count = bisect_right(every_cut, max_weight, key=_weight)  # (weights only grow)
    if count == 0:
        return [], [], []
    last = every_cut[count - 1][0]
    return (
        word_cuts[: bisect_right(word_cuts, last, key=_position)],
        every_cut[:count],
        clause_cuts[: bisect_right(clause_cuts, last, key=_position)],
    )


def _position(cut: _Cut) -> int:
    return cut[0]


def _cuts(
    text: str, pieces: list[tuple[int, int, int, str]]
) -> tuple[list[_Cut], list[_Cut], list[_Cut]]:
    """The cuts between ``pieces`` (``textlen.atoms``): at word boundaries, at any boundary,
    and at clause boundaries (which are word boundaries too)."""
    word_cuts: list[_Cut] = []
    every_cut: list[_Cut] = []
    clause_cuts: list[_Cut] = []
    clause_marks, spaced = CLAUSE_MARKS, _SPACED_CLAUSE_MARKS
    total = 0
    floor = 0  # end of the last link so far
    is_cjk_char = is_cjk
    emoji, plain = textlen.EMOJI, textlen.TEXT
    for index in range(len(pieces) - 1):
        _, end, weight, kind = pieces[index]
        total += weight
        if kind == textlen.URL:
            floor = end
        cut = (end, total, floor)
        every_cut.append(cut)
        following = text[end]
        last = text[end - 1]
        # A clause ends after a mark (not in a link; "1,000" goes on) and is a word boundary.
        if last in clause_marks and kind == plain and (last not in spaced or following.isspace()):
            word_cuts.append(cut)
            clause_cuts.append(cut)
        # A word boundary; in CJK any character boundary; emoji are cut between like CJK.
        elif (
            following.isspace()
            or kind == emoji
            or pieces[index + 1][3] == emoji
            or (following >= "\u3000" and is_cjk_char(following))
            or (last >= "\u3000" and is_cjk_char(last))
        ):
            word_cuts.append(cut)
    return word_cuts, every_cut, clause_cuts


def _at_clause(
    text: str,
    clause_cuts: list[_Cut],
    found: tuple[_Cut, str],
    fits: Callable[[str], bool],
    link_gap: bool,
) -> str | None:
    """The candidate at the last clause boundary up to the word cut ``found`` that keeps at
    least ``CLAUSE_SHARE`` of what the word cut keeps (by X's weights), if any fits."""
    (position, weight, _), _ = found
    least = CLAUSE_SHARE * weight
    for end, kept, floor in reversed(clause_cuts):
        if end > position:
            continue
        if kept < least:
            return None
        candidate = _candidate(text, end, floor, link_gap)
        if candidate is not None and fits(candidate):
            return candidate
    return None


def _longest_fitting(
    text: str,
    cuts: list[_Cut],
    fits: Callable[[str], bool],
    budget: int | None,
    hint: float | None = None,
    link_gap: bool = False,
) -> tuple[_Cut, str] | None:
    """The rightmost cut whose candidate fits, and that candidate (cuts ascending by
    position)."""
    ellipsis_weight = _ELLIPSIS_WEIGHT
    if budget is not None:
        # Prefix weights are known: start from the last cut whose estimate fits (a candidate
        # drops a trailing comma, dash or space: it may weigh a little less than its cut).
        index = len(cuts) - 1
        while index >= 0 and cuts[index][1] + ellipsis_weight > budget + _STRIPPED:
            index -= 1
    else:
        tried: dict[int, str | None] = {}

        def fitting(position: int) -> bool:
            candidate = _candidate(text, cuts[position][0], cuts[position][2], link_gap)
            ok = candidate is not None and fits(candidate)
            tried[position] = candidate if ok else None
            return ok

        index = _search(cuts, fitting, hint)
        if index >= 0 and (known := tried.get(index)) is not None:
            return cuts[index], known
    while index >= 0:
        candidate = _candidate(text, cuts[index][0], cuts[index][2], link_gap)
        if candidate is not None and fits(candidate):
            return cuts[index], candidate
        index -= 1
    return None
