"""Settling matches a lost post by its links and words, as X really returns it.

Each remote post below is shaped like an X API v2 reply to ``GET /2/users/:id/tweets`` with
``tweet.fields=entities``: every link in ``text`` is a t.co link, a post with media (one to four
images) ends with one more t.co link whose ``entities.urls`` entry has a ``media_key`` and
expands to the post's own ``/photo/1`` page, and ``&<>`` are HTML-escaped. The channel's
``text_as_posted`` undoes that; ``texts_match`` then compares with the text we sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.base import texts_match
from bot.channels.x.posts import text_as_posted

POST_ID = "1861234567890123456"
ARXIV = "https://arxiv.org/abs/2401.00001"


def reply(
    text: str, links: list[tuple[str, str]], *, images: int = 0, user: str = "paperbot"
) -> tuple[str, dict[str, Any]]:
    """A v2 timeline item's ``text`` and ``entities``: ``links`` are (t.co, expanded) in order."""
    urls: list[dict[str, Any]] = []
    position = 0
    for short, expanded in links:
        start = text.index(short, position)
        position = start + len(short)
        display = expanded.split("://", 1)[-1].removeprefix("www.")
        urls.append(
            {
                "start": start,
                "end": position,
                "url": short,
                "expanded_url": expanded,
                "display_url": display[:26],
            }
        )
    if images:
        short = "https://t.co/Pic0aB9zYx"
        text = f"{text} {short}"
        urls.append(
            {
                "start": len(text) - len(short),
                "end": len(text),
                "url": short,
                "expanded_url": f"https://x.com/{user}/status/{POST_ID}/photo/1",
                "display_url": "pic.x.com/Pic0aB9zYx",
                "media_key": "3_1861234567000000001",
            }
        )
    return text, {"urls": urls}


def settles(local: str, text: str, entities: object) -> bool:
    return texts_match(local, text_as_posted(text, entities, POST_ID))


@pytest.mark.parametrize("images", [0, 1, 2, 3, 4])
def test_cjk_comment_with_figures(images: int) -> None:
    local = f"这是一个很好的研究。我们下周继续。\n{ARXIV}"
    text, entities = reply(
        "这是一个很好的研究。我们下周继续。\nhttps://t.co/Ab12Cd34Ef",
        [("https://t.co/Ab12Cd34Ef", ARXIV)],
        images=images,
    )
    assert settles(local, text, entities)
    other = "这是一个很好的研究。我们下周继续。\nhttps://arxiv.org/abs/2401.99999"
    assert not settles(other, text, entities)  # same words, another paper


@pytest.mark.parametrize("images", [1, 4])
def test_emoji_and_escaped_characters_with_figures(images: int) -> None:
    local = f"Great results 🎉👩🏽‍🔬 on ImageNet: 3.5x & <1% error. e.g. Fig 2\n{ARXIV}"
    text, entities = reply(
        "Great results 🎉👩🏽‍🔬 on ImageNet: 3.5x &amp; &lt;1% error. e.g. Fig 2\n"
        "https://t.co/Zz98Yy76Xx",
        [("https://t.co/Zz98Yy76Xx", ARXIV)],
        images=images,
    )
    assert settles(local, text, entities)
    assert not settles(local.replace("🎉", "🎊"), text, entities)


@pytest.mark.parametrize("images", [0, 2, 3])
def test_scheme_less_links_come_back_with_http(images: int) -> None:
    """X links ``github.com/foo/bar`` and expands it to ``http://github.com/foo/bar``."""
    local = f"Code at github.com/foo/bar, demo at www.example.org. 日本語も\n{ARXIV}"
    text, entities = reply(
        "Code at https://t.co/AAAAAAAAAA, demo at https://t.co/BBBBBBBBBB. 日本語も\n"
        "https://t.co/CCCCCCCCCC",
        [
            ("https://t.co/AAAAAAAAAA", "http://github.com/foo/bar"),
            ("https://t.co/BBBBBBBBBB", "http://www.example.org"),
            ("https://t.co/CCCCCCCCCC", ARXIV),
        ],
        images=images,
    )
    assert settles(local, text, entities)
    assert not settles(local.replace("foo/bar", "foo/baz"), text, entities)


def test_a_link_to_another_posts_photo_is_a_link_like_any_other() -> None:
    photo = "https://x.com/someone/status/1700000000000000000/photo/1"
    local = f"As shown here {photo}\n{ARXIV}"
    text, entities = reply(
        "As shown here https://t.co/PPPPPPPPPP\nhttps://t.co/QQQQQQQQQQ",
        [("https://t.co/PPPPPPPPPP", photo), ("https://t.co/QQQQQQQQQQ", ARXIV)],
        images=1,
    )
    assert text_as_posted(text, entities, POST_ID) == local
    assert settles(local, text, entities)
    assert not settles(f"As shown here\n{ARXIV}", text, entities)


def test_without_entities_a_trailing_t_co_link_is_taken_for_the_media() -> None:
    local = f"Figures say it all.\n{ARXIV}"
    bare = "Figures say it all.\nhttps://t.co/Ab12Cd34Ef https://t.co/Pic0aB9zYx"
    assert settles(local, bare, None)
    # ... but only one: two links more is another post.
    assert not settles(local, bare + " https://t.co/Other12345", None)
    assert not settles("Other words.\n" + ARXIV, bare, None)


def test_a_post_of_figures_alone() -> None:
    text, entities = reply("", [], images=2)
    assert text_as_posted(text.strip(), entities, POST_ID) == ""
    assert settles("", text.strip(), entities)


@pytest.mark.parametrize(
    ("local", "remote", "expected"),
    [
        ("see example.com/x.", "see http://example.com/x.", True),
        ("see example.com/x.", "see http://example.com/y.", False),
        ("Read HTTPS://Example.ORG/Paper", "Read https://example.org/Paper", True),
        ("Read https://example.org/Paper", "Read https://example.org/paper", False),  # path case
        ("line one\n\nline two " + ARXIV, "line one line two https://t.co/x1", True),
        ("caf\u0065\u0301 " + ARXIV, "caf\u00e9 https://t.co/x1", True),
    ],
)
def test_link_and_word_rules(local: str, remote: str, expected: bool) -> None:
    assert texts_match(local, remote) is expected


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("https://example.org/caf%C3%A9?q=a%20b", "https://example.org/caf%C3%A9?q=a%20b"),
        ("https://example.org/café", "https://example.org/caf%C3%A9"),
        ("https://example.org/caf%C3%A9", "https://example.org/café"),
    ],
)
def test_links_match_with_percent_escapes_undone_alike_on_both_sides(sent: str, shown: str) -> None:
    assert texts_match(f"Results hold up. {sent}", f"Results hold up. {shown}")
    assert not texts_match(f"Results hold up. {sent}", "Results hold up. https://example.org/cafe")
