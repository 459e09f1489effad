"""One publishing step: settle what a crash left unknown, then post one entry, record everything.

The order of writes is what makes paperbot safe to kill at any moment:
1. the entry is marked `posting` and committed BEFORE the channel is called;
2. the channel is called;
3. the outcome is committed right after.
A process killed between 1 and 3 leaves a `posting` post. Before that entry is tried again, the
account's recent posts are read and matched against the text: found means posted (with the remote
id), not found means it is safe to try again. So every interleaving ends with one post per entry.
"""

from __future__ import annotations

import hashlib
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
    Published,
    texts_match,
)
from bot.store.engine import session_scope
from bot.store.models import Attempt, Entry, EntryStatus, Post, PostStatus
from bot.store.queue import (
    DRY_RUN_CHANNEL,
    QueueError,
    begin_attempt,
    channel_state,
    record_failure,
    record_posted,
    unsettled_posts,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from bot.images.load import ImagePolicy
    from bot.text.compose import ComposeSettings, Draft

log = logging.getLogger("paperbot")

# How far back to look on the timeline for a post whose outcome we did not see.
SETTLE_LOOKBACK = timedelta(hours=2)


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
    result: str  # posted | settled | retry | failed | waiting | skipped
    detail: str = ""
    remote_url: str | None = None


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

    def settle(self, now: datetime) -> list[Outcome]:
        """Resolve every post a crash or a dropped connection left `posting`."""
        if self.dry_run:
            return []
        with session_scope(self.engine) as session:
            pending = [
                (e.id, p.id) for e, p in unsettled_posts(session=session, channel=self.channel.name)
            ]
        outcomes = []
        for entry_id, post_id in pending:
            assert entry_id is not None and post_id is not None
            outcomes.append(self._settle_one(entry_id, post_id, now))
        return outcomes

    def _settle_one(self, entry_id: int, post_id: int, now: datetime) -> Outcome:
        with session_scope(self.engine) as session:
            post = session.get(Post, post_id)
            assert post is not None
            since = min(post.updated_at, post.created_at) - SETTLE_LOOKBACK
            text = post.text
        match = self._find_on_timeline(text, since)
        with session_scope(self.engine) as session:
            entry, post = self._load(session, entry_id, post_id)
            ready = post.updated_at + self.settle_grace
            give_up = entry.attempts >= self.retry.max_attempts
            if match is None and not give_up and now < ready:
                # The lost request may still be on its way (X slow, or the process killed
                # mid-request): posting again now could post twice. Look again at `ready`.
                entry.next_attempt_at = ready
                session.add(entry)
                log.info(
                    "entry %s is not on the timeline yet; it is looked for again at %s",
                    entry_id,
                    ready.isoformat(timespec="seconds"),
                )
                return self._emit(
                    Outcome(
                        entry_id,
                        "retry",
                        f"outcome unknown: not on the timeline yet, looked for again at {ready}",
                    )
                )
            _close_interrupted(session, post, now)
            attempt = _open_attempt(session, post, now, outcome="settle")
            if match is not None:
                found = Published(
                    match.remote_id, match.remote_url, tuple(post.media_ids), match.posted_at
                )
                _mark_posted(session, entry, post, attempt, found, now, "settled")
                log.info(
                    "settled: entry %s was posted before the interruption: %s",
                    entry_id,
                    match.remote_url,
                )
                return self._emit(
                    Outcome(entry_id, "settled", "found on the timeline", match.remote_url)
                )
            if give_up:
                # Known not posted and out of attempts: without this, a create that keeps
                # answering 5xx (maybe posted, so never counted in _handle_error) retries forever.
                message = (
                    f"gave up after {entry.attempts} attempts: "
                    f"{post.last_error or 'the last attempt was interrupted'}"
                )
                record_failure(
                    session=session,
                    entry=entry,
                    post=post,
                    attempt=attempt,
                    outcome="settled-not-posted",
                    error=message,
                    now=now,
                    permanent=True,
                )
                log.warning("failed entry %s: %s", entry_id, message)
                return self._emit(Outcome(entry_id, "failed", message))
            # Not on the timeline: the earlier attempt never landed, so trying again is safe.
            post.status = PostStatus.RETRYING.value
            attempt.outcome = "settled-not-posted"
            attempt.finished_at = now
            if entry.status == EntryStatus.POSTING:
                entry.status = EntryStatus.QUEUED.value
            session.add_all([post, attempt, entry])
            log.info("settled: entry %s was not posted; it stays queued", entry_id)
            return self._emit(Outcome(entry_id, "retry", "not found on the timeline"))

    def _find_on_timeline(self, text: str, since: datetime) -> Published | None:
        """The remote post with this text, if the account has one (raises ChannelError).

        Links cannot be compared (X shows t.co links), so entries with the same sentence look
        alike: a remote post already recorded for another entry is never taken for this one.
        """
        from sqlmodel import col, select

        with session_scope(self.engine) as session:
            claimed = set(
                session.exec(
                    select(Post.remote_id).where(
                        Post.channel == self.channel.name,
                        col(Post.remote_id).is_not(None),
                        col(Post.updated_at) >= since - timedelta(days=1),
                    )
                ).all()
            )
        for remote in self.channel.recent_posts(since):
            if remote.remote_id not in claimed and texts_match(text, remote.text):
                return Published(remote.remote_id, remote.remote_url, (), remote.created_at)
        return None

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
                settled = self._settle_one(entry_id, unknown, now)
            except ChannelError as error:
                if error.kind is ErrorKind.AUTH:
                    raise ChannelPaused(error.message) from None
                with session_scope(self.engine) as session:
                    # Back off, or the daemon re-reads the timeline in a tight loop while X fails.
                    entry = session.get(Entry, entry_id)
                    assert entry is not None
                    entry.next_attempt_at = error.retry_at or now + self.retry.delay(
                        entry_id, max(1, entry.attempts)
                    )
                    session.add(entry)
                return self._emit(
                    Outcome(entry_id, "retry", f"outcome of the last attempt unknown: {error}")
                )
            if settled.result in ("settled", "failed"):
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
        self._record_published(entry_id, post_id, attempt_id, published, now, "posted")
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
            try:
                match = self._find_on_timeline(text, now - SETTLE_LOOKBACK)
            except ChannelError as lookup:
                match = None
                log.warning(
                    "could not read the timeline to settle entry %s: %s", entry_id, lookup.message
                )
            if match is not None:
                self._record_published(entry_id, post_id, attempt_id, match, now, "settled")
                log.info(
                    "settled entry %s from the timeline after %s: %s",
                    entry_id,
                    error.kind.value,
                    match.remote_url,
                )
                return self._emit(Outcome(entry_id, "settled", error.message, match.remote_url))
            if maybe_posted:
                # Not visible yet is not proof of absence: look again before the retry.
                return self._keep_unknown(entry_id, post_id, attempt_id, error, now)
        with session_scope(self.engine) as session:
            entry, post = self._load(session, entry_id, post_id)
            attempt = _get_attempt(session, attempt_id)
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
                state = channel_state(session=session, channel=self.channel.name)
                state.paused_reason = error.message
                state.paused_at = now
                state.credentials_fingerprint = self.credentials_fingerprint
                state.updated_at = now
                session.add(state)
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

    def _keep_unknown(
        self, entry_id: int, post_id: int, attempt_id: int, error: ChannelError, now: datetime
    ) -> Outcome:
        """Outcome unknown and the timeline unreadable: leave `posting` to settle later."""
        with session_scope(self.engine) as session:
            entry, post = self._load(session, entry_id, post_id)
            attempt = _get_attempt(session, attempt_id)
            attempt.outcome = "unknown"
            attempt.error = error.message
            attempt.http_status = error.status_code
            attempt.finished_at = now
            post.last_error = error.message
            entry.status = EntryStatus.QUEUED.value
            entry.last_error = error.message
            # Not before the grace: the request may still land (see _settle_one).
            entry.next_attempt_at = max(
                now + self.retry.delay(entry_id, entry.attempts),
                post.updated_at + self.settle_grace,
            )
            session.add_all([entry, post, attempt])
            retry_at = entry.next_attempt_at
        log.warning(
            "outcome of entry %s unknown (%s); the timeline is checked again before the "
            "retry at %s",
            entry_id,
            error.message,
            retry_at,
        )
        return self._emit(Outcome(entry_id, "retry", f"outcome unknown: {error.message}"))

    def _record_published(
        self,
        entry_id: int,
        post_id: int,
        attempt_id: int,
        published: Published,
        now: datetime,
        outcome: str,
    ) -> None:
        """The attempt ended with the post on the platform (`posted`, or `settled` from the
        timeline): record the remote id and link, and mark the entry posted."""
        with session_scope(self.engine) as session:
            entry, post = self._load(session, entry_id, post_id)
            attempt = _get_attempt(session, attempt_id)
            _mark_posted(session, entry, post, attempt, published, now, outcome)

    @staticmethod
    def _load(session: Session, entry_id: int, post_id: int) -> tuple[Entry, Post]:
        entry = session.get(Entry, entry_id)
        post = session.get(Post, post_id)
        assert entry is not None and post is not None
        return entry, post

    def _emit(self, outcome: Outcome) -> Outcome:
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome


def _mark_posted(
    session: Session,
    entry: Entry,
    post: Post,
    attempt: Attempt,
    published: Published,
    now: datetime,
    outcome: str,
) -> None:
    record_posted(
        session=session,
        entry=entry,
        post=post,
        attempt=attempt,
        remote_id=published.remote_id,
        remote_url=published.remote_url,
        media_ids=published.media_ids,
        now=published.posted_at or now,
        outcome=outcome,
    )


def _get_attempt(session: Session, attempt_id: int) -> Attempt:
    attempt = session.get(Attempt, attempt_id)
    assert attempt is not None
    return attempt


def _close_interrupted(session: Session, post: Post, now: datetime) -> None:
    """Attempts a killed process left open are closed, so history shows what happened."""
    from sqlmodel import select

    for attempt in session.exec(
        select(Attempt).where(Attempt.post_id == post.id, Attempt.outcome == "started")
    ):
        attempt.outcome = "interrupted"
        attempt.error = "the process stopped before the outcome was known"
        attempt.finished_at = now
        session.add(attempt)


def _open_attempt(session: Session, post: Post, now: datetime, outcome: str) -> Attempt:
    assert post.id is not None
    attempt = Attempt(post_id=post.id, started_at=now, outcome=outcome)
    session.add(attempt)
    session.flush()
    return attempt
