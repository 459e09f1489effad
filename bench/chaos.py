"""Chaos: the real `paperbot run` daemon, SIGKILLed at random moments, against a faulty fake X.

Every entry is due at once (`at` in the past), and half of them carry one to four figures (the
fake X, like X, then shows their text with one more t.co link for the media). While the daemon
posts, the fake X API fails requests at random (5xx, connections dropped before or after the
post was created, slow answers, some slower than the client's timeout, 429 with a reset a second
or two ahead), and a loop SIGKILLs the daemon at random moments and starts a new one at once, as
a supervisor would: no waiting out a lease. A start refused because the killed daemon still
seems to hold the database is counted (`refused restarts`) and retried at once. When the kills
are done the faults stop, one last daemon drains the queue and is stopped with SIGTERM. Then:

* every entry is `posted` (`paperbot list --json`): none lost;
* the fake holds exactly one post per entry, and no request ever tried to create a text the
  account already had (`double posts`: each would be a duplicate on X once its
  duplicate-content window has passed);
* `paperbot history --json` names, for each entry, the remote id the fake recorded for its text,
  and the fake holds as many images for it as the entry has figures.

The report counts daemon runs, kills, posts, duplicates, lost entries, refused restarts and the
takeover time (from a SIGKILL to the next daemon's "daemon started").

With ``--channels x,bluesky,mastodon`` the entries go to the fake Bluesky PDS and Mastodon
instance too, with random faults of their own (bench/chaos_channels.py): each platform must
then hold exactly one post per entry, and Bluesky logins are counted.

With ``--clock simulated`` time is simulated (bench/chaos_sim.py): entries are due a few per
slot, slots an hour apart, one `paperbot run --once` per slot with ``PAPERBOT_NOW`` pinned to
it and the fakes on the same clock, some passes SIGKILLed mid-way; every retry and every lookup
of a lost answer then comes an hour or more after the attempt. ``--mastodon-profile`` picks how
the fake Mastodon answers (``ignores-idempotency-key``: only a lookup stops a second status).

Usage: .venv/bin/python bench/chaos.py [--entries 200] [--kills 20] [--seed 1] [--keep]
       [--channels x,bluesky,mastodon] [--mastodon-profile ignores-idempotency-key]
       [--clock simulated] [--per-slot 4] [--kill-share 0.5]
`tests/e2e/test_chaos.py` runs the same code, smaller. Exit status 0 when every check holds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.chaos_channels import ChannelCheck, OtherPlatforms  # noqa: E402
from bench.chaos_sim import SimClock, run_passes  # noqa: E402
from tests.fakes.fake_x import FakeX  # noqa: E402  (needs ROOT on sys.path)
from tests.fakes.mastodon_model import PROFILES  # noqa: E402
from tests.fakes.x_model import Fault, FaultMode  # noqa: E402

PAPERBOT = str(Path(sys.executable).with_name("paperbot"))

CONFIG = """\
timezone = "UTC"

[schedule]
slots = ["cron: 0 3 1 1 *"]  # once a year: every entry here has an `at` in the past
jitter_minutes = 0

[x]
max_attempts = 1000
retry_base_seconds = 0.2
retry_max_seconds = 1
timeout_seconds = {timeout}

[daemon]
poll_seconds = 0.2
heartbeat_seconds = 0.3
stale_after_seconds = {stale}

[channels]
post_to = {channels}
"""


@dataclass
class ChaosConfig:
    entries: int = 200
    kills: int = 20
    seed: int = 1
    fault_rate: float = 0.3  # share of post requests that fail
    read_fault_rate: float = 0.15  # share of timeline / who-am-I reads that fail
    pace: float = 0.25  # the fake delays each healthy post request by up to this (seconds)
    timeout: float = 1.5  # the daemon's X request timeout
    stale: float = 2.0  # [daemon] stale_after_seconds
    min_life: float = 0.0  # a daemon is killed this long after it logged its start, at least
    max_life: float = 3.0  # ... and at most (simulated: the kill window until a pass is timed)
    startup_kills: float = 0.2  # share of kills at a random moment of the start-up instead
    shared_sentences: int = 0  # > 0: entries share this many comments (only links differ)
    figures: bool = True  # half the entries carry one to four figures
    deadline: float = 900.0  # seconds for the whole run before it counts as stuck
    workdir: Path | None = None  # default: a temporary directory, removed afterwards
    database_url: str | None = None  # default: a SQLite file in the workdir
    verbose: bool = False
    channels: tuple[str, ...] = ("x",)
    mastodon_profile: str = "mastodon4"  # tests/fakes/mastodon_model.py PROFILES
    # "real": daemons on the real clock, every entry due at once. "simulated": `run --once`
    # passes an hour apart on a simulated clock (bench/chaos_sim.py).
    clock: str = "real"
    per_slot: int = 4  # simulated: entries due in each hourly slot
    kill_share: float = 0.5  # simulated: share of passes SIGKILLed (until `kills` is reached)


@dataclass
class ChaosReport:
    entries: int = 0
    runs: int = 0  # daemon processes started
    refused: int = 0  # ... that exited because the killed one still seemed to hold the database
    kills: int = 0  # SIGKILLs of a live daemon
    kills_in_flight: int = 0  # ... while a post request was at the fake
    kills_with_work_left: int = 0  # ... while some entry was not posted yet
    posts: int = 0  # posts on the fake X
    creates: int = 0  # post requests the fake received (faulty ones included)
    double_posts: int = 0  # requests to create a text the account already had
    duplicate_texts: int = 0  # texts the fake holds more than once
    lost: list[int] = field(default_factory=list)  # entries not `posted` at the end
    mismatches: list[str] = field(default_factory=list)  # history vs. the fake
    faults: Counter[str] = field(default_factory=Counter)
    log_problems: Counter[str] = field(default_factory=Counter)  # error lines in daemon logs
    final_exit: int | None = None  # the last daemon's exit status after SIGTERM
    with_figures: int = 0  # entries that carry figures
    takeovers: list[float] = field(default_factory=list)  # SIGKILL to the next daemon started
    seconds: float = 0.0
    others: dict[str, ChannelCheck] = field(default_factory=dict)  # Bluesky, Mastodon
    logins: int = 0  # Bluesky logins (createSession)
    clock: str = "real"  # how time went (bench/chaos_sim.py says it for the simulated clock)
    passes: int = 0  # simulated clock: `run --once` passes, one per hour

    @property
    def duplicates(self) -> int:
        return self.double_posts + self.duplicate_texts

    def ok(self) -> bool:
        return (
            not self.lost
            and not self.mismatches
            and self.duplicates == 0
            and self.posts == self.entries
            and self.final_exit == 0
            and all(check.ok(self.entries) for check in self.others.values())
            and (not self.others.get("bluesky") or self.logins <= self.runs)
        )

    def summary(self) -> str:
        faults = ", ".join(f"{mode} {count}" for mode, count in sorted(self.faults.items()))
        problems = ", ".join(f"{k!r} x{v}" for k, v in self.log_problems.most_common(8))
        takeovers = sorted(self.takeovers)
        takeover = (
            f"takeover after a kill: median {takeovers[len(takeovers) // 2]:.2f} s, "
            f"max {takeovers[-1]:.2f} s"
            if takeovers
            else "takeover after a kill: none measured"
        )
        return "\n".join(
            [
                f"entries {self.entries} ({self.with_figures} with figures), posts {self.posts}, "
                f"duplicates {self.duplicates} (double-post attempts {self.double_posts}, "
                f"duplicate texts {self.duplicate_texts}), lost {len(self.lost)}",
                f"runs {self.runs}, refused restarts {self.refused}, kills {self.kills} "
                f"(a post request in flight: {self.kills_in_flight}; with work left: "
                f"{self.kills_with_work_left}), final exit {self.final_exit}",
                takeover,
                f"post requests at the fake {self.creates}; faults injected: {faults or 'none'}",
                f"history mismatches {len(self.mismatches)}"
                + (f": {self.mismatches[:5]}" if self.mismatches else ""),
                f"daemon log errors/warnings: {problems or 'none'}",
                *(
                    f"{name}: posts {check.posts}, duplicates {check.duplicates}, lost "
                    f"{len(check.lost)}, history mismatches {len(check.mismatches)}"
                    + (f" ({check.mismatches[:3]})" if check.mismatches else "")
                    for name, check in self.others.items()
                ),
                *(
                    [f"Bluesky logins {self.logins} in {self.runs} daemon runs"]
                    if self.others
                    else []
                ),
                f"clock: {self.clock}",
                f"{self.seconds:.1f} s",
            ]
        )


class ChaosX(FakeX):
    """The fake X with random faults on every request, and a record of double-post attempts."""

    def __init__(self, config: ChaosConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.rng = random.Random(config.seed)
        self.chaos = True
        self.injected: Counter[str] = Counter()
        self.double_posts: list[str] = []
        self._in_flight = 0
        self._chaos_lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        with self._chaos_lock:
            return self._in_flight

    def calm(self) -> None:
        """No more faults (slow answers stay, within the timeout)."""
        self.chaos = False

    def _handle(self, handler: Any) -> None:
        creating = handler.command == "POST" and urlsplit(handler.path).path == "/2/tweets"
        if creating:
            with self._chaos_lock:
                self._in_flight += 1
        try:
            super()._handle(handler)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the daemon was killed while waiting for this answer
        finally:
            if creating:
                with self._chaos_lock:
                    self._in_flight -= 1

    def _take_fault(self, route: str) -> Fault | None:
        fault = super()._take_fault(route)  # faults a test queued with fail_next come first
        if fault is not None:
            return fault
        with self._chaos_lock:
            fault, label = self._random_fault(route)
            if label:
                self.injected[f"{route}:{label}"] += 1
        return fault

    def _random_fault(self, route: str) -> tuple[Fault | None, str]:
        """A fault for one request to `route` and its label ("pace": a healthy slow answer)."""
        rng, config = self.rng, self.config
        creating = route == "create_tweet"
        rate = config.fault_rate if creating else config.read_fault_rate
        if not self.chaos or rng.random() >= rate:
            if creating and config.pace > 0:
                return _fault(route, FaultMode.DELAY, delay=rng.uniform(0, config.pace)), "pace"
            return None, ""
        mode = rng.choice(
            [
                FaultMode.SERVER_ERROR,
                FaultMode.SERVER_ERROR,
                FaultMode.DROP_BEFORE,
                FaultMode.DROP_AFTER,
                FaultMode.DROP_AFTER,
                FaultMode.DELAY,
                FaultMode.DELAY,
                FaultMode.RATE_LIMITED,
            ]
        )
        if mode is FaultMode.SERVER_ERROR:
            fault = _fault(route, mode, status=rng.choice([500, 502, 503]))
        elif mode is FaultMode.RATE_LIMITED:
            # On the fake's clock: a simulated hour later the reset has passed.
            reset = int(self.now().timestamp() + rng.uniform(1, 2.5))
            fault = _fault(route, mode, reset=reset)
        elif mode is FaultMode.DELAY:
            # Sometimes longer than the client waits: the post then lands after it gave up.
            fault = _fault(route, mode, delay=rng.uniform(0, config.timeout * 1.5))
        else:
            fault = _fault(route, mode, delay=rng.uniform(0, config.timeout / 2))
        return fault, mode.value

    def _create_tweet(self, body: bytes) -> Any:
        try:
            text = json.loads(body).get("text")
        except (ValueError, AttributeError):
            text = None
        if text and any(post.text == text for post in self._posts):
            self.double_posts.append(text)
        return super()._create_tweet(body)


def _fault(
    route: str,
    mode: FaultMode,
    *,
    status: int | None = None,
    reset: int | None = None,
    delay: float = 0.0,
) -> Fault:
    return Fault(route, mode, 1, status, reset, None, delay, None)


class Installation:
    """One working directory with its config, database and the daemons run in it."""

    def __init__(
        self, workdir: Path, fake: FakeX, config: ChaosConfig, others: OtherPlatforms
    ) -> None:
        self.workdir = workdir
        self.fake = fake
        self.config = config
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        (workdir / "paperbot.toml").write_text(
            CONFIG.format(
                timeout=config.timeout, stale=config.stale, channels=json.dumps(config.channels)
            ),
            encoding="utf-8",
        )
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "X_"))}
        self.env.pop("DATABASE_URL", None)
        self.env.update(
            {
                "PAPERBOT_CONFIG": str(workdir / "paperbot.toml"),
                "PAPERBOT_DATABASE_URL": config.database_url
                or f"sqlite:///{workdir / 'paperbot.db'}",
                "PAPERBOT_OFFLINE": "1",
                "PAPERBOT_X_API_BASE": fake.url,
                "X_API_KEY": fake.consumer_key,
                "X_API_SECRET": fake.consumer_secret,
                "X_ACCESS_TOKEN": fake.access_token,
                "X_ACCESS_TOKEN_SECRET": fake.access_token_secret,
                **others.env(),
            }
        )
        self.runs = 0
        self.clock: Callable[[], datetime] | None = None  # simulated time: PAPERBOT_NOW

    def _env(self) -> dict[str, str]:
        if self.clock is None:
            return self.env
        return self.env | {"PAPERBOT_NOW": self.clock().isoformat()}

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [PAPERBOT, *args],
            cwd=self.workdir,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"paperbot {' '.join(args)} exited {result.returncode}: {result.stderr.strip()}"
            )
        return result.stdout

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json"))

    def queue(
        self,
        count: int,
        shared: int = 0,
        figures: bool = True,
        slots: tuple[datetime, int] | None = None,
    ) -> dict[str, int]:
        """`count` entries, all due (their `at` passed an hour ago), imported in one file;
        returns the number of figures of each entry, by URL. With `slots` (first slot, entries
        per slot), `per_slot` entries are due at each hour from the first slot on instead.

        With `shared`, entries cycle through that many comments, so posts differ only by their
        link, which X shows as a t.co link: settling must still tell them apart. With
        `figures`, every other entry carries one to four figures.
        """
        start = slots[0] if slots else datetime.now(UTC) - timedelta(hours=1)
        names = _write_figures(self.workdir) if figures else []
        items: list[dict[str, Any]] = []
        wanted: dict[str, int] = {}
        for n in range(count):
            url = f"https://example.org/chaos/{n}"
            item: dict[str, Any] = {
                "url": url,
                "title": f"Chaos paper {n}",
                "comment": f"Chaos entry {n % shared if shared else n} survives faults and "
                "kills. The rest is detail.",
                "at": (start + _offset(n, slots)).isoformat(),
            }
            images = 1 + (n // 2) % 4 if names and n % 2 == 0 else 0
            if images:
                item["images"] = [
                    {"source": names[(n + k) % len(names)], "alt": f"Panel {k} of entry {n}"}
                    for k in range(images)
                ]
            wanted[url] = images
            items.append(item)
        path = self.workdir / "entries.json"
        path.write_text(json.dumps(items), encoding="utf-8")
        self.cli("import", str(path))
        return wanted

    def spawn(self, *options: str) -> tuple[subprocess.Popen[bytes], Path]:
        """A `paperbot run` (the daemon; `--once` for one pass) logging JSON to its own file."""
        self.runs += 1
        log = self.logs / f"run-{self.runs:04d}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [PAPERBOT, "run", *options, "--log-format", "json"],
                cwd=self.workdir,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return process, log

    def statuses(self) -> dict[int, str]:
        """Entry id -> status, read straight from the file (cheaper than the CLI, as fresh)."""
        if self.config.database_url:
            return _server_statuses(self.config.database_url)
        import sqlite3

        with sqlite3.connect(self.workdir / "paperbot.db", timeout=30) as connection:
            rows = connection.execute("SELECT id, status FROM entry").fetchall()
        return {int(entry_id): str(status) for entry_id, status in rows}


def _offset(n: int, slots: tuple[datetime, int] | None) -> timedelta:
    """When entry `n` is due after the first: its slot's hour, or a second after the one before."""
    return timedelta(hours=n // slots[1]) if slots else timedelta(seconds=n)


def _server_statuses(url: str) -> dict[int, str]:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from bot.store.engine import normalise_url

    engine = create_engine(normalise_url(url), poolclass=NullPool)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT id, status FROM entry").fetchall()
    engine.dispose()
    return {int(entry_id): str(status) for entry_id, status in rows}


def _write_figures(workdir: Path) -> list[str]:
    """Six small figures (PNG and JPEG) the entries share; names relative to the import file."""
    import io

    from PIL import Image

    names = []
    for i in range(6):
        fmt, ext = ("PNG", "png") if i % 2 else ("JPEG", "jpg")
        buffer = io.BytesIO()
        Image.new("RGB", (48 + i, 32), (40 * i, 200 - 30 * i, 90)).save(buffer, fmt)
        name = f"figure{i}.{ext}"
        (workdir / name).write_bytes(buffer.getvalue())
        names.append(name)
    return names


def _wait_for_start(process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> bool:
    """Until the daemon logged its start (True), or exited or timed out (False)."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if b"daemon started" in log.read_bytes():
            return True
        time.sleep(0.02)
    return b"daemon started" in log.read_bytes()


def _log_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            line = {"level": "raw", "message": raw}
        if not isinstance(line, dict):
            line = {"level": "raw", "message": raw}
        lines.append(line)
    return lines


def _problem_key(message: str) -> str:
    """A log message without its numbers and times, to count problems by kind."""
    words = []
    for word in message.split()[:8]:
        words.append("#" if any(ch.isdigit() for ch in word) else word)
    return " ".join(words)


def run_chaos(config: ChaosConfig) -> ChaosReport:
    report = ChaosReport(entries=config.entries)
    started = time.monotonic()
    owned = config.workdir is None
    workdir = config.workdir or Path(tempfile.mkdtemp(prefix="paperbot-chaos-"))
    rng = random.Random(config.seed + 1)
    simulated = config.clock == "simulated"
    clock = SimClock()  # the fakes and every paperbot run read it when simulated
    now = clock if simulated else (lambda: datetime.now(UTC))
    fake = ChaosX(config, now=now)
    fake.start()
    others = OtherPlatforms(
        config.channels,
        config.fault_rate,
        config.seed,
        mastodon_profile=config.mastodon_profile,
        now=clock if simulated else None,
    )
    others.start(timer=not simulated)
    try:
        install = Installation(workdir, fake, config, others)
        install.clock = clock if simulated else None
        install.cli("db", "upgrade")
        slots = (clock.slot(0), config.per_slot) if simulated else None
        wanted = install.queue(config.entries, config.shared_sentences, config.figures, slots)
        report.with_figures = sum(1 for n in wanted.values() if n)
        deadline = started + config.deadline

        def say(text: str) -> None:
            if config.verbose:
                print(f"[{time.monotonic() - started:7.1f}] {text}", flush=True)

        if config.clock == "simulated":
            run_passes(install, fake, others, report, clock, deadline, say)
        else:
            _run_daemons(install, fake, others, report, rng, deadline, say)
        report.runs = install.runs
        _check(install, fake, report, wanted)
        report.others = others.check(install.cli_json("list"), install.cli_json("history"))
        report.logins = others.logins
        for path in sorted(install.logs.iterdir()):
            for line in _log_lines(path):
                if line.get("level") in ("warning", "error", "critical", "raw"):
                    report.log_problems[_problem_key(str(line.get("message", "")))] += 1
    finally:
        fake.stop()
        others.stop()
        report.faults = Counter(fake.injected) + others.injected
        report.seconds = time.monotonic() - started
        if owned and (report.ok() or not config.verbose):
            shutil.rmtree(workdir, ignore_errors=True)
    return report


def _run_daemons(
    install: Installation,
    fake: ChaosX,
    others: OtherPlatforms,
    report: ChaosReport,
    rng: random.Random,
    deadline: float,
    say: Callable[[str], None],
) -> None:
    """Real clock: daemons SIGKILLed at random and restarted at once, then one drains the queue
    and is stopped with SIGTERM."""
    config = install.config
    killed_at: float | None = None  # when the last kill happened, until a daemon starts
    live: subprocess.Popen[bytes] | None = None
    try:
        while report.kills < config.kills:
            if time.monotonic() > deadline:
                raise TimeoutError(f"chaos phase over {config.deadline} s")
            live, log = install.spawn()
            if rng.random() < config.startup_kills:
                life = rng.uniform(0, 1.5)  # importing, migrating, taking the lease
            else:
                if _wait_for_start(live, log) and killed_at is not None:
                    report.takeovers.append(time.monotonic() - killed_at)
                    killed_at = None
                life = rng.uniform(config.min_life, config.max_life)
            try:
                code = live.wait(timeout=life)
            except subprocess.TimeoutExpired:
                in_flight = fake.in_flight > 0
                live.send_signal(signal.SIGKILL)
                live.wait(timeout=30)
                live = None
                if killed_at is None and b"daemon started" in log.read_bytes():
                    killed_at = time.monotonic()  # a running daemon died: time its successor
                report.kills += 1
                report.kills_in_flight += in_flight
                left = sum(s != "posted" for s in install.statuses().values())
                report.kills_with_work_left += left > 0
                say(
                    f"kill {report.kills} after {life:.2f} s (in flight: {in_flight}, "
                    f"{left} not posted)"
                )
                continue
            live = None
            text = log.read_text(encoding="utf-8", errors="replace")
            if code == 1 and "another paperbot daemon is running" in text:
                report.refused += 1  # and restarted at once, as a supervisor would
                continue
            raise RuntimeError(f"daemon exited {code} on its own:\n{text[-3000:]}")

        say("faults off; draining the queue")
        fake.calm()
        others.calm()
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"chaos run over {config.deadline} s")
            live, log = install.spawn()
            if _wait_for_start(live, log) and killed_at is not None:
                report.takeovers.append(time.monotonic() - killed_at)
                killed_at = None
            if live.poll() is None:
                break
            text = log.read_text(encoding="utf-8", errors="replace")
            if "another paperbot daemon is running" not in text:
                raise RuntimeError(f"the last daemon exited {live.returncode}:\n{text[-3000:]}")
            report.refused += 1
        while any(s in ("queued", "posting") for s in install.statuses().values()):
            if live.poll() is not None:
                raise RuntimeError(f"the last daemon died: {log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        live.send_signal(signal.SIGTERM)
        report.final_exit = live.wait(timeout=60)
        live = None
    finally:
        if live is not None and live.poll() is None:
            live.kill()
            live.wait(timeout=30)


def _check(
    install: Installation, fake: ChaosX, report: ChaosReport, wanted: dict[str, int]
) -> None:
    entries = install.cli_json("list")
    history = install.cli_json("history", "--channel", "x")
    posts = fake.posts
    report.posts = len(posts) if "x" in install.config.channels else report.entries
    report.creates = sum(1 for r in fake.requests if r.route == "create_tweet")
    report.double_posts = len(fake.double_posts)
    texts = Counter(post.text for post in posts)
    report.duplicate_texts = sum(n - 1 for n in texts.values() if n > 1)
    by_text = {post.text: post for post in posts}
    report.lost = [e["id"] for e in entries if e["status"] != "posted"]
    by_entry: dict[int, list[dict[str, Any]]] = {}
    for item in history:
        by_entry.setdefault(item["entry_id"], []).append(item)
    remote_ids = []
    for entry in entries:
        items = by_entry.get(entry["id"], [])
        if len(items) != 1:
            report.mismatches.append(f"entry {entry['id']}: {len(items)} x posts in history")
            continue
        item = items[0]
        remote = by_text.get(item["text"])
        if item["status"] != "posted":
            report.mismatches.append(f"entry {entry['id']}: history says {item['status']}")
        elif remote is None:
            report.mismatches.append(f"entry {entry['id']}: its text is not on the fake X")
        elif remote.id != item["remote_id"]:
            report.mismatches.append(
                f"entry {entry['id']}: history has {item['remote_id']}, the fake {remote.id}"
            )
        elif not item["text"].endswith(entry["url"]):
            report.mismatches.append(f"entry {entry['id']}: posted text has another link")
        elif len(remote.media_ids) != wanted.get(entry["url"], 0):
            report.mismatches.append(
                f"entry {entry['id']}: {len(remote.media_ids)} images on X, "
                f"{wanted.get(entry['url'], 0)} figures queued"
            )
        remote_ids.append(item["remote_id"])
    if len(set(remote_ids)) != len(remote_ids):
        report.mismatches.append("two entries claim the same remote post")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=ChaosConfig.entries)
    parser.add_argument("--kills", type=int, default=ChaosConfig.kills)
    parser.add_argument("--seed", type=int, default=ChaosConfig.seed)
    parser.add_argument("--fault-rate", type=float, default=ChaosConfig.fault_rate)
    parser.add_argument("--read-fault-rate", type=float, default=ChaosConfig.read_fault_rate)
    parser.add_argument(
        "--pace",
        type=float,
        default=ChaosConfig.pace,
        help="max delay of a healthy post request (s); slows the queue down",
    )
    parser.add_argument("--timeout", type=float, default=ChaosConfig.timeout)
    parser.add_argument("--min-life", type=float, default=ChaosConfig.min_life)
    parser.add_argument("--max-life", type=float, default=ChaosConfig.max_life)
    parser.add_argument("--startup-kills", type=float, default=ChaosConfig.startup_kills)
    parser.add_argument(
        "--shared-sentences",
        type=int,
        default=0,
        help="entries share this many comments (only their links differ)",
    )
    parser.add_argument(
        "--no-figures", action="store_true", help="no entry carries figures (default: half do)"
    )
    parser.add_argument("--deadline", type=float, default=ChaosConfig.deadline)
    parser.add_argument("--workdir", type=Path, help="keep everything (logs, database) here")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument(
        "--channels",
        default="x",
        help="comma-separated: x, bluesky, mastodon (each gets its own faulty fake)",
    )
    parser.add_argument(
        "--mastodon-profile",
        choices=sorted(PROFILES),
        default=ChaosConfig.mastodon_profile,
        help="how the fake Mastodon answers (tests/fakes/mastodon_model.py PROFILES)",
    )
    parser.add_argument(
        "--clock",
        choices=("real", "simulated"),
        default=ChaosConfig.clock,
        help="simulated: one `run --once` per slot, slots an hour apart (bench/chaos_sim.py)",
    )
    parser.add_argument(
        "--per-slot",
        type=int,
        default=ChaosConfig.per_slot,
        help="simulated: entries due in each hourly slot",
    )
    parser.add_argument(
        "--kill-share",
        type=float,
        default=ChaosConfig.kill_share,
        help="simulated: share of passes SIGKILLed until --kills is reached",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: a throwaway local server (or PAPERBOT_TEST_POSTGRES_URL)",
    )
    args = parser.parse_args(argv)
    if "x" not in args.channels.split(","):
        parser.error("--channels must include x (the checks of the X side stay on)")
    if args.per_slot < 1:
        parser.error("--per-slot must be at least 1")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    config = ChaosConfig(
        entries=args.entries,
        kills=args.kills,
        seed=args.seed,
        fault_rate=args.fault_rate,
        read_fault_rate=args.read_fault_rate,
        pace=args.pace,
        timeout=args.timeout,
        min_life=args.min_life,
        max_life=args.max_life,
        startup_kills=args.startup_kills,
        shared_sentences=args.shared_sentences,
        figures=not args.no_figures,
        deadline=args.deadline,
        workdir=args.workdir,
        verbose=not args.quiet,
        channels=tuple(name.strip() for name in args.channels.split(",") if name.strip()),
        mastodon_profile=args.mastodon_profile,
        clock=args.clock,
        per_slot=args.per_slot,
        kill_share=args.kill_share,
    )
    if args.database == "postgres":
        from bench.pg_database import throwaway_database

        with throwaway_database() as url:
            config.database_url = url
            report = run_chaos(config)
    else:
        report = run_chaos(config)
    print(report.summary())
    print("OK" if report.ok() else "FAILED")
    return 0 if report.ok() else 1


if __name__ == "__main__":
    raise SystemExit(main())
