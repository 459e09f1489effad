"""The whole posting pipeline end to end: the real CLI, a real SQLite file, the fake X over HTTP.

Nothing in bot/ is patched. The CLI runs in-process (the conftest runner) or, where a process
must die, as a subprocess; both reach the fake through ``PAPERBOT_X_API_BASE`` and read the
clock from ``PAPERBOT_NOW``, which each test steps forward instead of sleeping through backoffs
and rate-limit resets.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from bot.text.twitter_text import weighted_length
from tests.conftest import REPO, Paperbot
from tests.fakes.fake_x import FakeX
from tests.fakes.http_server import FakeHTTPServer
from tests.fakes.x_model import DUPLICATE_MESSAGE, FakePost, FaultMode
from tests.waiting import wait_until

# Distinctive values, so a leak into any output or into the database is easy to find.
CREDS = {
    "X_API_KEY": "ck-CANARY-7f3a91d2",
    "X_API_SECRET": "cs-CANARY-b62e04aa",
    "X_ACCESS_TOKEN": "1000-at-CANARY-5d18c7e0",
    "X_ACCESS_TOKEN_SECRET": "ats-CANARY-e90b3317",
}
# The same account after the user regenerated the access token.
NEW_CREDS = {
    **CREDS,
    "X_ACCESS_TOKEN": "1000-at-REGEN-44c1a9f6",
    "X_ACCESS_TOKEN_SECRET": "ats-REGEN-0b7d52e8",
}
PAPERBOT = REPO / ".venv" / "bin" / "paperbot"

CONFIG = """\
timezone = "UTC"

[schedule]
jitter_minutes = 0

[x]
timeout_seconds = {timeout}
retry_base_seconds = 1
retry_max_seconds = 4
max_attempts = 3

[images]
allow_private_hosts = true
timeout_seconds = 2

[daemon]
stale_after_seconds = 5
"""


def fake_for(creds: dict[str, str]) -> FakeX:
    return FakeX(
        consumer_key=creds["X_API_KEY"],
        consumer_secret=creds["X_API_SECRET"],
        access_token=creds["X_ACCESS_TOKEN"],
        access_token_secret=creds["X_ACCESS_TOKEN_SECRET"],
    )


def picture(fmt: str, color: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


@dataclass
class Pipeline:
    """One paperbot installation talking to one fake X, with a clock the test moves."""

    paperbot: Paperbot
    fake: FakeX
    creds: dict[str, str]
    now: datetime
    outputs: list[str] = field(default_factory=list)

    # -- running paperbot -----------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {
            **self.paperbot.env,
            **self.creds,
            "PAPERBOT_X_API_BASE": self.fake.url,
            "PAPERBOT_NOW": self.now.isoformat(),
        }

    def cli(self, *args: str, code: int | None = 0) -> tuple[int, str, str]:
        result = self.paperbot(*args, **self.env())
        self.outputs += [result.stdout, result.stderr]
        if code is not None:
            assert result.exit_code == code, (args, result.stdout, result.stderr)
        return result.exit_code, result.stdout, result.stderr

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json")[1])

    def run_once(self, code: int | None = 0) -> tuple[int, str, str]:
        return self.cli("run", "--once", code=code)

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        """The real console script in its own process, so it can be killed mid-request."""
        return subprocess.Popen(
            [str(PAPERBOT), *args],
            cwd=self.paperbot.workdir,
            env={**os.environ, **self.env()},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def finish(self, process: subprocess.Popen[bytes], timeout: float = 30) -> int:
        out, err = process.communicate(timeout=timeout)
        self.outputs += [out.decode(errors="replace"), err.decode(errors="replace")]
        return process.returncode

    def step(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    # -- the queue --------------------------------------------------------------------------

    def add(self, n: int, *images: tuple[str, str], comment: str | None = None) -> int:
        args = [
            "add",
            f"https://example.org/papers/{n}",
            "--no-fetch",
            "--title",
            f"Paper {n}",
            "--comment",
            comment or f"Finding number {n} holds up well. More detail here.",
            "--at",
            (self.now - timedelta(hours=1) + timedelta(minutes=n)).isoformat(),
        ]
        for source, alt in images:
            args += ["--image", source, "--alt", alt]
        return int(self.cli(*args)[1].strip())

    def entries(self) -> dict[int, dict[str, Any]]:
        return {entry["id"]: entry for entry in self.json("list")}

    def queued(self) -> list[int]:
        return [e["id"] for e in self.json("list", "--status", "queued")]

    def text_of(self, entry_id: int) -> str:
        [item] = self.json("preview", str(entry_id))
        return str(item["text"])

    def outcomes(self, entry_id: int) -> list[str]:
        """The outcome of every attempt at the entry's X post, oldest first (from history)."""
        [item] = [h for h in self.json("history", "--channel", "x") if h["entry_id"] == entry_id]
        return [a["outcome"] for a in item["attempts"]]

    def db_status(self, entry_id: int) -> str | None:
        """Read straight from the database, as another process sees it (no ORM, no cache)."""
        rows = self.paperbot.query("SELECT status FROM entry WHERE id = :id", id=entry_id)
        return None if not rows else str(rows[0]["status"])

    def creates(self) -> int:
        return sum(1 for r in self.fake.requests if r.route == "create_tweet")

    def assert_no_secrets(self, *creds: dict[str, str]) -> None:
        values = [v for c in (self.creds, *creds) for v in c.values()]
        texts = [*self.outputs, self.cli("history", "--json")[1], self.cli("list", "--json")[1]]
        for text in texts:
            for value in values:
                assert value not in text
        rows = repr(self.paperbot.dump())
        for value in values:
            assert value not in rows, f"a credential is in the {self.paperbot.store} database"
        if self.paperbot.store != "sqlite":
            return
        files = [p for p in self.paperbot.workdir.iterdir() if p.name.startswith("paperbot.db")]
        assert self.paperbot.db_path in files
        for path in files:
            data = path.read_bytes()
            for value in values:
                assert value.encode() not in data, path.name


@pytest.fixture
def pipeline(paperbot: Paperbot) -> Iterator[Pipeline]:
    paperbot.write_config(CONFIG.format(timeout=2))
    with fake_for(CREDS) as fake:
        yield Pipeline(paperbot, fake, dict(CREDS), datetime.now(UTC).replace(microsecond=0))


def post_of(entry: dict[str, Any]) -> dict[str, Any]:
    posts: list[dict[str, Any]] = [p for p in entry["posts"] if p["channel"] == "x"]
    assert len(posts) == 1, entry["posts"]
    return posts[0]


def posts_by_text(fake: FakeX) -> dict[str, list[FakePost]]:
    grouped: dict[str, list[FakePost]] = {}
    for post in fake.posts:
        grouped.setdefault(post.text, []).append(post)
    return grouped


# -- the acceptance run -------------------------------------------------------------------------


@pytest.mark.slow
def test_twenty_entries_with_images_and_faults_each_post_exactly_once(
    pipeline: Pipeline,
) -> None:
    work = pipeline.paperbot.workdir
    colors = [(200, 30 * i % 255, 90) for i in range(12)]
    files: dict[str, bytes] = {}
    for i, color in enumerate(colors):
        fmt, ext = ("PNG", "png") if i % 2 else ("JPEG", "jpg")
        files[f"fig{i}.{ext}"] = picture(fmt, color, (40 + i, 30))
    for name, data in files.items():
        (work / name).write_bytes(data)
    names = list(files)
    served = {f"/remote{i}.png": picture("PNG", (10, 20 * i, 200)) for i in range(3)}
    long_comment = (
        "A careful replication across "
        + "many different benchmark suites " * 12
        + "shows the effect holds. Then more."
    )
    with FakeHTTPServer() as images:
        for path, data in served.items():
            images.route(path, (200, {"Content-Type": "image/png"}, data))
        expected_images: dict[int, list[tuple[bytes, str]]] = {}
        for n in range(20):
            specs: list[tuple[str, str, bytes]] = []  # source, alt, the bytes X should get
            if n % 4 == 1:  # several images, each with alt text
                for k in range(2 + n % 3):
                    name = names[(n + k) % len(names)]
                    specs.append((name, f"Entry {n}, panel {k}: a plot", files[name]))
            elif n % 4 == 2:
                name = names[n % len(names)]
                specs.append((name, f"Figure for entry {n}", files[name]))
            elif n in (3, 7, 11):  # fetched over HTTP, next to a local one without alt text
                path = f"/remote{n % 3}.png"
                specs += [
                    (images.url(path), f"Remote figure {n}", served[path]),
                    (names[0], "", files[names[0]]),
                ]
            comment = {
                5: long_comment,
                6: "这是一个很好的研究。我们下周继续。",
                8: "Great results 🎉 e.g. on ImageNet et al. 2024 show 3.5x gains. Rest.",
            }
            entry_id = pipeline.add(
                n, *[(source, alt) for source, alt, _ in specs], comment=comment.get(n)
            )
            # An image without alt text gets the title (compose's rule), never nothing.
            expected_images[entry_id] = [(data, alt or f"Paper {n}") for _, alt, data in specs]

        previews = {item["id"]: item for item in pipeline.json("preview")}
        # Faults, taken in order by the requests they match.
        fake = pipeline.fake
        fake.fail_next("media_append", FaultMode.SERVER_ERROR, status=503)
        fake.fail_next("create_tweet", FaultMode.SERVER_ERROR)
        fake.fail_next("create_tweet", FaultMode.DROP_BEFORE)
        fake.fail_next("create_tweet", FaultMode.DROP_AFTER)
        fake.fail_next("create_tweet", FaultMode.DELAY, delay=0.5)  # under the 2 s timeout
        reset = int(time.time()) + 600
        fake.fail_next("create_tweet", FaultMode.RATE_LIMITED, reset=reset)

        runs: list[list[str]] = []  # the routes each run called
        while pipeline.queued():
            assert len(runs) < 6, "the queue does not drain"
            logged = len(fake.requests)
            pipeline.run_once()
            runs.append([r.route for r in fake.requests[logged:]])
            if len(runs) == 1:  # every fault was met; the 429 ended the run
                assert fake.pending_faults() == 0
                limit = pipeline.json("status")["channels"]["x"]["rate_limited_until"]
                assert datetime.fromisoformat(limit) == datetime.fromtimestamp(reset, UTC)
                pipeline.step(30)  # past every backoff, still before the reset
            elif len(runs) == 2:  # only the timeline, to settle the two unknown outcomes
                assert set(runs[-1]) == {"get_me", "user_tweets"}
                pipeline.now = datetime.fromtimestamp(reset + 1, UTC)
            else:
                pipeline.step(30)
    assert len(runs) == 3

    entries = pipeline.entries()
    assert {e["status"] for e in entries.values()} == {"posted"}
    on_x = posts_by_text(fake)
    assert len(fake.posts) == 20
    media = fake.media
    for entry_id, entry in entries.items():
        post = post_of(entry)
        [remote] = on_x[post["text"]]
        assert remote.text == previews[entry_id]["text"]
        assert post["remote_id"] == remote.id
        assert weighted_length(remote.text) <= 280
        assert f"https://example.org/papers/{entry_id - 1}" in remote.text
        got = [(media[m].data, media[m].alt_text) for m in remote.media_ids]
        assert got == expected_images[entry_id]
    assert weighted_length(post_of(entries[6])["text"]) > 200  # the long comment, shortened
    assert post_of(entries[6])["text"].count("…") == 1

    # Every attempt is in the history, and they add up to the faults injected.
    history = pipeline.json("history")
    assert len(history) == 20
    per_entry = Counter(tuple(a["outcome"] for a in item["attempts"]) for item in history)
    assert per_entry == {
        ("posted",): 15,
        ("settled",): 1,  # drop_after: created, answer lost, found on the timeline at once
        # 500 and drop_before on create: maybe posted, so left unknown; not on the timeline at
        # the next run either, so posted again
        ("unknown", "settled-not-posted", "posted"): 2,
        ("rate_limited", "posted"): 1,
        ("transient", "posted"): 1,  # 503 on a media upload: nothing was posted, retried
    }
    statuses = Counter(a["http_status"] for item in history for a in item["attempts"])
    assert (statuses[500], statuses[503], statuses[429]) == (1, 1, 1)
    # The counter users see: the wait for a rate limit is not held against the entry.
    assert sorted(e["attempts"] for e in entries.values()) == [1] * 17 + [2] * 3
    pipeline.assert_no_secrets()


# -- each error class ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "cause", "fix"),
    [
        (FaultMode.UNAUTHORIZED, "401", "X_ACCESS_TOKEN_SECRET"),
        (FaultMode.FORBIDDEN_PERMISSIONS, "403", "Read and write"),
    ],
)
def test_rejected_credentials_pause_posting_until_they_change(
    pipeline: Pipeline, mode: FaultMode, cause: str, fix: str
) -> None:
    ids = [pipeline.add(n) for n in range(3)]
    pipeline.fake.fail_next("create_tweet", mode)

    _, _, err = pipeline.run_once(code=1)
    assert "posting is paused" in err and cause in err and fix in err
    assert "Fix:" in err
    assert [pipeline.entries()[i]["status"] for i in ids] == ["queued"] * 3
    assert pipeline.fake.posts == []
    paused = pipeline.json("status")["channels"]["x"]
    assert cause in paused["paused_reason"] and paused["paused_at"] is not None

    # The same credentials again, later, in another process: refused before asking X anything.
    asked = len(pipeline.fake.requests)
    pipeline.step(3600)
    assert pipeline.finish(pipeline.spawn("run", "--once")) == 1
    pipeline.cli("post", str(ids[1]), code=1)
    assert len(pipeline.fake.requests) == asked
    assert "posting is paused" in pipeline.outputs[-1]

    # The user regenerates the token: the pause lifts and everything goes out, in order.
    with fake_for(NEW_CREDS) as renewed:
        pipeline.fake, pipeline.creds = renewed, dict(NEW_CREDS)
        pipeline.run_once()
        assert [p.text for p in renewed.posts] == [
            pipeline.entries()[i]["posts"][0]["text"] for i in ids
        ]
        assert pipeline.json("status")["channels"]["x"]["paused_reason"] is None
        assert {e["status"] for e in pipeline.entries().values()} == {"posted"}
        assert [e["attempts"] for e in pipeline.entries().values()] == [1, 1, 1]
        pipeline.assert_no_secrets(CREDS)


def test_invalid_request_fails_that_entry_alone_with_xs_message(pipeline: Pipeline) -> None:
    ids = [pipeline.add(n) for n in range(3)]
    pipeline.fake.fail_next(
        "create_tweet", FaultMode.INVALID, message="The Tweet contains an invalid URL."
    )
    _, _, err = pipeline.run_once(code=1)  # cron and systemd timers must notice
    assert f"1 post(s) failed for good in this run (entry {ids[0]})" in err
    entries = pipeline.entries()
    assert [entries[i]["status"] for i in ids] == ["failed", "posted", "posted"]
    assert "The Tweet contains an invalid URL." in entries[ids[0]]["last_error"]
    assert len(pipeline.fake.posts) == 2
    [failed] = pipeline.json("history", "--status", "failed")
    assert [(a["outcome"], a["http_status"]) for a in failed["attempts"]] == [("invalid", 400)]
    pipeline.step(60)
    pipeline.run_once()  # failed stays failed: no retry behind the user's back
    assert pipeline.entries()[ids[0]]["status"] == "failed"
    assert pipeline.creates() == 3


def test_duplicate_already_on_the_timeline_is_settled_as_posted(pipeline: Pipeline) -> None:
    entry_id = pipeline.add(1)
    earlier = pipeline.fake.add_post(pipeline.text_of(entry_id))  # e.g. from a lost database
    pipeline.run_once()
    entry = pipeline.entries()[entry_id]
    assert entry["status"] == "posted" and entry["last_error"] is None
    post = post_of(entry)
    assert post["remote_id"] == earlier.id and earlier.id in post["remote_url"]
    assert pipeline.outcomes(entry_id) == ["settled"]
    assert pipeline.fake.posts == [earlier]


def test_duplicate_not_on_the_timeline_fails_with_a_clear_message(pipeline: Pipeline) -> None:
    entry_id = pipeline.add(1)
    other = pipeline.add(2)
    # X remembers duplicates for longer than paperbot looks back on the timeline.
    pipeline.fake.add_post(
        pipeline.text_of(entry_id), created_at=datetime.now(UTC) - timedelta(hours=5)
    )
    pipeline.run_once(code=1)  # failed for good in this run
    entries = pipeline.entries()
    assert entries[entry_id]["status"] == "failed"
    message = entries[entry_id]["last_error"]
    assert DUPLICATE_MESSAGE in message and "paperbot retry" in message
    assert post_of(entries[entry_id])["remote_id"] is None
    assert entries[other]["status"] == "posted"
    assert len(pipeline.fake.posts) == 2


def test_rate_limit_waits_for_the_reset_across_processes(pipeline: Pipeline) -> None:
    ids = [pipeline.add(n) for n in range(3)]
    reset = int(time.time()) + 900
    pipeline.fake.fail_next("create_tweet", FaultMode.RATE_LIMITED, reset=reset)
    pipeline.run_once()
    assert pipeline.creates() == 1
    assert {e["status"] for e in pipeline.entries().values()} == {"queued"}
    until = pipeline.json("status")["channels"]["x"]["rate_limited_until"]
    assert datetime.fromisoformat(until) == datetime.fromtimestamp(reset, UTC)

    logged = len(pipeline.fake.requests)
    pipeline.step(300)  # still before the reset: a fresh process remembers it
    assert pipeline.finish(pipeline.spawn("run", "--once")) == 0
    pipeline.cli("post", str(ids[2]), code=1)
    assert "rate limited until" in pipeline.outputs[-1]
    assert [r.route for r in pipeline.fake.requests[logged:]] == []

    pipeline.now = datetime.fromtimestamp(reset, UTC) + timedelta(seconds=1)
    pipeline.run_once()
    assert {e["status"] for e in pipeline.entries().values()} == {"posted"}
    assert pipeline.creates() == 4 and len(pipeline.fake.posts) == 3
    assert pipeline.outcomes(ids[0]) == ["rate_limited", "posted"]
    assert pipeline.entries()[ids[0]]["attempts"] == 1  # waiting is not the entry's fault


@pytest.mark.parametrize(
    ("route", "outcomes"),
    [
        # A 5xx on create may have posted: each is checked on the timeline before the retry.
        ("create_tweet", ["unknown", "settled-not-posted"] * 3),
        ("media_append", ["transient"] * 3),  # nothing was posted: retried directly
    ],
)
def test_server_errors_are_retried_with_backoff_then_fail(
    pipeline: Pipeline, route: str, outcomes: list[str]
) -> None:
    (pipeline.paperbot.workdir / "fig.png").write_bytes(picture("PNG", (1, 2, 3)))
    entry_id = pipeline.add(1, ("fig.png", "A figure"))
    pipeline.fake.fail_next(route, FaultMode.SERVER_ERROR, times=50)

    def hits() -> int:
        return sum(1 for r in pipeline.fake.requests if r.route == route)

    tries: list[int] = []
    codes: list[int] = []
    waits: list[timedelta] = []
    while pipeline.entries()[entry_id]["status"] == "queued" and len(tries) < 8:
        before = hits()
        codes.append(pipeline.run_once(code=None)[0])
        tries.append(hits() - before)
        entry = pipeline.entries()[entry_id]
        if entry["status"] == "queued":
            retry_at = datetime.fromisoformat(entry["next_attempt_at"])
            waits.append(retry_at - pipeline.now)
            before = hits()
            codes.append(pipeline.run_once(code=None)[0])  # before the backoff: not tried
            assert hits() == before
            pipeline.now = retry_at + timedelta(seconds=1)
    entry = pipeline.entries()[entry_id]
    assert entry["status"] == "failed", entry
    assert tries == [1, 1, 1] and hits() == 3
    assert sorted(codes) == [0] * (len(codes) - 1) + [1]  # the run that gave up tells cron
    assert entry["attempts"] == 3
    assert "gave up after 3 attempts" in entry["last_error"]
    assert "server error" in entry["last_error"]
    assert waits == sorted(waits) and waits[0] > timedelta(0)  # backoff grows
    assert pipeline.outcomes(entry_id) == outcomes
    assert pipeline.fake.posts == []


# -- crashes and lost answers -------------------------------------------------------------------


def test_post_created_but_answer_lost_is_settled_on_the_same_run(pipeline: Pipeline) -> None:
    entry_id = pipeline.add(1)
    pipeline.fake.fail_next("create_tweet", FaultMode.DROP_AFTER)
    pipeline.run_once()
    [remote] = pipeline.fake.posts
    entry = pipeline.entries()[entry_id]
    assert entry["status"] == "posted" and post_of(entry)["remote_id"] == remote.id
    assert pipeline.outcomes(entry_id) == ["settled"]
    pipeline.step(60)
    pipeline.run_once()
    assert pipeline.fake.posts == [remote]


def test_post_created_but_answer_lost_and_timeline_down_is_settled_next_run(
    pipeline: Pipeline,
) -> None:
    entry_id = pipeline.add(1)
    pipeline.fake.fail_next("create_tweet", FaultMode.DROP_AFTER)
    pipeline.fake.fail_next("user_tweets", FaultMode.SERVER_ERROR, status=503)
    pipeline.run_once()
    [remote] = pipeline.fake.posts
    entry = pipeline.entries()[entry_id]
    assert entry["status"] == "queued"  # unknown: neither posted nor failed
    assert post_of(entry)["remote_id"] is None
    pipeline.step(60)
    pipeline.run_once()
    entry = pipeline.entries()[entry_id]
    assert entry["status"] == "posted" and post_of(entry)["remote_id"] == remote.id
    assert pipeline.outcomes(entry_id) == ["unknown", "lookup-failed", "settled"]
    assert pipeline.fake.posts == [remote]


@pytest.mark.slow
def test_killed_after_x_created_the_post_settles_without_posting_again(
    pipeline: Pipeline,
) -> None:
    pipeline.paperbot.write_config(CONFIG.format(timeout=30))  # the kill, not a timeout, ends it
    (pipeline.paperbot.workdir / "fig.jpg").write_bytes(picture("JPEG", (9, 99, 199)))
    entry_id = pipeline.add(1, ("fig.jpg", "The figure"))
    other = pipeline.add(2)
    # X creates the post, then the answer hangs until the client is gone.
    pipeline.fake.fail_next("create_tweet", FaultMode.DROP_AFTER, delay=60)
    process = pipeline.spawn("post", str(entry_id))
    try:
        wait_until(lambda: len(pipeline.fake.posts) == 1, "X to create the post")
        assert pipeline.db_status(entry_id) == "posting"
    finally:
        process.send_signal(signal.SIGKILL)
    assert pipeline.finish(process) == -signal.SIGKILL
    assert pipeline.db_status(entry_id) == "posting"

    pipeline.step(10)
    pipeline.run_once()
    [remote, second] = pipeline.fake.posts
    entry = pipeline.entries()[entry_id]
    assert entry["status"] == "posted"
    assert post_of(entry)["remote_id"] == remote.id
    assert post_of(pipeline.entries()[other])["remote_id"] == second.id
    assert remote.alt_texts == ("The figure",)
    # The killed attempt never finished; the next run found the post on the timeline.
    assert pipeline.outcomes(entry_id) == ["interrupted", "settled"]
    pipeline.step(60)
    pipeline.run_once()
    assert len(pipeline.fake.posts) == 2
    pipeline.assert_no_secrets()


@pytest.mark.slow
def test_killed_before_the_post_reached_x_posts_it_exactly_once(pipeline: Pipeline) -> None:
    pipeline.paperbot.write_config(CONFIG.format(timeout=30))
    for i, color in enumerate([(200, 10, 10), (10, 200, 10), (10, 10, 200)]):
        (pipeline.paperbot.workdir / f"panel{i}.png").write_bytes(picture("PNG", color))
    entry_id = pipeline.add(1, *[(f"panel{i}.png", f"Panel {i}") for i in range(3)])
    # The request hangs at X and would die unanswered, with nothing created.
    pipeline.fake.fail_next("create_tweet", FaultMode.DROP_BEFORE, delay=60)
    process = pipeline.spawn("run", "--once")  # holds the daemon lease when killed
    try:
        wait_until(lambda: pipeline.fake.pending_faults() == 0, "the create request to reach X")
        assert pipeline.db_status(entry_id) == "posting"
    finally:
        process.send_signal(signal.SIGKILL)
    assert pipeline.finish(process) == -signal.SIGKILL
    assert pipeline.fake.posts == []

    pipeline.step(10)  # past [daemon] stale_after_seconds: the dead run's lease is stale
    pipeline.run_once()
    # Not on the timeline yet: the lost request might still land, so nothing is posted until
    # the settle grace has passed and the timeline is read again.
    assert pipeline.fake.posts == []
    pipeline.step(120)
    pipeline.run_once()
    [remote] = pipeline.fake.posts
    entry = pipeline.entries()[entry_id]
    assert entry["status"] == "posted" and post_of(entry)["remote_id"] == remote.id
    assert remote.text == post_of(entry)["text"]
    assert remote.alt_texts == ("Panel 0", "Panel 1", "Panel 2")
    assert pipeline.outcomes(entry_id) == ["interrupted", "settled-not-posted", "posted"]
    pipeline.step(60)
    pipeline.run_once()
    assert len(pipeline.fake.posts) == 1
    pipeline.assert_no_secrets()


# -- secrets ------------------------------------------------------------------------------------


def test_no_secret_reaches_any_output_the_history_or_the_database(pipeline: Pipeline) -> None:
    ids = [pipeline.add(n) for n in range(3)]
    fake = pipeline.fake
    # Should X (or a proxy) ever echo credentials back, they must not travel any further.
    echo = f"Bad oauth_token={CREDS['X_ACCESS_TOKEN']} for consumer {CREDS['X_API_KEY']}"
    fake.fail_next("create_tweet", FaultMode.INVALID, message=echo)
    fake.fail_next(
        "create_tweet", FaultMode.SERVER_ERROR, message=f"upstream saw {CREDS['X_API_SECRET']}"
    )
    pipeline.cli("run", "--once", "--verbose", "--log-format", "json", code=1)
    entries = pipeline.entries()
    assert entries[ids[0]]["status"] == "failed" and "***" in entries[ids[0]]["last_error"]
    assert entries[ids[1]]["status"] == "queued"
    assert entries[ids[2]]["status"] == "posted"

    fake.fail_next("create_tweet", FaultMode.UNAUTHORIZED)
    pipeline.step(60)
    pipeline.run_once(code=1)
    for command in (
        ["check"],
        ["status", "--json"],
        ["history", "--csv"],
        ["history"],
        ["show", str(ids[1]), "--json"],
        ["list"],
        ["preview", "--json"],
    ):
        pipeline.cli(*command)
    pipeline.assert_no_secrets()
