"""bot/text/url_extract.py and bot/text/tlds.py against twitter-text's pattern as written (tests/
text/url_reference.py): the same links in the same places, and the same TLD at every position."""

from __future__ import annotations

import re
import sys

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.text import tlds
from bot.text.url_extract import extract_urls
from tests.text import url_reference

# Not "httpſ://": `re.IGNORECASE` reads it as a scheme, twitter-text (Java, JS) and our search
# for run starts do not (unchanged from the trie-pattern version).
_PIECES = [
    *"ab.c-_/:@#$+ 中文。例子Xé😷\u202a\u3000?=()0İıſ\u212aϵᲂ",
    *("http://", "HTTPS://", ".com", ".COM", ".Co", ".jp", ".中国", ".рф", ".РФ"),
    *(".ᲂрг", ".嘉里", ".嘉里大酒店", ".ελ", ".xn--p1ai", "xn--", "t.co/", ".tv", ".ſite"),
    *("example", "arxiv.org/abs/2009.01835", "www.", "?q=1", "(x)", "_a", "a-", ".co.uk"),
]
_TEXTS = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
@example("@İ中arxiv.org/abs/2009.01835")  # "İ" may not precede a URL ("i" case-blind)
def test_links_are_those_of_the_reference_pattern(text: str) -> None:
    assert extract_urls(text) == url_reference.extract_urls(text)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_the_tld_at_every_position_is_the_reference_patterns(text: str) -> None:
    for position in range(len(text) + 1):
        assert tlds.tld_end(text, position) == url_reference.tld_end(text, position), position


def test_every_tld_is_found_in_upper_and_lower_case() -> None:
    for tld in sorted(tlds.TLDS):
        for spelled in (tld, tld.upper()):
            text = f"{spelled}/"
            assert tlds.tld_end(text, 0) == url_reference.tld_end(text, 0), spelled


def test_fold_matches_re_ignorecase_on_every_code_point() -> None:
    """A character folds onto a TLD letter exactly when `re.IGNORECASE` matches it to one."""
    letters = sorted({char for tld in tlds.TLDS for char in tld})
    any_letter = re.compile("[" + re.escape("".join(letters)) + "]", re.IGNORECASE)
    every = "".join(
        chr(code) for code in range(1, sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF
    )
    # Folded one by one (NUL-separated, so that no character has a neighbour to case by).
    folded = tlds.fold("\0".join(every)).split("\0")
    assert len(folded) == len(every)
    by_fold = {char for char, fold in zip(every, folded, strict=True) if fold in letters}
    assert by_fold == set(any_letter.findall(every))
    for char in sorted(by_fold):
        matching = [t for t in letters if re.fullmatch(re.escape(t), char, re.IGNORECASE)]
        assert matching == [tlds.fold(char)], hex(ord(char))
