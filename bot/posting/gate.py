"""What a channel remembers across restarts: a pause for rejected credentials, a 429 wait.

Per channel (the `channel_state` row), so a paused or rate-limited channel holds back only its
own posts. Used by the worker (bot/posting/publisher.py) and the failure handling
(bot/posting/failures.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.posting.outcome import ChannelPaused
from bot.store.engine import session_scope
from bot.store.queue import DRY_RUN_CHANNEL, channel_state

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

log = logging.getLogger("paperbot")


@dataclass(frozen=True)
class ChannelGate:
    engine: Engine
    channel: str
    credentials_fingerprint: str | None = None

    def check_paused(self) -> None:
        """Raise ChannelPaused while the channel's credentials stand rejected."""
        if self.channel == DRY_RUN_CHANNEL:
            return
        with session_scope(self.engine) as session:
            state = channel_state(session=session, channel=self.channel)
            if state.paused_reason is None:
                return
            if (
                self.credentials_fingerprint is not None
                and state.credentials_fingerprint != self.credentials_fingerprint
            ):
                log.info("credentials changed since the pause: resuming %s", self.channel)
                state.paused_reason = None
                state.paused_at = None
                state.credentials_fingerprint = None
                session.add(state)
                return
            raise ChannelPaused(state.paused_reason)

    def rate_limited_until(self, now: datetime) -> datetime | None:
        if self.channel == DRY_RUN_CHANNEL:
            return None
        with session_scope(self.engine) as session:
            until = channel_state(session=session, channel=self.channel).rate_limited_until
        return until if until is not None and until > now else None

    def pause(self, reason: str, now: datetime) -> None:
        with session_scope(self.engine) as session:
            self.record_pause(session, reason, now)
        log.error("credentials rejected by %s: %s; channel paused", self.channel, reason)

    def record_pause(self, session: Session, reason: str, now: datetime) -> None:
        state = channel_state(session=session, channel=self.channel)
        state.paused_reason = reason
        state.paused_at = now
        state.credentials_fingerprint = self.credentials_fingerprint
        state.updated_at = now
        session.add(state)

    def record_rate_limit(self, session: Session, until: datetime, now: datetime) -> None:
        state = channel_state(session=session, channel=self.channel)
        state.rate_limited_until = until
        state.updated_at = now
        session.add(state)
