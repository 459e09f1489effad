"""Hashtags as Bluesky tag facets, byte-exact, by the official app's rules (``detectFacets``)."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.bluesky import render
from bot.text.bluesky_tags import TAG_FEATURE, TagFacet, tag_facets


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#MachineLearning", ["MachineLearning"]),
        ("New paper #ML #论文!", ["ML", "论文"]),  # trailing punctuation is not the tag's
        ("＃全角 too", ["全角"]),  # the full-width sign
        ("line\n#tag.", ["tag"]),
        ("#1a but not #1", ["1a"]),  # digits alone are no tag
        ("#tag_", ["tag"]),
        ("#a#b", ["a#b"]),  # one run, as the app reads it
        ("#😀", ["😀"]),
        ("no#tag (#x) #️⃣", []),  # only after whitespace; a keycap is no tag
        ("#ab\u200bcd", ["ab"]),  # a zero-width space ends it
        ("https://x.org/#frag #ok", ["ok"]),  # a fragment is no tag
        ("#" + "b" * 64, ["b" * 64]),
        ("#" + "b" * 65, []),  # over 64: the app makes no facet at all
    ],
)
def test_tags_as_the_app_finds_them(text: str, tags: list[str]) -> None:
    assert [facet.tag for facet in tag_facets(text)] == tags


def test_offsets_are_utf8_bytes_of_the_hash_and_the_tag() -> None:
    text = "日本語 🐦\u200d🔥 #機械学習 and #MachineLearning."
    facets = tag_facets(text)
    data = text.encode()
    assert [data[f.byte_start : f.byte_end].decode() for f in facets] == [
        "#機械学習",
        "#MachineLearning",
    ]
    assert facets[1] == TagFacet(40, 56, "MachineLearning")
    assert facets[1].record() == {
        "$type": "app.bsky.richtext.facet",
        "index": {"byteStart": 40, "byteEnd": 56},
        "features": [{"$type": TAG_FEATURE, "tag": "MachineLearning"}],
    }


def test_tags_of_the_shown_text_after_a_shortened_link() -> None:
    shown = render("See https://arxiv.org/abs/2401.12345v2 #NLP").text
    assert shown == "See arxiv.org/abs/2401.123... #NLP"
    (facet,) = tag_facets(shown)
    assert shown.encode()[facet.byte_start : facet.byte_end] == b"#NLP"


_PIECES = [
    "#",
    "＃",
    " ",
    "\n",
    "a",
    "ML",
    "论文",
    "1",
    ".",
    "!",
    "_",
    "😀",
    "\u200b",
    "é",
    "(",
    ")",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_every_facet_is_a_hash_and_its_tag(text: str) -> None:
    data = text.encode()
    previous_end = 0
    for facet in tag_facets(text):
        covered = data[facet.byte_start : facet.byte_end].decode()
        assert covered[0] in "#＃" and covered[1:] == facet.tag
        assert facet.byte_start >= previous_end
        assert 0 < len(regex.findall(r"\X", facet.tag)) <= 64
        assert not regex.search(r"\s|\p{P}$", facet.tag)
        before = data[: facet.byte_start].decode()
        assert not before or before[-1].isspace()
        previous_end = facet.byte_end
