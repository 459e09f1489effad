"""The posting pipeline with all three channels: the real CLI, a real database, and the fake X,
Bluesky PDS and Mastodon instance over HTTP, each driven by its real SDK (tweepy, atproto,
Mastodon.py).

Nothing in bot/ is patched. Each test steps ``PAPERBOT_NOW`` forward instead of sleeping; the
fake Mastodon instance reads the same virtual clock, so its one-hour memory of an
Idempotency-Key and the created_at of its statuses agree with paperbot's; so does the fake X's.
"""

from __future__ import annotations

import io
import json
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from tests.conftest import Paperbot
from tests.fakes.bluesky_model import FaultMode as BlueskyFault
from tests.fakes.fake_bluesky import FakeBluesky
from tests.fakes.fake_mastodon import FakeMastodon
from tests.fakes.fake_x import FakeX
from tests.fakes.mastodon_model import PROFILES
from tests.fakes.mastodon_model import FaultMode as MastodonFault
from tests.fakes.x_model import FaultMode as XFault

X_CREDS = {
    "X_API_KEY": "ck-CANARY-3c1f0b7a",
    "X_API_SECRET": "cs-CANARY-9d2e6a41",
    "X_ACCESS_TOKEN": "1000-at-CANARY-7b4c2e19",
    "X_ACCESS_TOKEN_SECRET": "ats-CANARY-5a0d8f36",
}
BLUESKY_PASSWORD = "bsky-CANARY-app-pass"
MASTODON_TOKEN = "mastodon-CANARY-token-61f2"
ALL = ("x", "bluesky", "mastodon")

CONFIG = """\
timezone = "UTC"

[channels]
post_to = {channels}

[schedule]
jitter_minutes = 0

[x]
timeout_seconds = 2
retry_base_seconds = 1
retry_max_seconds = 4
max_attempts = {max_attempts}

[images]
allow_private_hosts = true
timeout_seconds = 2
"""


@dataclass(frozen=True)
class Servers:
    """Which servers the fakes play: a Mastodon profile (tests/fakes/mastodon_model.py) and the
    PDS's blob limit (2,000,000 current, 1,000,000 older). Pass to ``platforms`` indirectly."""

    mastodon: str = "mastodon4"
    blob_limit: int = 2_000_000

    def __str__(self) -> str:
        return f"{self.mastodon}-blobs{self.blob_limit // 1000}k"


# Every Mastodon profile, and the older PDS's blob limit: where a test is cheap enough.
SERVERS = [Servers(name) for name in sorted(PROFILES) if name != "takahe"] + [
    Servers(blob_limit=1_000_000)
]


def picture(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32 + seed % 7, 24), (seed * 37 % 256, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class Platforms:
    """paperbot and the three fakes, on one virtual clock the test moves."""

    paperbot: Paperbot
    x: FakeX
    bluesky: FakeBluesky
    mastodon: FakeMastodon
    now: datetime
    outputs: list[str] = field(default_factory=list)
    mastodon_token: str = MASTODON_TOKEN

    def env(self) -> dict[str, str]:
        return {
            **self.paperbot.env,
            **X_CREDS,
            "PAPERBOT_X_API_BASE": self.x.url,
            "BLUESKY_HANDLE": self.bluesky.handle,
            "BLUESKY_APP_PASSWORD": BLUESKY_PASSWORD,
            "BLUESKY_SERVICE": self.bluesky.url,
            "MASTODON_BASE_URL": self.mastodon.url,
            "MASTODON_ACCESS_TOKEN": self.mastodon_token,
            "PAPERBOT_NOW": self.now.isoformat(),
        }

    def configure(self, channels: tuple[str, ...] = ALL, max_attempts: int = 12) -> None:
        self.paperbot.write_config(
            CONFIG.format(channels=json.dumps(list(channels)), max_attempts=max_attempts)
        )

    def cli(self, *args: str, code: int | None = 0) -> tuple[int, str, str]:
        result = self.paperbot(*args, **self.env())
        self.outputs += [result.stdout, result.stderr]
        if code is not None:
            assert result.exit_code == code, (args, result.stdout, result.stderr)
        return result.exit_code, result.stdout, result.stderr

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json")[1])

    def add(self, n: int, figures: int = 0) -> int:
        args = [
            "add",
            f"https://example.org/papers/{n}",
            "--no-fetch",
            "--title",
            f"Paper {n}",
            "--comment",
            f"Finding number {n} holds up well. More detail here.",
            "--at",
            (self.now - timedelta(minutes=30) + timedelta(seconds=n)).isoformat(),
        ]
        for k in range(figures):
            path = self.paperbot.workdir / f"fig-{n}-{k}.png"
            path.write_bytes(picture(n * 5 + k))
            args += ["--image", str(path), "--alt", f"Figure {k + 1} of paper {n}"]
        return int(self.cli(*args)[1].strip())

    def run_once(self, code: int | None = 0) -> tuple[int, str, str]:
        return self.cli("run", "--once", code=code)

    def step(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def entries(self) -> dict[int, dict[str, Any]]:
        return {entry["id"]: entry for entry in self.json("list")}

    def remote_ids(self) -> dict[str, Counter[str]]:
        """How often each post made on each platform exists there (every count must be 1)."""
        return {
            "x": Counter(post.id for post in self.x.posts),
            "bluesky": Counter(record.rkey for record in self.bluesky.records),
            "mastodon": Counter(status.id for status in self.mastodon.statuses),
        }

    def posted_per_channel(self) -> dict[str, dict[int, str]]:
        """Per channel: entry id -> the remote id paperbot recorded (posted posts only)."""
        found: dict[str, dict[int, str]] = {name: {} for name in ALL}
        for entry in self.json("list"):
            for post in entry["posts"]:
                if post["status"] == "posted":
                    found[post["channel"]][entry["id"]] = post["remote_id"]
        return found


@contextmanager
def platforms_for(paperbot: Paperbot, servers: Servers | None = None) -> Iterator[Platforms]:
    """paperbot and the three fakes on one virtual clock (also for other test modules)."""
    servers = servers or Servers()
    clock: list[datetime] = [datetime.now(UTC).replace(microsecond=0)]
    x = FakeX(
        consumer_key=X_CREDS["X_API_KEY"],
        consumer_secret=X_CREDS["X_API_SECRET"],
        access_token=X_CREDS["X_ACCESS_TOKEN"],
        access_token_secret=X_CREDS["X_ACCESS_TOKEN_SECRET"],
        now=lambda: clock[0],
    )
    with (
        x,
        FakeBluesky(password=BLUESKY_PASSWORD, blob_limit=servers.blob_limit) as bluesky,
        FakeMastodon(
            access_token=MASTODON_TOKEN, now=lambda: clock[0], profile=servers.mastodon
        ) as mastodon,
    ):
        setup = Platforms(paperbot, x, bluesky, mastodon, clock[0])
        original_step = setup.step

        def step(seconds: float) -> None:
            original_step(seconds)
            clock[0] = setup.now

        setup.step = step  # type: ignore[method-assign]
        setup.configure()
        yield setup


@pytest.fixture
def platforms(paperbot: Paperbot, request: pytest.FixtureRequest) -> Iterator[Platforms]:
    with platforms_for(paperbot, getattr(request, "param", None)) as setup:
        yield setup


def assert_once_per_channel(p: Platforms, entry_ids: list[int], channels: tuple[str, ...]) -> None:
    """Every entry posted exactly once on each channel, and nothing else on any platform."""
    posted = p.posted_per_channel()
    remote = p.remote_ids()
    for channel in channels:
        assert sorted(posted[channel]) == sorted(entry_ids), channel
        assert all(count == 1 for count in remote[channel].values()), (channel, remote[channel])
        assert len(remote[channel]) == len(entry_ids), channel
    bluesky_keys = {uri.rsplit("/", 1)[-1] for uri in posted["bluesky"].values()}
    assert bluesky_keys == set(remote["bluesky"]) if "bluesky" in channels else True
    if "mastodon" in channels:
        assert set(posted["mastodon"].values()) == set(remote["mastodon"])
    if "x" in channels:
        assert set(posted["x"].values()) == set(remote["x"])


def inject_random_faults(p: Platforms, rng: random.Random) -> None:
    """At most one fault per platform and pass, on the request that creates the post (or an
    image upload): answers lost after the platform acted included."""
    if rng.random() < 0.5:
        p.x.fail_next(
            "create_tweet", rng.choice([XFault.SERVER_ERROR, XFault.DROP_AFTER, XFault.DROP_BEFORE])
        )
    if rng.random() < 0.5:
        route = rng.choice(["createRecord", "createRecord", "uploadBlob"])
        mode = rng.choice([BlueskyFault.SERVER_ERROR, BlueskyFault.DROP_AFTER])
        p.bluesky.fail_next(route, mode if route == "createRecord" else BlueskyFault.SERVER_ERROR)
    if rng.random() < 0.5:
        route = rng.choice(["create_status", "create_status", "media_upload"])
        fault = rng.choice(
            [MastodonFault.SERVER_ERROR, MastodonFault.DROP_AFTER, MastodonFault.DROP_BEFORE]
        )
        p.mastodon.fail_next(route, fault if route == "create_status" else "server_error")


def test_twenty_entries_go_out_exactly_once_on_each_channel_under_random_faults(
    platforms: Platforms,
) -> None:
    p = platforms
    rng = random.Random(13)
    ids = [p.add(n, figures=n % 5) for n in range(1, 21)]
    for _ in range(40):
        inject_random_faults(p, rng)
        p.run_once(code=None)
        p.step(60)
        if all(entry["status"] == "posted" for entry in p.entries().values()):
            break
    assert {entry["status"] for entry in p.entries().values()} == {"posted"}
    assert_once_per_channel(p, ids, ALL)
    # The images went with their alt text, on every platform.
    with_figures = [post for post in p.x.posts if post.media_ids]
    assert len(with_figures) == sum(1 for n in range(1, 21) if n % 5)
    # The Bluesky session was kept in its file between runs: one login for all of them.
    assert p.bluesky.logins == 1
    session_files = list(p.paperbot.workdir.glob("*.bluesky-session"))
    if p.paperbot.store == "sqlite":
        assert [f.name for f in session_files] == ["paperbot.db.bluesky-session"]
        assert session_files[0].stat().st_mode & 0o077 == 0
    texts = "\n".join(p.outputs)
    for secret in (*X_CREDS.values(), BLUESKY_PASSWORD, MASTODON_TOKEN):
        assert secret not in texts
        assert secret not in repr(p.paperbot.dump())


@pytest.mark.parametrize(
    "platforms",
    SERVERS,
    indirect=True,
    ids=str,
)
def test_a_lost_answer_on_each_platform_is_settled_without_a_second_post(
    platforms: Platforms,
) -> None:
    p = platforms
    entry_id = p.add(1, figures=1)
    p.x.fail_next("create_tweet", XFault.DROP_AFTER)
    p.bluesky.fail_next("createRecord", BlueskyFault.DROP_AFTER)
    p.mastodon.fail_next("create_status", MastodonFault.DROP_AFTER)
    p.run_once()
    # Each lost answer is looked up at once, on each platform its own way: all found.
    assert len(p.x.posts) == len(p.bluesky.records) == len(p.mastodon.statuses) == 1
    if p.mastodon.profile == "read-scope-verify":
        # The server will not say who the account is (it wants the whole `read` scope) and no
        # post has told us yet: the post waits for a decision instead of being sent again.
        [status] = p.mastodon.statuses
        show = p.json("show", str(entry_id))
        [waiting] = [post for post in show["posts"] if post["channel"] == "mastodon"]
        assert waiting["needs_decision"] and "read" in waiting["last_error"]
        p.cli("resolve", str(entry_id), "--channel", "mastodon", "--posted", status.id)
        assert p.mastodon.calls("/api/v1/statuses", "POST") == 1
        assert_once_per_channel(p, [entry_id], ALL)
        return
    assert p.entries()[entry_id]["status"] == "posted"
    p.step(60)
    p.run_once()
    assert_once_per_channel(p, [entry_id], ALL)
    outcomes = {
        post["channel"]: [a["outcome"] for a in post["attempts"]]
        for post in p.json("show", str(entry_id))["posts"]
    }
    assert outcomes == {"x": ["settled"], "bluesky": ["settled"], "mastodon": ["settled"]}
    # The Idempotency-Key is a help, never a proof: Mastodon was asked, not sent it again.
    assert p.mastodon.calls("/api/v1/statuses", "POST") == 1
    assert p.bluesky.routes_called().count("createRecord") == 1


def test_mastodon_after_the_keys_hour_settles_from_the_accounts_statuses(
    platforms: Platforms,
) -> None:
    p = platforms
    p.configure(("mastodon",))
    entry_id = p.add(1)
    p.mastodon.fail_next("create_status", MastodonFault.DROP_AFTER)
    p.run_once()
    p.step(2 * 3600)  # the instance has forgotten the key: only its statuses can tell
    p.run_once()
    assert_once_per_channel(p, [entry_id], ("mastodon",))
    [post] = p.json("show", str(entry_id))["posts"]
    assert post["attempts"][-1]["outcome"] == "settled"
    assert p.mastodon.calls("/api/v1/statuses", "POST") == 1


def test_one_platform_down_for_the_whole_run_holds_nobody_else_back(
    platforms: Platforms,
) -> None:
    p = platforms
    p.configure(ALL, max_attempts=3)
    p.mastodon.fail_next("*", MastodonFault.DROP_BEFORE, times=10_000)
    ids = [p.add(n, figures=n % 3) for n in range(1, 6)]
    codes = []
    for _ in range(6):
        codes.append(p.run_once(code=None)[0])
        p.step(60)
    assert 1 in codes and set(codes) <= {0, 1}  # runs where Mastodon gave up exit 1
    assert_once_per_channel(p, ids, ("x", "bluesky"))
    assert p.mastodon.statuses == []
    for entry in p.entries().values():
        posts = {post["channel"]: post for post in entry["posts"]}
        assert posts["mastodon"]["status"] != "posted"
        assert entry["status"] != "posted"


def test_retry_with_a_channel_queues_only_that_channels_failed_post(platforms: Platforms) -> None:
    p = platforms
    p.configure(ALL, max_attempts=2)
    p.mastodon.fail_next("media_upload", MastodonFault.SERVER_ERROR, times=10_000)
    entry_id = p.add(1, figures=1)
    codes = []
    for _ in range(4):
        codes.append(p.run_once(code=None)[0])
        p.step(60)
    assert codes == [0, 1, 0, 0]  # the second run failed Mastodon's post for good
    entry = p.entries()[entry_id]
    assert entry["status"] == "failed"  # Mastodon failed for good, the others are done
    statuses = {post["channel"]: post["status"] for post in entry["posts"]}
    assert statuses == {"x": "posted", "bluesky": "posted", "mastodon": "failed"}
    p.cli("retry", str(entry_id), "--channel", "mastodon")
    entry = p.entries()[entry_id]
    assert entry["status"] == "queued"
    statuses = {post["channel"]: post["status"] for post in entry["posts"]}
    assert statuses == {"x": "posted", "bluesky": "posted", "mastodon": "retrying"}
    _, _, err = p.cli("retry", str(entry_id), "--channel", "nowhere", code=2)
    assert "nowhere" in err


def test_a_rejected_token_pauses_only_its_channel(platforms: Platforms) -> None:
    p = platforms
    p.mastodon.reject_token = True
    ids = [p.add(n) for n in range(1, 4)]
    _, _, err = p.run_once(code=1)
    assert "Mastodon rejected the access token" in err
    assert MASTODON_TOKEN not in err
    assert_once_per_channel(p, ids, ("x", "bluesky"))
    entries = p.entries()
    for entry_id in ids:
        assert entries[entry_id]["status"] == "queued"
    status = p.json("status")
    assert status["channels"]["mastodon"]["paused_reason"]
    assert not status["channels"].get("x", {}).get("paused_reason")
    assert "Mastodon paused:" in p.cli("status")[1]
    # Nothing is tried on Mastodon until the token changes; then everything goes out.
    p.mastodon.reject_token = False
    p.step(60)
    p.run_once(code=1)
    assert p.mastodon.statuses == []
    p.mastodon.access_token = p.mastodon_token = "mastodon-CANARY-token-new"
    p.step(60)
    p.run_once()
    assert_once_per_channel(p, ids, ALL)


def test_an_enabled_channel_without_credentials_is_refused_unless_dry_run(
    platforms: Platforms,
) -> None:
    p = platforms
    p.add(1)
    env = {k: v for k, v in p.env().items() if not k.startswith("BLUESKY_")}
    result = p.paperbot(
        "run", "--once", **{**env, "BLUESKY_HANDLE": "", "BLUESKY_APP_PASSWORD": ""}
    )
    assert result.exit_code == 2
    assert "no bluesky credentials" in result.stderr
    assert p.x.posts == [] and p.mastodon.statuses == []
    result = p.paperbot(
        "run", "--once", "--dry-run", **{**env, "BLUESKY_HANDLE": "", "BLUESKY_APP_PASSWORD": ""}
    )
    assert result.exit_code == 0, result.stderr


def test_check_asks_every_enabled_channel_and_preview_shows_each(platforms: Platforms) -> None:
    p = platforms
    _, out, _ = p.cli("check")
    assert "channels: x, bluesky, mastodon" in out
    assert f"bluesky: posting as @{p.bluesky.handle}" in out
    assert "mastodon: posting as @" in out and "allows 500 characters" in out
    entry_id = p.add(1, figures=1)
    items = p.json("preview", str(entry_id))
    assert [item["channel"] for item in items] == ["x", "bluesky", "mastodon"]
    limits = {item["channel"]: (item["limit"], item["unit"]) for item in items}
    assert limits["x"][0] == 280 and limits["bluesky"][0] == 300 and limits["mastodon"][0] == 500
    [only] = p.json("preview", str(entry_id), "--channel", "bluesky")
    assert only["channel"] == "bluesky" and only["weighted_length"] <= 300
    p.mastodon.reject_token = True
    _, _, err = p.cli("check", code=1)
    assert "Mastodon refused the access token" in err and MASTODON_TOKEN not in err


def test_add_and_edit_choose_channels_and_unknown_names_write_nothing(
    platforms: Platforms,
) -> None:
    p = platforms
    before = p.paperbot.dump()
    _, _, err = p.cli("add", "https://example.org/a", "--no-fetch", "--channel", "myspace", code=2)
    assert "myspace" in err
    assert p.paperbot.dump() == before
    _, out, _ = p.cli("add", "https://example.org/b", "--no-fetch", "--channel", "bluesky")
    entry_id = int(out)
    assert p.json("show", out.strip())["channels"] == ["bluesky"]
    p.cli("edit", str(entry_id), "--channel", "mastodon", "--channel", "x")
    assert p.json("show", str(entry_id))["channels"] == ["mastodon", "x"]
    default = int(p.cli("add", "https://example.org/c", "--no-fetch")[1])
    assert p.json("show", str(default))["channels"] == list(ALL)
