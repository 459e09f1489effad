"""The monthly X budget (`[x] monthly_budget`): an X post that would take the month past it waits.

Before an X post is claimed, its price (bot/posting/x_costs.py) is added to what the month has
spent (the ledger) and to what posts already in flight will be billed for their create (a post
`posting` whose create is not in the ledger yet: its answer may be lost, and X bills it once,
so it is reserved once and never counted twice). Over the budget, the post is held: it stays
`queued` with the budget message and waits until the next UTC month starts (its retry time),
so the daemon does not ask again at every poll and `schedule` shows when it goes. Bluesky and
Mastodon are not held: their posts are their own. A budget raised (or removed) mid-month frees
them when the poster starts (`release_holds`): the user should not wait for the month to turn.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.channels.x.billing import XPrices, price_post
from bot.posting.x_costs import XCostPolicy, alt_texts
from bot.store.engine import session_scope
from bot.store.ledger import CREATES, month_spent
from bot.store.models import Entry, Post, PostStatus, XLedger
from bot.store.money import BUDGET_REACHED, budget_message, dollars, month_bounds
from bot.store.post_state import sum_up_entry

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from bot.text.per_channel import ChannelDraft

log = logging.getLogger("paperbot")

__all__ = ["BudgetGate", "can_spend_now", "check_x_budget", "release_holds"]


def in_flight(session: Session, prices: XPrices, *, besides: int | None) -> int:
    """What X will bill for the creates of posts under way whose create is not booked yet."""
    from sqlmodel import col, select

    booked = select(XLedger.post_id).where(
        col(XLedger.post_id).is_not(None), col(XLedger.kind).in_(CREATES)
    )
    texts = session.exec(
        select(Post.text).where(
            Post.channel == "x",
            Post.status == PostStatus.POSTING.value,
            col(Post.id).not_in(booked),
            col(Post.entry_id) != (besides if besides is not None else -1),
        )
    ).all()
    return sum(price_post(text, 0, prices) for text in texts)


@dataclass(frozen=True)
class BudgetGate:
    """Holds X posts the month's budget cannot pay for. `budget` in micro-dollars."""

    engine: Engine
    budget: int | None
    prices: XPrices

    def hold_if_over(
        self, entry_id: int, text: str, price: int, now: datetime, *, channel: str = "x"
    ) -> str | None:
        """The budget message if `price` more would pass the budget (the post is then held
        until next month), else None (send it)."""
        if self.budget is None:
            return None
        with session_scope(self.engine) as session:
            spent = month_spent(session, now)
            reserved = in_flight(session, self.prices, besides=entry_id)
            if spent + reserved + price <= self.budget:
                return None
            message = budget_message(spent + reserved, self.budget, now)
            entry = session.get(Entry, entry_id)
            if entry is not None:
                _hold(session, entry, channel, text, message, month_bounds(now)[1], now)
        log.warning(
            "entry %s waits on %s: %s (this post: %s)", entry_id, channel, message, dollars(price)
        )
        return message


def can_spend_now(engine: Engine, policy: XCostPolicy, amount: int, now: datetime) -> bool:
    """Whether `amount` micro-dollars more on X now keeps the month within the budget, posts
    in flight reserved: the question an engagement read asks (with the next post's price
    added, so a read never takes a post's money)."""
    if policy.budget is None:
        return True
    with session_scope(engine) as session:
        spent = month_spent(session, now) + in_flight(session, policy.prices, besides=None)
    return spent + amount <= policy.budget


def release_holds(engine: Engine, policy: XCostPolicy | None, now: datetime) -> int:
    """X posts held by the budget go back to their plan now, if the configured budget has room
    for one more post (the cheapest) this month: the budget was raised or removed since they
    were held. How many were released. Each is checked again at its claim, so one the month
    still cannot pay for is only held again, never sent."""
    from sqlmodel import col, select

    if policy is None:
        return 0
    with session_scope(engine) as session:
        if policy.budget is not None:
            spent = month_spent(session, now) + in_flight(session, policy.prices, besides=None)
            if spent + policy.prices.post > policy.budget:
                return 0
        held = session.exec(
            select(Post).where(
                Post.channel == "x",
                Post.status == PostStatus.RETRYING.value,
                col(Post.last_error).startswith(BUDGET_REACHED),
                col(Post.next_attempt_at) > now,
            )
        ).all()
        for post in held:
            post.next_attempt_at = now
            post.updated_at = now
            session.add(post)
            entry = session.get(Entry, post.entry_id)
            if entry is not None:
                session.flush()
                sum_up_entry(session=session, entry=entry, now=now)
    if held:
        log.info("%d X post(s) held by the budget go now: the budget has room again", len(held))
    return len(held)


def check_x_budget(
    engine: Engine,
    policy: XCostPolicy | None,
    channel: str,
    entry_id: int,
    draft: ChannelDraft,
    now: datetime,
    alt_paid: bool = False,
) -> str | None:
    """For the worker, before a claim: the budget message if this X post is held, else None
    (other channels, dry runs and no budget: never held). ``alt_paid``: the alt texts were
    billed already (images staged ahead of the slot)."""
    if channel != "x" or policy is None or policy.budget is None:
        return None
    gate = BudgetGate(engine, policy.budget, policy.prices)
    price = price_post(draft.composed, 0 if alt_paid else alt_texts(draft), policy.prices)
    return gate.hold_if_over(entry_id, draft.composed, price, now, channel=channel)


def _hold(
    session: Session,
    entry: Entry,
    channel: str,
    text: str,
    message: str,
    resume_at: datetime,
    now: datetime,
) -> None:
    """The entry's post on `channel` waits, queued, until `resume_at`; no attempt is counted."""
    from sqlmodel import select

    assert entry.id is not None
    post = session.exec(
        select(Post).where(Post.entry_id == entry.id, Post.channel == channel)
    ).first()
    if post is None:
        post = Post(entry_id=entry.id, channel=channel, attempts=0, created_at=now)
    elif post.status != PostStatus.RETRYING.value:
        return  # posted or failed meanwhile: nothing to hold
    post.status = PostStatus.RETRYING.value
    post.text = text
    post.next_attempt_at = resume_at
    post.last_error = message
    post.updated_at = now
    session.add(post)
    session.flush()
    sum_up_entry(session=session, entry=entry, now=now)
