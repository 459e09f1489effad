"""What engagement reads cost on X, and when the budget skips them (DESIGN.md "Engagement").

X bills every post a read returns (a post returned again the same UTC day is free). Reads are
the first thing the monthly budget gives up: a batch is cut to what the month can pay while
keeping the price of one more linked post in hand, so a read never takes a post's money.
Each post a read returned is booked in the ledger for that post.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.posting.budget import can_spend_now
from bot.posting.engagement_reads import ReadCosts
from bot.posting.x_ledger import charge_log
from bot.store.ledger import record_reads
from bot.store.models import Post

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from bot.posting.x_costs import XCostPolicy

__all__ = ["x_read_costs"]


def x_read_costs(engine: Engine, channel: object, policy: XCostPolicy) -> ReadCosts:
    """The budget check and the ledger booking of X's engagement reads on ``channel``."""
    prices = policy.prices

    def affordable(post_ids: Sequence[int], now: datetime) -> int:
        """How many of these posts (in order) the month can pay for, a post's price kept."""

        def fits(count: int) -> bool:
            amount = count * prices.post_read + prices.post_with_link
            return can_spend_now(engine, policy, amount, now)

        if policy.budget is None or fits(len(post_ids)):
            return len(post_ids)
        low, high = 0, len(post_ids)  # fits(low) holds or low == 0; fits(high) does not
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if fits(middle) else (low, middle)
        return low if fits(low) and low > 0 else 0

    def billed(session: Session, returned: Mapping[str, int], now: datetime) -> None:
        """Book the read the channel logged, each post returned for its own post."""
        log = charge_log(channel)
        for charge in log.drain() if log is not None else []:
            for remote_id in charge.remote_ids:
                post_id = returned.get(remote_id)
                post = session.get(Post, post_id) if post_id is not None else None
                record_reads(
                    session,
                    [remote_id],
                    unit_price=charge.amount,
                    now=now,
                    post_id=post_id,
                    entry_id=post.entry_id if post is not None else None,
                )

    return ReadCosts(affordable=affordable, billed=billed)
