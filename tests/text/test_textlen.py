"""X's weighted length: twitter-text's conformance suite, plus the cases paperbot relies on."""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import regex
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import cut_points
from bot.text import twitter_text as textlen
from bot.text.characters import is_cjk
from bot.text.cut_points import all_cuts
from bot.text.shorten import CLAUSE_MARKS, _cuts, _cuts_within
from bot.text.twitter_text import check, is_valid_url, weighted_length
from bot.text.url_extract import extract_urls
from tests.text import url_reference

# ../shared beside the checkout (or beside the folder of worktrees, for a git worktree).
_REFERENCE = Path("shared") / "reference" / "twitter-text" / "validate.yml"
VALIDATE_YML = next(
    (p / _REFERENCE for p in Path(__file__).parents[3:5] if (p / _REFERENCE).exists()),
    Path(__file__).parents[3] / _REFERENCE,
)
_SKIP = pytest.mark.skip(reason=f"twitter-text conformance file not found at {VALIDATE_YML}")
_EMOJI_START = regex.compile(r"\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3")

# Cases per section in validate.yml: the suite fails if any goes missing unnoticed.
_EXPECTED_COUNTS = {
    "WeightedTweetsWithDiscountedEmojiCounterTest": 22,
    "UnicodeDirectionalMarkerCounterTest": 2,
    "urls": 24,
    "urls_without_protocol": 5,
    "WeightedTweetsCounterTest": 20,
}


def _load() -> dict[str, list[dict[str, Any]]] | None:
    if not VALIDATE_YML.exists():
        return None
    tests: dict[str, list[dict[str, Any]]] = yaml.safe_load(VALIDATE_YML.read_text("utf-8"))[
        "tests"
    ]
    return tests


_SUITE = _load()


def _cases(section: str, *, emoji_free: bool = False) -> list[Any]:
    """One pytest param per case of ``section``; a single skipped param without the file."""
    if _SUITE is None:
        return [pytest.param(None, marks=_SKIP, id=f"{section}-missing")]
    cases = _SUITE[section]
    if emoji_free:
        cases = [case for case in cases if not _EMOJI_START.search(case["text"])]
    return [pytest.param(case, id=f"{section}-{i}") for i, case in enumerate(cases)]


@pytest.mark.skipif(_SUITE is None, reason=f"conformance file not found at {VALIDATE_YML}")
def test_conformance_sections_are_all_there() -> None:
    assert _SUITE is not None
    counts = {section: len(_SUITE[section]) for section in _EXPECTED_COUNTS}
    assert counts == _EXPECTED_COUNTS


@pytest.mark.parametrize(
    "case",
    _cases("WeightedTweetsWithDiscountedEmojiCounterTest")
    + _cases("UnicodeDirectionalMarkerCounterTest")
    # The v2 section differs from v3 only in counting emoji per code point: its emoji-free
    # cases must hold for v3 too.
    + _cases("WeightedTweetsCounterTest", emoji_free=True),
)
def test_weighted_length_conformance(case: dict[str, Any]) -> None:
    expected = case["expected"]
    result = check(case["text"])
    assert result.weighted_length == expected["weightedLength"], case["description"]
    assert result.valid is expected["valid"], case["description"]
    assert result.permillage == expected["permillage"], case["description"]
    assert weighted_length(case["text"]) == expected["weightedLength"]


@pytest.mark.parametrize("case", _cases("urls"))
def test_url_validation_conformance(case: dict[str, Any]) -> None:
    assert is_valid_url(case["text"]) is case["expected"], case["description"]


@pytest.mark.parametrize("case", _cases("urls_without_protocol"))
def test_url_without_protocol_validation_conformance(case: dict[str, Any]) -> None:
    assert is_valid_url(case["text"], require_protocol=False) is case["expected"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 5),
        ("中文", 4),
        ("한국어", 6),
        ("e\u0301", 1),  # NFC first: é
        ("©", 1),  # text-style pictograph: its code point weight
        ("©\ufe0f", 2),
        ("🐦\u200d🔥", 2),  # phoenix, Emoji 15.1: newer than twitter-text's table
        ("🏃\u200d♀\ufe0f\u200d➡\ufe0f", 2),  # woman running facing right, Emoji 15.1
        ("👩🏽\u200d🤝\u200d👨🏿", 2),
        ("🇯🇵🇺🇸", 4),
        ("🇯🇵🇺", 4),  # a flag and a lone regional indicator
        ("#\ufe0f\u20e3 1\u20e3", 5),
        ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", 2),
        ("…", 2),  # U+2026 is outside the weight-1 ranges
        ("‘quoted’", 8),
        ("arxiv.org/abs/2009.01835", 23),
        ("https://arxiv.org/abs/2009.01835v2 and http://x.ai", 23 + 5 + 23),
        ("see arxiv.org/abs/2009.01835.", 4 + 23 + 1),
        ("论文见arxiv.org/abs/2009.01835。", 6 + 23 + 2),
        ("foo.jp", 6),  # a bare two-label ccTLD domain is not a link
        ("foo.jp/paper", 23),
        ("t.co", 23),
        ("example.notatld", 15),
        ("v1.2.3 and 3.5x and e.g. this", 29),
        ("https://t.co/" + "a" * 41, 54),  # t.co slugs longer than 40 are not links
    ],
)
def test_weighted_length_examples(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


def test_every_pictograph_made_emoji_weighs_two() -> None:
    """The cheap emoji pre-filter must not miss any pictograph the installed regex knows."""
    pictographs = regex.compile(r"\p{Extended_Pictographic}")
    checked = 0
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        if pictographs.match(char):
            assert weighted_length(char + "\ufe0f") == 2, hex(code)
            checked += 1
    assert checked > 2000


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("no links here.", []),
        ("paper: arxiv.org/abs/2009.01835 (v2)", ["arxiv.org/abs/2009.01835"]),
        ("HTTPS://WWW.Example.COM/index.html", ["HTTPS://WWW.Example.COM/index.html"]),
        (
            "x https://en.wikipedia.org/wiki/Primer_(film) y",
            ["https://en.wikipedia.org/wiki/Primer_(film)"],
        ),
        ("中文https://arxiv.org/abs/1234.5678的", ["https://arxiv.org/abs/1234.5678"]),
        ("foo.jp and foo.co.jp", ["foo.co.jp"]),
        ("-example.com /example.com _example.com", []),
        ("email me@example.com", []),
        ("$example.com #example.com", []),
        ("http://example.com?x=1", ["http://example.com?x=1"]),
        ("example.com?x=1", ["example.com"]),
        ("https://t.co/abc123/def", ["https://t.co/abc123"]),
        ("http://foobar.پاکستان/", ["http://foobar.پاکستان/"]),
        ("http://localhost:8000/x", []),
    ],
)
def test_extract_urls(text: str, urls: list[str]) -> None:
    assert [text[start:end] for start, end in extract_urls(text)] == urls


def test_check_flags_invalid_characters_and_limits() -> None:
    assert check("ok").valid
    assert not check("").valid
    assert not check("a\ufffe").valid
    assert not check("x" * 281).valid
    assert check("x" * 281, limit=300).valid
    assert check("中" * 140).weighted_length == 280


_URLISH = st.lists(
    st.sampled_from(
        [
            *"ab.c-_/:@#$ 中文。例子Xé😷\u202a\u3000?=()",
            *("http://", "https://", "HTTPS://", ".com", ".co", ".jp", ".中国", "xn--", "t.co/"),
            *("example", "arxiv.org/abs/2009.01835", "www.", "?q=1", "(x)", "_a", "a-"),
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_URLISH)
def test_fast_extraction_matches_the_reference_loop(text: str) -> None:
    """The candidate-skipping search finds exactly what trying every position finds."""
    assert extract_urls(text) == url_reference.extract_urls(text)


@settings(max_examples=200, deadline=None)
@given(_URLISH, st.integers(min_value=0, max_value=60))
def test_atoms_add_up_to_the_weighted_length(text: str, bound: int) -> None:
    text = unicodedata.normalize("NFC", text)
    pieces = textlen.atoms(text)
    assert "".join(text[start:end] for start, end, _, _ in pieces) == text
    assert all(start < end for start, end, _, _ in pieces)
    assert sum(weight for _, _, weight, _ in pieces) == weighted_length(text)
    # With a bound: the same atoms, up to the first one past it.
    bounded = textlen.atoms(text, bound)
    assert bounded == pieces[: len(bounded)]
    total = sum(weight for _, _, weight, _ in bounded)
    assert total > bound or bounded == pieces
    assert sum(weight for _, _, weight, _ in bounded[:-1]) <= bound


def test_atoms_mark_emoji_sequences_and_links() -> None:
    text = "a👨\u200d👩\u200d👧中🔥©"
    text += " arxiv.org/abs/2009.01835"
    assert [(text[s:e], w, kind) for s, e, w, kind in textlen.atoms(text)] == [
        ("a", 1, "text"),
        ("👨\u200d👩\u200d👧", 2, "emoji"),
        ("中", 2, "text"),
        ("🔥", 2, "emoji"),
        ("©", 1, "text"),
        (" ", 1, "text"),
        ("arxiv.org/abs/2009.01835", 23, "url"),
    ]


def test_long_text_without_spaces_is_measured_in_linear_time() -> None:
    """CJK prose is one run of 'domain characters'; a naive URL search is quadratic in it."""
    plain = ("中文的研究.这种方法v1.2.3版本" * 1000)[:20_000]
    with_links = ("研究.中国的方法v1.2.3见arxiv.org/abs/2009.01835版本" * 500)[:20_000]
    started = time.perf_counter()
    weighted_length(plain)
    weighted_length(with_links)
    assert time.perf_counter() - started < 1.0  # quadratic took minutes


_PROSE = st.lists(
    st.sampled_from(
        [
            *("a", "b", " ", ",", ";", ":", "1,000", "日本", "、", "，", "“", "(", ")"),
            *("🔥", "👍🏽", "🇯🇵", "e\u0301", "\r\n"),
            *("arxiv.org/abs/2009.01835", " https://x.org/a"),
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_PROSE, st.integers(min_value=0, max_value=80))
def test_cuts_within_a_weight_are_the_first_of_all_cuts(text: str, bound: int) -> None:
    """Shortening for X takes its cuts from those of the whole text (shared with the other
    platforms, which shorten the same sentence): they must be those of the bounded atoms."""
    text = unicodedata.normalize("NFC", text)
    assert _cuts_within(text, bound) == _cuts(text, textlen.atoms(text, bound))
    assert _cuts_within(text, None) == _cuts(text, textlen.atoms(text))


@settings(max_examples=500, deadline=None)
@given(_PROSE | _URLISH | st.text())
def test_cuts_found_in_one_walk_are_those_of_the_atoms(text: str) -> None:
    """``cut_points.all_cuts`` (ASCII stretches taken whole) gives exactly ``_cuts`` of all
    the atoms, which spells the rules out atom by atom."""
    text = unicodedata.normalize("NFC", text)
    assert all_cuts(text) == _cuts(text, textlen.atoms(text))


def test_the_character_classes_of_the_cut_finder_are_those_of_the_rules() -> None:
    """``cut_points.classes()`` says, per code point, what ``str.isspace`` and ``is_cjk`` say and
    which characters end a clause (``shorten.CLAUSE_MARKS``)."""
    table = cut_points.classes()
    for code in range(0x110000):
        char = chr(code)
        expected = (cut_points.SPACE if char.isspace() else 0) | (
            cut_points.CJK if is_cjk(char) else 0
        )
        if char in CLAUSE_MARKS:
            expected |= cut_points.SPACED_MARK if char in ",;:" else cut_points.MARK
        assert table[code] == expected, hex(code)
