"""Money as the ledger keeps it (integer micro-dollars) and as people and scripts read it.

Kept apart from bot/store/ledger.py (which needs the ORM) so the fast read path of `list`,
`history` and `status` can show costs without importing SQLAlchemy.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["BUDGET_REACHED", "MICROS", "dollars", "usd"]

MICROS = 1_000_000
#: How every X post held by the monthly budget says so (`status` finds held posts by it).
BUDGET_REACHED = "X budget reached"


def usd(amount: int) -> float:
    """Micro-dollars as a JSON number of dollars (exact to the micro-dollar in decimal)."""
    return float(Decimal(amount) / MICROS)


def dollars(amount: int) -> str:
    """Micro-dollars as people read dollars: cents, and more digits only where they count
    ("$0.20", "$25.00", "$0.015", "$0.215")."""
    value = Decimal(amount) / MICROS
    text = f"{abs(value):.2f}"
    if Decimal(text) != abs(value):
        text = f"{abs(value).normalize():f}"
    return ("-$" if value < 0 else "$") + text
