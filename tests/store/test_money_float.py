"""`usd` divides in floats (no decimal import on the read path) and still gives what the exact
decimal quotient converts to, for every micro-dollar amount."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.store.money import MICROS, usd


@given(st.integers(min_value=-(10**20), max_value=10**20))
def test_usd_is_the_exact_decimal_quotient_rounded_once(amount: int) -> None:
    assert usd(amount) == float(Decimal(amount) / MICROS)
    assert repr(usd(amount)) == repr(float(Decimal(amount) / MICROS))
