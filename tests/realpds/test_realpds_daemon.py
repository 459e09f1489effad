"""The real ``paperbot run`` daemon (a subprocess on the real clock) posting to the official PDS,
through a lost answer, and starting again without a second login."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import Paperbot
from tests.e2e.test_daemon import PAPERBOT, Daemon
from tests.realpds.figures import chart
from tests.realpds.harness import Account, RealPds
from tests.waiting import wait_until

pytestmark = [pytest.mark.realpds, pytest.mark.timeout(2400)]

CONFIG = """\
timezone = "UTC"

[channels]
post_to = ["bluesky"]

[schedule]
slots = ["cron: 0 3 1 1 *"]  # once a year: entries here carry their own time
jitter_minutes = 0

[daemon]
poll_seconds = 0.5
heartbeat_seconds = 0.5

[x]  # the retry policy of every channel
retry_base_seconds = 1
retry_max_seconds = 4
"""
STARTUP = 120.0
CREATE = "com.atproto.repo.createRecord"


@pytest.fixture
def store() -> str:
    return "sqlite"


@pytest.fixture
def daemons(paperbot: Paperbot) -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait(timeout=30)


def start_daemon(paperbot: Paperbot, pds: RealPds, account: Account) -> Daemon:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "BLUESKY_"))}
    env.update(paperbot.env)
    env.update(
        BLUESKY_HANDLE=account.handle,
        BLUESKY_APP_PASSWORD=account.app_password,
        BLUESKY_SERVICE=pds.url,
    )
    process = subprocess.Popen(
        [PAPERBOT, "run", "--log-format", "json"],
        cwd=paperbot.workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    daemon = Daemon(process)
    daemon.start_reading()
    daemon.wait_for("daemon started", timeout=STARTUP)
    return daemon


def add(paperbot: Paperbot, n: int, at: datetime, figure: Path | None = None) -> int:
    args = ["add", f"https://arxiv.org/abs/2402.0000{n}", "--no-fetch", "--comment", f"Note {n}."]
    args += ["--at", at.isoformat()]
    if figure is not None:
        args += ["--image", str(figure), "--alt", "A bar chart."]
    result = paperbot(*args)
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip())


def status(paperbot: Paperbot, entry_id: int) -> str:
    result = paperbot("show", str(entry_id), "--json")
    return str(json.loads(result.stdout)["status"])


def test_the_daemon_posts_settles_a_lost_answer_and_restarts_without_logging_in(
    paperbot: Paperbot, pds: RealPds, account: Account, daemons: list[Daemon]
) -> None:
    paperbot.write_config(CONFIG)
    assert paperbot("db", "upgrade").exit_code == 0
    daemons.append(start_daemon(paperbot, pds, account))
    figure = paperbot.workdir / "figure.png"
    figure.write_bytes(chart(500, 300))
    pds.proxy.lose_answer(CREATE)
    first = add(paperbot, 1, datetime.now(UTC) + timedelta(seconds=2), figure)
    wait_until(
        lambda: status(paperbot, first) == "posted",
        what=lambda: f"the entry posted; the daemon's log:\n{daemons[0].log()}",
        timeout=300,
    )
    assert len(pds.records(account)) == 1
    daemons[0].signal(signal.SIGTERM)
    assert daemons[0].wait_exit(timeout=STARTUP) == 0

    daemons.append(start_daemon(paperbot, pds, account))
    second = add(paperbot, 2, datetime.now(UTC) + timedelta(seconds=2))
    wait_until(lambda: status(paperbot, second) == "posted", what="the second entry", timeout=300)
    daemons[1].signal(signal.SIGTERM)
    assert daemons[1].wait_exit(timeout=STARTUP) == 0

    records = pds.records(account)
    assert len(records) == 2
    mine = [seen for seen in pds.proxy.seen(CREATE) if account.did.encode() in seen.body]
    assert len(mine) == 2  # the lost one was looked up, never sent again
    logins = pds.proxy.seen("com.atproto.server.createSession")
    assert sum(account.handle.encode() in seen.body for seen in logins) == 1
    assert account.app_password not in "\n".join(d.log() for d in daemons)
