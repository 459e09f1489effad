"""The real `paperbot run` daemon, as a subprocess on the real clock, against the fake X API.

Entries are queued with the in-process CLI while the daemon runs (both share one SQLite file), so
these tests prove what a curator relies on: entries added while the daemon runs go out on time
without a restart, `edit` and `skip` are honoured, SIGTERM finishes the post in hand, a second
signal exits at once and still frees the database, a daemon killed mid-post is replaced at once
without a double post, a second daemon is refused, and a standby one takes over.

Waits for "eventually" are polls with generous deadlines (a loaded 2-core machine is slow to
start Python); the on-time assertion is the spec: at most 1.5 s after `at`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Paperbot
from tests.e2e.test_pipeline_x import picture
from tests.fakes.fake_x import FakeX
from tests.fakes.x_model import FakePost, FaultMode
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

PAPERBOT = str(Path(sys.executable).with_name("paperbot"))
ON_TIME = 1.5  # seconds: the most a post may lag behind its `at`
STARTUP = 30.0  # deadline for a daemon to log "daemon started" (a loaded machine is slow)
EVENTUALLY = 20.0  # deadline for everything else that must happen "soon"
STALE_AFTER = 3.0

CONFIG = f"""\
timezone = "Europe/London"

[schedule]
slots = ["cron: 0 3 1 1 *"]  # once a year: nothing here waits for a slot
jitter_minutes = 0

[daemon]
poll_seconds = 0.5
heartbeat_seconds = 0.5
stale_after_seconds = {STALE_AFTER}

[x]
timeout_seconds = 30
"""


@dataclass
class Daemon:
    """A running `paperbot run --log-format json` and the log lines it has written so far."""

    process: subprocess.Popen[str]
    lines: list[dict[str, Any]] = field(default_factory=list)
    _reader: threading.Thread | None = None

    def start_reading(self) -> None:
        def read() -> None:
            assert self.process.stderr is not None
            for raw in self.process.stderr:
                try:
                    line = json.loads(raw)
                except ValueError:
                    line = {"level": "raw", "message": raw.rstrip("\n")}
                line["seen"] = time.time()
                self.lines.append(line)

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def messages(self) -> list[str]:
        return [str(line["message"]) for line in list(self.lines)]

    def wait_for(self, text: str, timeout: float = EVENTUALLY) -> dict[str, Any]:
        """The first log line containing `text`, waiting for it if need be."""

        def find() -> dict[str, Any] | None:
            if self.process.poll() is not None and self._reader is not None:
                self._reader.join(timeout=2)
            for line in list(self.lines):
                if text in str(line["message"]):
                    return line
            if self.process.poll() is not None:
                pytest.fail(
                    f"daemon exited ({self.process.returncode}) before logging {text!r}:"
                    f"\n{self.log()}"
                )
            return None

        found: dict[str, Any] = wait_until(
            find, lambda: f"log line {text!r}; the log so far:\n{self.log()}", timeout
        )
        return found

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait_exit(self, timeout: float) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"daemon still running {timeout} s after the signal:\n{self.log()}")
        if self._reader is not None:
            self._reader.join(timeout=5)
        return code

    def log(self) -> str:
        return "\n".join(f"  {line.get('level')}: {line['message']}" for line in list(self.lines))

    def problems(self) -> list[str]:
        """Lines at warning level or above, and anything that is not a JSON log line."""
        return [
            str(line["message"])
            for line in list(self.lines)
            if line.get("level") in ("warning", "error", "critical", "raw")
        ]


@dataclass
class Harness:
    """One working directory: the in-process CLI, the fake X API and the daemons started."""

    cli: Paperbot
    fake: FakeX
    daemons: list[Daemon] = field(default_factory=list)

    def daemon_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "X_"))}
        env.update(self.cli.env)
        env.update(
            {
                "PAPERBOT_X_API_BASE": self.fake.url,
                "X_API_KEY": self.fake.consumer_key,
                "X_API_SECRET": self.fake.consumer_secret,
                "X_ACCESS_TOKEN": self.fake.access_token,
                "X_ACCESS_TOKEN_SECRET": self.fake.access_token_secret,
            }
        )
        env.pop("PAPERBOT_NOW", None)  # the daemon runs on the real clock
        return env

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [PAPERBOT, *args],
            cwd=self.cli.workdir,
            env=self.daemon_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def start_daemon(self, *args: str, wait_for: str = "daemon started") -> Daemon:
        daemon = Daemon(self.spawn("run", "--log-format", "json", *args))
        self.daemons.append(daemon)
        daemon.start_reading()
        daemon.wait_for(wait_for, timeout=STARTUP)
        return daemon

    def lock_is_free(self) -> bool:
        """Whether nothing holds the poster lock (taken and given back at once if so)."""
        from bot.store import lease

        lock = lease.poster_lock_for(self.cli.engine())
        if not lock.try_acquire():
            return False
        lock.release()
        return True

    def add(self, slug: str, at: datetime, *extra: str) -> int:
        result = self.cli(
            "add",
            f"https://example.org/{slug}",
            "--comment",
            f"Daemon test {slug}.",
            "--at",
            at.isoformat(),
            *extra,
        )
        assert result.exit_code == 0, result.output + result.stderr
        return int(result.stdout)

    def ok(self, *args: str) -> str:
        result = self.cli(*args)
        assert result.exit_code == 0, result.output + result.stderr
        return result.stdout

    def status(self) -> dict[str, Any]:
        document: dict[str, Any] = self.cli.json("status", "--json")
        return document

    def entry(self, entry_id: int) -> dict[str, Any]:
        document: dict[str, Any] = self.cli.json("show", str(entry_id), "--json")
        return document

    def posts_of(self, slug: str) -> list[FakePost]:
        url = f"https://example.org/{slug}"
        return [post for post in self.fake.posts if post.text.endswith(url)]

    def posted(self, slug: str) -> FakePost:
        posts: list[FakePost] = wait_until(lambda: self.posts_of(slug), what=f"post of {slug}")
        assert len(posts) == 1, posts
        return posts[0]


@pytest.fixture
def harness(paperbot: Paperbot) -> Iterator[Harness]:
    paperbot.write_config(CONFIG)
    with FakeX() as fake:
        harness = Harness(paperbot, fake)
        harness.ok("db", "upgrade")  # also warms up the in-process CLI before any timing
        try:
            yield harness
        finally:
            for daemon in harness.daemons:
                if daemon.process.poll() is None:
                    daemon.process.kill()
                    daemon.process.wait(timeout=10)


def create_in_flight(fake: FakeX) -> bool:
    """Whether the post request reached the fake: it takes the injected DELAY fault on arrival."""
    return not fake._faults


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def lateness(post: FakePost, at: datetime) -> float:
    return (post.created_at - at).total_seconds()


def assert_on_time(post: FakePost, at: datetime) -> None:
    late = lateness(post, at)
    assert 0 <= late <= ON_TIME, f"posted {late:+.3f} s from its `at`"


def test_entries_added_while_running_are_posted_on_time(harness: Harness) -> None:
    daemon = harness.start_daemon()
    status = harness.status()
    assert status["daemon"]["running"] is True
    assert status["daemon"]["pid"] == daemon.pid
    assert status["next_post"] is None

    later = harness.add("later", soon(3600))
    times = {}
    ids = {}
    for offset, slug in ((2.5, "first"), (3.5, "second"), (4.5, "third")):
        times[slug] = soon(offset)
        ids[slug] = harness.add(slug, times[slug])

    status = harness.status()
    assert status["daemon"]["running"] is True
    assert status["counts"]["queued"] == 4
    assert status["next_post"]["entry_id"] == ids["first"]
    assert datetime.fromisoformat(status["next_post"]["when"]) == times["first"]

    for slug, at in times.items():
        assert_on_time(harness.posted(slug), at)
        daemon.wait_for(f"posted entry {ids[slug]}:")
    for slug, entry_id in ids.items():
        entry = harness.entry(entry_id)
        assert entry["status"] == "posted"
        [post] = [p for p in entry["posts"] if p["channel"] == "x"]
        assert post["remote_id"] == harness.posted(slug).id
    assert any(m.startswith(f"planned: entry {ids['first']} at") for m in daemon.messages())

    status = harness.status()
    assert status["counts"] == {"queued": 1, "posting": 0, "posted": 3, "failed": 0, "skipped": 0}
    assert status["next_post"]["entry_id"] == later
    assert status["daemon"]["heartbeat_at"] is not None

    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit(timeout=10) == 0
    assert daemon.messages()[-1].startswith("daemon stopped")
    assert daemon.problems() == []
    assert len(harness.fake.posts) == 3

    status = harness.status()
    assert status["daemon"]["running"] is False
    assert status["daemon"]["pid"] is None
    assert status["daemon"]["stopped_at"] is not None


def test_edit_and_skip_while_running_are_honoured(harness: Harness) -> None:
    daemon = harness.start_daemon()
    skipped = harness.add("skipped", soon(3))
    moved_later = harness.add("moved-later", soon(3))
    moved_sooner = harness.add("moved-sooner", soon(1800))
    daemon.wait_for(f"planned: entry {skipped} at")

    harness.ok("skip", str(skipped))
    later_at = soon(5)
    harness.ok("edit", str(moved_later), "--at", later_at.isoformat())
    sooner_at = soon(4)
    harness.ok("edit", str(moved_sooner), "--at", sooner_at.isoformat())

    assert_on_time(harness.posted("moved-sooner"), sooner_at)
    assert_on_time(harness.posted("moved-later"), later_at)
    daemon.wait_for(f"posted entry {moved_later}:")
    assert harness.posts_of("skipped") == []
    assert harness.entry(skipped)["status"] == "skipped"
    assert not any(m.startswith(f"posting entry {skipped} ") for m in daemon.messages())

    daemon.signal(signal.SIGINT)  # Ctrl-C in a terminal: the same clean stop as SIGTERM
    assert daemon.wait_exit(timeout=10) == 0
    assert daemon.messages()[-1].startswith("daemon stopped")
    assert daemon.problems() == []
    assert len(harness.fake.posts) == 2


def test_sigterm_while_posting_finishes_the_post_in_hand(harness: Harness) -> None:
    daemon = harness.start_daemon()
    harness.fake.fail_next("create_tweet", FaultMode.DELAY, delay=2.0)
    at = soon(2.5)
    in_hand = harness.add("in-hand", at)
    next_one = harness.add("next-one", at)  # due at the same time, after the one in hand

    daemon.wait_for(f"posting entry {in_hand} ")
    wait_until(lambda: create_in_flight(harness.fake), what="the post request")
    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit(timeout=10) == 0

    post = harness.posted("in-hand")
    entry = harness.entry(in_hand)
    assert entry["status"] == "posted"
    assert entry["posts"][0]["remote_id"] == post.id
    assert harness.posts_of("next-one") == []
    assert harness.entry(next_one)["status"] == "queued"
    messages = daemon.messages()
    received = next(i for i, m in enumerate(messages) if m.startswith("received SIGTERM"))
    done = next(i for i, m in enumerate(messages) if m.startswith(f"posted entry {in_hand}:"))
    assert received < done
    assert f"stopping before entry {next_one} as asked" in messages
    assert messages[-1].startswith("daemon stopped")
    assert daemon.problems() == []


def test_mid_post_the_lease_holds_and_a_second_signal_exits_at_once(harness: Harness) -> None:
    daemon = harness.start_daemon()
    harness.fake.fail_next("create_tweet", FaultMode.DELAY, delay=30.0)
    entry_id = harness.add("slow", soon(2))
    posting = daemon.wait_for(f"posting entry {entry_id} ")
    wait_until(lambda: create_in_flight(harness.fake), what="the post request")

    # Longer than stale_after into the post: the lease must still look alive.
    wait_until(lambda: time.time() > posting["seen"] + STALE_AFTER + 0.5, what="the stale window")
    assert harness.status()["daemon"]["running"] is True
    second = harness.spawn("run")
    _, err = second.communicate(timeout=STARTUP)
    assert second.returncode == 1, err
    assert "another paperbot daemon is running on this database" in err
    assert f"pid {daemon.pid}" in err
    assert daemon.process.poll() is None

    daemon.signal(signal.SIGTERM)
    daemon.wait_for("received SIGTERM")
    assert not harness.lock_is_free()  # the post in hand still holds the database
    daemon.signal(signal.SIGTERM)
    # The slow post answers in 30 s: exiting before then is exiting at once.
    assert daemon.wait_exit(timeout=25) == 1
    assert "second signal: exiting at once" in daemon.messages()
    assert harness.fake.posts == []  # the slow post was still in hand
    assert harness.entry(entry_id)["status"] == "posting"  # unknown: settled on next start
    # The database is free for a successor at once, and status knows the daemon stopped.
    assert harness.lock_is_free()
    stopped = harness.status()["daemon"]
    assert stopped["running"] is False and stopped["stopped_at"] is not None


def test_sigkill_while_posting_then_restart_posts_every_entry_exactly_once(
    harness: Harness,
) -> None:
    daemon = harness.start_daemon()
    harness.fake.fail_next("create_tweet", FaultMode.DELAY, delay=1.5)
    at = soon(2)
    figure = harness.cli.workdir / "figure.png"
    figure.write_bytes(picture("PNG", (30, 120, 200)))
    # Two figures: X shows the post with one more t.co link, which settling must see past.
    killed = harness.add("killed", at, *["--image", str(figure), "--alt", "A figure"] * 2)
    waiting = harness.add("waiting", at)
    daemon.wait_for(f"posting entry {killed} ")
    wait_until(lambda: create_in_flight(harness.fake), what="the post request")
    daemon.process.kill()
    assert daemon.wait_exit(timeout=10) == -signal.SIGKILL

    # X accepted the post although the daemon never heard; the entry is left `posting`.
    harness.posted("killed")
    assert harness.entry(killed)["status"] == "posting"
    assert harness.entry(waiting)["status"] == "queued"
    # The kernel dropped the killed daemon's lock with it: status and a restart know at once.
    assert harness.status()["daemon"]["running"] is False
    restarted = harness.start_daemon()
    restarted.wait_for(f"settled entry {killed}: it was posted (x)")
    restarted.wait_for(f"posted entry {waiting}:")
    messages = restarted.messages()
    settled = next(i for i, m in enumerate(messages) if m.startswith(f"settled entry {killed}:"))
    posting = next(i for i, m in enumerate(messages) if m.startswith(f"posting entry {waiting}"))
    assert settled < posting
    assert not any(m.startswith(f"posting entry {killed} ") for m in messages)

    restarted.signal(signal.SIGTERM)
    assert restarted.wait_exit(timeout=10) == 0
    assert restarted.problems() == []

    assert sorted(post.text.rsplit("/", 1)[1] for post in harness.fake.posts) == [
        "killed",
        "waiting",
    ]
    assert harness.fake.routes_called().count("create_tweet") == 2
    assert len(harness.posted("killed").media_ids) == 2
    for entry_id, slug in ((killed, "killed"), (waiting, "waiting")):
        entry = harness.entry(entry_id)
        assert entry["status"] == "posted"
        [post] = [p for p in entry["posts"] if p["channel"] == "x"]
        assert post["remote_id"] == harness.posted(slug).id


def test_a_second_daemon_is_refused_and_a_standby_one_takes_over_after_sigkill(
    harness: Harness,
) -> None:
    active = harness.start_daemon()
    second = harness.spawn("run")
    _, err = second.communicate(timeout=STARTUP)
    assert second.returncode == 1, err
    assert f"another paperbot daemon is running on this database (pid {active.pid} on" in err
    assert "--standby" in err

    standby = harness.start_daemon("--standby", wait_for="standing by")
    assert f"pid {active.pid} on" in standby.wait_for("standing by")["message"]
    first = harness.add("before", soon(1))
    harness.posted("before")
    active.wait_for(f"posted entry {first}:")
    assert not any(m.startswith("posting entry") for m in standby.messages())

    killed_at = time.time()
    active.process.kill()
    assert active.wait_exit(timeout=10) == -signal.SIGKILL
    started = standby.wait_for("daemon started", timeout=STARTUP)
    takeover = started["seen"] - killed_at
    print(f"standby takeover after SIGKILL: {takeover:.2f} s")  # shown with -s
    assert harness.status()["daemon"]["pid"] == standby.pid
    after = harness.add("after", soon(1))
    harness.posted("after")
    standby.wait_for(f"posted entry {after}:")

    # A standby asked to stop while waiting exits 0 without ever posting.
    waiting = harness.start_daemon("--standby", wait_for="standing by")
    waiting.signal(signal.SIGTERM)
    assert waiting.wait_exit(timeout=10) == 0
    assert "stopped while standing by" in waiting.messages()
    standby.signal(signal.SIGTERM)
    assert standby.wait_exit(timeout=10) == 0
    assert standby.problems() == [] and waiting.problems() == []
    assert len(harness.fake.posts) == 2


def test_a_standby_taking_over_with_a_raised_x_budget_sends_the_held_post(
    harness: Harness,
) -> None:
    """A rolling deploy: the new worker starts as a standby with the raised budget, the old one
    stops, and the post the old budget held goes out without waiting for the month to turn."""
    harness.cli.write_config(CONFIG.replace("[x]\n", "[x]\nmonthly_budget = 0.20\n"))
    active = harness.start_daemon()
    first = harness.add("first", soon(1))
    harness.posted("first")
    active.wait_for(f"posted entry {first}:")
    held = harness.add("held", soon(1))

    def held_by_the_budget() -> bool:
        return str(harness.entry(held)["last_error"]).startswith("X budget reached")

    wait_until(held_by_the_budget, what="the second post held by the budget")
    harness.cli.write_config(CONFIG.replace("[x]\n", "[x]\nmonthly_budget = 1.00\n"))
    standby = harness.start_daemon("--standby", wait_for="standing by")
    active.signal(signal.SIGTERM)
    assert active.wait_exit(timeout=10) == 0
    standby.wait_for("daemon started", timeout=STARTUP)
    harness.posted("held")
    standby.wait_for(f"posted entry {held}:")
    standby.signal(signal.SIGTERM)
    assert standby.wait_exit(timeout=10) == 0
    assert len(harness.fake.posts) == 2
    assert harness.entry(held)["status"] == "posted"
