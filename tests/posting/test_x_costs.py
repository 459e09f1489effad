"""The arXiv-id citation and the price of a composed X post (bot/posting/x_costs.py): pure."""

from __future__ import annotations

from bot.channels.x.billing import XPrices
from bot.posting.x_costs import XCostPolicy, compose_x, price_entry
from bot.text.compose import ComposeInput, ComposeSettings, ImageSpec
from bot.text.per_channel import compose_for
from bot.text.twitter_text import weighted_length
from bot.text.url_extract import extract_urls

ABS = "https://arxiv.org/abs/2009.01835"
PAPER = ComposeInput(
    url=ABS,
    comment="Video completion guided by flow edges keeps sharp motion boundaries intact. More.",
    title="Flow-edge guided video completion",
    images=(ImageSpec("fig1.png", "Figure 1"), ImageSpec("fig2.png", "")),
)
SETTINGS = ComposeSettings()


def test_arxiv_id_replaces_the_link_and_x_finds_no_url() -> None:
    draft = compose_x(PAPER, SETTINGS, arxiv_id="2009.01835", link_style="arxiv-id")
    linked = compose_for("x", PAPER, SETTINGS)
    assert draft.text == linked.text.replace(ABS, "arXiv:2009.01835")
    assert extract_urls(draft.text) == []
    assert draft.length == weighted_length(draft.text) < linked.length


def test_the_link_stays_without_an_arxiv_id_or_in_url_style() -> None:
    other = ComposeInput(url="https://example.org/post", comment="An article.")
    assert compose_x(other, SETTINGS, arxiv_id=None, link_style="arxiv-id") == compose_for(
        "x", other, SETTINGS
    )
    assert compose_x(PAPER, SETTINGS, arxiv_id="2009.01835", link_style="url") == compose_for(
        "x", PAPER, SETTINGS
    )


def test_a_long_comment_is_cut_exactly_as_with_the_link() -> None:
    long = ComposeInput(url=ABS, comment="word " * 120 + "end.")
    cited = compose_x(long, SETTINGS, arxiv_id="2009.01835", link_style="arxiv-id")
    linked = compose_for("x", long, SETTINGS)
    assert linked.shortened and cited.text.split("\n")[0] == linked.text.split("\n")[0]
    assert cited.length <= 280


def test_the_price_and_the_saving() -> None:
    prices = XPrices()
    # Two images: the composer gives the second the title as alt text, so two alt requests.
    _, price = price_entry(
        PAPER, SETTINGS, XCostPolicy(prices, None, "arxiv-id"), arxiv_id="2009.01835"
    )
    assert (price.cost, price.saving) == (15_000 + 2 * 5_000, 185_000)
    _, linked = price_entry(PAPER, SETTINGS, XCostPolicy(prices, None, "url"), arxiv_id="x")
    assert (linked.cost, linked.saving) == (200_000 + 2 * 5_000, 0)
