"""Security, end to end: secrets never leave the environment, image fetching cannot be turned
against the host's network, and the repository keeps `.env` out of git.

The X credentials here are distinctive strings, loaded from a `.env` file as users do. Every
command a curator runs (including failures: X answering 401, 5xx, or a 400 that echoes the
token back) is run, and its stdout, stderr, `--json`, the daemon's log (JSON lines, verbose) and
the SQLite files themselves (database, WAL, shared memory) are searched for each secret.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import REPO, Paperbot
from tests.fakes.fake_x import FakeX
from tests.fakes.http_server import FakeHTTPServer, Reply
from tests.fakes.x_model import FaultMode
from tests.waiting import wait_until

PAPERBOT = str(Path(sys.executable).with_name("paperbot"))
SECRETS = {
    "X_API_KEY": "ck-SEKRIT-4b7e1d09c2",
    "X_API_SECRET": "cs-SEKRIT-e83a55f1b6",
    "X_ACCESS_TOKEN": "1000-at-SEKRIT-0c9d2e7a44",
    "X_ACCESS_TOKEN_SECRET": "ats-SEKRIT-71f0b3c8d5",
}
CONFIG = """\
timezone = "UTC"

[schedule]
slots = ["cron: 0 3 1 1 *"]
jitter_minutes = 0

[x]
timeout_seconds = 2
retry_base_seconds = 0.1
retry_max_seconds = 0.2
max_attempts = 3

[images]
allow_private_hosts = {private}
max_download_mb = 0.05
timeout_seconds = 2

[daemon]
poll_seconds = 0.2
heartbeat_seconds = 0.2
stale_after_seconds = 2
"""


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class Site:
    cli: Paperbot
    fake: FakeX
    outputs: list[str] = field(default_factory=list)

    def allow_private_hosts(self, allowed: bool) -> None:
        self.cli.write_config(CONFIG.format(private="true" if allowed else "false"))

    def run(self, *args: str, code: int | None = 0) -> str:
        result = self.cli(*args, PAPERBOT_X_API_BASE=self.fake.url)
        self.outputs += [result.stdout, result.stderr]
        if code is not None:
            assert result.exit_code == code, (args, result.stdout, result.stderr)
        return result.stdout + result.stderr

    def json(self, *args: str) -> Any:
        result = self.cli(*args, "--json", PAPERBOT_X_API_BASE=self.fake.url)
        self.outputs += [result.stdout, result.stderr]
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    def add(self, slug: str, *extra: str, code: int = 0) -> str:
        at = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
        return self.run(
            "add",
            f"https://example.org/{slug}",
            "--comment",
            f"Entry {slug}.",
            "--at",
            at,
            "--no-fetch",
            *extra,
            code=code,
        ).strip()

    def entry(self, entry_id: str) -> dict[str, Any]:
        result = self.cli("show", entry_id, "--json")
        assert result.exit_code == 0, result.stderr
        document: dict[str, Any] = json.loads(result.stdout)
        return document


@pytest.fixture
def site(paperbot: Paperbot) -> Iterator[Site]:
    # Secrets come from .env in the working directory, as the README tells users to do.
    (paperbot.workdir / ".env").write_text(
        "".join(f"{name}={value}\n" for name, value in SECRETS.items()), encoding="utf-8"
    )
    paperbot.write_config(CONFIG.format(private="false"))
    fake = FakeX(
        consumer_key=SECRETS["X_API_KEY"],
        consumer_secret=SECRETS["X_API_SECRET"],
        access_token=SECRETS["X_ACCESS_TOKEN"],
        access_token_secret=SECRETS["X_ACCESS_TOKEN_SECRET"],
    )
    with fake:
        yield Site(paperbot, fake)


def assert_clean(text: str, where: str) -> None:
    for name, secret in SECRETS.items():
        assert secret not in text, f"{name} leaked into {where}"
    for marker in ("oauth_signature", "oauth_token=", "Authorization: OAuth"):
        assert marker not in text, f"{marker!r} leaked into {where}"


def test_no_secret_in_any_output_log_json_or_database_file(site: Site) -> None:
    (site.cli.workdir / "fig.png").write_bytes(png())
    ids = [site.add("plain"), site.add("figure", "--image", "fig.png", "--alt", "A figure")]
    (site.cli.workdir / "week.json").write_text(
        json.dumps(
            [
                {
                    "url": f"https://example.org/imported/{n}",
                    "comment": f"Imported {n}.",
                    "at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
                }
                for n in range(3)
            ]
        ),
        encoding="utf-8",
    )
    site.run("import", "week.json")
    site.run("check")
    site.run("preview", "--json")
    site.run("schedule", "--json")

    # X fails in every way it can: a 5xx on the post, then a 400 that echoes the credentials.
    site.fake.fail_next("create_tweet", FaultMode.SERVER_ERROR, status=503)
    echo = " ".join(SECRETS.values())
    site.fake.fail_next(
        "create_tweet", FaultMode.INVALID, message=f"Invalid request for token {echo}"
    )
    site.run("run", "--once", "-v", "--log-format", "json", code=1)  # one failed for good
    site.run("post", ids[0], "-v", code=None)

    # The credentials are revoked: 401 everywhere; posting pauses with the fix in the message.
    site.fake.reject_credentials = True
    site.add("after-revoke")
    paused = site.run("run", "--once", "-v", code=1)
    assert "posting is paused" in paused
    site.run("check", code=1)
    site.run("status")
    status = site.json("status")
    assert status["channels"]["x"]["paused_reason"]

    # The daemon, verbose, as a subprocess: its real stderr, with the same 401s.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "X_"))}
    env.update(site.cli.env, PAPERBOT_X_API_BASE=site.fake.url)
    daemon = subprocess.Popen(
        [PAPERBOT, "run", "-v", "--log-format", "json"],
        cwd=site.cli.workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(daemon.stderr or ()), daemon=True)
    reader.start()
    # Wait for the event, not a fixed time: the daemon has started (and tried the queue).
    wait_until(lambda: any("daemon started" in line for line in list(lines)), "daemon started")
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=30)
    reader.join(timeout=30)
    out = daemon.stdout.read() if daemon.stdout else ""
    err = "".join(lines)
    site.outputs += [out, err]
    assert "daemon started" in err, err
    site.fake.reject_credentials = False

    for args in (
        ("history", "--json"),
        ("history", "--csv"),
        ("history",),
        ("list", "--json"),
        ("list",),
        ("status", "--json"),
        ("digest", "--week", site.json("list")[0]["week"]),
    ):
        site.run(*args)
    for entry_id in ids:
        site.run("show", entry_id, "--json")
    history = site.json("history")
    assert any(item["status"] == "posted" for item in history)
    assert any("Invalid request for token" in (item["last_error"] or "") for item in history)

    for number, text in enumerate(site.outputs):
        assert_clean(text, f"output #{number}")
    rows = repr(site.cli.dump())
    assert "Invalid request for token" in rows  # the dump holds the stored errors
    for name, secret in SECRETS.items():
        assert secret not in rows, f"{name} is stored in the {site.cli.store} database"
    if site.cli.store != "sqlite":
        return
    files = [p for p in site.cli.workdir.iterdir() if p.name.startswith("paperbot.db")]
    assert {p.name for p in files} >= {"paperbot.db"}
    for path in files:
        data = path.read_bytes()
        for name, secret in SECRETS.items():
            assert secret.encode() not in data, f"{name} is in {path.name}"
            assert secret.encode("utf-16-le") not in data, f"{name} is in {path.name}"


# -- image fetching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "file:///etc/passwd",
        "ftp://example.org/fig.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "javascript:alert(1)",
        "gopher://127.0.0.1:25/_HELO",
    ],
)
def test_add_and_import_refuse_images_that_are_not_files_or_http(site: Site, source: str) -> None:
    out = site.add("scheme", "--image", source, code=2)
    assert out.startswith("error: ") and "http(s)" in out and len(out.splitlines()) == 1
    (site.cli.workdir / "bad.json").write_text(
        json.dumps([{"url": "https://example.org/scheme", "image": source}]), encoding="utf-8"
    )
    assert site.run("import", "bad.json", code=2).startswith("error: ")
    assert site.json("list") == []


@pytest.fixture
def images() -> Iterator[FakeHTTPServer]:
    with FakeHTTPServer() as server:
        server.route("/fig.png", (200, {"Content-Type": "image/png"}, png()))
        yield server


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_an_image_on_a_loopback_host_fails_the_entry_with_the_reason_and_no_request(
    site: Site, images: FakeHTTPServer, host: str
) -> None:
    source = f"http://{host}:{images.port}/fig.png"
    entry_id = site.add("loopback", "--image", source, "--alt", "Figure")
    out = site.run("post", entry_id, code=1)
    assert "error: " in out and "loopback address" in out
    assert "images.allow_private_hosts = true" in out
    entry = site.entry(entry_id)
    assert entry["status"] == "failed"
    assert "loopback address" in entry["last_error"]
    assert images.requests == []  # refused before connecting
    assert site.fake.requests == []  # and X never heard of it

    # The operator trusts every source: the same entry then posts with its image.
    site.allow_private_hosts(True)
    site.run("retry", entry_id)
    assert site.run("post", entry_id).startswith("https://x.com/")
    [post] = site.fake.posts
    assert len(post.media_ids) == 1 and post.alt_texts == ("Figure",)
    assert images.paths() == ["/fig.png"]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, {}, png() + b"\0" * 80_000),  # honest Content-Length, over the cap
        Reply(200, {}, [b"\x89PNG\r\n\x1a\n"] + [b"\0" * 4096] * 40, content_length=False),
        Reply(200, {}, [b"\0" * 4096] * 40, chunked=True),
        Reply(200, {}, b"", content_length=10**9),  # declared huge: refused on the header
    ],
    ids=["content-length", "no-length", "chunked", "declared-huge"],
)
def test_an_oversized_image_body_fails_the_entry_without_reading_it_all(
    site: Site, images: FakeHTTPServer, reply: Reply
) -> None:
    site.allow_private_hosts(True)  # the fake image server is on 127.0.0.1
    images.route("/big.png", reply)
    entry_id = site.add("big", "--image", images.url("/big.png"))
    out = site.run("post", entry_id, code=1)
    assert "more than paperbot downloads" in out
    entry = site.entry(entry_id)
    assert entry["status"] == "failed" and "more than paperbot downloads" in entry["last_error"]
    assert site.fake.requests == []


def test_an_image_redirecting_to_a_file_url_is_refused(site: Site, images: FakeHTTPServer) -> None:
    site.allow_private_hosts(True)
    images.redirect("/moved.png", "file:///etc/passwd")
    entry_id = site.add("moved", "--image", images.url("/moved.png"))
    out = site.run("post", entry_id, code=1)
    assert "redirects to a file: URL" in out
    assert site.entry(entry_id)["status"] == "failed"


# -- the repository ------------------------------------------------------------------------------


def test_env_and_databases_are_git_ignored_and_the_example_holds_no_secret() -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for name in (".env", "paperbot.db", "paperbot.db-wal", "paperbot.db-shm"):
        assert any(fnmatch(name, pattern) for pattern in patterns), name
    assert not any(pattern.startswith("!") and fnmatch(".env", pattern[1:]) for pattern in patterns)
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    for line in example.splitlines():
        if line.startswith("X_"):
            name, _, value = line.partition("=")
            assert value.strip() == "", f"{name} has a value in .env.example"
    git = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=REPO, capture_output=True, check=False
    )
    assert git.returncode in (0, 128), git.stderr  # 128: not a git checkout (a source tarball)
