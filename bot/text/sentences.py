"""The comment's first sentence, in English and CJK (shortening is bot/text/shorten.py).

A curator's comment is often a paragraph; a post carries its first sentence. Splitting naively
at '.' breaks on "e.g.", "et al.", "Fig. 3", "3.5x", "v1.2.3" and links, and a cut that lands
inside a link, an emoji sequence or a quotation makes a post look broken, so both jobs live
here with the rules spelled out. Both are pure functions.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache

from bot.text import url_extract, url_patterns
from bot.text.characters import CLOSERS, OPENERS, Brackets, is_cjk, open_brackets

_CJK_TERMINATORS = frozenset("。！？｡．")
_TERMINATOR_RUN = re.compile(r"[.!?。！？｡．…]+")
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
_ASCII_WORD_CHARS = frozenset(string.ascii_letters + string.digits)
_ENUMERATOR = re.compile(r"\(?(?:[0-9]{1,3}|[ivxIVX]{1,4}|[A-Za-z])")  # "1." "iv." "(a." "A."


def _join_lines(text: str) -> str:
    """Collapse whitespace to one space, or to nothing where a line break sits between CJK."""

    def replace(match: re.Match[str]) -> str:
        start, end = match.span()
        if (
            "\n" in match.group()
            and start > 0
            and end < len(text)
            and is_cjk(text[start - 1])
            and is_cjk(text[end])
        ):
            return ""
        return " "

    if "\n" not in text:
        return " ".join(text.split())
    return _WHITESPACE.sub(replace, text).strip()


def _token_before(text: str, end: int) -> str:
    start = end
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in OPENERS:
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
    state = Brackets(text)
    urls: list[tuple[int, int]] = []
    scanned = 0  # the links of text[:scanned] are known
    length = len(text)
    for run in _TERMINATOR_RUN.finditer(text):
        start, end = run.span()
        if end < length and text[end] in _ASCII_WORD_CHARS and run.group().isascii():
            # ".!?" glued to a letter or digit ("3.5x", "e.g", "arxiv.org") end nothing; the
            # brackets state catches up at the next run (no closer follows this one).
            continue
        state.advance(start)
        inside = bool(state.stack)
        after = end  # (the run holds no bracket: the state after it is the state before)
        while after < len(text) and text[after] in CLOSERS:
            state.feed(text[after])
            after += 1
        state.position = after
        if brackets and state.stack:
            continue  # still inside a quotation or parenthesis
        if not _ends_sentence(text, run.group(), start, after, inside=inside and brackets):
            continue
        if (after == length or text[after] in " \n") and ")" not in text[start:after]:
            # No link ends on a terminator, nor on a closer but ")", nor holds a space: none
            # holds this one.
            return after
        # Only now ask whether the terminator is part of a link. Links never span a space, so
        # the links of the text up to the end of this word are those of the whole text.
        if start >= scanned:
            space = url_patterns.SPACES.search(text, start)
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
    if following and not following.isspace() and not is_cjk(following):
        return False  # (before the abbreviations: the same answer, sooner)
    if marks == "." and (
        _is_abbreviation(text, start)
        or (start < 12 and _ENUMERATOR.fullmatch(text[:start].strip()))
    ):
        return False
    if not following:
        return True
    if following.isspace():
        rest = text[after:].lstrip()
        if not rest or (start and is_cjk(text[start - 1])):
            return True
        # "vs. baseline": a lower-case word goes on; after ! and ? anything may follow.
        return "!" in marks or "?" in marks or not rest[0].islower()
    return is_cjk(following)  # "…的研究.这种方法": an ASCII stop in CJK text


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
    if end is None and open_brackets(paragraph):
        # An opener that never closes would swallow the whole paragraph: ignore brackets.
        end = _sentence_end(paragraph, brackets=False)
    return _join_lines(paragraph[:end] if end is not None else paragraph)


#: ``first_sentence`` remembering the last few answers: an entry's comment gives the post's
#: sentence (bot/text/entry_text.py) and, for Bluesky, its link card's (bot/text/link_card.py).
first_sentence_kept = lru_cache(maxsize=8)(first_sentence)
