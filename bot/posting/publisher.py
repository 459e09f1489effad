"""One publishing step on one channel: look up what may be out, then post one entry.

Safe to kill at any moment: the post is claimed (`posting`, with its request key) and committed
BEFORE the channel is called, and the answer is committed right after; a process killed in
between leaves a `posting` post, whose outcome is unknown. Every answer, of a send or of a
lookup (bot/posting/lookups.py), goes once through bot/posting/lifecycle.py (what follows) and
bot/posting/recording.py (one transaction). After any answer that may hide a post, nothing is
sent for that entry on the channel until a lookup said the post is not there; when no lookup
can tell, the post waits for a decision and is looked up again by itself now and then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from bot.channels.base import Channel, ChannelError, KeyedChannel, Publication
from bot.posting.budget import check_x_budget
from bot.posting.drafting import change_since, draft_entry, publication_of
from bot.posting.gate import ChannelGate
from bot.posting.lifecycle import Answer, Event, Phase, Step
from bot.posting.lookups import Lookup, look_up_post, send_event
from bot.posting.outcome import ChannelPaused, Outcome, RetryPolicy, Slot
from bot.posting.recording import Recorder, log_step, lookups_due, next_relook
from bot.posting.staged import MediaShelf, publish_with
from bot.posting.x_costs import XCostPolicy
from bot.posting.x_ledger import billing_to
from bot.store.engine import session_scope
from bot.store.ledger import give_staged_charges
from bot.store.models import Entry, EntryStatus, PostStatus
from bot.store.post_state import begin_attempt, channel_post
from bot.store.queue import DRY_RUN_CHANNEL, QueueError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

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
    # How long a request whose answer was lost may still land: until then absence proves nothing.
    settle_grace: timedelta = timedelta(seconds=60)
    # Passed to bot.text.per_channel.compose_for (a Mastodon instance's limits).
    compose_options: dict[str, int] = field(default_factory=dict)
    # X's prices, monthly budget and citation style (bot/posting/x_costs.py); None: defaults.
    x_costs: XCostPolicy | None = None
    # Images the daemon uploaded ahead of their slot (bot/posting/staged.py); None: never.
    shelf: MediaShelf | None = None

    @property
    def dry_run(self) -> bool:
        return self.channel.name == DRY_RUN_CHANNEL

    @property
    def gate(self) -> ChannelGate:
        return ChannelGate(self.engine, self.channel.name, self.credentials_fingerprint)

    def check_paused(self) -> None:  # ChannelPaused while the credentials stand rejected
        self.gate.check_paused()

    def rate_limited_until(self, now: datetime) -> datetime | None:
        return self.gate.rate_limited_until(now)

    @property
    def grace(self) -> timedelta:
        """None where a late request cannot post twice (a Bluesky record key exists once)."""
        if isinstance(self.channel, KeyedChannel) and self.channel.repeat_is_harmless:
            return timedelta(0)
        return self.settle_grace

    @property
    def recorder(self) -> Recorder:
        return Recorder(self.engine, self.gate, self.retry, self.grace)

    def next_relook(self) -> datetime | None:  # when a decision is due for another look
        return None if self.dry_run else next_relook(self.engine, self.channel.name)

    def settle(self, now: datetime) -> list[Outcome]:
        """Look up every post here whose lookup is due: outcomes a crash or a lost answer left
        unknown, and decisions due for another look. Raises ChannelPaused."""
        if self.dry_run:
            return []
        self.check_paused()
        with session_scope(self.engine, write=False) as session:
            due = lookups_due(session, self.channel.name, now)
        outcomes: list[Outcome] = []
        cannot_look: Lookup | None = None
        for entry_id, post_id in due:
            # No access now means no access for the next one either: not asked again.
            outcome, _, lookup = self._look(entry_id, post_id, now, known=cannot_look)
            outcomes.append(outcome)
            if lookup.event.answer is Answer.CANNOT_LOOK:
                cannot_look = lookup
        return outcomes

    # --- posting ------------------------------------------------------------------------------

    def post(self, entry_id: int, now: datetime, *, at: Slot | None = None) -> Outcome:
        """Publish one entry now (the caller decided it is due), or prepared now and sent at
        ``at`` (the daemon's tick comes early so the slot costs only the send). Raises
        ChannelPaused."""
        self.check_paused()
        waiting = self.rate_limited_until(now)
        if waiting is not None:
            return self._emit(Outcome(entry_id, "waiting", f"rate limited until {waiting}"))
        blocked = self._look_first(entry_id, now)
        if blocked is not None:
            return blocked
        draft, composed = draft_entry(self, entry_id)
        ready = self.shelf.take(entry_id, draft, now) if self.shelf is not None else None
        staged, card = (ready.media, ready.card) if ready is not None else (None, None)
        paid = staged is not None  # the alt texts were billed when staged
        held = check_x_budget(
            self.engine, self.x_costs, self.channel.name, entry_id, draft, now, paid
        )
        if held is not None:  # the month's X budget cannot pay for it: it waits, queued
            return self._emit(Outcome(entry_id, "held", held))
        fetch = self.load_images and not self.dry_run and staged is None
        load = partial(publication_of, draft, self.image_policy, self.image_base_dir)
        try:
            publication = load(fetch=fetch, card=card)
            publication = replace(publication, staged=staged) if staged else publication
        except ValueError as exc:  # ImageError: missing file, too large, refused host, timeout
            return self._image_failed(entry_id, draft.composed, now, exc)
        now = at.wait() if at is not None else now
        claimed = self._claim(entry_id, draft, composed, now)
        if isinstance(claimed, Outcome):
            return claimed
        if claimed is None:  # `edit` ran meanwhile: post the edited entry, not the old text
            log.info("entry %s was edited meanwhile: composing it again", entry_id)
            return self.post(entry_id, now)
        return self._send(entry_id, claimed, draft, publication, now)

    def _look_first(self, entry_id: int, now: datetime) -> Outcome | None:
        """An outcome that stops this attempt (not due, a post that may be out and is not
        yet known not to be), or None: go on and send."""
        with session_scope(self.engine, write=False) as session:
            entry = session.get(Entry, entry_id)
            if entry is None:
                return self._emit(Outcome(entry_id, "skipped", "entry no longer exists"))
            if entry.status not in (EntryStatus.QUEUED, EntryStatus.POSTING):
                return self._emit(Outcome(entry_id, "skipped", f"entry is {entry.status}"))
            if self.dry_run:
                return None
            post = channel_post(session, entry_id, self.channel.name)
            if post is None or post.status != PostStatus.POSTING:
                return None
            assert post.id is not None
            post_id, due = post.id, post.next_attempt_at
            if post.decision_needed_at is not None:
                return self._emit(Outcome(entry_id, "needs-decision", post.last_error or ""))
        if due is not None and due > now:
            return self._emit(
                Outcome(entry_id, "retry", f"outcome unknown: looked up again at {due}")
            )
        outcome, step, _ = self._look(entry_id, post_id, now)
        if step.phase is Phase.READY and (step.retry_at is None or step.retry_at <= now):
            return None
        return outcome

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
                change = change_since(self, entry, draft, composed, now)
                if change == "edited":  # compose it again
                    return None
                if change is not None:  # prepared ahead, then moved later: not due now
                    return self._emit(Outcome(entry_id, change, "rescheduled meanwhile"))
                post, attempt = begin_attempt(
                    session=session,
                    entry=entry,
                    channel=self.channel.name,
                    text=draft.composed,
                    now=now,
                    request_key=keyed.new_request_key() if keyed is not None else None,
                )
                assert post.id is not None and attempt.id is not None
                if self.channel.name == "x":  # alt texts billed while staging are this post's
                    give_staged_charges(session, entry_id=entry_id, post_id=post.id)
                return post.id, attempt.id, post.request_key
        except QueueError as exc:  # claimed by another process in the meantime
            return self._emit(Outcome(entry_id, "skipped", str(exc)))

    def _send(
        self,
        entry_id: int,
        claimed: tuple[int, int, str | None],
        draft: ChannelDraft,
        publication: Publication,
        now: datetime,
    ) -> Outcome:
        post_id, attempt_id, key = claimed
        sizes = (draft.length, draft.limit, draft.unit)
        log.info("posting entry %s on %s (%d/%d %s)", entry_id, self.channel.name, *sizes)
        try:
            with billing_to(self.engine, self.channel, post_id, now):
                load = partial(publication_of, draft, self.image_policy, self.image_base_dir)
                published = publish_with(self.channel, publication, key, partial(load, fetch=True))
        except ChannelError as error:
            event = send_event(error)
            step = self.recorder.answer(
                entry_id, post_id, event, now, attempt_id=attempt_id, sending=True
            )
            outcome = self._report(entry_id, event, step, None)
            if step.look_first and step.retry_at is not None and step.retry_at <= now:
                # Look at once: most lost answers are settled here, before anything else.
                return self._look(entry_id, post_id, now, attempt_id=attempt_id)[0]
            return outcome
        step = self.recorder.answer(
            entry_id,
            post_id,
            Event(Answer.POSTED),
            now,
            attempt_id=attempt_id,
            sending=True,
            published=published,
        )
        log.info("posted entry %s: %s (%s)", entry_id, published.remote_url, self.channel.name)
        return self._emit(Outcome(entry_id, "posted", "", published.remote_url))

    def _look(
        self,
        entry_id: int,
        post_id: int,
        now: datetime,
        *,
        attempt_id: int | None = None,
        known: Lookup | None = None,
    ) -> tuple[Outcome, Step, Lookup]:
        """Look the post up (or take ``known``'s answer) and record what follows."""
        lookup = known or look_up_post(
            self.engine, self.channel, (entry_id, post_id), self.grace, now
        )
        found = lookup.event.answer is Answer.FOUND
        step = self.recorder.answer(
            entry_id,
            post_id,
            lookup.event,
            now,
            attempt_id=attempt_id if found else None,
            published=lookup.found,
        )
        return self._report(entry_id, lookup.event, step, lookup.found), step, lookup

    def _image_failed(self, entry_id: int, text: str, now: datetime, exc: Exception) -> Outcome:
        """An image could not be prepared: the post's attempt ends before anything is sent."""
        answer = Answer.TRANSIENT if getattr(exc, "transient", False) else Answer.REFUSED
        event = Event(answer, str(exc), label="image")
        step = self.recorder.before_sending(entry_id, self.channel.name, text, event, now)
        return self._report(entry_id, event, step, None)

    def _report(self, entry_id: int, event: Event, step: Step, found: object | None) -> Outcome:
        """Log the step and report it (raises ChannelPaused for rejected credentials)."""
        url = getattr(found, "remote_url", None)
        log_step(self.channel.name, entry_id, step, url)
        if step.pause:
            raise ChannelPaused(event.message)
        detail = step.message or event.message
        if step.result == "waiting":
            detail = f"rate limited until {step.retry_at}: {detail}"
        return self._emit(Outcome(entry_id, step.result, detail, url))

    def _emit(self, outcome: Outcome) -> Outcome:
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome
