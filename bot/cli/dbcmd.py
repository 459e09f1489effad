"""`paperbot db ...`: operator commands for the database."""

from __future__ import annotations

import click

from bot.cli.context import App, Failure, pass_app, translate_errors


@click.group()
def db() -> None:
    """Database maintenance (migrations run automatically; these are for operators).

    \b
    Examples:
      paperbot db upgrade
      paperbot db copy --to "postgresql://paperbot:secret@db.example.org/paperbot"
    """


@db.command()
@pass_app
@translate_errors
def upgrade(app: App) -> None:
    """Migrate the database to the newest schema (Alembic upgrade head).

    \b
    Example:
      PAPERBOT_DATABASE_URL=sqlite:////var/lib/paperbot/paperbot.db paperbot db upgrade
    """
    from bot.store.engine import current_revision, database_url, make_engine, redact_url
    from bot.store.engine import upgrade as run_upgrade

    url = database_url(app.environ)
    engine = make_engine(url)
    before = current_revision(engine)
    try:
        run_upgrade(engine)
    except Exception as exc:
        raise Failure(f"migration of {redact_url(url)} failed: {exc}") from None
    after = current_revision(engine)
    if before == after:
        click.echo(f"{redact_url(url)} is up to date ({after})")
    else:
        click.echo(f"{redact_url(url)} upgraded from {before or 'empty'} to {after}")


@db.command()
@click.option("--to", "to_url", metavar="URL", help="Copy the configured database into URL.")
@click.option("--from", "from_url", metavar="URL", help="Copy URL into the configured database.")
@pass_app
@translate_errors
def copy(app: App, to_url: str | None, from_url: str | None) -> None:
    """Copy every entry, post and attempt (ids kept) into an empty database, e.g. to PostgreSQL.

    Stop the daemon first. The target must be empty; its schema is created if needed. The copy
    is one transaction: it lands whole or not at all.

    \b
    Example:
      paperbot db copy --to "postgresql://paperbot:secret@db.example.org/paperbot"
    """
    from bot.cli.context import BadInput
    from bot.store.copy import CopyRefused, copy_database
    from bot.store.engine import DatabaseError, database_url, normalise_url

    if (to_url is None) == (from_url is None):
        raise BadInput("give exactly one of --to URL or --from URL")
    from sqlalchemy.engine import make_url

    for given in (to_url, from_url):
        try:
            if given is not None:
                make_url(normalise_url(given))
        except Exception:
            raise BadInput("--to/--from: not a database URL (e.g. postgresql://…)") from None
    here = database_url(app.environ)
    source, target = (
        (here, normalise_url(to_url)) if to_url else (normalise_url(from_url or ""), here)
    )
    try:
        report = copy_database(source, target)
    except CopyRefused as exc:
        raise BadInput(str(exc)) from None
    except DatabaseError as exc:
        raise Failure(str(exc)) from None
    rows = ", ".join(f"{n} {name}" for name, n in report.rows.items())
    click.echo(f"copied {report.source} to {report.target}: {rows}")


def database_lines(app: App) -> list[str]:
    """What `paperbot check` says about the database: on PostgreSQL, whether the connection is
    direct (the poster lock is a session advisory lock; a transaction-pooling proxy breaks it)."""
    from bot.store.engine import database_url, make_engine, redact_url

    url = database_url(app.environ)
    engine = make_engine(url)
    if engine.dialect.name != "postgresql":
        return []
    from bot.store.pg_lock import shared_sessions

    try:
        shared = shared_sessions(engine)
    finally:
        engine.dispose()
    if shared:
        return [
            f"warning: {redact_url(url)} hands one server session to several connections (a "
            "transaction-pooling proxy such as PgBouncer with pool_mode=transaction?): the "
            "poster lock needs a direct connection or session pooling, or two daemons may post"
        ]
    return [f"database: {redact_url(url)} (direct sessions: the poster lock holds)"]
