"""Settling a lost answer on a channel that takes a request key (Bluesky, Mastodon).

The post's key was committed before its first send (bot/store/post_state.py), so the platform
itself can say whether the post exists: Bluesky's getRecord for the record key answers at once;
Mastodon answers a repeated Idempotency-Key with the status it made, for an hour, and after
that the account's own statuses are searched (``find_published``). Found means posted; not
found means sending again, with the same key, is safe. No waiting for a timeline to catch up,
so unlike X (bot/posting/settling.py) there is no grace period.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.channels.base import ChannelError, KeyedChannel, MediaItem, Publication
from bot.posting.attempts import load_pair
from bot.posting.outcome import Outcome
from bot.posting.settling import Settler
from bot.store.engine import session_scope
from bot.store.models import Post

log = logging.getLogger("paperbot")

# The instance stamps `created_at` with its own clock: look a little before our first send.
CLOCK_MARGIN = timedelta(minutes=10)


class KeyedSettler(Settler):
    """Settler whose lookups go by the post's request key (same decisions, other evidence)."""

    def _settle_one(self, entry_id: int, post_id: int, now: datetime) -> Outcome:
        channel = self.channel
        assert isinstance(channel, KeyedChannel)
        with session_scope(self.engine) as session:
            entry, post = load_pair(session, entry_id, post_id)
            key, first_sent = post.request_key, post.created_at
            publication = _publication_of(post, len(entry.images))
            give_up = post.attempts >= self.retry.max_attempts
        if key is None:  # a post from before keys were kept: only its text can find it
            return super()._settle_one(entry_id, post_id, now)
        memory = channel.key_memory
        if memory is not None and now < first_sent + memory and not give_up:
            # The platform still knows the key: the next send returns the post if it exists.
            found, where = None, "the key is still remembered: sent again with it"
        else:
            found = channel.find_published(key, publication, first_sent - CLOCK_MARGIN)
            where = f"found by its key on {channel.name}"
        with session_scope(self.engine) as session:
            entry, post = load_pair(session, entry_id, post_id)
            return self.conclude(session, entry, post, found, now, where)

    def after_error(
        self,
        entry_id: int,
        post_id: int,
        attempt_id: int,
        text: str,
        error: ChannelError,
        now: datetime,
    ) -> Outcome | None:
        """A lost answer: the post stays unknown until settled by its key before the retry."""
        if not error.maybe_posted:
            return None
        return self._keep_unknown(entry_id, post_id, attempt_id, error, now)


def _publication_of(post: Post, images: int) -> Publication:
    """What was sent, as far as ``find_published`` compares it: the text and the image count."""
    placeholder = MediaItem(b"", "application/octet-stream", "")
    return Publication(post.text, (placeholder,) * min(images, 4))
