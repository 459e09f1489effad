"""Shared fixtures: a real database (a SQLite file in a temp dir, or a database of its own on a
real PostgreSQL server: the `store` parameter), migrated by the real Alembic scripts, and the real
CLI invoked in-process (catch_exceptions=False, so a crash is a test failure).

The PostgreSQL half starts a throwaway cluster (tests/pgcluster.py) or uses
`PAPERBOT_TEST_POSTGRES_URL`. Without a server it is skipped on a laptop but fails in CI (`CI`
or `PAPERBOT_REQUIRE_POSTGRES` set), so CI can never pass without running it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

REPO = Path(__file__).resolve().parents[1]


def imported_modules(result: subprocess.CompletedProcess[str]) -> set[str]:
    """The modules a `Paperbot.process(..., importtime=True)` run imported."""
    return {line.split("|")[-1].strip() for line in result.stderr.splitlines()}


def assert_answered_as_click_does(paperbot: Paperbot, *args: str) -> None:
    """`paperbot ARGS` as its own process (where bot/cli/fast.py may answer) prints what click's
    command prints in-process: stdout, stderr and exit code."""
    fast = paperbot.process(*args)
    slow = paperbot(*args)
    assert (fast.returncode, fast.stdout) == (slow.exit_code, slow.stdout), fast.stderr[-2000:]
    # CliRunner names the program after the function (`cli`); the entry point says `paperbot`.
    assert fast.stderr == slow.stderr.replace(f"cli {args[0]}", f"paperbot {args[0]}")


STORES = ("sqlite", "postgres")
_server: dict[str, Any] = {}


def postgres_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("PAPERBOT_REQUIRE_POSTGRES"))


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[Any]:
    """The session's PostgreSQL server (Databases of tests/pgcluster.py), or skip/fail."""
    from tests.pgcluster import Cluster, Databases

    cluster = None
    admin_url = os.environ.get("PAPERBOT_TEST_POSTGRES_URL")
    try:
        if not admin_url:
            cluster = Cluster()
            admin_url = cluster.start()
        databases = Databases(admin_url)
        _server["version"] = databases.version()
    except Exception as exc:
        if cluster is not None:
            cluster.stop()
        message = f"PostgreSQL unavailable: {exc}"
        if postgres_required():
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield databases
    finally:
        databases.close()
        if cluster is not None:
            cluster.stop()


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    """The store under test: "sqlite" or "postgres" (one parameter for the whole suite)."""
    return str(request.param)


def fresh_database(
    store: str, tmp_path: Path, request: pytest.FixtureRequest, *, migrated: bool
) -> Iterator[str]:
    """A new database's URL on the store under test, dropped afterwards (PostgreSQL); a SQLite
    file is created on first use, so it is always new (the schema is migrated then)."""
    if store == "sqlite":
        yield f"sqlite:///{tmp_path / 'paperbot.db'}"
        return
    databases = request.getfixturevalue("pg_databases")
    url = databases.create(migrated=migrated)
    yield url
    databases.drop(url)


@pytest.fixture
def database_url(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database at the current schema on the store under test."""
    yield from fresh_database(store, tmp_path, request, migrated=True)


@pytest.fixture
def empty_url(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with no tables at all on the store under test."""
    yield from fresh_database(store, tmp_path, request, migrated=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if "version" in _server:
        terminalreporter.write_line(f"PostgreSQL store tested on: {_server['version']}")


@dataclass
class Paperbot:
    """Runs `paperbot ...` in a temp working directory with its own database and config."""

    workdir: Path
    env: dict[str, str]
    store: str = "sqlite"

    @property
    def db_path(self) -> Path:
        return self.workdir / "paperbot.db"

    @property
    def url(self) -> str:
        return self.env["PAPERBOT_DATABASE_URL"]

    def _raw_engine(self) -> Any:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        from bot.store.engine import normalise_url

        return create_engine(normalise_url(self.url), poolclass=NullPool)

    def execute(self, sql: str, **params: Any) -> None:
        """Change rows behind paperbot's back (to set up a state the CLI refuses to make)."""
        from sqlalchemy import text

        engine = self._raw_engine()
        with engine.begin() as connection:
            connection.execute(text(sql), params)
        engine.dispose()

    def query(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        """Rows read straight from the database, as another process sees them."""
        from sqlalchemy import text

        engine = self._raw_engine()
        with engine.connect() as connection:
            rows = [dict(row) for row in connection.execute(text(sql), params).mappings()]
        engine.dispose()
        return rows

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, on either store (for "nothing written" checks)."""
        from sqlalchemy import inspect

        if self.store == "sqlite" and not self.db_path.exists():
            return {}
        engine = self._raw_engine()
        with engine.connect() as connection:
            tables = sorted(inspect(connection).get_table_names())
            dump = {
                table: sorted(
                    map(tuple, connection.exec_driver_sql(f'SELECT * FROM "{table}"')), key=repr
                )
                for table in tables
            }
        engine.dispose()
        return dump

    def __call__(self, *args: str, input: str | None = None, **env: str) -> Result:
        from bot.cli import cli

        runner = CliRunner()
        return runner.invoke(
            cli, list(args), env={**self.env, **env}, input=input, catch_exceptions=False
        )

    def process(self, *args: str, importtime: bool = False) -> subprocess.CompletedProcess[str]:
        """`python -m bot ARGS` in a process of its own, as a script runs it (stdout a pipe);
        with `importtime`, stderr lists every module it imported (`imported_modules`)."""
        flags = ["-X", "importtime"] if importtime else []
        return subprocess.run(
            [sys.executable, *flags, "-m", "bot", *args],
            env={**os.environ, **self.env, "PYTHONPATH": str(REPO)},
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def json(self, *args: str) -> Any:
        result = self(*args)
        assert result.exit_code == 0, result.output + result.stderr
        return json.loads(result.stdout)

    def write_config(self, text: str) -> Path:
        path = self.workdir / "paperbot.toml"
        path.write_text(text, encoding="utf-8")
        self.env["PAPERBOT_CONFIG"] = str(path)
        return path

    def engine(self) -> Any:
        from bot.store.engine import open_database

        return open_database({"PAPERBOT_DATABASE_URL": self.url})


@pytest.fixture
def paperbot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: str, database_url: str
) -> Iterator[Paperbot]:
    monkeypatch.chdir(tmp_path)
    for name in (
        "X_API_KEY",
        "X_API_SECRET",
        "X_ACCESS_TOKEN",
        "X_ACCESS_TOKEN_SECRET",
        "DATABASE_URL",
        "PAPERBOT_CONFIG",
        "PAPERBOT_NOW",
    ):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "paperbot.toml"
    config.write_text('timezone = "Europe/London"\n', encoding="utf-8")
    env = {
        "PAPERBOT_DATABASE_URL": database_url,
        "PAPERBOT_CONFIG": str(config),
        "PAPERBOT_OFFLINE": "1",
    }
    yield Paperbot(tmp_path, env, store)
