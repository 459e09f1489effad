"""`paperbot db ...`: operator commands for the database."""

from __future__ import annotations

import click

from bot.cli.context import App, Failure, pass_app, translate_errors


@click.group()
def db() -> None:
    """Database maintenance (migrations run automatically; these are for operators)."""


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
