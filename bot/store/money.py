"""Money as the ledger keeps it (integer micro-dollars) and as people and scripts read it.

Kept apart from bot/store/ledger.py (which needs the ORM) so the fast read path of `list`,
`history` and `status` can show costs without importing SQLAlchemy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = [
    "BUDGET_REACHED",
    "MICROS",
    "budget_message",
    "day_bounds",
    "dollars",
    "month_bounds",
    "usd",
]

MICROS = 1_000_000
#: How every X post held by the monthly budget says so (`status` finds held posts by it).
BUDGET_REACHED = "X budget reached"


def usd(amount: int) -> float:
    """Micro-dollars as a JSON number of dollars: the float nearest amount / 10**6, which is
    what the exact decimal quotient converts to (int / int true division rounds correctly)."""
    return amount / MICROS


def dollars(amount: int) -> str:
    """Micro-dollars as people read dollars: cents, and more digits only where they count
    ("$0.20", "$25.00", "$0.015", "$0.215")."""
    from decimal import Decimal

    value = Decimal(amount) / MICROS
    text = f"{abs(value):.2f}"
    if Decimal(text) != abs(value):
        text = f"{abs(value).normalize():f}"
    return ("-$" if value < 0 else "$") + text


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The UTC calendar month holding `now`: its first instant and the next month's."""
    moment = now.astimezone(UTC)
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The UTC day holding `now` (X's day for "a post read again the same day is free")."""
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def budget_message(spent: int, budget: int, now: datetime) -> str:
    """ "X budget reached: $0.40 of $0.40 this month; X posts resume on 2027-01-01"."""
    resume = month_bounds(now)[1]
    return (
        f"{BUDGET_REACHED}: {dollars(spent)} of {dollars(budget)} this month; "
        f"X posts resume on {resume:%Y-%m-%d}"
    )
