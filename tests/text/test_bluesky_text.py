"""Bluesky's text rules: graphemes and bytes, links shown as the app shows them, link facets,
and composition under them (X's composition must not change)."""

from __future__ import annotations

import unicodedata

import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.text.bluesky import (
    BYTE_LIMIT,
    GRAPHEME_LIMIT,
    BlueskyRule,
    LinkFacet,
    compose_for_bluesky,
    graphemes,
    render,
    with_full_links,
)
from bot.text.bluesky_links import display_url, find_links
from bot.text.clusters import clusters, exact_count, has_joining
from bot.text.compose import ComposeInput, ComposeSettings, compose
from bot.text.length_rules import XRule
from bot.text.sentences import first_sentence
from bot.text.shorten import ELLIPSIS

URL = "https://arxiv.org/abs/2401.12345v2"
PHOENIX = "🐦\u200d🔥"  # a ZWJ sequence (Emoji 15.1): one grapheme, 11 bytes
FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # one grapheme, 25 bytes


@pytest.mark.parametrize(
    ("text", "clusters", "size"),
    [
        ("hello", 5, 5),
        ("日本語のテキスト", 8, 24),
        (PHOENIX, 1, 11),
        (FAMILY, 1, 25),
        ("🇯🇵🇫🇷", 2, 16),  # two flags
        ("e\u0301", 1, 3),  # e + combining acute
        ("한국어", 3, 9),
        ("a\r\nb", 3, 4),  # CR LF is one cluster
    ],
)
def test_graphemes_and_bytes(text: str, clusters: int, size: int) -> None:
    assert graphemes(text) == clusters
    assert render(text).utf8_bytes == size


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("https://arxiv.org/abs/2401.12345", "arxiv.org/abs/2401.12345"),  # path of 15: whole
        ("https://arxiv.org/abs/2401.12345v2", "arxiv.org/abs/2401.123..."),  # 17: cut to 13
        ("https://example.com/", "example.com"),
        ("http://Example.COM:8080/a", "example.com:8080/a"),
        ("https://example.com/?q=1#frag", "example.com?q=1#frag"),  # as the app: "/" dropped
        ("https://openreview.net/forum?id=abcdefghij", "openreview.net/forum?id=abc..."),
        ("https://bücher.de/ä", "xn--bcher-kva.de/%C3%A4"),
    ],
)
def test_display_url_as_the_app_shows_it(uri: str, shown: str) -> None:
    assert display_url(uri) == shown


def test_render_shortens_links_and_keeps_full_urls_in_byte_facets() -> None:
    text = f"日本語 {PHOENIX} see ({URL}). Also arxiv.org/abs/1 and https://x.org."
    shown = render(text)
    assert shown.text == (
        f"日本語 {PHOENIX} see (arxiv.org/abs/2401.123...). Also arxiv.org/abs/1 and x.org."
    )
    data = shown.text.encode()
    assert [data[f.byte_start : f.byte_end].decode() for f in shown.facets] == [
        "arxiv.org/abs/2401.123...",
        "arxiv.org/abs/1",
        "x.org",
    ]
    assert [f.uri for f in shown.facets] == [URL, "https://arxiv.org/abs/1", "https://x.org"]
    # Read back, the shown links become full URLs again (a bare domain gains its scheme).
    assert with_full_links(shown.text, shown.facets) == text.replace(
        " arxiv.org/abs/1", " https://arxiv.org/abs/1"
    )


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("no links here.", []),
        ("a.b is not a domain", []),  # "b" is no TLD
        ("see example.com, ok", ["https://example.com"]),
        ("(https://a.org/x_(y))", ["https://a.org/x_(y))"]),  # the app keeps a ')' with a '('
        ("x https://a.org/x)", ["https://a.org/x"]),
        ("mid-word:https://a.org", []),  # the app needs a space, '(' or line start before
        ("line\nhttps://a.org?", ["https://a.org"]),
    ],
)
def test_find_links_like_the_app(text: str, links: list[str]) -> None:
    assert [uri for _, _, uri in find_links(text)] == links


def test_limits_are_graphemes_and_bytes() -> None:
    rule = BlueskyRule()
    assert rule.measure("a" * 300) == 300 and render("a" * 300).valid
    assert not render("a" * 301).valid
    # 300 family emoji are 300 graphemes but 7,500 bytes: the byte limit binds.
    assert rule.measure(FAMILY * 120) == 300  # 3,000 bytes exactly
    assert render(FAMILY * 120).valid and render(FAMILY * 120).utf8_bytes == BYTE_LIMIT
    assert rule.measure(FAMILY * 121) > GRAPHEME_LIMIT and not render(FAMILY * 121).valid
    # A long link counts as shown: host + 16 characters at most.
    assert rule.measure(f"x {URL}/{'p' * 500}") == 2 + len("arxiv.org/abs/2401.123...")


def test_compose_for_bluesky_fits_cjk_that_x_would_cut_harder() -> None:
    comment = "大規模言語モデルの評価手法を" * 10 + "体系的に比較した論文です。二文目。"
    entry = ComposeInput(url=URL, comment=comment, title="Evaluating LLMs")
    bluesky = compose_for_bluesky(entry)
    x = compose(entry)
    assert bluesky.text == first_sentence(comment) + "\narxiv.org/abs/2401.123..."
    assert bluesky.facets == (
        LinkFacet(len(first_sentence(comment).encode()) + 1, len(bluesky.text.encode()), URL),
    )
    assert x.shortened and not bluesky.draft.shortened  # 2 per CJK character on X, 1 here
    assert bluesky.draft.text == first_sentence(comment) + "\n" + URL


def test_compose_for_bluesky_shortens_by_graphemes_and_warns_in_characters() -> None:
    entry = ComposeInput(url=URL, comment=f"{PHOENIX} " * 400 + "end.")
    bluesky = compose_for_bluesky(entry)
    assert bluesky.shown.valid and bluesky.draft.shortened
    assert bluesky.text.endswith(ELLIPSIS + "\narxiv.org/abs/2401.123...")
    assert "shortened: comment cut from 804 to 274 characters" in bluesky.draft.warnings
    assert bluesky.draft.weighted_length == bluesky.shown.graphemes <= 300


def test_x_rule_gives_exactly_the_old_composition() -> None:
    entry = ComposeInput(url=URL, comment="word " * 100, title="A title")
    settings_ = ComposeSettings(template="{sentence} {title}\n{url}")
    assert compose(entry, settings_) == compose(entry, settings_, XRule())
    assert compose(entry, settings_, XRule(100)).weighted_length <= 100


# -- properties ---------------------------------------------------------------------------------

_CHARS = st.sampled_from(
    [*"abc xyz.,!?", "日", "本", "語", "。", "한", PHOENIX, FAMILY, "🇯🇵", "e\u0301", "\n"]
)
_COMMENTS = st.lists(_CHARS, max_size=700).map("".join)
_URLS = st.sampled_from(
    [
        URL,
        "https://arxiv.org/abs/2401.12345",
        "https://example.com/" + "p" * 400,
        "https://openreview.net/forum?id=abcdefghij",
    ]
)
_TEMPLATES = st.sampled_from(
    ["{sentence}\n{url}", "{emoji} {sentence} {url}\n{hashtags}", "{title}: {sentence}\n\n{url}"]
)


def _shown_as_the_app_shows(shown: str, uri: str) -> bool:
    """A facet's text is its link as the app shows it: a full URL shortened (``display_url``),
    a bare domain as typed (social-app's shortenLinks parses the typed text with ``new URL``,
    which refuses a text without a scheme, so ``a.ac日`` stays ``a.ac日``, not IDNA)."""
    return shown == display_url(uri) or "https://" + shown == uri


def test_a_bare_domain_is_shown_as_typed() -> None:
    shown = render("a.ac日: see a.ac/日本 or https://a.ac日")
    assert shown.text == "a.ac日: see a.ac/日本 or a.xn--ac-7t7d"
    data = shown.text.encode()
    links = [(data[f.byte_start : f.byte_end].decode(), f.uri) for f in shown.facets]
    assert links == [
        ("a.ac日", "https://a.ac日"),
        ("a.ac/日本", "https://a.ac/日本"),
        ("a.xn--ac-7t7d", "https://a.ac日"),
    ]


@settings(max_examples=200, deadline=None)
@given(_COMMENTS, _COMMENTS, _URLS, _TEMPLATES)
@example(comment="", title="a.ac日", url=URL, template="{title}: {sentence}\n\n{url}")
def test_every_composed_post_is_valid_for_bluesky(
    comment: str, title: str, url: str, template: str
) -> None:
    settings_ = ComposeSettings(template=template, hashtags=("ML", "日本"), emoji=PHOENIX)
    bluesky = compose_for_bluesky(ComposeInput(url=url, comment=comment, title=title), settings_)
    shown = bluesky.shown
    assert shown.valid, (shown.graphemes, shown.utf8_bytes)
    assert [f.uri for f in shown.facets].count(url) == 1  # the link exactly once
    data = shown.text.encode()
    for facet in shown.facets:  # every facet covers exactly the link as shown
        assert _shown_as_the_app_shows(data[facet.byte_start : facet.byte_end].decode(), facet.uri)
    sentence = first_sentence(unicodedata.normalize("NFC", comment))
    if template == "{sentence}\n{url}" and sentence and "." not in sentence:
        # Starts with a prefix of the first sentence (cut at a cluster boundary, then "…").
        start = shown.text.split("\n")[0].removesuffix(ELLIPSIS).rstrip()
        assert sentence.startswith(start)
        clusters = regex.findall(r"\X", sentence)
        assert "".join(clusters[: len(regex.findall(r"\X", start))]) == start


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"ab \r\n", "\u0301", "\u200d", "日", PHOENIX, "🇯🇵", "🏽"])))
def test_grapheme_count_equals_the_plain_pattern(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert graphemes(text) == len(regex.findall(r"\X", text))


def test_joining_characters_cover_what_the_installed_regex_knows() -> None:
    """The fast count (one cluster per code point) is taken only where no character of these
    Grapheme_Cluster_Break classes is: the list must hold every one of them."""
    joining = regex.compile(
        r"[\p{GCB=Extend}\p{GCB=ZWJ}\p{GCB=SpacingMark}\p{GCB=Prepend}\p{GCB=RI}"
        r"\p{GCB=L}\p{GCB=V}\p{GCB=T}\p{GCB=LV}\p{GCB=LVT}\p{InCB=Linker}\p{InCB=Extend}]"
    )
    missing = [
        f"U+{code:04X}"
        for code in range(0x110000)
        if joining.match(chr(code)) and not has_joining(chr(code))
    ]
    assert not missing


# Characters that join nothing (their text counts one cluster each), and some that do.
_PLAIN = [*"ab .,\r\n\t", "日", "本", "。", "🔥", "✨", "©", "\x85", "\ud800", "Ω"]
_JOINING = ["\u0301", "\u200d", "\ufe0f", "🏽", "🇯", "\u1100", "\u1161", "\u11a8", "가", "\u094d"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PLAIN + _JOINING)))
def test_text_without_joining_characters_is_one_cluster_per_code_point(pieces: list[str]) -> None:
    text = "".join(pieces)
    count = len(regex.findall(r"\X", text))
    assert graphemes(text) == count
    if not has_joining(text):
        assert count == len(text) - text.count("\r\n")


# Characters that take part in the rules that look back further than one character: Indic
# conjuncts (consonant, virama, consonant), emoji ZWJ sequences, flags (pairs of regional
# indicators), Hangul jamo, prepended concatenation marks.
_CONTEXT = [
    "क",
    "ष",
    "\u094d",
    "\u093f",
    "\u1cf6",
    "\U00011a3a",
    "👨",
    "\u200d",
    "🔥",
    "🇯",
    "🇵",
    "\u1100",
    "\u1161",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PLAIN + _JOINING + _CONTEXT + ["\u0600", "\u0903"])))
def test_clusters_are_those_of_the_plain_pattern(pieces: list[str]) -> None:
    """``\\X`` only around joining characters finds the same clusters as over the whole text."""
    text = "".join(pieces)
    assert clusters(text) == regex.findall(r"\X", text)
    assert exact_count(text) == len(regex.findall(r"\X", text))
