"""The database engine: SQLite tuned for a daemon and a CLI writing at the same time.

WAL lets readers run while the daemon writes; a busy timeout makes a writer wait for the lock
instead of failing with "database is locked"; every transaction starts with BEGIN IMMEDIATE so a
read-then-write transaction never deadlocks on lock upgrade (SQLite would fail it at once,
whatever the busy timeout). The schema is migrated on first use so no user runs Alembic by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

DEFAULT_DATABASE_URL = "sqlite:///paperbot.db"
# The newest Alembic revision. Checked against the migration scripts by a test, so that the
# common case (schema already current) needs no Alembic import at all: Alembic alone costs
# ~0.7 s of start-up.
HEAD_REVISION = "0003_post_decision_needed"
BUSY_TIMEOUT_MS = 30_000


def _migrations_dir() -> Path:
    """migrations/ of a checkout, else the copy a regular install ships as a package."""
    checkout = Path(__file__).resolve().parent.parent / "migrations"
    if (checkout / "env.py").is_file():
        return checkout
    import importlib.util

    spec = importlib.util.find_spec("paperbot_migrations")
    if spec is None or not spec.submodule_search_locations:
        return checkout
    return Path(next(iter(spec.submodule_search_locations)))


MIGRATIONS_DIR = _migrations_dir()


class DatabaseError(RuntimeError):
    """The database cannot be opened or migrated; the message says which and why."""


def database_url(environ: Mapping[str, str]) -> str:
    """`PAPERBOT_DATABASE_URL`, else `DATABASE_URL` (as hosting platforms set it), else SQLite."""
    url = environ.get("PAPERBOT_DATABASE_URL") or environ.get("DATABASE_URL") or ""
    url = url.strip() or DEFAULT_DATABASE_URL
    if url.startswith("postgres://"):
        # Heroku-style URLs; SQLAlchemy only knows the "postgresql" scheme.
        url = "postgresql://" + url[len("postgres://") :]
    return url


def redact_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"


def make_engine(url: str) -> Engine:
    """An engine for `url`; for SQLite: WAL, busy timeout, foreign keys, BEGIN IMMEDIATE."""
    from sqlalchemy import create_engine, event

    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    _ensure_sqlite_folder(url)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _ensure_sqlite_folder(url: str) -> None:
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if database and database != ":memory:":
        parent = Path(database).expanduser().parent
        if not parent.exists():
            raise DatabaseError(
                f"database folder {parent} does not exist: create it or set PAPERBOT_DATABASE_URL"
            )


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a new (empty) database."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        return None if row is None else str(row[0])


def upgrade(engine: Engine) -> None:
    """Run Alembic migrations up to head on this engine's database."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def ensure_schema(engine: Engine) -> None:
    """Migrate the database to head if it is not there yet (cheap when it already is)."""
    try:
        if current_revision(engine) == HEAD_REVISION:
            return
        upgrade(engine)
    except DatabaseError:
        raise
    except Exception as exc:
        # Two processes may migrate a new file at once; the loser sees the winner's tables.
        try:
            if current_revision(engine) == HEAD_REVISION:
                return
        except Exception:
            pass
        raise DatabaseError(
            f"cannot open or migrate the database {redact_url(str(engine.url))}: {exc}"
        ) from exc


def open_database(environ: Mapping[str, str] | None = None) -> Engine:
    """The engine for the configured database, migrated to the current schema."""
    engine = make_engine(database_url(os.environ if environ is None else environ))
    ensure_schema(engine)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
