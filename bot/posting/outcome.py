"""What one publishing step reports, the retry policy it follows, and the pause it may hit.

Shared by the worker (bot/posting/publisher.py), the settling of lost answers
(bot/posting/settling.py) and the
pass over what is due (bot/posting/one_pass.py), so that none of them imports another for these
names.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["ChannelPaused", "Outcome", "RetryPolicy", "Slot"]


class ChannelPaused(RuntimeError):
    """The channel refuses to post until the operator acts (e.g. credentials rejected)."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 60.0
    max_seconds: float = 3600.0

    def delay(self, entry_id: int, attempt: int) -> timedelta:
        """Exponential backoff with deterministic jitter (50-100% of the step)."""
        step = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        digest = hashlib.sha256(f"{entry_id}:{attempt}".encode()).digest()
        fraction = 0.5 + 0.5 * int.from_bytes(digest[:4], "big") / 2**32
        return timedelta(seconds=step * fraction)


@dataclass(frozen=True)
class Outcome:
    entry_id: int
    # posted | settled | retry | failed | waiting | skipped | needs-decision
    result: str
    detail: str = ""
    remote_url: str | None = None


@dataclass(frozen=True)
class Slot:
    """The moment a prepared post goes out (never before it), on the daemon's ``clock``.

    The daemon's tick starts a little early (bot/posting/one_pass.py ``run_due(ahead=...)``):
    settling, planning, composing and taking the staged media are done before the slot, and
    only the claim and the send are left for it.
    """

    when: datetime
    clock: Callable[[], datetime]

    def wait(self) -> datetime:
        """Sleep until the slot (a second at most at a time); returns the clock's time then."""
        now = self.clock()
        while now < self.when:
            time.sleep(min((self.when - now).total_seconds(), 1.0))
            now = self.clock()
        return now
