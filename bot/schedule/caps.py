"""The posting caps a plan must respect: `posts_per_day` per local day and a rolling 24 h limit.

Split from `bot.schedule.timetable` because the sliding-window check is the subtle part of planning
(a
post may only be delayed to the first instant where every 24 h window it falls in still has
room) and reads best on its own. Pure: it only counts the instants it is given.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["CapLedger"]

DAY = timedelta(days=1)


class CapLedger:
    """Posts made and planned, for the per-day cap and the rolling 24 h limit."""

    def __init__(
        self, *, tz: ZoneInfo, per_day_cap: int, limit: int | None, posts: list[datetime]
    ) -> None:
        self.tz = tz
        self.per_day_cap = per_day_cap
        self.limit = limit
        self.posts = list(posts)  # sorted
        self.per_day = Counter(self._day(t) for t in posts)

    def _day(self, t: datetime) -> date:
        return t.astimezone(self.tz).date()

    def add(self, t: datetime) -> None:
        self.posts.insert(bisect_right(self.posts, t), t)
        self.per_day[self._day(t)] += 1

    def has_room(self, t: datetime) -> bool:
        """Whether a timetable post fits at `t` under both the day cap and the 24 h limit."""
        return self.per_day[self._day(t)] < self.per_day_cap and self._blocked_until(t) is None

    def first_opening(self, t: datetime, end: datetime) -> datetime | None:
        """The first instant >= t (and < end) where one more post fits in every 24 h window."""
        while t < end:
            later = self._blocked_until(t)
            if later is None:
                return t
            t = later
        return None

    def _blocked_until(self, t: datetime) -> datetime | None:
        """None if a post at `t` keeps every 24 h window within the limit; else a later instant
        worth trying (each retry moves strictly forward, so `first_opening` ends)."""
        n = self.limit
        if n is None:
            return None
        posts = self.posts
        near = posts[bisect_right(posts, t - DAY) : bisect_left(posts, t + DAY)]
        k = bisect_left(near, t)
        run = [*near[:k], t, *near[k:]]
        # Any n + 1 consecutive posts spanning less than 24 h break the limit.
        for i in range(max(0, k - n), k + 1):
            j = i + n
            if j < len(run) and run[j] - run[i] < DAY:
                if i < k:
                    return run[i] + DAY  # the oldest post of that window has left it then
                return run[k + 1] + timedelta(microseconds=1)  # only posts after t: pass one
        return None
