"""The two partial indexes: the models make them as the migrations do, on both stores, and the
models name no dialect option, so a process on SQLite never loads SQLAlchemy's PostgreSQL
dialect (bot.store.models.PARTIAL_INDEXES)."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, text

from bot.store.engine import make_engine, open_database
from bot.store.models import PARTIAL_INDEXES
from tests.conftest import fresh_database

_DEFINITIONS = {
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN :names",
    "postgresql": "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN :names",
}


def _partial_definitions(engine: Any) -> dict[str, str]:
    """Each partial index's definition as the database keeps it, spaces and quotes evened."""
    sql = text(_DEFINITIONS[engine.dialect.name]).bindparams(bindparam("names", expanding=True))
    with engine.connect() as connection:
        rows = connection.execute(sql, {"names": list(PARTIAL_INDEXES)}).all()
    return {name: " ".join(definition.replace('"', "").split()) for name, definition in rows}


def test_create_all_makes_the_partial_indexes_the_migrations_make(
    database_url: str, store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    (tmp_path / "models").mkdir()
    with contextmanager(fresh_database)(
        store, tmp_path / "models", request, migrated=False
    ) as empty_url:
        by_models = _created_by_the_models(empty_url)
    migrated = open_database({"PAPERBOT_DATABASE_URL": database_url})
    try:
        by_migrations = _partial_definitions(migrated)
    finally:
        migrated.dispose()
    assert sorted(by_migrations) == sorted(PARTIAL_INDEXES)
    assert by_models == by_migrations  # the same condition, in the database's own words
    assert all(" WHERE " in definition for definition in by_models.values()), by_models


def _created_by_the_models(empty_url: str) -> dict[str, str]:
    """The partial indexes `SQLModel.metadata.create_all` makes on an empty database."""
    # In a new process: in this one the migrations may have set the conditions already.
    create_all = (
        "import sys\n"
        "from sqlmodel import SQLModel\n"
        "import bot.store.models\n"
        "from bot.store.engine import make_engine\n"
        "SQLModel.metadata.create_all(make_engine(sys.argv[1]))\n"
    )
    subprocess.run([sys.executable, "-c", create_all, empty_url], check=True)
    created = make_engine(empty_url)
    try:
        return _partial_definitions(created)
    finally:
        created.dispose()


def test_importing_the_models_loads_no_postgresql_dialect() -> None:
    code = (
        "import sys, bot.store.models\n"
        "print(sorted(m for m in sys.modules if 'postgresql' in m or 'asyncpg' in m))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
