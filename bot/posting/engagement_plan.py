"""Which posts are due an engagement read, and when the next read falls due (pure).

A post is due once it is at least one of the configured ages old and has not been read since it
reached that age: never before an age, once soon after it. A post that passed several ages while
the daemon was down is read once, not once per age (on X each read is billed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from bot.store.engagement import PostToRead

__all__ = ["batches", "horizon", "is_due", "next_due"]

T = TypeVar("T")
# A read that is this late (daemon down, rate limits) is still made; older posts are left alone.
GRACE = timedelta(days=2)


def horizon(ages: Sequence[timedelta], now: datetime) -> datetime:
    """Posts older than this have no read left to make (the oldest age plus a grace)."""
    return now - (max(ages, default=timedelta(0)) + GRACE)


def _reached(post: PostToRead, ages: Sequence[timedelta], now: datetime) -> datetime | None:
    """The latest age mark the post has reached by ``now`` (None: not even the first)."""
    marks = [post.posted_at + age for age in ages if post.posted_at + age <= now]
    return max(marks, default=None)


def is_due(post: PostToRead, ages: Sequence[timedelta], now: datetime) -> bool:
    """Whether ``post`` reached an age it was not read at (or after) yet."""
    mark = _reached(post, ages, now)
    return mark is not None and (post.last_read_at is None or post.last_read_at < mark)


def next_due(
    posts: Sequence[PostToRead], ages: Sequence[timedelta], now: datetime
) -> datetime | None:
    """When the next read falls due: ``now`` if one already is, else the earliest age to come."""
    soonest: datetime | None = None
    for post in posts:
        if is_due(post, ages, now):
            return now
        for age in ages:
            mark = post.posted_at + age
            if mark > now and (soonest is None or mark < soonest):
                soonest = mark
    return soonest


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """``items`` in consecutive lists of at most ``size``."""
    for start in range(0, len(items), max(1, size)):
        yield list(items[start : start + max(1, size)])
