"""What an X post will cost, and the cheaper way to cite a paper (DESIGN.md "Costs").

X bills a post whose text it finds a link in at `post_with_link` ($0.20 by default) and one
without at `post` ($0.015). With `[x] link_style = "arxiv-id"` an arXiv entry's X post cites
the paper as `arXiv:2009.01835`, plain text X does not link. The post is composed exactly as
with the link (same template, same sentence, fitted with the link's 23 characters), then the
link is replaced by the citation, which is shorter: so switching the style never cuts a
sentence differently, and the text is measured again by X's rules. Entries without an arXiv
id keep their link; Bluesky and Mastodon always link.

`x_price` is the one pricing of a composed X post, used by the worker's budget check, `preview`
(text and `--html`) and `schedule`, by the same rule the channel bills by
(bot.channels.x.billing.price_post). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot.channels.x.billing import XPrices, price_post

if TYPE_CHECKING:
    from bot.config.settings import XSettings
    from bot.store.read_records import EntryRecord
    from bot.text.compose import ComposeInput, ComposeSettings
    from bot.text.per_channel import ChannelDraft

__all__ = [
    "XCostPolicy",
    "XPrice",
    "cite_arxiv_id",
    "compose_x",
    "price_entry",
    "price_record",
    "x_cost_policy",
    "x_price",
]

ARXIV_ID = "arxiv-id"


@dataclass(frozen=True)
class XCostPolicy:
    """The X settings that decide what posts cost: prices, budget (micro-dollars, None: no
    budget) and the citation style."""

    prices: XPrices = field(default_factory=XPrices)
    budget: int | None = None
    link_style: str = "url"


def x_cost_policy(x: XSettings) -> XCostPolicy:
    """The policy of `[x]` and `[x.costs]` (USD in the config, micro-dollars here)."""
    from bot.channels.x.billing import micros

    c = x.costs
    prices = XPrices.from_usd(
        post=c.post,
        post_with_link=c.post_with_link,
        post_read=c.post_read,
        media_metadata=c.media_metadata,
    )
    budget = None if x.monthly_budget is None else micros(x.monthly_budget)
    return XCostPolicy(prices, budget, x.link_style)


@dataclass(frozen=True)
class XPrice:
    """An X post's price in micro-dollars, and what the arXiv-id citation saves (0 when it
    saves nothing or is not used)."""

    cost: int
    saving: int = 0


def cite_arxiv_id(draft: ChannelDraft, url: str, arxiv_id: str | None) -> ChannelDraft:
    """The X draft with its link replaced by `arXiv:ID` (unchanged without an arXiv id, or when
    the link is not where the composer put it exactly once)."""
    from bot.text.twitter_text import weighted_length
    from bot.text.url_extract import extract_urls

    if not arxiv_id or draft.text.count(url) != 1:
        return draft
    spans = [draft.text[start:end] for start, end in extract_urls(draft.text)]
    if spans.count(url) != 1:
        return draft
    text = draft.text.replace(url, f"arXiv:{arxiv_id}", 1)
    return replace(draft, text=text, composed=text, length=weighted_length(text))


def compose_x(
    source: ComposeInput,
    settings: ComposeSettings,
    *,
    arxiv_id: str | None,
    link_style: str,
    channel: str = "x",
) -> ChannelDraft:
    """The X post of an entry, in the configured citation style (`channel` may be `dry-run`,
    which shows what X would get)."""
    from bot.text.per_channel import compose_for

    draft = compose_for(channel, source, settings)
    if link_style == ARXIV_ID:
        return cite_arxiv_id(draft, source.url.strip(), arxiv_id)
    return draft


def alt_texts(draft: ChannelDraft) -> int:
    """Images whose alt text X is asked to set (one billed request each)."""
    return sum(1 for image in draft.images if image.alt)


def x_price(draft: ChannelDraft, prices: XPrices, *, linked: ChannelDraft | None = None) -> XPrice:
    """What posting `draft` on X costs; `linked` is the same post with its link (when the
    arXiv-id style changed it), to show the saving. The price for `preview` and `schedule`."""
    cost = price_post(draft.text, alt_texts(draft), prices)
    if linked is None or linked.text == draft.text:
        return XPrice(cost)
    return XPrice(cost, max(0, price_post(linked.text, alt_texts(linked), prices) - cost))


def price_entry(
    source: ComposeInput,
    settings: ComposeSettings,
    policy: XCostPolicy,
    *,
    arxiv_id: str | None,
) -> tuple[ChannelDraft, XPrice]:
    """An entry's X draft in the configured style, and its price (with the saving)."""
    from bot.text.per_channel import compose_for

    linked = compose_for("x", source, settings)
    draft = linked
    if policy.link_style == ARXIV_ID:
        draft = cite_arxiv_id(linked, source.url.strip(), arxiv_id)
    return draft, x_price(draft, policy.prices, linked=linked)


def price_record(
    entry: EntryRecord, settings: ComposeSettings, policy: XCostPolicy
) -> tuple[ChannelDraft, XPrice]:
    """`price_entry` for an entry as the read layer gives it (`schedule`, `preview`)."""
    from bot.text.compose import ComposeInput, ImageSpec

    source = ComposeInput(
        url=entry.url,
        comment=entry.comment,
        title=entry.title,
        kind=entry.kind,
        images=tuple(ImageSpec(i.get("source", ""), i.get("alt", "")) for i in entry.images),
    )
    return price_entry(source, settings, policy, arxiv_id=entry.arxiv_id)
