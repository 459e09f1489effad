"""One publishing step on one channel: settle what a crash left unknown, then post one entry.

The order of writes is what makes paperbot safe to kill at any moment:
1. the post is claimed (`posting`, with its request key) and committed BEFORE the channel is
   called;
2. the channel is called (with that key, on channels that take one);
3. the outcome is committed right after.
A process killed between 1 and 3 leaves a `posting` post. Before it is tried again, settling
(bot/posting/settling.py, bot/posting/settle_keyed.py) finds out whether it went out: by its
key (Bluesky's record, Mastodon's Idempotency-Key) or from the account's timeline (X). Found
means posted, not found means it is safe to send again, and when nobody can tell the post waits
for the operator's decision. So every interleaving ends with one post per entry and channel.
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
    KeyedChannel,
    MediaItem,
    Publication,
)
from bot.posting.attempts import record_published
from bot.posting.budget import check_x_budget
from bot.posting.failures import Failures
from bot.posting.gate import ChannelGate
from bot.posting.outcome import ChannelPaused, Outcome, RetryPolicy
from bot.posting.settle_keyed import KeyedSettler
from bot.posting.settling import Settler
from bot.posting.x_costs import XCostPolicy, compose_x
from bot.posting.x_ledger import billing_to
from bot.store.engine import session_scope
from bot.store.models import Entry, EntryStatus, Post, PostStatus
from bot.store.post_state import begin_attempt
from bot.store.queue import DRY_RUN_CHANNEL, QueueError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from bot.images.types import ImagePolicy
    from bot.text.compose import ComposeSettings
    from bot.text.per_channel import ChannelDraft

log = logging.getLogger("paperbot")


@dataclass
class Worker:
    """Publishes entries on one channel. Collaborators are given, never built here."""

    engine: Engine
    channel: Channel | KeyedChannel
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
    # Passed to bot.text.per_channel.compose_for (a Mastodon instance's limits).
    compose_options: dict[str, int] = field(default_factory=dict)
    # X's prices, monthly budget and citation style (bot/posting/x_costs.py); None: defaults.
    x_costs: XCostPolicy | None = None

    @property
    def dry_run(self) -> bool:
        return self.channel.name == DRY_RUN_CHANNEL

    @property
    def gate(self) -> ChannelGate:
        return ChannelGate(self.engine, self.channel.name, self.credentials_fingerprint)

    def check_paused(self) -> None:
        """Raise ChannelPaused while the channel's credentials stand rejected."""
        self.gate.check_paused()

    def rate_limited_until(self, now: datetime) -> datetime | None:
        return self.gate.rate_limited_until(now)

    @property
    def settler(self) -> Settler:
        if isinstance(self.channel, KeyedChannel):
            # No grace: a lost request that lands late cannot make a second post, since the
            # retry carries the same key (see bot/posting/settle_keyed.py).
            return KeyedSettler(self.engine, self.channel, self.retry, timedelta(0), self._emit)
        return Settler(self.engine, self.channel, self.retry, self.settle_grace, self._emit)

    @property
    def failures(self) -> Failures:
        return Failures(self.engine, self.gate, self.retry, self._emit)

    def settle(self, now: datetime) -> list[Outcome]:
        """Resolve every post a crash or a dropped connection left `posting`."""
        if self.dry_run:
            return []
        try:
            return self.settler.settle_all(now)
        except ChannelPaused as paused:
            self.gate.pause(str(paused), now)
            raise

    # --- posting ------------------------------------------------------------------------------

    def post(self, entry_id: int, now: datetime) -> Outcome:
        """Publish one entry now (the caller decided it is due). Raises ChannelPaused."""
        self.check_paused()
        waiting = self.rate_limited_until(now)
        if waiting is not None:
            return self._emit(Outcome(entry_id, "waiting", f"rate limited until {waiting}"))
        blocked = self._settle_first(entry_id, now)
        if blocked is not None:
            return blocked
        with session_scope(self.engine) as session:
            entry = session.get(Entry, entry_id)
            assert entry is not None
            draft = self._compose(entry)
            composed = entry.updated_at
        held = check_x_budget(self.engine, self.x_costs, self.channel.name, entry_id, draft, now)
        if held is not None:  # the month's X budget cannot pay for it: it waits, queued
            return self._emit(Outcome(entry_id, "held", held))
        try:
            media = self._media(draft) if self.load_images and not self.dry_run else ()
        except ValueError as exc:  # ImageError: missing file, too large, refused host, timeout
            transient = bool(getattr(exc, "transient", False))
            return self.failures.before_sending(entry_id, draft.composed, now, str(exc), transient)
        claimed = self._claim(entry_id, draft, composed, now)
        if isinstance(claimed, Outcome):
            return claimed
        if claimed is None:
            # `edit` ran while the images loaded: post the edited entry, not the old text.
            log.info("entry %s was edited meanwhile: composing it again", entry_id)
            return self.post(entry_id, now)
        return self._send(entry_id, claimed, draft, media, now)

    def _settle_first(self, entry_id: int, now: datetime) -> Outcome | None:
        """An outcome that stops this attempt (not due, unknown post still unsettled), or None."""
        with session_scope(self.engine) as session:
            entry = session.get(Entry, entry_id)
            if entry is None:
                return self._emit(Outcome(entry_id, "skipped", "entry no longer exists"))
            if entry.status not in (EntryStatus.QUEUED, EntryStatus.POSTING):
                return self._emit(Outcome(entry_id, "skipped", f"entry is {entry.status}"))
            unknown = self._unknown_post_id(session, entry_id)
        if unknown is None:
            return None
        try:
            settled = self.settler.settle_entry(entry_id, unknown, now)
        except ChannelPaused as paused:
            self.gate.pause(str(paused), now)
            raise
        if settled.result != "retry":
            return settled
        with session_scope(self.engine) as session:
            if self._unknown_post_id(session, entry_id) is not None:
                return settled  # too soon to tell: not posted again before it is known
        return None

    def _claim(
        self, entry_id: int, draft: ChannelDraft, composed: datetime, now: datetime
    ) -> tuple[int, int, str | None] | Outcome | None:
        """(post id, attempt id, request key) committed before the send; None if edited."""
        keyed = self.channel if isinstance(self.channel, KeyedChannel) else None
        try:
            with session_scope(self.engine) as session:
                # Row lock (PostgreSQL): no `edit` can commit between this check and the claim.
                entry = session.get(Entry, entry_id, with_for_update=True)
                if entry is None:
                    return self._emit(Outcome(entry_id, "skipped", "entry no longer exists"))
                if entry.updated_at != composed:
                    return None
                post, attempt = begin_attempt(
                    session=session,
                    entry=entry,
                    channel=self.channel.name,
                    text=draft.composed,
                    now=now,
                    request_key=keyed.new_request_key() if keyed is not None else None,
                )
                assert post.id is not None and attempt.id is not None
                return post.id, attempt.id, post.request_key
        except QueueError as exc:  # claimed by another process in the meantime
            return self._emit(Outcome(entry_id, "skipped", str(exc)))

    def _send(
        self,
        entry_id: int,
        claimed: tuple[int, int, str | None],
        draft: ChannelDraft,
        media: tuple[MediaItem, ...],
        now: datetime,
    ) -> Outcome:
        post_id, attempt_id, key = claimed
        log.info(
            "posting entry %s on %s (%d/%d %s)",
            entry_id,
            self.channel.name,
            draft.length,
            draft.limit,
            draft.unit,
        )
        publication = Publication(draft.composed, media)
        try:
            with billing_to(self.engine, self.channel, post_id, now):
                if isinstance(self.channel, KeyedChannel):
                    assert key is not None
                    published = self.channel.publish(publication, request_key=key)
                else:
                    published = self.channel.publish(publication)
        except ChannelError as error:
            maybe_posted = error.maybe_posted and error.kind is ErrorKind.TRANSIENT
            if error.kind is ErrorKind.DUPLICATE or maybe_posted:
                looked = self.settler.after_error(
                    entry_id, post_id, attempt_id, draft.composed, error, now
                )
                if looked is not None:
                    return looked
            return self.failures.after_publish(entry_id, post_id, attempt_id, error, now)
        record_published(self.engine, entry_id, post_id, attempt_id, published, now, "posted")
        log.info("posted entry %s: %s (%s)", entry_id, published.remote_url, self.channel.name)
        return self._emit(Outcome(entry_id, "posted", "", published.remote_url))

    def _compose(self, entry: Entry) -> ChannelDraft:
        from bot.text.compose import ComposeInput, ImageSpec
        from bot.text.per_channel import compose_for

        source = ComposeInput(
            url=entry.url,
            comment=entry.comment,
            title=entry.title,
            kind=entry.kind,
            images=tuple(ImageSpec(i.get("source", ""), i.get("alt", "")) for i in entry.images),
        )
        if self.x_costs is not None and self.channel.name in ("x", DRY_RUN_CHANNEL):
            return compose_x(
                source,
                self.compose_settings,
                arxiv_id=entry.arxiv_id,
                link_style=self.x_costs.link_style,
                channel=self.channel.name,
            )
        return compose_for(self.channel.name, source, self.compose_settings, **self.compose_options)

    def _media(self, draft: ChannelDraft) -> tuple[MediaItem, ...]:
        from contextlib import nullcontext

        from bot.images.load import is_remote, load_image

        if not draft.images:
            return ()
        import httpx

        # Only for remote images: each new client loads the CA bundle (~40 ms, most of a post).
        remote = any(is_remote(spec.source) for spec in draft.images)
        items = []
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

    def _emit(self, outcome: Outcome) -> Outcome:
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome
