"""The database engine: SQLite tuned for a daemon and a CLI writing at the same time.

WAL lets readers run while another process writes; a busy timeout makes a writer wait for the
lock instead of failing with "database is locked". Only writing sessions take the write lock: they
start with BEGIN IMMEDIATE, so a read-then-write transaction never fails on lock upgrade (SQLite
would fail it at once, whatever the busy timeout). Read sessions (`session_scope(engine,
write=False)`) start a plain deferred BEGIN under `PRAGMA query_only`: they never wait for a
writer, and a write slipped into one fails loudly instead of queueing behind other writers.
The schema is migrated on first use so no user runs Alembic by hand.
"""

from __future__ import annotations

import os
import threading
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
HEAD_REVISION = "0009_entry_last_error_index"
BUSY_TIMEOUT_MS = 30_000
# The execution option that marks a read-only connection (see make_engine's begin hook).
READ_ONLY = "paperbot_read_only"


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
    return normalise_url(url.strip() or DEFAULT_DATABASE_URL)


def normalise_url(url: str) -> str:
    """`postgres://` and `postgresql://` point SQLAlchemy at psycopg 3 (`paperbot[postgres]`).

    Platforms set Heroku-style `postgres://` URLs, which SQLAlchemy does not know, and a bare
    `postgresql://` would pick psycopg2, which paperbot does not install. An explicit driver
    (`postgresql+psycopg2://`) is left as the user wrote it.
    """
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def redact_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"


def make_engine(url: str) -> Engine:
    """An engine for `url`; for SQLite: WAL, busy timeout, foreign keys, and BEGIN IMMEDIATE
    for every transaction not marked read-only."""
    from sqlalchemy import create_engine, event

    from bot.store import attempt_times, queue_changes

    queue_changes.install()  # every session raises the queue's change counter as it writes
    attempt_times.install()  # and closes no attempt before it started
    if not url.startswith("sqlite"):
        return _server_engine(normalise_url(url))
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

    # Writers of this process take turns on a lock of ours before SQLite's: a thread waiting
    # for SQLite's lock polls it with growing sleeps (up to 100 ms each), a thread waiting here
    # wakes the moment the writer before it ends (the daemon's channels claim at the same slot).
    writing = threading.RLock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("PRAGMA query_only = 1")
            connection.exec_driver_sql("BEGIN")
            return
        # Never a hang: should a turn ever not be given back, SQLite's own wait takes over.
        if writing.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            connection.info[_WRITING] = True
        try:
            connection.exec_driver_sql("PRAGMA query_only = 0")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _end_writing(connection.info, writing)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        _end_writing(connection.info, writing)

    @event.listens_for(engine, "reset")
    def _on_reset(_dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
        _end_writing(record.info, writing)  # returned to the pool mid-transaction

    return engine


_WRITING = "paperbot_writing"


def _end_writing(info: dict[str, Any], writing: threading.RLock) -> None:
    if info.pop(_WRITING, False):
        writing.release()


def _server_engine(url: str) -> Engine:
    """A PostgreSQL (or other server) engine; a missing driver is a one-line DatabaseError."""
    from sqlalchemy import create_engine

    try:
        engine = create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise DatabaseError(
            f"no driver for {redact_url(url)} ({exc.name} is not installed): "
            "install paperbot[postgres]"
        ) from None
    except Exception as exc:  # malformed URL: the message may quote it, so it is not shown
        raise DatabaseError(
            f"invalid database URL {redact_url(url)}: {type(exc).__name__}"
        ) from None
    if engine.dialect.name == "postgresql":
        from sqlalchemy import event

        from bot.store.pg_lock import keep_alive

        keep_alive(engine)  # a vanished client's session (its locks) ends within a minute

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            # MVCC already lets readers through; READ ONLY makes a stray write in a read
            # session fail at once, as PRAGMA query_only does on SQLite.
            if connection.get_execution_options().get(READ_ONLY):
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")

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

    with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
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
    from bot.store.pg_lock import MIGRATION_LOCK_KEY, lock_transaction

    with engine.begin() as connection:
        # PostgreSQL: processes starting at once on a new database migrate one after the other;
        # the later ones find it at head (its DDL is transactional). SQLite: BEGIN IMMEDIATE.
        lock_transaction(connection, MIGRATION_LOCK_KEY)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def ensure_schema(engine: Engine) -> None:
    """Migrate the database to head if it is not there yet (cheap when it already is)."""
    for attempt in (1, 2):
        try:
            if current_revision(engine) != HEAD_REVISION:
                upgrade(engine)
            return
        except DatabaseError:
            raise
        except Exception as exc:
            # Processes starting at once on a new file race to migrate it: a loser sees the
            # winner's tables, or SQLite's lock refused at once while the file switches to WAL.
            # A second look waits its turn for the lock and finds the schema at head.
            if attempt == 2:
                raise DatabaseError(
                    f"cannot open or migrate the database {redact_url(_plain(engine))}: "
                    + hide_password(one_line(exc), engine)
                ) from None


def _plain(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def one_line(exc: BaseException) -> str:
    """The driver's own message (not SQLAlchemy's wrapper with its help link) on one line."""
    message = str(getattr(exc, "orig", None) or exc)
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


def hide_password(message: str, engine: Engine) -> str:
    """`message` with the engine's password (should a driver quote it) replaced by ***."""
    password = engine.url.password
    return message.replace(str(password), "***") if password else message


def open_database(environ: Mapping[str, str] | None = None) -> Engine:
    """The engine for the configured database, migrated to the current schema."""
    engine = make_engine(database_url(os.environ if environ is None else environ))
    ensure_schema(engine)
    return engine


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    `write=False` for sessions that only read: they never wait for another process's write
    transaction. Writing sessions (the default, so a forgotten flag is slow, never unsafe)
    take SQLite's write lock when they begin.
    """
    from sqlmodel import Session

    with Session(
        engine if write else engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
    ) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
