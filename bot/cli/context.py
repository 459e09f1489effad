"""The composition root's state: settings, engine and clock, built once and lazily per command.

Commands ask for what they need (`app.engine`, `app.settings`), so `paperbot --help` touches
neither the database nor SQLAlchemy, and `paperbot list` never imports tweepy or APScheduler.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from bot.cli.output import clock

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from zoneinfo import ZoneInfo

    from sqlalchemy.engine import Engine

    from bot.config.secrets import Secrets
    from bot.config.settings import Settings
    from bot.store.reader import Reader

P = ParamSpec("P")
R = TypeVar("R")


class BadInput(click.ClickException):
    """Bad input or usage: one line on stderr, exit 2, nothing written."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class Failure(click.ClickException):
    """A runtime failure (network, credentials, database): exit 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


@dataclass
class App:
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    _settings: Settings | None = None
    _engine: Engine | None = None
    #: Set by a long-lived command (the daemon) before it opens the database: migrations then
    #: run in a child process, which takes Alembic's memory with it (bot.store.migrate_apart).
    migrate_apart: bool = False

    @functools.cached_property
    def settings(self) -> Settings:
        from bot.config.loading import load_settings
        from bot.config.secrets import load_dotenv_into
        from bot.config.settings import ConfigError

        load_dotenv_into(self.environ)
        try:
            return load_settings(self.environ)
        except ConfigError as exc:
            raise BadInput(f"config: {exc}") from None

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from bot.store.engine import DatabaseError, open_database

            self.settings  # noqa: B018  (validate config before touching the database)
            try:
                if self.migrate_apart:
                    from bot.store.migrate_apart import open_database_apart

                    self._engine = open_database_apart(self.environ)
                else:
                    self._engine = open_database(self.environ)
            except DatabaseError as exc:
                raise Failure(str(exc)) from None
        return self._engine

    def reader(self) -> AbstractContextManager[Reader]:
        """The read layer for read-only commands: no ORM import on a SQLite file at head."""
        from bot.store.reader import open_reader

        self.settings  # noqa: B018  (validate config, and load .env, before choosing a path)
        return open_reader(self.environ, lambda: self.engine)

    def secrets(self) -> Secrets | None:
        from bot.config.secrets import load_secrets
        from bot.config.settings import ConfigError

        self.settings  # noqa: B018  (loads .env)
        try:
            return load_secrets(self.environ)
        except ConfigError as exc:
            raise BadInput(str(exc)) from None

    @property
    def offline(self) -> bool:
        """PAPERBOT_OFFLINE=1: never touch the network for metadata (arXiv)."""
        return self.environ.get("PAPERBOT_OFFLINE", "").lower() in ("1", "true", "yes")

    def now(self) -> datetime:
        """The one clock seam: PAPERBOT_NOW pins it (ISO 8601) for reproducible demos and tests."""
        return clock(self.environ)


pass_app = click.make_pass_decorator(App, ensure=True)


def translate_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the core's exceptions into the CLI's exit codes: bad input 2, failures 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from bot.store.engine import DatabaseError

        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except DatabaseError as exc:
            raise Failure(str(exc)) from None
        except ValueError as exc:  # QueueError, InvalidURL, ConfigError, week/date parsing
            raise BadInput(str(exc)) from None
        except OSError as exc:
            raise Failure(str(exc)) from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("sqlalchemy", "sqlite3", "psycopg"):
                # e.g. "database is locked" after the busy timeout: one line, not a traceback
                # (the ORM's, or the driver's own on the paths without it: add, import).
                detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
                raise Failure(
                    f"database error: {detail} (another process may hold a long write; "
                    "try again, and see docs/operations.md)"
                ) from None
            raise

    return wrapper
