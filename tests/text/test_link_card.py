"""Bluesky's link card words (bot/text/link_card.py) and when a draft carries a card."""

from __future__ import annotations

import regex

from bot.text.compose import ComposeInput, ImageSpec
from bot.text.link_card import CARD_DESCRIPTION_MAX, card_text
from bot.text.per_channel import compose_for

ABSTRACT = (
    "We present a flow-based method for video completion, e.g. removing objects. It first "
    "completes the flow edges. Then it propagates."
)


def test_the_description_is_the_abstracts_first_sentence_else_the_comments() -> None:
    card = card_text("https://example.org/p", "A title", ABSTRACT, "My comment. More.")
    assert card.description == (
        "We present a flow-based method for video completion, e.g. removing objects."
    )
    assert card_text("https://example.org/p", "T", "", "My comment. More.").description == (
        "My comment."
    )
    assert card_text("https://example.org/p", "T", "  ", "").description == ""


def test_a_long_sentence_is_cut_at_a_word_with_an_ellipsis() -> None:
    long = "word " * 200 + "end."
    description = card_text("https://example.org/p", "T", long).description
    assert description.endswith("…")
    assert len(regex.findall(r"\X", description)) <= CARD_DESCRIPTION_MAX
    assert long.startswith(description[:-1].rstrip())


def test_the_title_is_one_line_and_the_host_when_missing() -> None:
    assert card_text("https://example.org/p", "A\n  title").title == "A title"
    assert card_text("https://Blog.Example.org/p", "").title == "blog.example.org"


def test_arxiv_cards_get_no_thumbnail() -> None:
    assert not card_text("https://arxiv.org/abs/2009.01835").thumbnail_allowed
    assert not card_text("https://export.arxiv.org/abs/2009.01835").thumbnail_allowed
    assert card_text("https://notarxiv.org/abs/1").thumbnail_allowed


def test_only_bluesky_drafts_without_images_carry_a_card() -> None:
    bare = ComposeInput("https://example.org/p", "Comment here.", "Title", abstract=ABSTRACT)
    figured = ComposeInput(
        "https://example.org/p", "Comment here.", "Title", images=(ImageSpec("f.png", "alt"),)
    )
    card = compose_for("bluesky", bare).card
    assert card is not None and card.uri == "https://example.org/p"
    assert card.description.startswith("We present")
    assert compose_for("bluesky", figured).card is None
    assert compose_for("x", bare).card is None
    assert compose_for("mastodon", bare).card is None
