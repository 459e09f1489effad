"""Migrations in a child process, for the daemon.

Alembic imports every dialect it knows at once (PostgreSQL with its asyncpg driver, MySQL,
MSSQL, Oracle): about 15 MB of modules that a process keeps until it exits. A CLI command exits
soon after migrating; the daemon runs for months, and it migrates exactly when it starts on a
database an upgrade left behind (the usual case for a worker on a platform with a wiped disk:
each deploy starts the new code on the old schema). So the daemon runs `python -m
bot.store.migrate_apart` and waits for it: the child takes Alembic's memory with it, and the
daemon never imports Alembic.

The child gets the database URL through its environment, never its arguments (a password in
argv shows in `ps`), takes the same migration lock as any other process (PostgreSQL advisory
lock, SQLite's write lock), and reports a failure as the one-line message `ensure_schema`
would have raised.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

from bot.store.engine import (
    HEAD_REVISION,
    DatabaseError,
    current_revision,
    database_url,
    ensure_schema,
    hide_password,
    make_engine,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.engine import Engine

#: The environment variable through which the child learns the database URL.
URL_VARIABLE = "PAPERBOT_DATABASE_URL"
#: Generous: a migration rewrites tables; a hung child still ends, with a clear error.
TIMEOUT_SECONDS = 600.0


def open_database_apart(environ: Mapping[str, str]) -> Engine:
    """`engine.open_database`, with any migration run by a child process."""
    engine = make_engine(database_url(environ))
    try:
        at_head = current_revision(engine) == HEAD_REVISION
    except Exception:
        at_head = False  # the child says why, in the one line ensure_schema would
    if not at_head:
        upgrade_apart(engine)
    return engine


def upgrade_apart(engine: Engine) -> None:
    """Migrate `engine`'s database to head in a child process; DatabaseError if it cannot."""
    url = engine.url.render_as_string(hide_password=False)
    environ = {**os.environ, URL_VARIABLE: url}
    try:
        child = subprocess.run(
            [sys.executable, "-m", __name__],
            env=environ,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DatabaseError(
            f"the database migration did not finish within {TIMEOUT_SECONDS:.0f} s: run "
            "`paperbot db upgrade` by hand to see where it stops, then start the daemon again"
        ) from None
    except OSError as exc:
        raise DatabaseError(f"cannot start the database migration: {exc}") from None
    if child.returncode != 0:
        lines = [line for line in child.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"the migration exited with code {child.returncode}"
        raise DatabaseError(hide_password(reason, engine))


def main() -> int:
    """The child: migrate the database named by the environment; 1 and one line if it fails."""
    try:
        ensure_schema(make_engine(database_url(os.environ)))
    except DatabaseError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
