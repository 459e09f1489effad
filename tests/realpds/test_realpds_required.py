"""The tier's own rule: a PDS that cannot be installed skips the tier on a laptop, with the
reason, and fails it in CI, so CI can never pass without running it.

Each case runs one real-PDS test in a child pytest whose npm registry is a closed port and
whose cache is empty, so the install fails for real (quickly: no retries).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.realpds, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
ONE_TEST = "tests/realpds/test_realpds_channel.py::test_a_key_never_sent_is_certainly_not_there"


def run_without_registry(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "PAPERBOT_REQUIRE_REALPDS") and not k.startswith("PYTEST_")
    }
    env.update(
        PAPERBOT_PDS_CACHE=str(tmp_path / "cache"),
        npm_config_registry="http://127.0.0.1:9/",  # nothing listens on the discard port
        npm_config_fetch_retries="0",
        npm_config_cache=str(tmp_path / "npm-cache"),
        **extra,
    )
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", ONE_TEST]
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=540, check=False
    )


def test_without_the_registry_the_tier_is_skipped_with_the_reason(tmp_path: Path) -> None:
    done = run_without_registry(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 skipped" in done.stdout
    assert "the official PDS 0.5.35 could not be installed or started" in done.stdout


def test_without_the_registry_the_tier_fails_in_ci(tmp_path: Path) -> None:
    done = run_without_registry(tmp_path, CI="true")
    assert done.returncode == 1, done.stdout[-3000:]
    assert "1 error" in done.stdout
    assert "could not be installed or started" in done.stdout
    assert not list((tmp_path / "cache").glob("*/.complete"))  # nothing half-made was kept
