"""What X bills, as the channel and `preview` price it: the same rule X uses (does its URL
finder find a link in the text sent), in integer micro-dollars."""

from __future__ import annotations

import pytest

from bot.channels.x.billing import ChargeLog, XPrices, has_link, micros, price_post
from bot.store.money import dollars, usd

PRICES = XPrices()


@pytest.mark.parametrize(
    ("text", "linked"),
    [
        ("Flow edges guide completion.\nhttps://arxiv.org/abs/2009.01835", True),
        ("Flow edges guide completion.\narxiv.org/abs/2009.01835", True),  # X links it too
        ("Flow edges guide completion.\narXiv:2009.01835", False),
        ("See arXiv:hep-th/9901001v2, e.g. section 3.5.", False),
        ("No link at all 🎉 中文", False),
        ("Café example.com", True),
    ],
)
def test_a_post_costs_post_with_link_only_when_x_finds_a_link(text: str, linked: bool) -> None:
    assert has_link(text) is linked
    expected = PRICES.post_with_link if linked else PRICES.post
    assert price_post(text, 0, PRICES) == expected
    assert price_post(text, 3, PRICES) == expected + 3 * PRICES.media_metadata


def test_prices_are_exact_micro_dollars() -> None:
    assert XPrices.from_usd(
        post=0.015, post_with_link=0.2, post_read=0.005, media_metadata=0.005
    ) == XPrices(15_000, 200_000, 5_000, 5_000)
    assert micros(0.1 + 0.2) == 300_000  # float noise never reaches the ledger
    assert [dollars(m) for m in (0, 15_000, 200_000, 215_000, 25_000_000)] == [
        "$0.00",
        "$0.015",
        "$0.20",
        "$0.215",
        "$25.00",
    ]
    assert usd(215_000) == 0.215


def test_the_charge_log_keeps_what_succeeded_until_drained() -> None:
    log = ChargeLog(XPrices(post=1, post_with_link=2, post_read=3, media_metadata=4))
    log.metadata()
    log.created("see https://example.org/x", "19")
    log.created("plain", "20")
    log.read(())  # an empty page bills nothing
    log.read(("19", "20"))
    assert log.pending()
    charges = log.drain()
    assert [(c.kind, c.amount, c.remote_ids) for c in charges] == [
        ("media_metadata", 4, ()),
        ("post_with_link", 2, ("19",)),
        ("post", 1, ("20",)),
        ("post_read", 3, ("19", "20")),
    ]
    assert not log.pending() and log.drain() == []
