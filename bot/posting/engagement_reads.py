"""Reading posts' counts from a channel, in the fewest requests, and keeping them.

The daemon calls ``read_due`` in its spare time (bot/posting/daemon.py: never while the channel
posts, never when a post is about to fall due); ``paperbot engagement --refresh`` calls it for a
week's posts at once. Reads that cost money (X) pass ``spend``: asked before each batch with the
posts it would return, it answers how many of them may be read now (the monthly budget), and
``billed`` records what the platform returned, after the read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.posting.engagement_plan import batches, horizon, is_due
from bot.store.engagement import PostToRead, posts_to_read, record_counts
from bot.store.engine import session_scope

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from bot.channels.engagement import EngagementSource

log = logging.getLogger("paperbot")

__all__ = ["ReadCosts", "ReadReport", "read_due"]


@dataclass(frozen=True)
class ReadCosts:
    """How reads are paid for on a channel that bills them (X).

    ``affordable(post_ids, now)``: how many of these posts (in order) the budget lets us read
    now; ``billed(session, returned, now)``: record a read that returned these posts (remote
    id → post id).
    """

    affordable: Callable[[Sequence[int], datetime], int]
    billed: Callable[[Session, Mapping[str, int], datetime], None]


@dataclass
class ReadReport:
    channel: str
    due: int = 0
    read: int = 0
    gone: int = 0
    requests: int = 0
    skipped: str | None = None  # why some due posts were not read (the budget)
    unread: list[int] = field(default_factory=list)


def read_due(
    engine: Engine,
    source: EngagementSource,
    *,
    ages: Sequence[timedelta],
    now: datetime,
    entry_ids: Sequence[int] | None = None,
    max_requests: int | None = None,
    costs: ReadCosts | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> ReadReport:
    """Read the counts of this channel's posts that are due, batch by batch.

    ``entry_ids`` (``engagement --refresh``): read those entries' posts now, whatever their age.
    ``max_requests`` bounds one call, so the daemon returns to posting quickly. Raises the
    channel's ChannelError (a 429, a failure): what was read before it is kept.
    """
    refresh = entry_ids is not None
    since = datetime.min.replace(tzinfo=UTC) if refresh else horizon(ages, now)
    with session_scope(engine, write=False) as session:
        candidates = posts_to_read(
            session, channel=source.name, posted_since=since, entry_ids=entry_ids or ()
        )
    due = [post for post in candidates if refresh or is_due(post, ages, now)]
    report = ReadReport(channel=source.name, due=len(due))
    for batch in batches(due, source.engagement_batch):
        if should_stop() or (max_requests is not None and report.requests >= max_requests):
            report.unread += [post.post_id for post in batch]
            continue
        if costs is not None:
            allowed = costs.affordable([post.post_id for post in batch], now)
            if allowed < len(batch):
                report.skipped = "the X budget cannot cover these reads this month"
                report.unread += [post.post_id for post in batch[allowed:]]
                batch = batch[:allowed]
            if not batch:
                continue
        _read_batch(engine, source, batch, now, costs, report)
    return report


def _read_batch(
    engine: Engine,
    source: EngagementSource,
    batch: list[PostToRead],
    now: datetime,
    costs: ReadCosts | None,
    report: ReadReport,
) -> None:
    by_remote = {post.remote_id: post.post_id for post in batch}
    found = source.read_engagement(list(by_remote))
    report.requests += 1
    counts = {
        by_remote[remote]: (c.likes, c.reposts, c.replies, c.quotes)
        for remote, c in found.counts.items()
        if remote in by_remote
    }
    gone = [by_remote[remote] for remote in found.gone if remote in by_remote]
    returned = {remote: by_remote[remote] for remote in found.returned if remote in by_remote}
    with session_scope(engine) as session:
        record_counts(session, counts=counts, gone=gone, now=now)
        if costs is not None:
            costs.billed(session, returned, now)
    report.read += len(counts)
    report.gone += len(gone)
    for post_id in gone:
        log.info(
            "post %s on %s is gone from the platform: kept with its last counts",
            post_id,
            source.name,
        )
