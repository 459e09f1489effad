"""The real `paperbot run` daemon posting on X, Bluesky and Mastodon at once (a subprocess on the
real clock, against the three fakes): each channel has its own tick, so a slow platform never
delays the others; lost answers are settled without a second post; the Bluesky session is kept
in its file, so a daemon start logs in at most once.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from PIL import Image

from tests.conftest import Paperbot
from tests.e2e.test_daemon import (
    CONFIG,
    EVENTUALLY,
    STARTUP,
    Harness,
    assert_on_time,
    lateness,
    soon,
)
from tests.fakes.bluesky_model import FaultMode as BlueskyFault
from tests.fakes.fake_bluesky import FakeBluesky
from tests.fakes.fake_mastodon import FakeMastodon
from tests.fakes.fake_x import FakeX
from tests.fakes.mastodon_model import FaultMode as MastodonFault
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

PASSWORD = "bsky-daemon-app-pass"
TOKEN = "mastodon-daemon-token"
CHANNELS = '[channels]\npost_to = ["x", "bluesky", "mastodon"]\n\n'


@dataclass
class ThreeHarness(Harness):
    bluesky: FakeBluesky | None = None
    mastodon: FakeMastodon | None = None

    def daemon_env(self) -> dict[str, str]:
        assert self.bluesky is not None and self.mastodon is not None
        env = {k: v for k, v in super().daemon_env().items() if not k.startswith(("BLUESKY_",))}
        env.update(
            {
                "BLUESKY_HANDLE": self.bluesky.handle,
                "BLUESKY_APP_PASSWORD": PASSWORD,
                "BLUESKY_SERVICE": self.bluesky.url,
                "MASTODON_BASE_URL": self.mastodon.url,
                "MASTODON_ACCESS_TOKEN": TOKEN,
            }
        )
        return env

    def counts(self) -> tuple[int, int, int]:
        assert self.bluesky is not None and self.mastodon is not None
        return (len(self.fake.posts), len(self.bluesky.records), len(self.mastodon.statuses))


@pytest.fixture
def three(paperbot: Paperbot) -> Iterator[ThreeHarness]:
    paperbot.write_config(
        CONFIG.replace("[x]\n", "[x]\nretry_base_seconds = 1\nretry_max_seconds = 2\n")
        + "\n"
        + CHANNELS
    )
    with (
        FakeX() as x,
        FakeBluesky(password=PASSWORD) as bluesky,
        FakeMastodon(access_token=TOKEN) as mastodon,
    ):
        harness = ThreeHarness(paperbot, x, bluesky=bluesky, mastodon=mastodon)
        harness.ok("db", "upgrade")
        try:
            yield harness
        finally:
            for daemon in harness.daemons:
                if daemon.process.poll() is None:
                    daemon.process.kill()
                    daemon.process.wait(timeout=10)


def test_a_slow_platform_holds_nobody_back_and_each_channel_posts_once(
    three: ThreeHarness,
) -> None:
    assert three.bluesky is not None and three.mastodon is not None
    # Mastodon takes 8 s over the first post and loses the second answer; Bluesky loses one.
    three.mastodon.fail_next("create_status", MastodonFault.DELAY, delay=8.0)
    three.mastodon.fail_next("create_status", MastodonFault.DROP_AFTER)
    three.bluesky.fail_next("createRecord", BlueskyFault.DROP_AFTER)
    daemon = three.start_daemon()
    first_at, second_at = soon(3), soon(5)
    three.add("first", first_at)
    second = three.add("second", second_at)
    # The second entry goes out on X on time although Mastodon still holds the first.
    assert_on_time(three.posted("second"), second_at)
    assert three.mastodon.statuses == [] or len(three.mastodon.statuses) <= 1
    wait_until(lambda: three.counts() == (2, 2, 2), what="both entries on every platform")
    wait_until(
        lambda: three.entry(second)["status"] == "posted",
        what="the second entry settled",
        timeout=60,
    )
    assert lateness(three.posted("first"), first_at) < 2.0
    assert three.counts() == (2, 2, 2)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit(timeout=STARTUP) == 0
    assert three.bluesky.logins == 1
    # A second start reuses the kept session: no new login.
    again = three.start_daemon()
    third_at = soon(2)
    three.add("third", third_at)
    wait_until(lambda: three.counts() == (3, 3, 3), what="the third entry everywhere")
    again.signal(signal.SIGTERM)
    assert again.wait_exit(timeout=STARTUP) == 0
    assert three.bluesky.logins == 1
    assert three.counts() == (3, 3, 3)


def test_figures_are_uploaded_before_the_slot_and_only_the_post_goes_at_it(
    three: ThreeHarness,
) -> None:
    """`[daemon] stage_minutes` (5 by default): the staging job uploads each figure well before
    its slot, so a slow upload makes no post late; never is a post sent before its slot."""
    assert three.bluesky is not None and three.mastodon is not None
    many = 1000
    three.fake.fail_next("media_finalize", "delay", times=many, delay=2.0)
    three.bluesky.fail_next("uploadBlob", BlueskyFault.DELAY, times=many, delay=2.0)
    three.mastodon.fail_next("media_upload", MastodonFault.DELAY, times=many, delay=2.0)
    figure = three.cli.workdir / "figure.png"
    Image.new("RGB", (300, 200), (20, 120, 200)).save(figure)
    daemon = three.start_daemon()
    at = soon(15)
    three.add("staged", at, "--image", str(figure), "--alt", "The key figure.")
    daemon.wait_for("staged 1 images of entry 1 on mastodon", timeout=EVENTUALLY)
    wait_until(lambda: three.counts() == (1, 1, 1), what="the post everywhere", timeout=30)
    uploaded = [r.received for r in three.bluesky.server.requests if "uploadBlob" in r.path]
    uploaded += [r.received for r in three.mastodon.server.requests if r.path == "/api/v2/media"]
    uploaded += [r.received for r in three.fake.requests if r.route == "media_finalize"]
    assert len(uploaded) == 3 and max(uploaded) < at  # each image once, before the slot
    sent = [r.received for r in three.fake.requests if r.route == "create_tweet"]
    sent += [r.received for r in three.bluesky.server.requests if "createRecord" in r.path]
    sent += [r.received for r in three.mastodon.server.requests if r.path == "/api/v1/statuses"]
    assert len(sent) == 3
    assert all(0 <= (moment - at).total_seconds() < 2.0 for moment in sent), [
        (moment - at).total_seconds() for moment in sent
    ]
    assert three.fake.posts[0].alt_texts == ("The key figure.",)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit(timeout=STARTUP) == 0
