"""What a lost answer means: the one place that decides whether a post whose outcome we never
heard went out.

A publish request can end without an answer (connection dropped, timeout, 5xx, the process
killed mid-request). Before anything is sent again, the account's recent posts are read and
matched against the text (bot.channels.base.texts_match): found means posted, with the remote
id; not found, once the request can no longer land (the settle grace), means it is safe to send
again. When the account's posts cannot be read at all (X error 453: the app's access level is
write-only) or the reads keep failing, nobody can tell, so the post waits for the operator
(bot/posting/decisions.py) and the rest of the queue goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.channels.base import (
    ChannelError,
    ErrorKind,
    Published,
    texts_match,
)
from bot.posting.attempts import (
    close_interrupted,
    load_pair,
    mark_posted,
    open_attempt,
    record_published,
)
from bot.posting.outcome import ChannelPaused, Outcome
from bot.posting.settle_waits import SettleWaits
from bot.posting.settle_window import lookup_window, sent_at
from bot.posting.x_ledger import billing_to, book_found_create, record_found_create
from bot.store.engine import session_scope
from bot.store.models import Entry, Post, PostStatus
from bot.store.post_state import record_failure, sum_up_entry, unsettled_posts

if TYPE_CHECKING:
    from sqlmodel import Session

log = logging.getLogger("paperbot")


@dataclass
class Settler(SettleWaits):
    """Settles one channel's unknown outcomes. ``emit`` reports each outcome (and returns it)."""

    # --- entry points ---------------------------------------------------------------------

    def settle_all(self, now: datetime) -> list[Outcome]:
        """Every post a crash or a lost answer left `posting` (not those awaiting a decision).

        Raises ChannelPaused for rejected credentials, and ChannelError when the timeline
        cannot be read for now (each entry looks again on its own turn, with backoff).
        """
        with session_scope(self.engine) as session:
            pending = [
                (e.id, p.id) for e, p in unsettled_posts(session=session, channel=self.channel.name)
            ]
        outcomes: list[Outcome] = []
        refused: ChannelError | None = None
        for entry_id, post_id in pending:
            assert entry_id is not None and post_id is not None
            if refused is not None:  # no access now means no access for the next one either
                outcomes.append(self._await_decision(entry_id, post_id, refused, now))
                continue
            try:
                outcomes.append(self._settle_one(entry_id, post_id, now))
            except ChannelError as error:
                if error.kind is ErrorKind.AUTH:
                    raise ChannelPaused(error.message) from None
                if error.kind is not ErrorKind.READ_REFUSED:
                    raise
                refused = error
                outcomes.append(self._await_decision(entry_id, post_id, error, now))
        return outcomes

    def settle_entry(self, entry_id: int, post_id: int, now: datetime) -> Outcome:
        """Settle the entry's unknown post before it is tried again (raises ChannelPaused)."""
        with session_scope(self.engine) as session:
            post = session.get(Post, post_id)
            assert post is not None
            waiting = post.decision_needed_at is not None
            message = post.last_error or ""
        if waiting:
            return self.emit(Outcome(entry_id, "needs-decision", message))
        try:
            return self._settle_one(entry_id, post_id, now)
        except ChannelError as error:
            if error.kind is ErrorKind.AUTH:
                raise ChannelPaused(error.message) from None
            if error.kind is ErrorKind.READ_REFUSED:
                return self._await_decision(entry_id, post_id, error, now)
            return self._lookup_failed(entry_id, post_id, error, now)

    def after_error(
        self,
        entry_id: int,
        post_id: int,
        attempt_id: int,
        text: str,
        error: ChannelError,
        now: datetime,
    ) -> Outcome | None:
        """A publish error that may hide a post (maybe posted, or a duplicate): look for it.

        Returns None when the error stands as it is (a duplicate of a post that is not ours).
        """
        maybe_posted = error.maybe_posted and error.kind is ErrorKind.TRANSIENT
        lookup: ChannelError | None = None
        try:
            since, until = lookup_window(now, self.settle_grace, now)
            match = self.find_on_timeline(text, since, until, post_id=post_id, now=now)
        except ChannelError as failed:
            match, lookup = None, failed
            log.warning("could not read the timeline to settle entry %s: %s", entry_id, failed)
        if match is not None:
            record_found_create(self.engine, self.channel, post_id, match.remote_id, now)
            record_published(self.engine, entry_id, post_id, attempt_id, match, now, "settled")
            log.info(
                "settled entry %s from the timeline after %s: %s",
                entry_id,
                error.kind.value,
                match.remote_url,
            )
            return self.emit(Outcome(entry_id, "settled", error.message, match.remote_url))
        if lookup is not None and lookup.kind is ErrorKind.READ_REFUSED:
            self._close_attempt(attempt_id, error, now)
            return self._await_decision(entry_id, post_id, lookup, now)
        if maybe_posted or lookup is not None:
            # Not visible yet is not proof of absence: look again before the retry.
            return self._keep_unknown(entry_id, post_id, attempt_id, error, now)
        return None

    def find_on_timeline(
        self,
        text: str,
        since: datetime,
        until: datetime | None = None,
        *,
        post_id: int | None = None,
        now: datetime | None = None,
    ) -> Published | None:
        """The remote post with this text, if the account has one (raises ChannelError).

        What the read is billed goes into the ledger for `post_id` (bot/posting/x_ledger.py).

        Entries may share a sentence and differ only by their link: a remote post already
        recorded for another entry is never taken for this one.
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
        with billing_to(self.engine, self.channel, post_id, now or since):
            recent = self.channel.recent_posts(since, until)
        for remote in recent:
            if remote.remote_id not in claimed and texts_match(text, remote.text):
                return Published(remote.remote_id, remote.remote_url, (), remote.created_at)
        return None

    # --- the decisions --------------------------------------------------------------------

    def _settle_one(self, entry_id: int, post_id: int, now: datetime) -> Outcome:
        with session_scope(self.engine) as session:
            post = session.get(Post, post_id)
            assert post is not None
            since, until = lookup_window(
                sent_at(session, post_id, post.updated_at), self.settle_grace, now
            )
            text = post.text
        match = self.find_on_timeline(text, since, until, post_id=post_id, now=now)
        with session_scope(self.engine) as session:
            entry, post = load_pair(session, entry_id, post_id)
            ready = post.updated_at + self.settle_grace
            give_up = post.attempts >= self.retry.max_attempts
            if match is None and not give_up and now < ready:
                # The lost request may still be on its way (X slow, or the process killed
                # mid-request): posting again now could post twice. Look again at `ready`.
                post.next_attempt_at = ready
                session.add(post)
                sum_up_entry(session=session, entry=entry, now=now)
                log.info(
                    "entry %s is not on the timeline yet; it is looked for again at %s",
                    entry_id,
                    ready.isoformat(timespec="seconds"),
                )
                return self.emit(
                    Outcome(
                        entry_id,
                        "retry",
                        f"outcome unknown: not on the timeline yet, looked for again at {ready}",
                    )
                )
            return self.conclude(session, entry, post, match, now, "found on the timeline")

    def conclude(
        self,
        session: Session,
        entry: Entry,
        post: Post,
        match: Published | None,
        now: datetime,
        where: str,
    ) -> Outcome:
        """The lookup answered: posted (`match`), or not, and then retry or give up."""
        assert entry.id is not None
        close_interrupted(session, post, now)
        attempt = open_attempt(session, post, now, outcome="settle")
        if match is not None:
            book_found_create(session, self.channel, post, match.remote_id, now)
            found = Published(
                match.remote_id, match.remote_url, tuple(post.media_ids), match.posted_at
            )
            mark_posted(session, entry, post, attempt, found, now, "settled")
            log.info(
                "settled: entry %s was posted before the interruption: %s (%s)",
                entry.id,
                match.remote_url,
                post.channel,
            )
            return self.emit(Outcome(entry.id, "settled", where, match.remote_url))
        if post.attempts >= self.retry.max_attempts:
            # Known not posted and out of attempts: without this, a create that keeps
            # answering 5xx (maybe posted, so never counted as failed) retries forever.
            message = (
                f"gave up after {post.attempts} attempts: "
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
            log.warning("failed entry %s on %s: %s", entry.id, post.channel, message)
            return self.emit(Outcome(entry.id, "failed", message))
        # Not there: the earlier attempt never landed, so trying again is safe.
        post.status = PostStatus.RETRYING.value
        post.next_attempt_at = None
        attempt.outcome = "settled-not-posted"
        attempt.finished_at = now
        session.add_all([post, attempt])
        sum_up_entry(session=session, entry=entry, now=now)
        log.info("settled: entry %s was not posted (%s); it stays queued", entry.id, post.channel)
        return self.emit(Outcome(entry.id, "retry", "not found on the timeline"))
