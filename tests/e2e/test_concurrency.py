"""Many `paperbot` processes writing one database at once, while the daemon posts from it.

Each CLI call is its own process (as when a curator queues from two terminals and cron runs
`import`), so the locking under test is the store's own: on SQLite WAL, the busy timeout and
BEGIN IMMEDIATE; on PostgreSQL conditional updates, row locks and transaction advisory locks.
Every process must exit 0, none may print "database is locked", and the final state must
be what every process did: no update lost.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.fakes.fake_x import FakeX
from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, Reply
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

PAPERBOT = str(Path(sys.executable).with_name("paperbot"))
CONFIG = """\
timezone = "UTC"

[schedule]
slots = ["cron: 0 3 1 1 *"]  # once a year: only entries with a past `at` are due
jitter_minutes = 0

[x]
retry_base_seconds = 0.2
max_attempts = 50

[daemon]
poll_seconds = 0.2
heartbeat_seconds = 0.2
stale_after_seconds = 5
"""


@dataclass(frozen=True)
class Call:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str


@dataclass
class Site:
    """A working directory with config and database, and every CLI call made in it."""

    workdir: Path
    fake: FakeX
    url: str
    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "X_"))}
        env.pop("DATABASE_URL", None)
        env.update(
            PAPERBOT_CONFIG=str(self.workdir / "paperbot.toml"),
            PAPERBOT_DATABASE_URL=self.url,
            PAPERBOT_OFFLINE="1",
            PAPERBOT_X_API_BASE=self.fake.url,
            X_API_KEY=self.fake.consumer_key,
            X_API_SECRET=self.fake.consumer_secret,
            X_ACCESS_TOKEN=self.fake.access_token,
            X_ACCESS_TOKEN_SECRET=self.fake.access_token_secret,
        )
        return env

    def run(self, *args: str) -> Call:
        result = subprocess.run(
            [PAPERBOT, *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        call = Call(args, result.returncode, result.stdout, result.stderr)
        with self._lock:
            self.calls.append(call)
        return call

    def spawn_daemon(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [PAPERBOT, "run", "--log-format", "json"],
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def query(self, sql: str) -> list[dict[str, Any]]:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        from bot.store.engine import normalise_url

        engine = create_engine(normalise_url(self.url), poolclass=NullPool)
        with engine.connect() as connection:
            rows = [dict(row) for row in connection.exec_driver_sql(sql).mappings()]
        engine.dispose()
        return rows

    def rows(self) -> dict[int, dict[str, Any]]:
        return {int(row["id"]): row for row in self.query("SELECT * FROM entry")}


@pytest.fixture
def site(tmp_path: Path, store: str, request: pytest.FixtureRequest) -> Iterator[Site]:
    """A site on the store under test; its database is empty (the first command migrates it)."""
    (tmp_path / "paperbot.toml").write_text(CONFIG, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'paperbot.db'}"
    databases = request.getfixturevalue("pg_databases") if store == "postgres" else None
    if databases is not None:
        url = databases.create(migrated=False)
    with FakeX() as fake:
        yield Site(tmp_path, fake, url)
    if databases is not None:
        databases.drop(url)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def in_parallel(jobs: list[Callable[[], None]]) -> None:
    """Run every job on its own thread at once; re-raise the first failure."""
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def test_cli_processes_and_the_daemon_write_at_once_without_losing_anything(site: Site) -> None:
    past, future = datetime.now(UTC) - timedelta(minutes=30), datetime.now(UTC) + timedelta(days=2)
    # Entries for the editors and the skipper: not due, so the daemon never claims them.
    seed = [
        {"url": f"https://example.org/seed/{n}", "comment": f"Seed {n}.", "at": iso(future)}
        for n in range(8)
    ]
    # Entries the daemon posts while the others write.
    due = [
        {"url": f"https://example.org/due/{n}", "comment": f"Due {n}.", "at": iso(past)}
        for n in range(12)
    ]
    (site.workdir / "seed.json").write_text(json.dumps(seed + due), encoding="utf-8")
    assert site.run("import", "seed.json").code == 0
    ids = {row["url"]: entry_id for entry_id, row in site.rows().items()}
    seed_ids = [ids[item["url"]] for item in seed]

    daemon = site.spawn_daemon()
    try:
        expected_comment: dict[int, str] = {}
        added: dict[str, list[int]] = {}

        def adder(name: str, count: int) -> Callable[[], None]:
            def job() -> None:
                for n in range(count):
                    when = past if n % 2 == 0 else future  # half are due at once
                    call = site.run(
                        "add",
                        f"https://example.org/{name}/{n}",
                        "--comment",
                        f"Added by {name}, number {n}.",
                        "--at",
                        iso(when),
                        "--no-fetch",
                    )
                    if call.code == 0:
                        added.setdefault(name, []).append(int(call.stdout))

            return job

        def editor(name: str, entry_ids: list[int], rounds: int) -> Callable[[], None]:
            def job() -> None:
                for round_ in range(rounds):
                    for entry_id in entry_ids:
                        comment = f"Edited by {name} in round {round_}."
                        call = site.run(
                            "edit",
                            str(entry_id),
                            "--comment",
                            comment,
                            "--title",
                            f"{name} {round_}",
                        )
                        if call.code == 0:
                            expected_comment[entry_id] = comment

            return job

        def skipper(entry_ids: list[int]) -> Callable[[], None]:
            def job() -> None:
                for entry_id in entry_ids:
                    site.run("skip", str(entry_id))

            return job

        def importer() -> None:
            items = [
                {
                    "url": f"https://example.org/imported/{n}",
                    "comment": f"Imported {n}.",
                    "at": iso(past if n < 3 else future),
                }
                for n in range(6)
            ]
            path = site.workdir / "more.json"
            path.write_text(json.dumps(items), encoding="utf-8")
            site.run("import", str(path))

        def reader() -> None:
            for args in (("list", "--json"), ("status", "--json"), ("history", "--json")):
                site.run(*args)

        in_parallel(
            [
                adder("alice", 4),
                adder("bob", 4),
                editor("carol", seed_ids[0:3], 2),
                editor("dave", seed_ids[3:5], 3),
                skipper(seed_ids[5:8]),
                importer,
                reader,
            ]
        )
        failed = [call for call in site.calls if call.code != 0]
        assert failed == [], failed
        locked = [c for c in site.calls if "database is locked" in c.stderr + c.stdout]
        assert locked == []

        rows = site.rows()
        due_urls = {item["url"] for item in due}
        due_urls |= {
            f"https://example.org/{name}/{n}" for name in ("alice", "bob") for n in range(0, 4, 2)
        }
        due_urls |= {f"https://example.org/imported/{n}" for n in range(3)}

        def all_due_posted() -> bool:
            states = {row["url"]: row["status"] for row in site.rows().values()}
            return all(states.get(url) == "posted" for url in due_urls)

        wait_until(all_due_posted, "the daemon to post every due entry")
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, log = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, log
    assert "database is locked" not in log
    levels = Counter(json.loads(line).get("level") for line in log.splitlines() if line)
    assert levels["error"] == 0, log

    rows = site.rows()
    by_url = {row["url"]: row for row in rows.values()}
    assert len(rows) == len(seed) + len(due) + 8 + 6
    for name in ("alice", "bob"):
        assert sorted(added[name]) == sorted(
            by_url[f"https://example.org/{name}/{n}"]["id"] for n in range(4)
        )
        for n in range(4):
            row = by_url[f"https://example.org/{name}/{n}"]
            assert row["comment"] == f"Added by {name}, number {n}."
            assert row["status"] == ("posted" if n % 2 == 0 else "queued")
    for entry_id, comment in expected_comment.items():
        assert rows[entry_id]["comment"] == comment
        assert rows[entry_id]["status"] == "queued"
    assert len(expected_comment) == 5
    assert rows[seed_ids[0]]["title"] == "carol 1"
    assert rows[seed_ids[4]]["title"] == "dave 2"
    for entry_id in seed_ids[5:8]:
        assert rows[entry_id]["status"] == "skipped"
    # Positions stay unique although adds and the import interleaved.
    positions = [row["position"] for row in rows.values()]
    assert len(set(positions)) == len(positions)

    texts = Counter(post.text for post in site.fake.posts)
    assert len(site.fake.posts) == len(due_urls)
    assert max(texts.values()) == 1
    posted_urls = {post.text.rsplit("\n", 1)[-1] for post in site.fake.posts}
    assert posted_urls == due_urls


def test_first_use_by_many_processes_at_once_migrates_once(site: Site) -> None:
    """A fresh database, eight `add`s started together: all succeed, one schema, eight rows."""
    if site.url.startswith("sqlite"):
        assert not (site.workdir / "paperbot.db").exists()

    def add(n: int) -> Callable[[], None]:
        def job() -> None:
            site.run(
                "add", f"https://example.org/fresh/{n}", "--comment", f"Fresh {n}.", "--no-fetch"
            )

        return job

    in_parallel([add(n) for n in range(8)])
    assert [c for c in site.calls if c.code != 0] == []
    assert all("database is locked" not in c.stderr for c in site.calls)
    rows = site.rows()
    assert sorted(row["url"] for row in rows.values()) == sorted(
        f"https://example.org/fresh/{n}" for n in range(8)
    )
    assert sorted(int(c.stdout) for c in site.calls) == sorted(rows)
    versions = site.query("SELECT version_num FROM alembic_version")
    assert len(versions) == 1


def test_an_edit_while_the_images_load_is_what_gets_posted(site: Site) -> None:
    """`edit` succeeds while `post` downloads the entry's figure: the edited text goes out."""
    config = site.workdir / "paperbot.toml"
    config.write_text(
        CONFIG + "\n[images]\nallow_private_hosts = true\ntimeout_seconds = 300\n",
        encoding="utf-8",
    )
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 90)).save(buffer, "PNG")
    fetched = threading.Event()
    edited = threading.Event()  # the first download answers only once the edit is done
    downloads: list[float] = []

    def figure(_request: RecordedRequest) -> Reply:
        downloads.append(time.monotonic())
        if len(downloads) == 1:
            fetched.set()
            assert edited.wait(timeout=240), "the edit never finished"
        return Reply(200, {}, buffer.getvalue())

    with FakeHTTPServer() as images:
        images.route("/fig.png", figure)
        past = datetime.now(UTC) - timedelta(minutes=5)
        added = site.run(
            "add",
            "https://example.org/edited",
            "--comment",
            "Old sentence.",
            "--image",
            images.url("/fig.png"),
            "--at",
            iso(past),
            "--no-fetch",
        )
        assert added.code == 0, added.stderr
        poster = subprocess.Popen(
            [PAPERBOT, "post", added.stdout.strip()],
            cwd=site.workdir,
            env=site.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert fetched.wait(timeout=120), "the figure download never started"
            edit = site.run("edit", added.stdout.strip(), "--comment", "New sentence.")
            assert edit.code == 0, edit.stderr
            edited.set()  # only now does the download in hand finish
            _, err = poster.communicate(timeout=120)
        finally:
            if poster.poll() is None:
                poster.kill()
                poster.wait()
    assert poster.returncode == 0, err
    [post] = site.fake.posts
    assert post.text.startswith("New sentence."), post.text
    assert "edited meanwhile" in err
    assert len(downloads) == 2
