"""The fake X's bill: every successful request X charges for, at the prices the test set.

X's pay-per-use billing (the project's "Platforms" notes): creating a post costs `post`, or
`post_with_link` when X finds a link in its text (here: the fake's own link rules,
tests/fakes/x_text.py, a second opinion next to paperbot's); each post a read returns costs
`post_read`, except one already returned the same UTC day (the fake's clock, `clock`); each
alt-text request costs `media_metadata`. Billed when the work was done, answer sent or not
(a connection dropped after the post was made was still billed). Money in micro-dollars.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from tests.fakes.x_model import Reply
from tests.fakes.x_state import XState

DEFAULT_PRICES = {
    "post": 15_000,
    "post_with_link": 200_000,
    "post_read": 5_000,
    "media_metadata": 5_000,
}


@dataclass(frozen=True)
class BillLine:
    route: str
    kind: str
    amount: int  # micro-dollars
    remote_id: str | None
    day: str  # the UTC day X billed it on


class XBilling(XState):
    """``bill`` and ``billed`` for tests; ``prices`` (micro-dollars) and ``clock`` to set."""

    prices: dict[str, int] = DEFAULT_PRICES
    clock: Callable[[], datetime] | None = None  # None: the fake's own clock (``now``)

    @property
    def bill(self) -> list[BillLine]:
        with self._lock:
            return list(self._bill)

    def billed(self) -> int:
        """The total, in micro-dollars."""
        return sum(line.amount for line in self.bill)

    def _charge(self, route: str, reply: Reply) -> None:
        """Called (lock not held) with each reply the fake produced, sent or not."""
        if reply.status >= 400 or not isinstance(reply.body, dict):
            return
        data = reply.body.get("data")
        day = (self.clock or self.now)().astimezone(UTC).date().isoformat()
        with self._lock:
            lines = self._bill
            if route == "create_tweet" and isinstance(data, dict):
                post = next(p for p in self._posts if p.id == data["id"])
                linked = any(link.media_key is None for link in post.links)
                kind = "post_with_link" if linked else "post"
                lines.append(BillLine(route, kind, self.prices[kind], post.id, day))
            elif route == "media_metadata":
                lines.append(
                    BillLine(route, "media_metadata", self.prices["media_metadata"], None, day)
                )
            elif route in ("user_tweets", "tweet_lookup", "tweets_lookup") and data:
                items = data if isinstance(data, list) else [data]
                seen = {(line.remote_id, line.day) for line in lines if line.kind == "post_read"}
                for item in items:
                    if (item["id"], day) not in seen:
                        seen.add((item["id"], day))
                        lines.append(
                            BillLine(route, "post_read", self.prices["post_read"], item["id"], day)
                        )
