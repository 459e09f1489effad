"""The daemon's migrations run in a child process: the database ends at head on both stores,
the calling process never imports Alembic, and a failure is one line without the password."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store.engine import HEAD_REVISION, DatabaseError, current_revision, open_database
from bot.store.migrate_apart import open_database_apart

PROBE = """
import json, sys
from bot.store.migrate_apart import open_database_apart
from bot.store.engine import current_revision
engine = open_database_apart({"PAPERBOT_DATABASE_URL": sys.argv[1]})
print(json.dumps({"revision": current_revision(engine),
                  "alembic": sorted(m for m in sys.modules if m.split(".")[0] == "alembic")}))
"""


def test_a_new_database_is_migrated_by_a_child_and_alembic_stays_out(empty_url: str) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, empty_url], capture_output=True, text=True, check=True
    )
    seen = json.loads(probe.stdout)
    assert seen == {"revision": HEAD_REVISION, "alembic": []}


def test_a_database_at_head_needs_no_child(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_database({"PAPERBOT_DATABASE_URL": database_url}).dispose()  # at head now
    # No interpreter to start: a child would fail, so none was started.
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    engine = open_database_apart({"PAPERBOT_DATABASE_URL": database_url})
    assert current_revision(engine) == HEAD_REVISION
    engine.dispose()


def test_a_failed_migration_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://paperbot:s3cret-pw@127.0.0.1:1/nowhere?connect_timeout=2"
    with pytest.raises(DatabaseError) as failure:
        open_database_apart({"PAPERBOT_DATABASE_URL": url})
    message = str(failure.value)
    assert "\n" not in message
    assert "s3cret-pw" not in message
    assert "cannot open or migrate the database" in message


def test_a_sqlite_folder_that_is_missing_is_reported_as_the_cli_reports_it(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'paperbot.db'}"
    with pytest.raises(DatabaseError, match="does not exist"):
        open_database_apart({"PAPERBOT_DATABASE_URL": url})
