"""Properties of composition on every channel, whatever the comment: the post is valid for its
platform, carries the entry's link exactly once and starts with a prefix of the first sentence.

Each platform's count is checked against a second counter where there is one: Mastodon's by the
fake instance's own validator (tests/fakes/mastodon_text.py), Bluesky's by counting clusters of
the shown text with the plain ``\\X`` pattern.
"""

from __future__ import annotations

import unicodedata

import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.text import twitter_text as textlen
from bot.text.bluesky import BYTE_LIMIT, GRAPHEME_LIMIT, render
from bot.text.bluesky_links import _display_url_parsed, display_url
from bot.text.compose import ComposeInput, ComposeSettings
from bot.text.mastodon import MastodonRule
from bot.text.per_channel import ChannelDraft, compose_for
from bot.text.sentences import first_sentence
from bot.text.shorten import ELLIPSIS
from tests.fakes.mastodon_text import status_length

FAMILY = "👨\u200d👩\u200d👧\u200d👦"
PHOENIX = "🐦\u200d🔥"
_ASCII = [*"abc xyz,!?", " the ", " https://example.org/a/very/long/path/to/somewhere "]
_CJK = ["日", "本語", "한", "。", "、", "「", "」"]
_EMOJI = [FAMILY * 12, PHOENIX, "👍🏽", "🇯🇵", "#\ufe0f\u20e3", " "]  # 12 families: 300 bytes
_OTHER = ["\n", "e\u0301", "क्षि", " github.com/vt-vl-lab/FGVC ", " @bob@sigmoid.social "]
# One script per comment, or all mixed, so that each platform's binding limit is reached (X's
# weights by CJK, Bluesky's bytes by emoji, graphemes by ASCII); lengths drawn evenly
# (hypothesis alone favours short lists), so most comments need shortening.
_POOLS = [_ASCII, _CJK, _EMOJI, _ASCII + _CJK + _EMOJI + _OTHER]
_COMMENTS = (
    st.sampled_from(_POOLS)
    .flatmap(
        lambda pool: st.integers(0, 300).flatmap(
            lambda n: st.lists(st.sampled_from(pool), min_size=n, max_size=n)
        )
    )
    .map("".join)
)
_URLS = st.sampled_from(
    [
        "https://arxiv.org/abs/2401.12345v2",
        "https://openreview.net/forum?id=abcdefghij",
        "https://example.com/" + "p" * 300,
    ]
)
_TEMPLATES = st.sampled_from(
    [
        "{sentence}\n{url}",
        "{sentence} {url}\n{hashtags}",
        "{emoji} {title}\n{sentence}\n{hashtags}\n{url}",
        "{title}: {sentence}\n\n{url}",
    ]
)
_TITLES = st.sampled_from(["", "Flow-edge Guided Video Completion", "GAN 瘦身：一体化 GAN 压缩"])


def _settings(template: str) -> ComposeSettings:
    return ComposeSettings(template=template, hashtags=("ML", "論文"), emoji=PHOENIX)


def _entry(comment: str, title: str, url: str) -> ComposeInput:
    return ComposeInput(url=url, comment=comment, title=title)


def _starts_with_a_prefix_of_the_first_sentence(
    draft: ChannelDraft, comment: str, template: str
) -> None:
    """With the template starting with {sentence}, the post starts with the first sentence
    or with a prefix of it made of whole grapheme clusters, followed by "…"."""
    sentence = first_sentence(unicodedata.normalize("NFC", comment))
    if not template.startswith("{sentence}") or not sentence:
        return
    text = draft.composed
    if text.startswith(sentence):
        return
    assert draft.shortened
    cut = text.index(ELLIPSIS)
    while not sentence.startswith(text[:cut]):  # the sentence's own "…" came first
        cut = text.index(ELLIPSIS, cut + 1)
    start = text[:cut]
    clusters = regex.findall(r"\X", sentence)
    assert "".join(clusters[: len(regex.findall(r"\X", start))]) == start


def _common(draft: ChannelDraft, comment: str, template: str) -> None:
    assert draft.length <= draft.limit
    assert not [w for w in draft.warnings if w.startswith("too long") or "link" in w], draft
    _starts_with_a_prefix_of_the_first_sentence(draft, comment, template)


@settings(max_examples=150, deadline=None)
@given(_COMMENTS, _TITLES, _URLS, _TEMPLATES)
def test_every_x_post_is_valid_for_x(comment: str, title: str, url: str, template: str) -> None:
    draft = compose_for("x", _entry(comment, title, url), _settings(template))
    assert textlen.weighted_length(draft.text) == draft.length <= 280
    assert draft.text == draft.composed and draft.facets == ()
    links = [draft.text[start:end] for start, end in textlen.extract_urls(draft.text)]
    assert links.count(url) == 1 and draft.text.count(url) == 1
    _common(draft, comment, template)


@settings(max_examples=150, deadline=None)
@given(_COMMENTS, _TITLES, _URLS, _TEMPLATES)
def test_every_bluesky_post_is_valid_for_bluesky(
    comment: str, title: str, url: str, template: str
) -> None:
    draft = compose_for("bluesky", _entry(comment, title, url), _settings(template))
    assert len(regex.findall(r"\X", draft.text)) <= GRAPHEME_LIMIT
    assert len(draft.text.encode()) <= BYTE_LIMIT
    shown = render(draft.composed)
    assert (shown.text, shown.facets) == (draft.text, draft.facets)
    assert [facet.uri for facet in draft.facets].count(url) == 1
    assert draft.composed.count(url) == 1
    data = draft.text.encode()
    for facet in draft.facets:  # each facet covers its link exactly as the app shows it
        assert data[facet.byte_start : facet.byte_end].decode() == display_url(facet.uri)
    _common(draft, comment, template)


@settings(max_examples=150, deadline=None)
@given(_COMMENTS, _TITLES, _URLS, _TEMPLATES, st.sampled_from([150, 500, 5000]))
# A cut right after a link in the comment: Mastodon takes a "…" glued to it into the link.
@example(
    "a" * 101 + " https://example.org/a/very/long/path/to/somewhere a",
    "",
    "https://arxiv.org/abs/2009.01835",
    "{sentence}\n{url}",
    150,
)
def test_every_mastodon_post_is_valid_for_the_instance(
    comment: str, title: str, url: str, template: str, limit: int
) -> None:
    draft = compose_for(
        "mastodon", _entry(comment, title, url), _settings(template), mastodon_limit=limit
    )
    # The fake instance's validator counts graphemes by the installed Unicode; ours counts an
    # Indic conjunct as servers before Unicode 15.1 do (one more): never less than the fake.
    assert status_length(draft.text) <= draft.length <= limit
    assert draft.text == draft.composed and draft.facets == ()
    links = [draft.text[start:end] for start, end in MastodonRule().links(draft.text)]
    assert links.count(url) == 1 and draft.text.count(url) == 1
    _common(draft, comment, template)


_URL_PARTS = st.sampled_from(
    [
        *("http://", "https://", "HTTPS://", "a", "Z", "0", "-", ".", "/", "?", "#", "%", ":"),
        *("@", "ü", " ", "\t", "(", ")", "~", "p" * 20, "example.org", "xn--bcher-kva.de"),
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_URL_PARTS, max_size=12).map("".join))
def test_display_url_fast_path_agrees_with_the_parser(tail: str) -> None:
    for uri in (tail, "https://" + tail, "https://example.org" + tail):
        assert display_url(uri) == _display_url_parsed(uri), uri
