"""A PostgreSQL poster whose host vanished (power loss: no FIN, no RST) is replaced within 90 s.

The holder daemon reaches PostgreSQL through a TCP proxy on 127.0.0.1 that, when the holder is
SIGKILLed, keeps the server-side socket open and silent: the server sees a client that is simply
quiet, as after a power loss, and by its defaults would keep the session and the lock for over
two hours. A `--standby` daemon, then a successor restarted the way systemd restarts a refused
service, must take over within 90 s (bot/store/pg_lock.py: the lock session's idle timeout,
which a live holder's pings keep away, and short keepalives).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import Paperbot
from tests.e2e.test_daemon import PAPERBOT, STARTUP, Daemon, Harness, soon
from tests.fakes.fake_x import FakeX
from tests.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
TAKEOVER = 90.0  # seconds from the SIGKILL: the bound
CONFIG = """\
timezone = "Europe/London"

[schedule]
slots = ["cron: 0 3 1 1 *"]
jitter_minutes = 0

[daemon]
poll_seconds = 1
heartbeat_seconds = 10
"""


class SilentProxy:
    """Forwards 127.0.0.1:port to the server; a client that goes away leaves its server-side
    socket open and unread (kept in `kept`) until `close`."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.kept: list[socket.socket] = []
        self.upstream_ports: list[int] = []
        self._open: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.upstream_ports.append(int(server.getsockname()[1]))
            self._open += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        while True:
            try:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
            except OSError:
                break
        if from_client:  # the client vanished: the server is told nothing, ever
            self.kept.append(sink)

    def url(self, url: str) -> str:
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(False)

    def close(self) -> None:
        for sock in self._open:
            sock.close()


@pytest.fixture
def store() -> str:
    return "postgres"


@pytest.fixture
def harness(paperbot: Paperbot) -> Iterator[Harness]:
    paperbot.write_config(CONFIG)
    with FakeX() as fake:
        harness = Harness(paperbot, fake)
        harness.ok("db", "upgrade")
        try:
            yield harness
        finally:
            for daemon in harness.daemons:
                if daemon.process.poll() is None:
                    daemon.process.kill()
                    daemon.process.wait(timeout=10)


@pytest.fixture
def proxy(paperbot: Paperbot) -> Iterator[SilentProxy]:
    url = make_url(paperbot.url)
    silent = SilentProxy(url.host or "127.0.0.1", url.port or 5432)
    yield silent
    silent.close()


def start(
    harness: Harness, *args: str, url: str | None = None, wait: str = "daemon started"
) -> Daemon:
    env = harness.daemon_env()
    if url is not None:
        env["PAPERBOT_DATABASE_URL"] = url
    process = subprocess.Popen(
        [PAPERBOT, "run", "--log-format", "json", *args],
        cwd=harness.cli.workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    daemon = Daemon(process)
    harness.daemons.append(daemon)
    daemon.start_reading()
    if wait:
        daemon.wait_for(wait, timeout=STARTUP)
    return daemon


def lock_holder_port(harness: Harness) -> int | None:
    """The client port of the session holding the poster lock, as the server sees it."""
    rows = harness.cli.query(
        "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = 1919053684"
    )
    return int(rows[0]["client_port"]) if rows else None


def lock_session_age(harness: Harness) -> float:
    rows = harness.cli.query(
        "SELECT extract(epoch FROM now() - a.backend_start) AS age FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
    )
    return float(rows[0]["age"]) if rows else 0.0


def settled(daemon: Daemon) -> bool:
    """Whether a daemon started has either started or exited."""
    started = any("daemon started" in m for m in daemon.messages())
    return started or daemon.process.poll() is not None


def kill_behind_proxy(harness: Harness, holder: Daemon, proxy: SilentProxy) -> float:
    """SIGKILL the holder; the server still sees its lock session (the proxy keeps it open)."""
    holder.process.kill()
    killed_at = time.monotonic()
    assert holder.wait_exit(timeout=10) == -signal.SIGKILL
    wait_until(lambda: proxy.kept, "the proxy to notice the holder went away")
    assert lock_holder_port(harness) in proxy.upstream_ports  # still held, as after a power loss
    return killed_at


def test_a_standby_and_a_restarted_successor_take_over_within_90_s(
    harness: Harness, proxy: SilentProxy
) -> None:
    holder = start(harness, url=proxy.url(harness.cli.url))
    assert lock_holder_port(harness) in proxy.upstream_ports
    standby = start(harness, "--standby", wait="standing by")
    # A live holder keeps its lock past the lock session's idle timeout (45 s): it pings.
    wait_until(lambda: lock_session_age(harness) > 50, "the lock session to pass 50 s", 120)
    assert holder.process.poll() is None
    assert not any("daemon started" in m for m in standby.messages())

    killed_at = kill_behind_proxy(harness, holder, proxy)
    standby.wait_for("daemon started", timeout=TAKEOVER + 30)
    took = time.monotonic() - killed_at
    print(f"standby took over {took:.1f} s after the holder vanished")  # shown with -s
    assert took <= TAKEOVER
    assert harness.status()["daemon"]["pid"] == standby.pid
    entry = harness.add("after-takeover", soon(1))
    harness.posted("after-takeover")
    standby.wait_for(f"posted entry {entry}:")
    standby.signal(signal.SIGTERM)
    assert standby.wait_exit(timeout=30) == 0

    # A successor restarted while the lock is still held is refused (exit 1), as systemd's
    # Restart= would see it, until the server has ended the vanished holder's session.
    holder = start(harness, url=proxy.url(harness.cli.url))
    killed_at = kill_behind_proxy(harness, holder, proxy)
    refused = 0
    while True:
        successor = start(harness, wait="")
        wait_until(lambda d=successor: settled(d), "the successor to start or be refused", STARTUP)
        if successor.process.poll() is None:
            break
        assert successor.process.returncode == 1, successor.log()
        refused += 1
        assert time.monotonic() - killed_at <= TAKEOVER, f"refused {refused} times"
    took = time.monotonic() - killed_at
    print(f"successor accepted {took:.1f} s after the holder vanished ({refused} refused)")
    assert took <= TAKEOVER
    assert harness.status()["daemon"]["pid"] == successor.pid
    successor.signal(signal.SIGTERM)
    assert successor.wait_exit(timeout=30) == 0
    assert successor.problems() == []
    assert len(harness.fake.posts) == 1
