"""Into the ledger: what the X channel billed, attributed to the post it was for.

The channel logs each billable request that succeeded (bot/channels/x/billing.py); after each
call the worker and settling drain that log here, naming the post (a publish's uploads and
create, the timeline reads that settle a lost answer). A create whose answer was lost was
billed all the same: when settling finds the post, `record_found_create` books it, priced by
the text that was sent, once. Channels without a charge log (Bluesky, Mastodon, dry runs)
cost nothing and record nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from bot.channels.x.billing import POST_READ, POST_WITH_LINK, ChargeLog, XPrices, create_kind
from bot.store.engine import session_scope
from bot.store.ledger import Billed, create_recorded, record_billed, record_reads
from bot.store.models import Post

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

__all__ = [
    "billing_to",
    "billing_to_entry",
    "book_create",
    "book_found_create",
    "record_found_create",
]


def charge_log(channel: object, name: str = "charges") -> ChargeLog | None:
    """The channel's log of billable requests (``staged_charges``: those of its staging, which
    runs beside posting), or None for channels that bill nothing."""
    log = getattr(channel, name, None)
    return log if isinstance(log, ChargeLog) else None


@contextmanager
def billing_to(
    engine: Engine, channel: object, post_id: int | None, now: datetime
) -> Iterator[None]:
    """Whatever `channel` bills inside the block goes into the ledger for `post_id`, also
    when the block raises (an upload billed before the create failed is still billed)."""
    try:
        yield
    finally:
        record_charges(engine, channel, post_id, now)


@contextmanager
def billing_to_entry(
    engine: Engine, channel: object, entry_id: int, now: datetime
) -> Iterator[None]:
    """`billing_to` for work done before the entry has a post (images staged ahead of the
    slot): booked for the entry; the claim gives it to the post (`give_staged_charges`)."""
    try:
        yield
    finally:
        record_charges(engine, channel, None, now, entry_id=entry_id, log_name="staged_charges")


def record_charges(
    engine: Engine,
    channel: object,
    post_id: int | None,
    now: datetime,
    *,
    entry_id: int | None = None,
    log_name: str = "charges",
) -> int:
    """Drain the channel's charge log into the ledger; returns the micro-dollars recorded."""
    log = charge_log(channel, log_name)
    charges = log.drain() if log is not None else []
    if not charges:
        return 0
    total = 0
    with session_scope(engine) as session:
        post = session.get(Post, post_id) if post_id is not None else None
        entry_id = post.entry_id if post is not None else entry_id
        for charge in charges:
            if charge.kind == POST_READ:
                total += record_reads(
                    session,
                    charge.remote_ids,
                    unit_price=charge.amount,
                    now=now,
                    post_id=post_id,
                    entry_id=entry_id,
                )
            else:
                remote_id = charge.remote_ids[0] if charge.remote_ids else None
                total += record_billed(
                    session,
                    [Billed(charge.kind, charge.amount, remote_id)],
                    now=now,
                    post_id=post_id,
                    entry_id=entry_id,
                )
    return total


def record_found_create(
    engine: Engine, channel: object, post_id: int, remote_id: str, now: datetime
) -> None:
    """A lost answer's post was found: X billed its create, so the ledger books it (priced by
    the text sent), unless it is booked already."""
    if charge_log(channel) is None:
        return
    with session_scope(engine) as session:
        post = session.get(Post, post_id)
        if post is not None:
            book_found_create(session, channel, post, remote_id, now)


def book_found_create(
    session: Session, channel: object, post: Post, remote_id: str, now: datetime
) -> None:
    """`record_found_create` in the caller's session."""
    log = charge_log(channel)
    if log is not None:
        book_create(session, log.prices, post, remote_id, now)


def book_create(
    session: Session, prices: XPrices, post: Post, remote_id: str, now: datetime
) -> None:
    """Book the create of a post known to be on X (found by settling, or `resolve --posted`),
    priced by the text that was sent, unless it is booked already. Other channels bill nothing."""
    if post.channel != "x" or post.id is None or create_recorded(session, post.id):
        return
    kind = create_kind(post.text)
    amount = prices.post_with_link if kind == POST_WITH_LINK else prices.post
    record_billed(
        session, [Billed(kind, amount, remote_id)], now=now, post_id=post.id, entry_id=post.entry_id
    )
