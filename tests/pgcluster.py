"""A throwaway PostgreSQL server for the tests and benchmarks: initdb + pg_ctl in a temp dir.

The server listens on 127.0.0.1 on a free port and on a unix socket inside its own temp dir, with
trust authentication for the one local user, and fsync off (nothing here must survive a crash of
the machine). PostgreSQL refuses to run as root, so under root the cluster belongs to an
unprivileged user (`postgres`, else `nobody`) and its commands run as that user.
`PAPERBOT_TEST_POSTGRES_URL` (a role that may CREATE DATABASE) replaces the cluster when set.
Each test gets a database of its own, copied from a template the migrations already ran on.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path


def find_binary(name: str) -> str | None:
    """`name` on PATH, else in Debian's versioned folder (/usr/lib/postgresql/N/bin)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unprivileged() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) exists")


def _demote(user: pwd.struct_passwd | None) -> Callable[[], None] | None:
    if user is None:
        return None

    def run_as_user() -> None:
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    return run_as_user


class Cluster:
    """One PostgreSQL server for the whole test session (started by `start`, gone after `stop`)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="paperbot-pg-"))
        self.user = _unprivileged()
        self.port = _free_port()
        self.url = f"postgresql+psycopg://paperbot@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            args,
            preexec_fn=_demote(self.user),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C", "LANG": "C"},
        )
        if result.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {result.stderr.strip()[-800:]}")

    def start(self) -> str:
        initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
        if initdb is None or pg_ctl is None:
            raise RuntimeError("initdb/pg_ctl not found (install Debian's postgresql package)")
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        data = self.root / "data"
        self._run(initdb, "-D", str(data), "-U", "paperbot", "-A", "trust", "-E", "UTF8", "-N")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        log = str(self.root / "server.log")
        self._run(pg_ctl, "-D", str(data), "-o", options, "-l", log, "-w", "-t", "60", "start")
        return self.url

    def stop(self) -> None:
        pg_ctl = find_binary("pg_ctl")
        if pg_ctl and (self.root / "data" / "postmaster.pid").exists():
            self._run(pg_ctl, "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class Databases:
    """Fresh databases on one server: empty ones, or copies of a migrated template (fast)."""

    def __init__(self, admin_url: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        self.admin_url = make_url(admin_url).set(drivername="postgresql+psycopg")
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self.prefix = f"pb_{uuid.uuid4().hex[:6]}"
        self.created: list[str] = []
        self.template_ready = False

    def version(self) -> str:
        with self.admin.connect() as connection:
            return str(connection.exec_driver_sql("SELECT version()").scalar())

    def url(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(sql)

    def create(self, *, migrated: bool = True) -> str:
        """The URL of a new database: at the current schema, or empty (`migrated=False`)."""
        name = f"{self.prefix}_{len(self.created)}"
        if migrated:
            self._ensure_template()
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.prefix}_template"')
        else:
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        self.created.append(name)
        return self.url(name)

    def _ensure_template(self) -> None:
        if self.template_ready:
            return
        from bot.store.engine import make_engine, upgrade

        self._execute(f'CREATE DATABASE "{self.prefix}_template" TEMPLATE template0')
        engine = make_engine(self.url(f"{self.prefix}_template"))
        upgrade(engine)
        engine.dispose()
        self.template_ready = True

    def drop(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for name in [*self.created, f"{self.prefix}_template"]:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()
