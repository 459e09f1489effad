"""The Alembic scripts produce exactly the models' schema, and the fast-path revision is right."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401
from bot.store.engine import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    current_revision,
    make_engine,
    open_database,
)


def test_upgrade_head_on_empty_file_matches_models(tmp_path: Path) -> None:
    engine = open_database({"PAPERBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_head_revision_constant_matches_scripts() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_migration_is_applied_once_and_sqlite_is_tuned(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(url)
    assert current_revision(engine) is None
    open_database({"PAPERBOT_DATABASE_URL": url})
    engine = open_database({"PAPERBOT_DATABASE_URL": url})
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_database_url_accepts_postgres_scheme_and_prefers_paperbot_variable() -> None:
    from bot.store.engine import database_url

    assert database_url({}) == "sqlite:///paperbot.db"
    assert database_url({"DATABASE_URL": "postgres://u:p@h/db"}) == "postgresql://u:p@h/db"
    assert (
        database_url({"DATABASE_URL": "postgres://u:p@h/db", "PAPERBOT_DATABASE_URL": "sqlite://"})
        == "sqlite://"
    )


def test_an_older_database_is_upgraded_on_first_use_and_keeps_its_data(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001_initial")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO entry (kind, title, url, comment, images, authors, abstract, week, "
            "position, status, attempts, created_at, updated_at) VALUES ('paper', 'T', "
            "'https://e.org/a', '', '[]', '', '', '2026-W48', 1, 'queued', 0, "
            "'2026-11-27 00:00:00', '2026-11-27 00:00:00')"
        )
    engine = open_database({"PAPERBOT_DATABASE_URL": url})
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT title FROM entry").scalar() == "T"
