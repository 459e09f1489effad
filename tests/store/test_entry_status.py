"""The entry's status as the sum of its posts (bot/store/entry_status.py), case by case."""

from __future__ import annotations

import pytest

from bot.store.entry_status import sum_up

THREE = ("x", "bluesky", "mastodon")


@pytest.mark.parametrize(
    ("channels", "posts", "expected"),
    [
        (("x",), {}, "queued"),
        (("x",), {"x": "retrying"}, "queued"),
        (("x",), {"x": "posting"}, "posting"),
        (("x",), {"x": "posted"}, "posted"),
        (("x",), {"x": "failed"}, "failed"),
        (THREE, {}, "queued"),
        (THREE, {"x": "posted"}, "queued"),
        (THREE, {"x": "posted", "bluesky": "posted"}, "queued"),
        (THREE, {"x": "posted", "bluesky": "posted", "mastodon": "posted"}, "posted"),
        (THREE, {"x": "posted", "bluesky": "posting"}, "posting"),
        (THREE, {"x": "failed", "bluesky": "posting", "mastodon": "posted"}, "posting"),
        (THREE, {"x": "failed", "bluesky": "retrying", "mastodon": "posted"}, "queued"),
        (THREE, {"x": "failed"}, "queued"),
        (THREE, {"x": "failed", "bluesky": "posted", "mastodon": "posted"}, "failed"),
        (THREE, {"x": "failed", "bluesky": "failed", "mastodon": "failed"}, "failed"),
        # A post on a channel the entry no longer targets does not count.
        (("bluesky",), {"x": "failed", "bluesky": "posted"}, "posted"),
        ((), {}, "queued"),
    ],
)
def test_entry_status_sums_up_its_posts(
    channels: tuple[str, ...], posts: dict[str, str], expected: str
) -> None:
    assert sum_up(channels, posts) == expected
