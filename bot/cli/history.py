"""`paperbot history`: what went out (or failed), with links to the posts."""

from __future__ import annotations

import csv
import sys
from typing import Any

import click

from bot.cli.context import App, console, emit_json, pass_app, translate_errors

HISTORY_STATUSES = ("posted", "failed", "retrying", "posting")


@click.command()
@click.option("--week", help="Only entries of this ISO week (YYYY-Www).")
@click.option("--since", help="Only posts attempted since this date or datetime.")
@click.option("--status", type=click.Choice(HISTORY_STATUSES), help="Only posts in this state.")
@click.option("--channel", help="Only this channel (x, dry-run).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@pass_app
@translate_errors
def history(
    app: App,
    week: str | None,
    since: str | None,
    status: str | None,
    channel: str | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Show posts and failures, newest first, with every attempt.

    \b
    Example:
      paperbot history --since 2026-11-23 --csv > week.csv
    """
    from sqlmodel import col, select

    from bot.cli.context import BadInput
    from bot.schedule.weeks import parse_date, parse_week
    from bot.store.documents import iso, post_to_json
    from bot.store.engine import session_scope
    from bot.store.models import Entry, Post
    from bot.store.queue import attempts_for

    if as_json and as_csv:
        raise BadInput("choose one of --json and --csv")
    query = select(Post, Entry).join(Entry, col(Entry.id) == col(Post.entry_id))
    if week:
        query = query.where(Entry.week == parse_week(week))
    if since:
        query = query.where(col(Post.updated_at) >= parse_date(since, app.tz))
    if status:
        query = query.where(Post.status == status)
    if channel:
        query = query.where(Post.channel == channel)
    query = query.order_by(col(Post.updated_at).desc(), col(Post.id).desc())
    with session_scope(app.engine, write=False) as session:
        rows = session.exec(query).all()
        attempts = attempts_for(session=session, post_ids=[p.id for p, _ in rows if p.id])
    items: list[dict[str, Any]] = []
    for post, entry in rows:
        item = post_to_json(post, app.tz, attempts.get(post.id or 0, []))
        item.update(
            entry_id=entry.id,
            title=entry.title,
            url=entry.url,
            week=entry.week,
            updated_at=iso(post.updated_at, app.tz),
        )
        items.append(item)
    if as_json:
        emit_json(items)
    elif as_csv:
        _write_csv(items)
    else:
        _print(items)


def _write_csv(items: list[dict[str, Any]]) -> None:
    columns = [
        "entry_id",
        "week",
        "channel",
        "status",
        "posted_at",
        "remote_url",
        "url",
        "title",
        "attempts",
        "last_error",
        "text",
    ]
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for item in items:
        writer.writerow({**item, "attempts": len(item["attempts"])})


def _print(items: list[dict[str, Any]]) -> None:
    from rich.markup import escape
    from rich.table import Table

    if not items:
        click.echo("Nothing posted yet.")
        return
    table = Table()
    for column in ("entry", "week", "channel", "status", "when", "attempts", "link / error"):
        table.add_column(column, overflow="fold")
    for item in items:
        when = (item["posted_at"] or item["updated_at"] or "")[:16].replace("T", " ")
        link = item["remote_url"] or escape(item["last_error"] or "")
        table.add_row(
            str(item["entry_id"]),
            item["week"],
            item["channel"],
            item["status"],
            when,
            str(len(item["attempts"])),
            link,
        )
    console().print(table)
