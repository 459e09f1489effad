"""The comment's first sentence, and shortening it to fit a post, in English and CJK.

A curator's comment is often a paragraph; a post carries its first sentence. Splitting naively
at '.' breaks on "e.g.", "et al.", "Fig. 3", "3.5x", "v1.2.3" and links, and a cut that lands
inside a link, an emoji sequence or a quotation makes a post look broken, so both jobs live
here with the rules spelled out. Both are pure functions.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable

from bot.text import twitter_text as textlen
from bot.text import url_extract

ELLIPSIS = "…"
_ELLIPSIS_WEIGHT = textlen.weighted_length(ELLIPSIS)

_CJK_TERMINATORS = frozenset("。！？｡．")
_TERMINATOR_RUN = re.compile(r"[.!?。！？｡．…]+")
_PAIRS = {
    "(": ")",
    "[": "]",
    "{": "}",
    "（": "）",
    "［": "］",
    "｛": "｝",
    "【": "】",
    "「": "」",
    "『": "』",
    "《": "》",
    "〈": "〉",
    "〔": "〕",
    "“": "”",
    "‘": "’",
    "«": "»",
}
_OPENERS = frozenset(_PAIRS)
_CLOSERS = frozenset(_PAIRS.values()) | {'"', "'"}
_QUOTE = '"'
_BRACKET_CHARS = re.compile("[" + re.escape("".join(sorted(_OPENERS | _CLOSERS))) + "]")
# Trailing characters a cut should not leave before "…".
_SOFT_TRAILING = frozenset(",;:、，；：-–—/·")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_WHITESPACE = re.compile(r"\s+")
# Words that end with '.' without ending the sentence (compared lower-cased, without the dot),
# and words that do so only before a number ("No. 5", "Ch. 3"; "no." may end a sentence).
_ABBREVIATIONS = frozenset(
    (
        "e.g", "i.e", "fig", "figs", "eq", "eqs", "vs", "cf", "approx", "sec", "secs", "tab",
        "ref", "refs", "vol", "pp", "resp", "viz", "incl", "esp", "ca", "cca", "dr", "mr",
        "mrs", "prof", "jr", "sr", "thm", "appx",
    )
)  # fmt: skip
_ABBREVIATIONS_BEFORE_NUMBER = frozenset(("no", "nos", "ch", "chap", "app", "alg", "def", "p"))
_DOTTED_ABBREVIATION = re.compile(r"(?:[A-Za-z]{1,3}\.)+[A-Za-z]{1,3}")  # U.S., Ph.D, a.k.a
_ENUMERATOR = re.compile(r"\(?(?:[0-9]{1,3}|[ivxIVX]{1,4}|[A-Za-z])")  # "1." "iv." "(a." "A."


def _is_cjk(char: str) -> bool:
    """Han, kana, CJK punctuation and full-width forms: text written without spaces."""
    code = ord(char)
    return (
        0x3000 <= code <= 0x30FF  # CJK symbols and punctuation, hiragana, katakana
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
        or 0x31F0 <= code <= 0x31FF
        or 0x20000 <= code <= 0x3FFFF
    )


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _join_lines(text: str) -> str:
    """Collapse whitespace to one space, or to nothing where a line break sits between CJK."""

    def replace(match: re.Match[str]) -> str:
        start, end = match.span()
        if (
            "\n" in match.group()
            and start > 0
            and end < len(text)
            and _is_cjk(text[start - 1])
            and _is_cjk(text[end])
        ):
            return ""
        return " "

    if "\n" not in text:
        return " ".join(text.split())
    return _WHITESPACE.sub(replace, text).strip()


class _Brackets:
    """Open brackets and quotes, scanned left to right up to a position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.stack: list[str] = []

    def feed(self, char: str) -> None:
        stack = self.stack
        if char in _OPENERS:
            stack.append(char)
        elif char == _QUOTE:
            if stack and stack[-1] == _QUOTE:
                stack.pop()
            else:
                stack.append(_QUOTE)
        elif char in _CLOSERS and stack and _PAIRS.get(stack[-1]) == char:
            stack.pop()

    def advance(self, position: int) -> None:
        if position > self.position:
            for match in _BRACKET_CHARS.finditer(self.text, self.position, position):
                self.feed(match.group())
            self.position = position


def _token_before(text: str, end: int) -> str:
    start = end
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in _OPENERS:
        start -= 1
    return text[start:end]


def _is_abbreviation(text: str, dot: int) -> bool:
    token = _token_before(text, dot)
    word = token.lower()
    if word in _ABBREVIATIONS:
        return True
    if word in _ABBREVIATIONS_BEFORE_NUMBER:
        rest = text[dot + 1 :].lstrip()
        return rest[:1].isdigit()
    if word == "al" and text[:dot].lower().rstrip().endswith("et al"):
        return True
    if len(token) == 1 and token.isupper():  # an initial: "A. Vaswani"
        return True
    return bool(_DOTTED_ABBREVIATION.fullmatch(token))


def _sentence_end(text: str, *, brackets: bool) -> int | None:
    """Index just after the first sentence's terminator (and closing quotes), if there is one."""
    state = _Brackets(text)
    urls: list[tuple[int, int]] = []
    scanned = 0  # the links of text[:scanned] are known
    for run in _TERMINATOR_RUN.finditer(text):
        start, end = run.span()
        state.advance(start)
        inside = bool(state.stack)
        state.advance(end)
        after = end
        while after < len(text) and text[after] in _CLOSERS:
            state.feed(text[after])
            after += 1
        state.position = after
        if brackets and state.stack:
            continue  # still inside a quotation or parenthesis
        if not _ends_sentence(text, run.group(), start, after, inside=inside and brackets):
            continue
        # Only now ask whether the terminator is part of a link. Links never span a space, so
        # the links of the text up to the end of this word are those of the whole text.
        if start >= scanned:
            space = url_extract.SPACES.search(text, start)
            scanned = space.start() if space else len(text)
            urls = url_extract.extract_urls(text[:scanned])
        if any(url_start <= start < url_end for url_start, url_end in urls):
            continue
        return after
    return None


def _ends_sentence(text: str, marks: str, start: int, after: int, *, inside: bool) -> bool:
    """Whether the terminator run ``marks`` at ``start`` (closers up to ``after``) ends it."""
    following = text[after] if after < len(text) else ""
    if _CJK_TERMINATORS.intersection(marks):
        # 。！？ end a sentence wherever they are, unless they end a quotation that the
        # sentence goes on after: 他说：“走吧！”然后……
        return not (inside and following and not following.isspace())
    if "…" in marks or ".." in marks:
        return False  # an ellipsis inside a sentence
    if marks == "." and (
        _is_abbreviation(text, start)
        or (start < 12 and _ENUMERATOR.fullmatch(text[:start].strip()))
    ):
        return False
    if not following:
        return True
    if following.isspace():
        rest = text[after:].lstrip()
        if not rest or (start and _is_cjk(text[start - 1])):
            return True
        # "vs. baseline": a lower-case word goes on; after ! and ? anything may follow.
        return "!" in marks or "?" in marks or not rest[0].islower()
    return _is_cjk(following)  # "…的研究.这种方法": an ASCII stop in CJK text


def first_sentence(text: str) -> str:
    """The first sentence of ``text``, whitespace collapsed; the whole first paragraph if none.

    English does not split at abbreviations (e.g., i.e., et al., Fig. 3, vs., Eq. 2, cf.,
    approx.), decimals and versions (3.5x, v1.2.3, Python 3.11), ellipses, or inside links; a
    '.' followed by a lower-case word does not end a sentence. CJK splits at 。！？ (also when
    text follows directly) and at ASCII ?!. followed by a space or CJK. A closing quote or
    bracket after the terminator stays with the sentence. A blank line always ends it.
    """
    paragraph = _BLANK_LINE.split(text.strip(), maxsplit=1)[0]
    if not paragraph:
        return ""
    end = _sentence_end(paragraph, brackets=True)
    if end is None and _open_brackets(paragraph):
        # An opener that never closes would swallow the whole paragraph: ignore brackets.
        end = _sentence_end(paragraph, brackets=False)
    return _join_lines(paragraph[:end] if end is not None else paragraph)


def _open_brackets(text: str) -> list[str]:
    """The brackets and quotes ``text`` leaves open, innermost last."""
    state = _Brackets(text)
    state.advance(len(text))
    return state.stack


# --- shortening -------------------------------------------------------------------------------
def _candidate(text: str, end: int, floor: int) -> str | None:
    """``text[:end]`` made presentable: no trailing comma or dangling opener, "…", closed.

    Nothing before ``floor`` (the end of the last link) is stripped: a link ending in '/' or
    '-' keeps it.
    """
    prefix = text[:end]
    while True:
        while len(prefix) > floor and (
            prefix[-1].isspace() or prefix[-1] in _SOFT_TRAILING or prefix[-1] in _OPENERS
        ):
            prefix = prefix[:-1]
        if not prefix:
            return None
        still_open = _open_brackets(prefix)
        if still_open and still_open[-1] == _QUOTE and prefix[-1] == _QUOTE and len(prefix) > floor:
            prefix = prefix[:-1]  # a '"' that opens nothing yet
            continue
        closers = "".join(_PAIRS.get(opener, opener) for opener in reversed(still_open))
        return prefix + ELLIPSIS + closers


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


def shorten(text: str, limit: int | Callable[[str], bool], *, hint: float | None = None) -> str:
    """``text`` if it fits, else its longest presentable prefix that does, ending in "…".

    ``limit`` is a maximum weighted length (X's count) or a predicate telling whether a
    candidate fits (to measure it inside a whole post). The cut falls at a word boundary (in
    CJK, at any character), never inside a URL or an emoji or other grapheme cluster; a
    trailing comma or a dangling opener is dropped and brackets or quotes left open are
    closed after the "…". Falls back to any grapheme boundary when not even the first word
    fits; returns "" when nothing does. The result is NFC-normalised, as X counts it.

    With a predicate, ``hint`` (0 to 1) may say about which share of the text (by X's weight)
    will fit: the search starts there and widens, instead of halving the whole text, so a good
    hint measures two or three candidates instead of ten. The answer is the same.
    """
    text = _nfc(text)
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
    is_cjk = _is_cjk
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
            or (following >= "\u3000" and is_cjk(following))
            or (text[end - 1] >= "\u3000" and is_cjk(text[end - 1]))
        ):
            word_cuts.append(cut)
    found = _longest_fitting(text, word_cuts, fits, budget, hint)
    if found is None:
        # Not even the first word fits: cut it at any grapheme boundary instead.
        found = _longest_fitting(text, every_cut, fits, budget, hint)
    return found or ""


def _longest_fitting(
    text: str,
    cuts: list[_Cut],
    fits: Callable[[str], bool],
    budget: int | None,
    hint: float | None = None,
) -> str | None:
    """The candidate at the rightmost cut that fits (cuts ascending by position)."""
    ellipsis_weight = _ELLIPSIS_WEIGHT
    if budget is not None:
        # Prefix weights are known: start from the last cut whose estimate fits.
        index = len(cuts) - 1
        while index >= 0 and cuts[index][1] + ellipsis_weight > budget:
            index -= 1
    else:
        tried: dict[int, str | None] = {}

        def fitting(position: int) -> bool:
            candidate = _candidate(text, cuts[position][0], cuts[position][2])
            ok = candidate is not None and fits(candidate)
            tried[position] = candidate if ok else None
            return ok

        index = _search(cuts, fitting, hint)
        if index >= 0 and tried.get(index) is not None:
            return tried[index]
    while index >= 0:
        candidate = _candidate(text, cuts[index][0], cuts[index][2])
        if candidate is not None and fits(candidate):
            return candidate
        index -= 1
    return None
