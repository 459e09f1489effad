"""Writing what the lifecycle decided: one transaction per answer.

bot/posting/lifecycle.py decides; this module reads the post's state for it (from the post and
its attempts) and writes the step: the attempt's outcome, the post's status, retry time and
error, the channel's pause or rate limit, and the entry's summary (bot/store/post_state.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.channels.base import Published
from bot.posting.attempts import (
    attempts_of,
    close_interrupted,
    load_pair,
    mark_posted,
    open_attempt,
)
from bot.posting.decisions import decision_message
from bot.posting.gate import ChannelGate
from bot.posting.lifecycle import (
    LOOKUP_OUTCOMES,
    Event,
    Phase,
    Policy,
    PostState,
    Step,
    next_step,
)
from bot.posting.outcome import RetryPolicy
from bot.store.engine import session_scope
from bot.store.models import Attempt, Entry, Post, PostStatus
from bot.store.post_state import begin_attempt, record_failure, sum_up_entry
from bot.store.queue import DRY_RUN_CHANNEL

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

log = logging.getLogger("paperbot")


@dataclass(frozen=True)
class Recorder:
    """Applies one answer to one post of ``gate.channel``."""

    engine: Engine
    gate: ChannelGate
    retry: RetryPolicy
    grace: timedelta

    def answer(
        self,
        entry_id: int,
        post_id: int,
        event: Event,
        now: datetime,
        *,
        attempt_id: int | None = None,
        sending: bool = False,
        published: Published | None = None,
    ) -> Step:
        """Decide and record the step after ``event``. ``sending``: the answer to the send
        whose attempt is ``attempt_id``; otherwise a lookup's (which writes its own attempt,
        or ``attempt_id``'s when it found what that send made)."""
        with session_scope(self.engine) as session:
            entry, post = load_pair(session, entry_id, post_id)
            attempts = attempts_of(session, post_id)
            state = read_state(post, attempts, sending=sending)
            policy = Policy(self.retry, self.grace, post.channel, entry_id)
            step = next_step(state, event, policy, now)
            attempt = session.get(Attempt, attempt_id) if attempt_id is not None else None
            if not sending:
                close_interrupted(session, post, now)
                if attempt is None and step.record is not None:
                    attempt = open_attempt(session, post, now, step.record)
            _write(session, entry, post, attempt, state, step, event, now, published)
            if step.pause:
                self.gate.record_pause(session, event.message, now)
            if step.rate_limited_until is not None:
                self.gate.record_rate_limit(session, step.rate_limited_until, now)
        return step

    def before_sending(
        self, entry_id: int, channel: str, text: str, event: Event, now: datetime
    ) -> Step:
        """An attempt that ended before anything was sent (an image could not be loaded)."""
        with session_scope(self.engine) as session:
            entry = session.get(Entry, entry_id)
            assert entry is not None
            post, attempt = begin_attempt(
                session=session, entry=entry, channel=channel, text=text, now=now
            )
            assert post.id is not None and attempt.id is not None
            ids = post.id, attempt.id
        return self.answer(entry_id, ids[0], event, now, attempt_id=ids[1], sending=True)


def read_state(post: Post, attempts: list[Attempt], *, sending: bool) -> PostState:
    """The lifecycle's view of a post, from its row and its attempts (oldest first)."""
    if sending:
        phase = Phase.SENDING
    elif post.status == PostStatus.POSTED:
        phase = Phase.POSTED
    elif post.status == PostStatus.FAILED:
        phase = Phase.FAILED
    elif post.status == PostStatus.POSTING:
        phase = Phase.DECISION if post.decision_needed_at is not None else Phase.UNKNOWN
    else:
        phase = Phase.READY
    sends = [a for a in attempts if a.outcome not in LOOKUP_OUTCOMES]
    failures = 0
    for attempt in reversed(attempts):
        if attempt.outcome != "lookup-failed":
            break
        failures += 1
    return PostState(
        phase=phase,
        attempts=post.attempts,
        last_send=sends[-1].started_at if sends else None,
        lookup_failures=failures,
        duplicate=bool(sends) and sends[-1].outcome == "duplicate",
        decision_since=post.decision_needed_at,
        send_error=(sends[-1].error or "") if sends else "",
    )


def lookups_due(session: Session, channel: str, now: datetime) -> list[tuple[int, int]]:
    """(entry id, post id) of this channel's posts whose lookup is due: unknown outcomes
    (a crash left them, or their retry time came) and decisions due for another look."""
    from sqlmodel import col, or_, select

    rows = session.exec(
        select(Post.entry_id, Post.id)
        .where(
            Post.channel == channel,
            Post.status == PostStatus.POSTING.value,
            or_(col(Post.next_attempt_at).is_(None), col(Post.next_attempt_at) <= now),
        )
        .order_by(col(Post.id))
    ).all()
    return [(entry_id, post_id) for entry_id, post_id in rows if post_id is not None]


def next_relook(engine: Engine, channel: str) -> datetime | None:
    """When this channel's next post awaiting a decision is due for another look (the daemon
    ticks then, even with nothing else planned)."""
    from sqlmodel import col, func, select

    with session_scope(engine, write=False) as session:
        return session.exec(
            select(func.min(Post.next_attempt_at)).where(
                Post.channel == channel,
                Post.status == PostStatus.POSTING.value,
                col(Post.decision_needed_at).is_not(None),
            )
        ).one()


def _write(
    session: Session,
    entry: Entry,
    post: Post,
    attempt: Attempt | None,
    state: PostState,
    step: Step,
    event: Event,
    now: datetime,
    published: Published | None,
) -> None:
    assert entry.id is not None
    if step.phase is Phase.POSTED:
        assert attempt is not None and published is not None and step.record is not None
        media = published.media_ids or tuple(post.media_ids)
        found = Published(published.remote_id, published.remote_url, media, published.posted_at)
        mark_posted(session, entry, post, attempt, found, now, step.record)
        return
    if step.phase is Phase.FAILED:
        assert attempt is not None and step.record is not None
        record_failure(
            session=session,
            entry=entry,
            post=post,
            attempt=attempt,
            outcome=step.record,
            error=step.message,
            now=now,
            http_status=event.status_code,
            permanent=True,
        )
        return
    if attempt is not None and step.record is not None:
        attempt.outcome = step.record
        attempt.error = event.message or None
        attempt.http_status = event.status_code
        attempt.finished_at = now
        session.add(attempt)
    if step.refund:
        post.attempts = max(0, post.attempts - 1)
    post.next_attempt_at = step.retry_at
    if step.phase is Phase.READY:
        post.status = PostStatus.RETRYING.value
        post.decision_needed_at = None
        post.last_error = step.message or post.last_error
    elif step.phase is Phase.UNKNOWN:
        post.status = PostStatus.POSTING.value
        post.decision_needed_at = None
        post.last_error = step.message
    elif step.phase is Phase.DECISION and state.phase is not Phase.DECISION:
        post.status = PostStatus.POSTING.value
        post.decision_needed_at = now
        post.last_error = decision_message(entry.id, post.channel, step.message)
    post.updated_at = now
    session.add(post)
    if post.channel != DRY_RUN_CHANNEL:
        sum_up_entry(session=session, entry=entry, now=now)


def log_step(channel: str, entry_id: int, step: Step, url: str | None) -> None:
    """One log line per answer, saying what follows."""
    if step.pause:
        log.error("credentials rejected by %s: %s; channel paused", channel, step.message)
    elif step.result == "settled":
        log.info("settled entry %s: it was posted (%s): %s", entry_id, channel, url)
    elif step.result == "failed":
        log.warning("failed entry %s on %s: %s", entry_id, channel, step.message)
    elif step.result == "waiting":
        log.warning("rate limited by %s until %s; entry %s waits", channel, step.retry_at, entry_id)
    elif step.result == "needs-decision":
        log.warning("entry %s on %s needs a decision: %s", entry_id, channel, step.message)
    elif step.phase is Phase.UNKNOWN:
        log.warning(
            "outcome of entry %s on %s unknown (%s); looked up at %s before any new send",
            entry_id,
            channel,
            step.message,
            step.retry_at,
        )
    elif step.record == "settled-not-posted":
        log.info("entry %s was not posted on %s; it stays queued", entry_id, channel)
    else:
        log.warning(
            "retry entry %s on %s at %s: %s", entry_id, channel, step.retry_at, step.message
        )
