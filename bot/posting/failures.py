"""What a failed attempt means for its post: wait, retry later, pause the channel, or fail.

Decided from ``ChannelError.kind`` alone (bot/channels/base.py), the same way on every channel;
attempts and backoff are the post's own (bot/store/post_state.py), the pause and the rate limit
the channel's (bot/posting/gate.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.channels.base import ChannelError, ErrorKind
from bot.posting.attempts import load_pair
from bot.posting.gate import ChannelGate
from bot.posting.outcome import ChannelPaused, Outcome, RetryPolicy
from bot.store.engine import session_scope
from bot.store.models import Attempt, Entry, Post
from bot.store.post_state import begin_attempt, record_failure

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

log = logging.getLogger("paperbot")


@dataclass(frozen=True)
class Failures:
    engine: Engine
    gate: ChannelGate
    retry: RetryPolicy
    emit: Callable[[Outcome], Outcome]

    @property
    def channel(self) -> str:
        return self.gate.channel

    def before_sending(
        self, entry_id: int, text: str, now: datetime, reason: str, transient: bool
    ) -> Outcome:
        """An image could not be prepared: retry later if that may pass, else fail the post."""
        with session_scope(self.engine) as session:
            entry = session.get(Entry, entry_id)
            assert entry is not None
            post, attempt = begin_attempt(
                session=session, entry=entry, channel=self.channel, text=text, now=now
            )
            give_up = not transient or post.attempts >= self.retry.max_attempts
            retry_at = None if give_up else now + self.retry.delay(entry_id, post.attempts)
            record_failure(
                session=session,
                entry=entry,
                post=post,
                attempt=attempt,
                outcome="image",
                error=reason,
                now=now,
                permanent=give_up,
                retry_at=retry_at,
            )
        return self._report(entry_id, "failed" if give_up else "retry", reason, retry_at)

    def after_publish(
        self, entry_id: int, post_id: int, attempt_id: int, error: ChannelError, now: datetime
    ) -> Outcome:
        """The channel refused or failed: record it on the post (raises ChannelPaused)."""
        with session_scope(self.engine) as session:
            entry, post = load_pair(session, entry_id, post_id)
            attempt = session.get(Attempt, attempt_id)
            assert attempt is not None
            record = _Recorder(session, entry, post, attempt, error, now)
            if error.kind is ErrorKind.RATE_LIMITED:
                until = error.retry_at or now + timedelta(minutes=15)
                self.gate.record_rate_limit(session, until, now)
                record(error.message, retry_at=until, refund=True)
                log.warning(
                    "rate limited by %s until %s; entry %s waits",
                    self.channel,
                    until.isoformat(),
                    entry_id,
                )
                return self.emit(Outcome(entry_id, "waiting", f"rate limited until {until}"))
            if error.kind is ErrorKind.AUTH:
                self.gate.record_pause(session, error.message, now)
                record(error.message, refund=True)
            elif error.kind in (ErrorKind.INVALID, ErrorKind.DUPLICATE):
                message = error.message
                if error.kind is ErrorKind.DUPLICATE:
                    message = (
                        f"{error.message} (no matching post on the timeline; edit the "
                        "comment and `paperbot retry` it)"
                    )
                record(message, permanent=True)
                return self._report(entry_id, "failed", message, None)
            else:
                return self._transient(entry_id, post, record, error)
        log.error("credentials rejected by %s: %s; channel paused", self.channel, error.message)
        raise ChannelPaused(error.message)

    def _transient(
        self, entry_id: int, post: Post, record: _Recorder, error: ChannelError
    ) -> Outcome:
        if post.attempts >= self.retry.max_attempts:
            message = f"gave up after {post.attempts} attempts: {error.message}"
            record(message, permanent=True)
            return self._report(entry_id, "failed", message, None)
        retry_at = record.now + self.retry.delay(entry_id, post.attempts)
        record(error.message, retry_at=retry_at)
        return self._report(entry_id, "retry", error.message, retry_at)

    def _report(
        self, entry_id: int, result: str, message: str, retry_at: datetime | None
    ) -> Outcome:
        if result == "failed":
            log.warning("failed entry %s on %s: %s", entry_id, self.channel, message)
        else:
            log.warning("retry entry %s on %s at %s: %s", entry_id, self.channel, retry_at, message)
        return self.emit(Outcome(entry_id, result, message))


@dataclass(frozen=True)
class _Recorder:
    """record_failure for one attempt, with only what differs between the cases left open."""

    session: Session
    entry: Entry
    post: Post
    attempt: Attempt
    error: ChannelError
    now: datetime

    def __call__(
        self,
        message: str,
        *,
        retry_at: datetime | None = None,
        permanent: bool = False,
        refund: bool = False,
    ) -> None:
        record_failure(
            session=self.session,
            entry=self.entry,
            post=self.post,
            attempt=self.attempt,
            outcome=self.error.kind.value,
            error=message,
            now=self.now,
            http_status=self.error.status_code,
            retry_at=retry_at,
            permanent=permanent,
            refund_attempt=refund,
        )
