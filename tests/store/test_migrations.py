"""The Alembic scripts produce exactly the models' schema on both stores (SQLite, PostgreSQL),
from empty and from every older revision, and the fast-path revision is right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.store.engine import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    current_revision,
    make_engine,
    open_database,
)
from bot.store.models import schema_for


def schema_diff(engine: Any) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return list(compare_metadata(context, schema_for(engine.dialect.name)))


def revisions() -> list[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_upgrade_head_on_empty_database_matches_models(empty_url: str) -> None:
    engine = open_database({"PAPERBOT_DATABASE_URL": empty_url})
    assert current_revision(engine) == HEAD_REVISION
    assert schema_diff(engine) == []
    engine.dispose()


@pytest.mark.parametrize("start", revisions()[:-1])
def test_every_older_revision_upgrades_to_the_models_schema(empty_url: str, start: str) -> None:
    from alembic import command

    engine = make_engine(empty_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, start)
    assert current_revision(engine) == start
    engine.dispose()
    engine = open_database({"PAPERBOT_DATABASE_URL": empty_url})
    assert current_revision(engine) == HEAD_REVISION
    assert schema_diff(engine) == []
    engine.dispose()


def test_one_real_post_per_entry_and_channel_is_enforced_by_the_store(database_url: str) -> None:
    """The partial unique index exists on both stores: a second real post fails, dry runs don't."""
    from sqlalchemy.exc import IntegrityError

    engine = open_database({"PAPERBOT_DATABASE_URL": database_url})
    insert_post = (
        "INSERT INTO post (entry_id, channel, status, text, media_ids, created_at, updated_at) "
        "VALUES (1, '{channel}', 'posting', '', '[]', '2026-11-27 00:00:00+00', "
        "'2026-11-27 00:00:00+00')"
    )
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO entry (id, kind, title, url, comment, images, authors, abstract, week, "
            "position, status, attempts, created_at, updated_at) VALUES (1, 'paper', 'T', "
            "'https://e.org/a', '', '[]', '', '', '2026-W48', 1, 'queued', 0, "
            "'2026-11-27 00:00:00+00', '2026-11-27 00:00:00+00')"
        )
        for channel in ("x", "dry-run", "dry-run"):
            connection.exec_driver_sql(insert_post.format(channel=channel))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.exec_driver_sql(insert_post.format(channel="x"))
    engine.dispose()


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
    psycopg = "postgresql+psycopg://u:p@h/db"
    assert database_url({"DATABASE_URL": "postgres://u:p@h/db"}) == psycopg
    assert database_url({"DATABASE_URL": "postgresql://u:p@h/db"}) == psycopg
    assert database_url({"DATABASE_URL": "postgresql+psycopg2://u:p@h/db"}) == (
        "postgresql+psycopg2://u:p@h/db"
    )
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
