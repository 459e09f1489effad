"""What X bills: its prices, the price of a post, and the log of billable requests a channel made.

X's API is pay-per-use (DESIGN.md "Costs"): every successful create, alt-text request and read
is billed, and a post whose text X finds a link in costs more than ten times one without. X
judges that with its own URL finder, so this module does too (bot.text.url_extract, the
twitter-text rules): the price of a post follows from the exact text sent, not from whether
the entry had a URL. Money is integer micro-dollars throughout (no float sums); dollars are
only for people.

The channel (bot/channels/x/channel.py) appends one ``Charge`` per billable request that
succeeded to its ``ChargeLog``; the worker drains the log after each call and the store keeps
the ledger (bot/store/ledger.py), which decides which reads are free (the same post again
within the UTC day) and shows money to people. Pure, apart from the lock around the log.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "MICROS",
    "Charge",
    "ChargeLog",
    "XPrices",
    "has_link",
    "micros",
    "price_post",
]

MICROS = 1_000_000  # micro-dollars in a dollar

# The ledger's kinds: X's own names for what it bills.
POST = "post"
POST_WITH_LINK = "post_with_link"
POST_READ = "post_read"
MEDIA_METADATA = "media_metadata"


def micros(usd: float | Decimal | str) -> int:
    """USD as integer micro-dollars (rounded half up: 0.015 is exactly 15,000)."""
    return int((Decimal(str(usd)) * MICROS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class XPrices:
    """X's prices in micro-dollars (from `[x.costs]`)."""

    post: int = 15_000
    post_with_link: int = 200_000
    post_read: int = 5_000
    media_metadata: int = 5_000

    @classmethod
    def from_usd(
        cls, *, post: float, post_with_link: float, post_read: float, media_metadata: float
    ) -> XPrices:
        return cls(micros(post), micros(post_with_link), micros(post_read), micros(media_metadata))


def has_link(text: str) -> bool:
    """Whether X finds a URL in ``text`` (its twitter-text rules, on the NFC text X counts)."""
    from bot.text.url_extract import extract_urls

    return bool(extract_urls(unicodedata.normalize("NFC", text)))


def create_kind(text: str) -> str:
    """The ledger kind of creating a post with this text."""
    return POST_WITH_LINK if has_link(text) else POST


def price_post(text: str, alt_texts: int, prices: XPrices) -> int:
    """What posting ``text`` with ``alt_texts`` images that carry alt text costs on X, in
    micro-dollars: the create (with or without a link, as X judges the text) and one metadata
    request per alt text. For `preview`, `schedule` and the budget: the same rule the channel
    bills by."""
    create = prices.post_with_link if has_link(text) else prices.post
    return create + alt_texts * prices.media_metadata


@dataclass(frozen=True)
class Charge:
    """One billable request that succeeded: ``kind`` is a ledger kind; a read lists the ids of
    the posts it returned (the ledger prices them, since a post read again the same UTC day is
    free); a create carries the new post's id."""

    kind: str
    amount: int = 0
    remote_ids: tuple[str, ...] = ()


class ChargeLog:
    """The channel's record of billable requests, drained by whoever attributes them."""

    def __init__(self, prices: XPrices) -> None:
        self.prices = prices
        self._charges: list[Charge] = []
        self._lock = threading.Lock()

    def created(self, text: str, remote_id: str | None) -> None:
        kind = create_kind(text)
        amount = self.prices.post_with_link if kind == POST_WITH_LINK else self.prices.post
        self._add(Charge(kind, amount, (remote_id,) if remote_id else ()))

    def metadata(self) -> None:
        self._add(Charge(MEDIA_METADATA, self.prices.media_metadata))

    def read(self, remote_ids: tuple[str, ...]) -> None:
        if remote_ids:
            self._add(Charge(POST_READ, self.prices.post_read, remote_ids))

    def pending(self) -> bool:
        with self._lock:
            return bool(self._charges)

    def drain(self) -> list[Charge]:
        """Every charge logged since the last drain, oldest first."""
        with self._lock:
            charges, self._charges = self._charges, []
        return charges

    def _add(self, charge: Charge) -> None:
        with self._lock:
            self._charges.append(charge)
