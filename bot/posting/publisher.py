"""One publishing step: settle what a crash left unknown, then post one entry, record everything.

The order of writes is what makes paperbot safe to kill at any moment:
1. the entry is marked `posting` and committed BEFORE the channel is called;
2. the channel is called;
3. the outcome is committed right after.
A process killed between 1 and 3 leaves a `posting` post. Before that entry is tried again, the
account's recent posts are read and matched against the text (bot/posting/settling.py): found means
posted (with the remote id), not found means it is safe to try again, and when nobody can tell
the post waits for the operator's decision. So every interleaving ends with one post per entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.channels.base import (
    Channel,
    ChannelError,
    ErrorKind,
    MediaItem,
    Publication,
)
from bot.posting.attempts import load_pair, record_published
from bot.posting.outcome import ChannelPaused, Outcome, RetryPolicy
from bot.posting.settling import Settler
from bot.store.engine import session_scope
from bot.store.models import Attempt, Entry, EntryStatus, Post, PostStatus
from bot.store.queue import (
    DRY_RUN_CHANNEL,
    QueueError,
    begin_attempt,
    channel_state,
    record_failure,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from bot.images.load import ImagePolicy
    from bot.text.compose import ComposeSettings, Draft

log = logging.getLogger("paperbot")


@dataclass
class Worker:
    """Publishes entries on one channel. Collaborators are given, never built here."""

    engine: Engine
    channel: Channel
    compose_settings: ComposeSettings
    image_policy: ImagePolicy
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    credentials_fingerprint: str | None = None
    load_images: bool = True
    image_base_dir: Path = field(default_factory=Path.cwd)
    on_outcome: Callable[[Outcome], None] | None = None
    # How long after an attempt began a request whose answer was lost may still land on the
    # timeline (the CLI passes twice the X timeout): until then, absence proves nothing.
    settle_grace: timedelta = timedelta(seconds=60)

    @property
    def dry_run(self) -> bool:
        return self.channel.name == DRY_RUN_CHANNEL

    # --- channel-wide state ---------------------------------------------------------------

    def check_paused(self) -> None:
        """Raise ChannelPaused while the channel's credentials stand rejected."""
        if self.dry_run:
            return
        with session_scope(self.engine) as session:
            state = channel_state(session=session, channel=self.channel.name)
            if state.paused_reason is None:
                return
            if (
                self.credentials_fingerprint is not None
                and state.credentials_fingerprint != self.credentials_fingerprint
            ):
                log.info("credentials changed since the pause: resuming %s", self.channel.name)
                state.paused_reason = None
                state.paused_at = None
                state.credentials_fingerprint = None
                session.add(state)
                return
            raise ChannelPaused(state.paused_reason)

    def rate_limited_until(self, now: datetime) -> datetime | None:
        if self.dry_run:
            return None
        with session_scope(self.engine) as session:
            state = channel_state(session=session, channel=self.channel.name)
            until = state.rate_limited_until
        return until if until is not None and until > now else None

    # --- settling unknown outcomes ----------------------------------------------------------

    @property
    def settler(self) -> Settler:
        return Settler(self.engine, self.channel, self.retry, self.settle_grace, self._emit)

    def settle(self, now: datetime) -> list[Outcome]:
        """Resolve every post a crash or a dropped connection left `posting`."""
        if self.dry_run:
            return []
        try:
            return self.settler.settle_all(now)
        except ChannelPaused as paused:
            self._pause(str(paused), now)
            raise

    def _pause(self, reason: str, now: datetime) -> None:
        """Credentials rejected while settling: pause as a rejected post would."""
        with session_scope(self.engine) as session:
            self._record_pause(session, reason, now)
        log.error("credentials rejected by %s: %s; channel paused", self.channel.name, reason)

    def _record_pause(self, session: Session, reason: str, now: datetime) -> None:
        state = channel_state(session=session, channel=self.channel.name)
        state.paused_reason = reason
        state.paused_at = now
        state.credentials_fingerprint = self.credentials_fingerprint
        state.updated_at = now
        session.add(state)

    # --- posting ------------------------------------------------------------------------------

    def post(self, entry_id: int, now: datetime) -> Outcome:
        """Publish one entry now (the caller decided it is due). Raises ChannelPaused."""
        self.check_paused()
        waiting = self.rate_limited_until(now)
        if waiting is not None:
            return self._emit(Outcome(entry_id, "waiting", f"rate limited until {waiting}"))
        with session_scope(self.engine) as session:
            entry = session.get(Entry, entry_id)
            if entry is None:
                return self._emit(Outcome(entry_id, "skipped", "entry no longer exists"))
            if entry.status not in (EntryStatus.QUEUED, EntryStatus.POSTING):
                return self._emit(Outcome(entry_id, "skipped", f"entry is {entry.status}"))
            unknown = self._unknown_post_id(session, entry_id)
        if unknown is not None:
            try:
                settled = self.settler.settle_entry(entry_id, unknown, now)
            except ChannelPaused as paused:
                self._pause(str(paused), now)
                raise
            if settled.result != "retry":
                return settled
            with session_scope(self.engine) as session:
                if self._unknown_post_id(session, entry_id) is not None:
                    return settled  # too soon to tell: not posted again before it is known
        with session_scope(self.engine) as session:
            entry = session.get(Entry, entry_id)
            assert entry is not None
            draft = self._compose(entry)
            composed = entry.updated_at
        try:
            media = self._media(draft) if self.load_images and not self.dry_run else ()
        except ValueError as exc:  # ImageError: missing file, too large, refused host, timeout
            transient = bool(getattr(exc, "transient", False))
            return self._fail_before_sending(entry_id, draft.text, now, str(exc), transient)
        try:
            with session_scope(self.engine) as session:
                # Row lock (PostgreSQL): no `edit` can commit between this check and the claim.
                entry = session.get(Entry, entry_id, with_for_update=True)
                if entry is None:
                    return self._emit(Outcome(entry_id, "skipped", "entry no longer exists"))
                edited = entry.updated_at != composed
                if not edited:
                    post, attempt = begin_attempt(
                        session=session,
                        entry=entry,
                        channel=self.channel.name,
                        text=draft.text,
                        now=now,
                    )
                    post_id, attempt_id = post.id, attempt.id
        except QueueError as exc:  # claimed by another process in the meantime
            return self._emit(Outcome(entry_id, "skipped", str(exc)))
        if edited:
            # `edit` ran while the images loaded: post the edited entry, not the old text.
            log.info("entry %s was edited meanwhile: composing it again", entry_id)
            return self.post(entry_id, now)
        log.info(
            "posting entry %s on %s (%d/%d characters)",
            entry_id,
            self.channel.name,
            draft.weighted_length,
            draft.limit,
        )
        try:
            published = self.channel.publish(Publication(draft.text, media))
        except ChannelError as error:
            return self._handle_error(entry_id, post_id, attempt_id, draft.text, error, now)
        assert post_id is not None and attempt_id is not None
        record_published(self.engine, entry_id, post_id, attempt_id, published, now, "posted")
        log.info("posted entry %s: %s", entry_id, published.remote_url)
        return self._emit(Outcome(entry_id, "posted", "", published.remote_url))

    def _compose(self, entry: Entry) -> Draft:
        from bot.text.compose import ComposeInput, ImageSpec, compose

        return compose(
            ComposeInput(
                url=entry.url,
                comment=entry.comment,
                title=entry.title,
                kind=entry.kind,
                images=tuple(
                    ImageSpec(i.get("source", ""), i.get("alt", "")) for i in entry.images
                ),
            ),
            self.compose_settings,
        )

    def _media(self, draft: Draft) -> tuple[MediaItem, ...]:
        from contextlib import nullcontext

        from bot.images.load import is_remote, load_image

        items = []
        if not draft.images:
            return ()
        import httpx

        # Only for remote images: each new client loads the CA bundle (~40 ms, most of a post).
        remote = any(is_remote(spec.source) for spec in draft.images)
        with (
            httpx.Client(timeout=self.image_policy.timeout, follow_redirects=False)
            if remote
            else nullcontext()
        ) as client:
            for spec in draft.images:
                image = load_image(
                    spec.source,
                    base_dir=self.image_base_dir,
                    policy=self.image_policy,
                    client=client,
                )
                items.append(MediaItem(image.data, image.mime_type, spec.alt))
        return tuple(items)

    def _unknown_post_id(self, session: Session, entry_id: int) -> int | None:
        from sqlmodel import select

        post = session.exec(
            select(Post).where(
                Post.entry_id == entry_id,
                Post.channel == self.channel.name,
                Post.status == PostStatus.POSTING.value,
            )
        ).first()
        return None if post is None else post.id

    def _fail_before_sending(
        self, entry_id: int, text: str, now: datetime, reason: str, transient: bool
    ) -> Outcome:
        """An image could not be prepared: retry later if that may pass, else fail the entry."""
        with session_scope(self.engine) as session:
            entry = session.get(Entry, entry_id)
            assert entry is not None
            post, attempt = begin_attempt(
                session=session, entry=entry, channel=self.channel.name, text=text, now=now
            )
            give_up = not transient or entry.attempts >= self.retry.max_attempts
            retry_at = None if give_up else now + self.retry.delay(entry_id, entry.attempts)
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
        if give_up:
            log.warning("failed entry %s: %s", entry_id, reason)
            return self._emit(Outcome(entry_id, "failed", reason))
        log.warning("retry entry %s at %s: %s", entry_id, retry_at, reason)
        return self._emit(Outcome(entry_id, "retry", reason))

    def _handle_error(
        self,
        entry_id: int,
        post_id: int | None,
        attempt_id: int | None,
        text: str,
        error: ChannelError,
        now: datetime,
    ) -> Outcome:
        assert post_id is not None and attempt_id is not None
        maybe_posted = error.maybe_posted and error.kind is ErrorKind.TRANSIENT
        if error.kind is ErrorKind.DUPLICATE or maybe_posted:
            looked = self.settler.after_error(entry_id, post_id, attempt_id, text, error, now)
            if looked is not None:
                return looked
        with session_scope(self.engine) as session:
            entry, post = load_pair(session, entry_id, post_id)
            attempt = session.get(Attempt, attempt_id)
            assert attempt is not None
            kind = error.kind

            def fail(
                text: str,
                *,
                retry_at: datetime | None = None,
                permanent: bool = False,
                refund: bool = False,
            ) -> None:
                record_failure(
                    session=session,
                    entry=entry,
                    post=post,
                    attempt=attempt,
                    outcome=kind.value,
                    error=text,
                    now=now,
                    http_status=error.status_code,
                    retry_at=retry_at,
                    permanent=permanent,
                    refund_attempt=refund,
                )

            if kind is ErrorKind.RATE_LIMITED:
                until = error.retry_at or now + timedelta(minutes=15)
                state = channel_state(session=session, channel=self.channel.name)
                state.rate_limited_until = until
                state.updated_at = now
                session.add(state)
                fail(error.message, retry_at=until, refund=True)
                log.warning(
                    "rate limited by %s until %s; entry %s waits",
                    self.channel.name,
                    until.isoformat(),
                    entry_id,
                )
                return self._emit(Outcome(entry_id, "waiting", f"rate limited until {until}"))
            if kind is ErrorKind.AUTH:
                self._record_pause(session, error.message, now)
                fail(error.message, refund=True)
                log.error(
                    "credentials rejected by %s: %s; channel paused",
                    self.channel.name,
                    error.message,
                )
            elif kind in (ErrorKind.INVALID, ErrorKind.DUPLICATE):
                message = error.message
                if kind is ErrorKind.DUPLICATE:
                    message = (
                        f"{error.message} (no matching post on the timeline; edit the "
                        "comment and `paperbot retry` it)"
                    )
                fail(message, permanent=True)
                log.warning("failed entry %s: %s", entry_id, message)
                return self._emit(Outcome(entry_id, "failed", message))
            else:
                if entry.attempts >= self.retry.max_attempts:
                    message = f"gave up after {entry.attempts} attempts: {error.message}"
                    fail(message, permanent=True)
                    log.warning("failed entry %s: %s", entry_id, message)
                    return self._emit(Outcome(entry_id, "failed", message))
                retry_at = now + self.retry.delay(entry_id, entry.attempts)
                fail(error.message, retry_at=retry_at)
                log.warning(
                    "retry entry %s at %s: %s", entry_id, retry_at.isoformat(), error.message
                )
                return self._emit(Outcome(entry_id, "retry", error.message))
        raise ChannelPaused(error.message)

    def _emit(self, outcome: Outcome) -> Outcome:
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome
