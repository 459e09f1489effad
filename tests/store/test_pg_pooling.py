"""`paperbot check` on PostgreSQL: a direct connection is said to be one, and a real PgBouncer in
`pool_mode=transaction` (under which a session advisory lock means nothing) is warned about.

PgBouncer is the real one (Debian's `pgbouncer` package) in front of the tests' server; without
the binary these tests are skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.store.engine import make_engine
from bot.store.pg_lock import shared_sessions
from tests.conftest import Paperbot
from tests.fakes.fake_x import FakeX
from tests.pgcluster import _demote, _unprivileged
from tests.waiting import wait_until


@pytest.fixture
def store() -> str:
    return "postgres"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def pgbouncer(database_url: str) -> Iterator[str]:
    """The database's URL through a PgBouncer in transaction pooling mode."""
    binary = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if binary is None:
        pytest.skip("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    server = make_url(database_url)
    user = _unprivileged()
    root = Path(tempfile.mkdtemp(prefix="paperbot-pgbouncer-"))
    port = free_port()
    (root / "users.txt").write_text(f'"{server.username}" ""\n')
    (root / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={server.host} port={server.port}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {root / "users.txt"}
pool_mode = transaction
default_pool_size = 4
logfile = {root / "pgbouncer.log"}
pidfile = {root / "pgbouncer.pid"}
"""
    )
    if user is not None:
        for path in (root, *root.iterdir()):
            os.chown(path, user.pw_uid, user.pw_gid)
    process = subprocess.Popen(
        [binary, str(root / "pgbouncer.ini")],
        preexec_fn=_demote(user),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(lambda: accepts(port) or process.poll() is not None, "pgbouncer to listen", 30)
        if process.poll() is not None:
            log = root / "pgbouncer.log"
            pytest.fail(f"pgbouncer exited: {log.read_text() if log.exists() else ''}")
        yield server.set(port=port).render_as_string(hide_password=False)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def check(paperbot: Paperbot, url: str) -> Any:
    """`paperbot check` with X credentials the fake X accepts."""
    with FakeX() as fake:
        return paperbot(
            "check",
            PAPERBOT_DATABASE_URL=url,
            PAPERBOT_X_API_BASE=fake.url,
            X_API_KEY=fake.consumer_key,
            X_API_SECRET=fake.consumer_secret,
            X_ACCESS_TOKEN=fake.access_token,
            X_ACCESS_TOKEN_SECRET=fake.access_token_secret,
        )


def test_a_direct_connection_is_said_to_be_one(paperbot: Paperbot) -> None:
    engine = make_engine(paperbot.url)
    assert not shared_sessions(engine)
    engine.dispose()
    result = check(paperbot, paperbot.url)
    assert result.exit_code == 0, result.output
    assert "(direct sessions: the poster lock holds)" in result.stdout
    assert "warning" not in result.stderr


def test_a_transaction_pooling_pgbouncer_is_warned_about(
    paperbot: Paperbot, pgbouncer: str
) -> None:
    engine = make_engine(pgbouncer)
    assert shared_sessions(engine)
    engine.dispose()
    result = check(paperbot, pgbouncer)
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert "PgBouncer with pool_mode=transaction" in line and "direct connection" in line
