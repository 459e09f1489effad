"""How much of the X timeline settling reads: only the window the lost post can be in.

X bills every post a read returns, so the lookup after a lost answer asks for the posts created
from a little before the last send (X's clock and ours may differ) to the end of the time the
request could still land (the settle grace), not the last two hours. Until that window has
closed the read runs to now (no `end_time`: X refuses times in its future).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session

__all__ = ["CLOCK_SLACK", "lookup_window", "sent_at"]

#: How far X's clock and ours may disagree, both ways (generous: a wider window costs cents).
CLOCK_SLACK = timedelta(minutes=15)
#: Attempts that sent the post (or may have): the newest is the one a lookup looks for.
_SENDS = ("started", "unknown", "interrupted")


def lookup_window(
    sent: datetime, grace: timedelta, now: datetime
) -> tuple[datetime, datetime | None]:
    """`(start_time, end_time)` of the read that looks for a post sent at `sent`."""
    end = sent + grace + CLOCK_SLACK
    return sent - CLOCK_SLACK, (end if end < now else None)


def sent_at(session: Session, post_id: int, default: datetime) -> datetime:
    """When the post was last sent: its newest attempt that may have reached the platform."""
    from sqlmodel import col, select

    from bot.store.models import Attempt

    started = session.exec(
        select(Attempt.started_at)
        .where(Attempt.post_id == post_id, col(Attempt.outcome).in_(_SENDS))
        .order_by(col(Attempt.id).desc())
    ).first()
    return started or default
