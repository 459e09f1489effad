"""Links as each platform shows them in a post (bot/pages/links.py)."""

from __future__ import annotations

import pytest

from bot.pages.links import Segment, displayed, mastodon_display, x_display

LONG = "https://www.example.org/papers/2026/graph-networks-revisited"
TEXT = f"Graphs #GNN for all.\nhttps://arxiv.org/abs/2009.01835 and {LONG} #AI"


@pytest.mark.parametrize(
    ("url", "x", "mastodon"),
    [
        (
            "https://arxiv.org/abs/2009.01835",
            "arxiv.org/abs/2009.01835",
            "arxiv.org/abs/2009.01835",
        ),
        (LONG, "example.org/papers/2026/gra…", "example.org/papers/2026/graph-…"),
        ("example.com", "example.com", "example.com"),
    ],
)
def test_x_and_mastodon_hide_the_scheme_and_cut_long_links(url: str, x: str, mastodon: str) -> None:
    assert (x_display(url), mastodon_display(url)) == (x, mastodon)


@pytest.mark.parametrize(
    ("channel", "shown_long"),
    [
        ("x", "example.org/papers/2026/gra…"),
        ("dry-run", "example.org/papers/2026/gra…"),
        ("mastodon", "example.org/papers/2026/graph-…"),
        ("bluesky", "www.example.org/papers/2026/..."),  # the app's own shortening
    ],
)
def test_segments_show_links_and_tags_as_the_platform_does(channel: str, shown_long: str) -> None:
    segments = displayed(channel, TEXT)
    assert [s for s in segments if s.kind == "link"] == [
        Segment("arxiv.org/abs/2009.01835", "https://arxiv.org/abs/2009.01835", "link"),
        Segment(shown_long, LONG, "link"),
    ]
    assert [(s.text, s.href) for s in segments if s.kind == "tag"] == [
        ("#GNN", "GNN"),
        ("#AI", "AI"),
    ]
    plain = "".join(s.text for s in segments if s.kind == "text")
    assert plain == "Graphs  for all.\n and  "


def test_a_link_without_scheme_leads_to_https() -> None:
    (link,) = [s for s in displayed("x", "see example.com/x now") if s.kind == "link"]
    assert (link.text, link.href) == ("example.com/x", "https://example.com/x")
