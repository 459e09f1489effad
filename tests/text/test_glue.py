"""Links never glued: on Bluesky and Mastodon a composed post's links end where twitter-text
ends them, with a space put in where the platform would read on (bot/text/glue.py)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.text.bluesky import BlueskyRule
from bot.text.compose import ComposeInput, ComposeSettings
from bot.text.glue import unglued
from bot.text.mastodon import MastodonRule
from bot.text.per_channel import compose_for
from bot.text.url_extract import extract_urls

ARXIV = "https://arxiv.org/abs/2009.01835"
OWN = "https://example.org/paper"
RULES = {"bluesky": BlueskyRule(), "mastodon": MastodonRule()}


def _compose(channel: str, comment: str, template: str = "{sentence}\n{url}", url: str = OWN):
    entry = ComposeInput(url=url, comment=comment)
    return compose_for(channel, entry, ComposeSettings(template=template))


@pytest.mark.parametrize(
    ("channel", "comment", "composed"),
    [
        # Mastodon's link runs on through the Japanese after it: a space ends it.
        ("mastodon", f"論文は{ARXIV}です。", f"論文は{ARXIV} です。\n{OWN}"),
        # Bluesky's app links only after whitespace, and then up to the next one.
        ("bluesky", f"論文は{ARXIV}です。", f"論文は {ARXIV} です。\n{OWN}"),
        # A bare domain before a CJK full stop: Bluesky would take the "。" into the link.
        ("bluesky", "详见 arxiv.org/abs/2008.11062。", f"详见 arxiv.org/abs/2008.11062 。\n{OWN}"),
        ("mastodon", "详见 arxiv.org/abs/2008.11062。", f"详见 arxiv.org/abs/2008.11062。\n{OWN}"),
        # A closing quote after a link: Bluesky reads it into the link, Mastodon does not.
        # (and it links only after whitespace or "(": a space before it too)
        ("bluesky", f'He said "{ARXIV}" twice.', f'He said " {ARXIV} " twice.\n{OWN}'),
        ("mastodon", f'He said "{ARXIV}" twice.', f'He said "{ARXIV}" twice.\n{OWN}'),
        # What a URL may hold is left as written ("{" is no prose).
        (
            "mastodon",
            "See https://example.com/a{b}c now.",
            f"See https://example.com/a{{b}}c now.\n{OWN}",
        ),
        # A link ending the sentence before its full stop is fine everywhere.
        ("mastodon", f"Read {ARXIV}.", f"Read {ARXIV}.\n{OWN}"),
        ("bluesky", f"Read {ARXIV}.", f"Read {ARXIV}.\n{OWN}"),
    ],
)
def test_a_glued_link_gets_a_space(channel: str, comment: str, composed: str) -> None:
    assert _compose(channel, comment).composed == composed


def test_x_is_left_as_written() -> None:
    """twitter-text's link is the one meant: X never reads on."""
    assert _compose("x", f"論文は{ARXIV}です。").text == f"論文は{ARXIV}です。\n{OWN}"


@pytest.mark.parametrize("channel", ["bluesky", "mastodon"])
def test_the_template_own_link_in_cjk_brackets(channel: str) -> None:
    draft = _compose(channel, "論文", "{sentence}（{url}）", url=ARXIV)
    assert draft.composed in (f"論文（{ARXIV} ）", f"論文（ {ARXIV} ）")
    links = [draft.composed[s:e] for s, e in RULES[channel].links(draft.composed)]
    assert links == [ARXIV]
    assert not [w for w in draft.warnings if "link" in w]


def test_unglued_leaves_links_that_end_where_x_ends_them() -> None:
    text = f"a {ARXIV} b"
    assert unglued(text, MastodonRule().links(text)) == text


# -- the property -------------------------------------------------------------------------------

_PIECES = [
    *("論文は", "です。", "、", "模型", "。", "」", "）", " ", "see ", "\n", '"', ").", "!"),
    *(ARXIV, "https://github.com/vt-vl-lab/FGVC", "arxiv.org/abs/2008.11062", "http://x.co/a"),
    *("https://ja.wikipedia.org/wiki/", "(", "é"),
]


_TEMPLATES = ["{sentence}\n{url}", "{sentence}（{url}）", "「{sentence}」\n{url}"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_PIECES), max_size=14).map("".join),
    st.sampled_from(list(RULES)),
    st.sampled_from(_TEMPLATES),
)
@example(f"論文は{ARXIV}です。", "bluesky", _TEMPLATES[0])
@example(f"論文は{ARXIV}です。", "mastodon", _TEMPLATES[0])
@example(ARXIV, "mastodon", _TEMPLATES[2])
def test_no_link_runs_on_past_where_x_ends_it(comment: str, channel: str, template: str) -> None:
    draft = _compose(channel, comment, template)
    text = draft.composed
    assert draft.length <= draft.limit
    for start, end in RULES[channel].links(text):
        found = extract_urls(text[start:end])
        if found and found[0][0] == 0:
            meant = found[0][1]
            assert meant == end - start or text[start + meant] in "{}|^`\\", (text, start, end)
    assert not [w for w in draft.warnings if "link" in w], draft


@pytest.mark.parametrize("channel", ["bluesky", "mastodon"])
def test_the_entry_own_link_is_kept_whole_even_with_a_cjk_path(channel: str) -> None:
    own = "https://ja.wikipedia.org/wiki/日本語"
    for template in ("{sentence}\n{url}", "{sentence}（{url}）"):
        draft = _compose(channel, "日本語の記事", template, url=own)
        links = [draft.composed[s:e] for s, e in RULES[channel].links(draft.composed)]
        assert links == [own] and draft.composed.count(own) == 1, draft.composed
