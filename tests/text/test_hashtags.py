"""The hashtag finder (bot/text/hashtags.py): what Bluesky's app tags, with exact byte offsets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text.bluesky_tags import MAX_TAG_LENGTH as MAX_TAG_GRAPHEMES
from bot.text.bluesky_tags import tag_facets as find_hashtags


def shown(text: str) -> list[str]:
    data = text.encode()
    return [data[t.byte_start : t.byte_end].decode() for t in find_hashtags(text)]


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#AI rocks", ["AI"]),
        ("New #MachineLearning paper! #AI.", ["MachineLearning", "AI"]),
        ("a line\n#NextLine", ["NextLine"]),
        ("論文です ＃深層学習 です", ["深層学習"]),  # the full-width sign too
        ("emoji first 🦋 #Bluesky🦋", ["Bluesky🦋"]),
        ("#1 and #2024 are numbers, #3D is a tag", ["3D"]),
        ("#... #!? #", []),  # nothing but punctuation
        ("glued#tag and mail@x.org#y", []),  # a tag starts a word
        ("https://example.org/page#section and example.org/#anchor", []),  # inside links
        ("(#bracketed) stays text", []),
        ("#tag, #other; #last!", ["tag", "other", "last"]),
        ("#a\u200bb breaks at a zero-width space", ["a"]),
        ("#" + "a" * MAX_TAG_GRAPHEMES, ["a" * MAX_TAG_GRAPHEMES]),
        ("#" + "a" * (MAX_TAG_GRAPHEMES + 1), []),  # over 64
        # The app counts UTF-16 units (64), which keeps a tag within the lexicon's 64 graphemes.
        ("#" + "e\u0301" * (MAX_TAG_GRAPHEMES // 2), ["e\u0301" * (MAX_TAG_GRAPHEMES // 2)]),
        ("#rainbow🏳️‍🌈 ends at the joiner", ["rainbow🏳️"]),  # as the app: ZWJ ends a tag
    ],
)
def test_tags_as_the_app_finds_them(text: str, tags: list[str]) -> None:
    assert [t.tag for t in find_hashtags(text)] == tags


def test_offsets_are_utf8_bytes_of_the_sign_and_the_tag() -> None:
    text = "Ünïcödé first — then #Graphs and ＃グラフ."
    found = find_hashtags(text)
    assert shown(text) == ["#Graphs", "＃グラフ"]
    assert found[0].byte_start == len("Ünïcödé first — then ".encode())
    assert found[1].byte_end - found[1].byte_start == len("＃グラフ".encode())


words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=12
)


@given(st.lists(st.one_of(words, words.map(lambda w: "#" + w)), max_size=8), st.sampled_from(" \n"))
def test_every_span_is_a_sign_and_its_tag_on_a_word_start(parts: list[str], sep: str) -> None:
    text = sep.join(parts)
    data = text.encode()
    previous_end = 0
    for found in find_hashtags(text):
        piece = data[found.byte_start : found.byte_end].decode()
        assert piece[0] in "#＃" and piece[1:] == found.tag
        before = data[: found.byte_start].decode()
        assert before == "" or before[-1].isspace()
        assert found.byte_start >= previous_end
        previous_end = found.byte_end
