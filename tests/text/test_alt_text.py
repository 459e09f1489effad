"""Captions cut to the strictest alt text limit of an entry's channels, at a sentence end."""

from __future__ import annotations

import pytest

from bot.text.alt_text import alt_limit, fit_alt_text


@pytest.mark.parametrize(
    ("channels", "limit"),
    [
        (("x",), 1000),
        (("mastodon",), 1500),
        (("bluesky",), 2000),
        (("bluesky", "mastodon"), 1500),
        (("bluesky", "x", "mastodon"), 1000),
        ((), 1000),
    ],
)
def test_the_smallest_limit_among_the_channels(channels: tuple[str, ...], limit: int) -> None:
    assert alt_limit(channels) == limit


def test_short_captions_stay_whole_with_spaces_collapsed() -> None:
    assert fit_alt_text("  Two\n lines.  ", 1000) == "Two lines."


def test_cut_after_the_last_whole_sentence_that_fits() -> None:
    text = "First sentence, e.g. with Fig. 3 inside. Second one is here. Third " + "word " * 30
    assert fit_alt_text(text, 70) == "First sentence, e.g. with Fig. 3 inside. Second one is here."
    assert fit_alt_text(text, 45) == "First sentence, e.g. with Fig. 3 inside."


def test_cjk_sentences() -> None:
    assert fit_alt_text("这是第一句。这是第二句，很长很长很长。", 12) == "这是第一句。"


def test_a_first_sentence_too_long_is_cut_at_a_word() -> None:
    text = "word " * 300
    cut = fit_alt_text(text, 1000)
    assert len(cut) <= 1000 and cut.endswith("word…")
    assert fit_alt_text("a" * 50, 20) == "a" * 19 + "…"
