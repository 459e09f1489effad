"""Fixtures of the real-PDS tier: the official PDS from npm, once per session per version.

Installing needs npm and the npm registry (and a C++ compiler for better-sqlite3). When the
install or the start fails, the tier is skipped on a laptop, with the reason, but fails in CI
(``CI`` or ``PAPERBOT_REQUIRE_REALPDS`` set), so CI can never pass without running it — the same
rule as the PostgreSQL half (tests/conftest.py). A failed setup is remembered for the session:
the next test reports it again instead of installing again.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.realpds.harness import OLD_PDS_VERSION, PDS_VERSION, Account, RealPds

_started: dict[str, str] = {}


def realpds_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("PAPERBOT_REQUIRE_REALPDS"))


def _serve(version: str) -> Iterator[RealPds]:
    workdir = Path(tempfile.mkdtemp(prefix=f"paperbot-realpds-{version}-"))
    server = RealPds(version, workdir)
    try:
        server.start()
    except Exception as exc:
        server.stop()
        message = f"the official PDS {version} could not be installed or started: {exc}"
        if realpds_required():
            pytest.fail(message)
        pytest.skip(message)
    _started[version] = server.running_version
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def pds() -> Iterator[RealPds]:
    """Today's PDS (images up to 2,000,000 bytes)."""
    yield from _serve(PDS_VERSION)


@pytest.fixture(scope="session")
def old_pds() -> Iterator[RealPds]:
    """The last 0.4.x PDS (images up to 1,000,000 bytes)."""
    yield from _serve(OLD_PDS_VERSION)


@pytest.fixture
def account(pds: RealPds) -> Iterator[Account]:
    """A fresh account per test (its repository holds only what the test made)."""
    yield pds.create_account()
    pds.proxy.reset()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for version in sorted(_started):
        terminalreporter.write_line(f"real PDS tested: @atproto/pds {_started[version]}")
