"""Alembic environment: targets SQLModel.metadata, batch mode for SQLite column changes."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.store.engine import database_url, make_engine

target_metadata = SQLModel.metadata
config = context.config


def run_migrations_offline() -> None:
    import os

    context.configure(
        url=config.get_main_option("sqlalchemy.url") or database_url(os.environ),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    import os

    engine = make_engine(config.get_main_option("sqlalchemy.url") or database_url(os.environ))
    with engine.begin() as conn:
        _run(conn)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
