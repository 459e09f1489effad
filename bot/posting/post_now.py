"""Posting one entry now, outside the timetable (what `paperbot post ID` does).

Only one process posts from a database. When a daemon holds the poster lock, posting here too
could race it on this very entry, so the entry is handed over instead: made due now, which the
daemon picks up within seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.posting.outcome import ChannelPaused

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.posting.outcome import Outcome
    from bot.posting.publisher import Worker


@dataclass(frozen=True)
class PostNowResult:
    """What happened: the outcome on each channel, the daemon the entry went to, or the
    channels whose credentials stand rejected (channel, reason)."""

    outcomes: tuple[tuple[str, Outcome], ...] = ()
    handed_to: str | None = None  # the poster lock's holder, which will post the entry
    paused: tuple[tuple[str, str], ...] = ()
    in_flight: tuple[str, ...] = ()  # channels the daemon is posting the entry on right now


def pause_message(reason: str, channel: str = "x") -> str:
    """What to tell the operator when a platform refused the credentials and posting paused."""
    if channel == "bluesky":
        return (
            f"Bluesky rejected the credentials ({reason}); posting there is paused. Fix: check "
            "BLUESKY_HANDLE and BLUESKY_APP_PASSWORD (an app password from Settings → Privacy "
            "and security → App passwords), then `paperbot check`"
        )
    if channel == "mastodon":
        return (
            f"Mastodon rejected the access token ({reason}); posting there is paused. Fix: "
            "check MASTODON_BASE_URL and MASTODON_ACCESS_TOKEN (scopes write:statuses, "
            "write:media, read:accounts, read:statuses), then `paperbot check`"
        )
    return (
        f"X rejected the credentials ({reason}); posting is paused. Fix: check the four X_* "
        "keys in .env and that the app has Read and Write permission (regenerate the "
        "access token after changing it), then `paperbot check`"
    )


def check_postable(engine: Engine, entry_id: int) -> list[str]:
    """The channels the entry targets; ValueError (bad input) unless it is still to be posted."""
    from bot.store.engine import session_scope
    from bot.store.queue import get_entry

    with session_scope(engine, write=False) as session:
        entry = get_entry(session=session, entry_id=entry_id)
        if entry.status not in ("queued", "posting"):
            raise ValueError(
                f"entry {entry_id} is {entry.status}; "
                + (
                    "`paperbot retry` it first"
                    if entry.status != "posted"
                    else "it was posted already"
                )
            )
        return list(entry.channels)


def hand_to_daemon(engine: Engine, entry_id: int, now: datetime) -> tuple[str, tuple[str, ...]]:
    """Make the entry due now for the poster holding the lock; returns that holder and the
    channels it is posting the entry on at this moment (an entry `posting` is in its hands:
    its other channels are made due now too, its text is not touched). ValueError (bad input)
    when a post awaits a decision: the daemon will not send it, `paperbot resolve` must."""
    from bot.store.engine import session_scope
    from bot.store.lease import holder
    from bot.store.queue import EntryChanges, edit_entry, get_entry, posts_for

    with session_scope(engine, write=True) as session:
        entry = get_entry(session=session, entry_id=entry_id, for_update=True)
        if entry.status != "posting":
            edit_entry(session=session, entry_id=entry_id, changes=EntryChanges(at=now))
            return holder(engine), ()
        posts = posts_for(session=session, entry_ids=[entry_id]).get(entry_id, [])
        in_flight = [post for post in posts if post.status == "posting"]
        for post in in_flight:
            if post.decision_needed_at is not None:
                raise ValueError(
                    f"entry {entry_id} awaits a decision on {post.channel} (the outcome of its "
                    "post is unknown and cannot be looked up): settle it with `paperbot resolve "
                    f"{entry_id} --channel {post.channel} --posted URL` or `--not-posted`"
                )
        entry.at = now  # only `at`: what the daemon is sending stays as it is
        entry.updated_at = now
        session.add(entry)
    return holder(engine), tuple(post.channel for post in in_flight)


def post_now(
    engine: Engine,
    entry_id: int,
    *,
    make_workers: Callable[[bool], list[Worker]],
    now: Callable[[], datetime],
    dry_run: bool = False,
) -> PostNowResult:
    """Post `entry_id` at once on each channel it targets (`make_workers(dry_run)` builds the
    workers; a dry run needs no lock), or hand it to the running daemon."""
    channels = check_postable(engine, entry_id)
    if dry_run:
        worker = make_workers(True)[0]
        return PostNowResult(outcomes=(("dry-run", worker.post(entry_id, now())),))
    from bot.store import lease

    held = lease.try_acquire(engine, now=now())
    if held is None:
        handed_to, in_flight = hand_to_daemon(engine, entry_id, now())
        return PostNowResult(handed_to=handed_to, in_flight=in_flight)
    try:
        workers = [w for w in make_workers(False) if w.channel.name in channels]
    except BaseException:
        lease.release(engine, held, now=now())
        raise
    try:
        return _post_on_each(workers, entry_id, now())
    finally:
        lease.release(engine, held, now=now())
        for worker in workers:
            worker.channel.close()


def _post_on_each(workers: list[Worker], entry_id: int, now: datetime) -> PostNowResult:
    """The entry on each channel in turn; a paused channel does not stop the others."""
    outcomes: list[tuple[str, Outcome]] = []
    paused: list[tuple[str, str]] = []
    for worker in workers:
        try:
            outcomes.append((worker.channel.name, worker.post(entry_id, now)))
        except ChannelPaused as exc:
            paused.append((worker.channel.name, str(exc)))
    return PostNowResult(outcomes=tuple(outcomes), paused=tuple(paused))
