"""The real `paperbot run` daemon reads posts' counts by itself at the configured ages (seconds
here), on X, Bluesky and Mastodon, in the time between posts: a failing read (429) touches no
post and is tried again later.
"""

from __future__ import annotations

import signal
from collections import Counter
from datetime import datetime

import pytest

from tests.conftest import Paperbot
from tests.e2e.test_daemon import CONFIG, STARTUP, assert_on_time, soon
from tests.e2e.test_daemon_channels import CHANNELS, ThreeHarness, three  # noqa: F401
from tests.fakes.x_model import FaultMode as XFault
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

AGE = 2.0  # seconds: the one age at which the daemon reads


@pytest.fixture
def reading(paperbot: Paperbot, three: ThreeHarness) -> ThreeHarness:  # noqa: F811
    paperbot.write_config(
        CONFIG + "\n" + CHANNELS + f'[engagement]\nat = ["{AGE:g}s"]\npoll_seconds = 0.5\n'
    )
    return three


def snapshots(paperbot: Paperbot) -> list[dict[str, object]]:
    return paperbot.query(
        "SELECT post.channel, post.posted_at, post.remote_id, engagement.likes, "
        "engagement.read_at FROM engagement JOIN post ON post.id = engagement.post_id"
    )


def as_time(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def test_the_daemon_reads_each_post_once_after_its_age_and_a_429_never_touches_posting(
    reading: ThreeHarness, paperbot: Paperbot
) -> None:
    h = reading
    assert h.bluesky is not None and h.mastodon is not None
    # The first X read gets a 429 (its window resets 5 s after the answer): posting goes on,
    # the read is made again after the reset.
    h.fake.fail_next("tweets_lookup", XFault.RATE_LIMITED, reset=5)
    h.fake.default_metrics = {"like_count": 7, "retweet_count": 1}
    h.bluesky.default_counts = {"likeCount": 4}
    h.mastodon.default_counts = (3, 0, 2, 0)
    daemon = h.start_daemon()
    first = h.add("first", soon(1))
    wait_until(lambda: h.counts() == (1, 1, 1), what="the first entry on every platform")

    # While X reads wait out their 429, a new entry is posted on time on every channel.
    wait_until(
        lambda: "tweets_lookup" in h.fake.routes_called(),
        what=lambda: f"the first X read; daemon log:\n{daemon.log()}",
    )
    second_at = soon(1)
    h.add("second", second_at)
    assert_on_time(h.posted("second"), second_at)

    def read_channels() -> set[object]:
        return {row["channel"] for row in snapshots(paperbot) if row["likes"]}

    wait_until(
        lambda: read_channels() == {"x", "bluesky", "mastodon"},
        what=lambda: f"counts read: {snapshots(paperbot)} {daemon.log}",
    )
    wait_until(lambda: len(snapshots(paperbot)) == 6, what="both entries read on each channel")
    rows = snapshots(paperbot)
    for row in rows:  # never before the age
        assert (as_time(row["read_at"]) - as_time(row["posted_at"])).total_seconds() >= AGE
    assert {(r["channel"], r["likes"]) for r in rows} == {("x", 7), ("bluesky", 4), ("mastodon", 3)}
    # Each post is read once for its one age: by the time a third entry has been posted and
    # read (many polls later), the first two still have one snapshot per channel.
    h.add("third", soon(1))
    wait_until(lambda: len(snapshots(paperbot)) == 9, what="the third entry read")
    per_post = Counter(row["remote_id"] for row in snapshots(paperbot))
    assert sorted(per_post.values()) == [1] * 9
    assert h.entry(first)["status"] == "posted"
    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit(timeout=STARTUP) == 0


def test_a_daemon_whose_budget_has_room_for_posts_but_not_reads_reads_bluesky_and_mastodon(
    paperbot: Paperbot,
    three: ThreeHarness,  # noqa: F811
) -> None:
    h = three
    assert h.bluesky is not None and h.mastodon is not None
    # Two linked posts ($0.40) fit the budget; a read needs one more post's price in hand.
    paperbot.write_config(
        CONFIG.replace("[x]\n", "[x]\nmonthly_budget = 0.45\n")
        + "\n"
        + CHANNELS
        + f'[engagement]\nat = ["{AGE:g}s"]\npoll_seconds = 0.5\n'
    )
    daemon = h.start_daemon()
    first_at, second_at = soon(1), soon(2)
    h.add("first", first_at)
    h.add("second", second_at)
    assert_on_time(h.posted("first"), first_at)
    assert_on_time(h.posted("second"), second_at)
    wait_until(
        lambda: (
            {row["channel"] for row in snapshots(paperbot)} == {"bluesky", "mastodon"}
            and len(snapshots(paperbot)) == 4
        ),
        what="both entries read on Bluesky and Mastodon",
    )
    status = wait_until(
        lambda: (s := h.status())["channels"].get("x", {}).get("engagement_note") and s,
        what="status saying why X was not read",
    )
    assert "budget" in status["channels"]["x"]["engagement_note"]
    assert "tweets_lookup" not in h.fake.routes_called()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit(timeout=STARTUP) == 0
