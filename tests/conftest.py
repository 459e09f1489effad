"""Shared fixtures: a real SQLite file in a temp dir, migrated by the real Alembic scripts, and
the real CLI invoked in-process (catch_exceptions=False, so a crash is a test failure)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Paperbot:
    """Runs `paperbot ...` in a temp working directory with its own database and config."""

    workdir: Path
    env: dict[str, str]

    @property
    def db_path(self) -> Path:
        return self.workdir / "paperbot.db"

    def __call__(self, *args: str, input: str | None = None, **env: str) -> Result:
        from bot.cli import cli

        runner = CliRunner()
        return runner.invoke(
            cli, list(args), env={**self.env, **env}, input=input, catch_exceptions=False
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

        return open_database({"PAPERBOT_DATABASE_URL": f"sqlite:///{self.db_path}"})


@pytest.fixture
def paperbot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Paperbot]:
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
        "PAPERBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'paperbot.db'}",
        "PAPERBOT_CONFIG": str(config),
        "PAPERBOT_OFFLINE": "1",
    }
    yield Paperbot(tmp_path, env)
