"""When settling cannot conclude yet: the lookup failed, the outcome stays unknown for now, or
nobody can tell and the operator decides (bot/posting/decisions.py).

The base of bot/posting/settling.py's Settler (split from it to keep modules small): the state
it shares, and the waits, all recorded per post so one channel's trouble stays its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.channels.base import Channel, ChannelError, KeyedChannel
from bot.posting.attempts import close_interrupted, load_pair, open_attempt
from bot.posting.decisions import decision_message, mark_awaiting_decision
from bot.posting.outcome import Outcome, RetryPolicy
from bot.store.engine import session_scope
from bot.store.models import Attempt
from bot.store.post_state import sum_up_entry

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

log = logging.getLogger("paperbot")

LOOKUP_FAILED = "lookup-failed"


@dataclass
class SettleWaits:
    engine: Engine
    channel: Channel | KeyedChannel
    retry: RetryPolicy
    settle_grace: timedelta
    emit: Callable[[Outcome], Outcome]

    def _lookup_failed(
        self, entry_id: int, post_id: int, error: ChannelError, now: datetime
    ) -> Outcome:
        """The timeline could not be read this time: back off, or after too many failed looks
        in a row, leave the post to the operator."""
        with session_scope(self.engine) as session:
            entry, post = load_pair(session, entry_id, post_id)
            failures = _trailing_lookup_failures(session, post_id) + 1
            if failures >= self.retry.max_attempts:
                why = (
                    f"{self.channel.name} failed {failures} times in a row to show the account's "
                    f"posts (last: {error.message})"
                )
                give_up = True
            else:
                close_interrupted(session, post, now)
                attempt = open_attempt(session, post, now, outcome=LOOKUP_FAILED)
                attempt.error, attempt.http_status = error.message, error.status_code
                attempt.finished_at = now
                # Back off, or the daemon re-reads the timeline in a tight loop while X fails.
                post.next_attempt_at = error.retry_at or now + self.retry.delay(entry_id, failures)
                session.add_all([attempt, post])
                sum_up_entry(session=session, entry=entry, now=now)
                give_up = False
        if give_up:
            return self._await_decision(entry_id, post_id, error, now, why=why)
        return self.emit(
            Outcome(entry_id, "retry", f"outcome of the last attempt unknown: {error}")
        )

    def _await_decision(
        self,
        entry_id: int,
        post_id: int,
        error: ChannelError,
        now: datetime,
        *,
        why: str | None = None,
    ) -> Outcome:
        """Nobody can look the post up: it waits for `paperbot resolve`; the queue goes on."""
        message = decision_message(entry_id, why or error.message)
        with session_scope(self.engine) as session:
            entry, post = load_pair(session, entry_id, post_id)
            close_interrupted(session, post, now)
            mark_awaiting_decision(
                session=session,
                entry=entry,
                post=post,
                now=now,
                message=message,
                error=error.message,
                http_status=error.status_code,
            )
        log.warning("entry %s needs a decision: %s", entry_id, message)
        return self.emit(Outcome(entry_id, "needs-decision", message))

    def _keep_unknown(
        self, entry_id: int, post_id: int, attempt_id: int, error: ChannelError, now: datetime
    ) -> Outcome:
        """Outcome unknown and the timeline unreadable: leave `posting` to settle later."""
        with session_scope(self.engine) as session:
            entry, post = load_pair(session, entry_id, post_id)
            attempt = session.get(Attempt, attempt_id)
            assert attempt is not None
            attempt.outcome = "unknown"
            attempt.error = error.message
            attempt.http_status = error.status_code
            attempt.finished_at = now
            post.last_error = error.message
            # Not before the grace: the request may still land (see _settle_one).
            post.next_attempt_at = max(
                now + self.retry.delay(entry_id, post.attempts),
                post.updated_at + self.settle_grace,
            )
            session.add_all([post, attempt])
            sum_up_entry(session=session, entry=entry, now=now)
            retry_at = post.next_attempt_at
        log.warning(
            "outcome of entry %s unknown (%s); the timeline is checked again before the "
            "retry at %s",
            entry_id,
            error.message,
            retry_at,
        )
        return self.emit(Outcome(entry_id, "retry", f"outcome unknown: {error.message}"))

    def _close_attempt(self, attempt_id: int, error: ChannelError, now: datetime) -> None:
        with session_scope(self.engine) as session:
            attempt = session.get(Attempt, attempt_id)
            assert attempt is not None
            attempt.outcome = "unknown"
            attempt.error = error.message
            attempt.http_status = error.status_code
            attempt.finished_at = now
            session.add(attempt)


def _trailing_lookup_failures(session: Session, post_id: int) -> int:
    """Failed looks at the timeline since the post's last other attempt."""
    from sqlmodel import col, select

    outcomes = session.exec(
        select(Attempt.outcome).where(Attempt.post_id == post_id).order_by(col(Attempt.id).desc())
    ).all()
    count = 0
    for outcome in outcomes:
        if outcome != LOOKUP_FAILED:
            break
        count += 1
    return count
