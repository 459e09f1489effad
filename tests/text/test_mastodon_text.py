"""Mastodon's status length, as the instance's StatusLengthValidator counts it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.mastodon import LINKERS, MastodonRule, countable_text, mastodon_length
from bot.text.mastodon_urls import mastodon_url_spans
from tests.fakes.mastodon_text import status_length

FAMILY = "👨\u200d👩\u200d👧\u200d👦"
PHOENIX = "🐦\u200d🔥"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 5),
        ("a\r\nb", 3),  # CR LF is one grapheme cluster
        ("日本語のテキスト", 8),  # CJK counts 1, not 2 as on X
        ("한국어 텍스트", 7),
        (FAMILY, 1),  # a ZWJ family is one grapheme
        (PHOENIX, 1),  # Emoji 15.1, newer than twitter-text's table
        ("🇯🇵🇫🇷", 2),  # two flags
        ("👍🏽", 1),  # skin tone modifier
        ("1\ufe0f\u20e3", 1),  # keycap
        ("e\u0301", 1),  # combining accent
        ("Ünïcödé", 7),
        ("https://arxiv.org/abs/2401.00001", 23),
        ("http://x.co", 23),  # a short link still reserves 23
        ("see https://example.com/" + "a" * 100, 4 + 23),
        ("Read https://example.com/x.", 5 + 23 + 1),  # the full stop is not part of the link
        ("arxiv.org/abs/2401.00001", 24),  # no scheme: not a link for Mastodon, counts in full
        ("http://localhost/abc", 20),  # no known TLD: not a link
        ("@alice@example.social hi", 9),  # counts as "@alice hi"
        ("@alice hi", 9),
        ("ping @bob.smith@mastodon.example.org!", len("ping @bob.smith!")),
        ("mail bob@example.com", 20),  # an e-mail address is not a mention
        ("https://mastodon.social/@alice", 23),  # a mention inside a link is the link
        ("日本語 https://例え.jp/ と @user@host.example", 4 + 23 + 3 + 5),
        # Mastodon's link path (unlike X's) runs on through CJK: "パス" is part of the link
        ("https://例え.jp/パス", 23),
        ("論文はhttps://arxiv.org/abs/2009.01835です。", 3 + 23),
        ("gemini://example.com/x", 23),  # Mastodon counts its other schemes as links too
        ("@alice@-x.com hi", 16),  # no domain there: not a mention at all
        ("क्ष", 2),  # as servers before Unicode 15.1 count it (the safe side)
        # Mastodon's twitter-text takes "\\" in a domain (a link of 23 for it, none for us):
        # counted in full and 23 more, never less than the server's 4 + 23 + 2.
        ("see http://a\\.co x", 4 + 12 + 2 + 23),
        (f"{FAMILY} https://arxiv.org/abs/1 {PHOENIX}", 1 + 1 + 23 + 1 + 1),
    ],
)
def test_length_table(text: str, expected: int) -> None:
    assert mastodon_length(text) == expected


def test_rule_uses_the_instance_url_length_and_limit() -> None:
    rule = MastodonRule(limit=30, url_length=30)
    assert rule.name == "mastodon"
    assert rule.measure("https://x.org") == 30
    assert rule.fits("https://x.org")
    assert not rule.fits("a https://x.org")
    assert MastodonRule().limit == 500


def test_rule_refuses_a_nonsense_limit() -> None:
    with pytest.raises(ValueError):
        MastodonRule(limit=0)


def test_countable_text_rewrites_links_and_mentions() -> None:
    text = "by @ana@sigmoid.social: https://arxiv.org/abs/2401.00001"
    assert countable_text(text) == "by @ana: " + "x" * 23


# -- properties -----------------------------------------------------------------------------------

TOKENS = ["a", "Z", "é", "日", "本", "ß", "😀", FAMILY, PHOENIX, "🇯🇵", "1", ".", ",", "!", "-"]
plain = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)
words = st.lists(plain.filter(bool), min_size=1, max_size=6).map(" ".join)
# (a link's path never ends on "=" for Mastodon: one there is text after the link)
paths = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/_-=", max_size=60).map(
    lambda path: path.rstrip("=")
)
links = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}/{path}",
    st.sampled_from(["http", "https"]),
    st.sampled_from(["arxiv.org", "example.com", "openreview.net", "www.nature.com"]),
    paths,
)
users = st.from_regex(r"[a-z0-9_]{1,12}", fullmatch=True)
domains = st.sampled_from(["mastodon.social", "sigmoid.social", "fosstodon.org"])


@settings(max_examples=200, deadline=None)
@given(plain)
def test_plain_text_counts_graphemes(text: str) -> None:
    import regex

    assert mastodon_length(text) == len(regex.findall(r"\X", text))


@settings(max_examples=200, deadline=None)
@given(words, links, words)
def test_a_link_costs_the_reserved_length_whatever_its_length(
    before: str, link: str, after: str
) -> None:
    text = f"{before} {link} {after}"
    assert mastodon_length(text) == mastodon_length(before) + 1 + 23 + 1 + mastodon_length(after)
    assert MastodonRule(url_length=40).measure(text) == mastodon_length(text) + 17


@settings(max_examples=200, deadline=None)
@given(words, users, domains)
def test_a_mention_domain_is_free(text: str, user: str, domain: str) -> None:
    assert mastodon_length(f"@{user}@{domain} {text}") == mastodon_length(f"@{user} {text}")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(words, links, users.map(lambda u: f"@{u}@mastodon.social")), max_size=8))
def test_agrees_with_the_fake_instance_counter(parts: list[str]) -> None:
    """Two independent counters (ours and the fake server's) agree on texts we compose."""
    text = " ".join(parts)
    assert mastodon_length(text) == status_length(text)


def test_links_in_full_counts_the_text_as_it_is() -> None:
    from bot.text.mastodon import LINKS_IN_FULL

    text = "See https://example.org/" + "a" * 60 + " and @bob@example.social"
    assert mastodon_length(text, url_length=LINKS_IN_FULL) == len(text)
    assert mastodon_length(text, url_length=LINKS_IN_FULL) == status_length(text, None)
    assert MastodonRule(limit=500, url_length=LINKS_IN_FULL).measure(text) == len(text)
    with pytest.raises(ValueError):
        MastodonRule(limit=500, url_length=-2)


_URL_PIECES = [
    *"ab.c-_/:@#$+ 中文。例子Xé😷\u3000?=()0\n\t!,;\"'~&|%[]*",
    *("http://", "HTTPS://", "gemini://", ".com", ".jp", ".中国", "=?", "=", "?q=1", "(x)"),
    *("example", "arxiv.org/abs/2009.01835", "www.", "です", "{}", "|^", ".org/a,b", "t.co/"),
    *(" https://arxiv.org/abs/2009.01835", "https://a.org/x", " ", "?é"),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_URL_PIECES), max_size=20).map("".join))
def test_links_taken_from_x_when_they_agree_are_mastodons_own(text: str) -> None:
    """The rule reuses X's link search when Mastodon's must find the same (the usual post);
    that shortcut never changes the answer of Mastodon's own search."""
    assert MastodonRule().links(text) == mastodon_url_spans(text)


def test_every_conjunct_linker_is_listed() -> None:
    """The quick test for Indic conjuncts knows every linker the installed Unicode data has."""
    import sys

    import regex

    linkers = {
        chr(code)
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF and regex.match(r"\p{InCB=Linker}", chr(code))
    }
    assert linkers <= set(LINKERS)
