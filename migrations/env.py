"""Alembic environment: targets SQLModel.metadata, batch mode for SQLite column changes."""

from __future__ import annotations

from alembic import context

from bot.store.engine import database_url, make_engine
from bot.store.models import schema_for

config = context.config


def run_migrations_offline() -> None:
    import os

    from sqlalchemy.engine import make_url

    url = config.get_main_option("sqlalchemy.url") or database_url(os.environ)
    context.configure(
        url=url,
        target_metadata=schema_for(make_url(url).get_backend_name()),
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
        target_metadata=schema_for(connection.dialect.name),  # type: ignore[attr-defined]
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
