"""How an entry's status sums up its posts, one per targeted channel (DESIGN.md "Status").

Pure, so a table of cases pins it down (tests/test_entry_status.py); bot/store/queue.py calls it
wherever a post changes, so the entry a listing shows never disagrees with its posts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["sum_up"]

_DONE = frozenset(("posted", "failed"))


def sum_up(channels: Sequence[str], post_statuses: Mapping[str, str]) -> str:
    """The entry's status from its channels' post statuses (a channel with no post: queued).

    `posted` once every targeted channel has posted; `failed` once one failed for good and the
    others are done; `posting` while any publish may be under way or awaits a decision;
    otherwise `queued` (a `retrying` post waits in the queue like a new one).
    """
    states = [_state(post_statuses.get(channel)) for channel in channels]
    if not states:
        return "queued"
    if all(state == "posted" for state in states):
        return "posted"
    if "posting" in states:
        return "posting"
    if "failed" in states and all(state in _DONE for state in states):
        return "failed"
    return "queued"


def _state(post_status: str | None) -> str:
    if post_status in ("posted", "failed", "posting"):
        return post_status
    return "queued"
