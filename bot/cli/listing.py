"""Reading the queue: `list` and `show` (each targeted channel's post and link included)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from bot.cli.context import App, pass_app, translate_errors
from bot.cli.entries import STATUSES
from bot.cli.output import console, emit_json

if TYPE_CHECKING:
    from bot.cli.table import Cell
    from bot.store.read_records import EntryRecord, PostRecord


@click.command(name="list")
@click.option("--week", help="Only this ISO week (YYYY-Www).")
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Only this status."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
@translate_errors
def list_(app: App, week: str | None, statuses: tuple[str, ...], as_json: bool) -> None:
    """List queued and past entries, in queue order.

    \b
    Example:
      paperbot list --week 2026-W48 --status queued
    """
    from bot.schedule.weeks import parse_week

    the_week = parse_week(week) if week else None
    with app.reader() as reader:
        if as_json:
            from bot.reports.entries import entry_documents, entry_documents_text

            if not sys.stdout.isatty():  # emit_json's compact form: the database can write it
                text = entry_documents_text(reader, week=the_week, statuses=statuses, tz=app.tz)
                if text is not None:
                    sys.stdout.write(text + "\n")
                    return
            emit_json(entry_documents(reader, week=the_week, statuses=statuses, tz=app.tz))
            return
        entries = reader.entries(week=the_week, statuses=statuses)
        posts = reader.posts_for([entry.id for entry in entries])
    _print_entries(app, entries, posts)


def _print_entries(
    app: App, entries: Sequence[EntryRecord], posts: dict[int, list[PostRecord]]
) -> None:
    from bot.cli.table import print_table

    if not entries:
        click.echo("No entries. Add one with `paperbot add URL --comment ...`.")
        return
    rows: list[list[Cell]] = []
    for entry in entries:
        at = entry.at.astimezone(app.tz).strftime("%a %d %b %H:%M") if entry.at else ""
        label: Cell = ((entry.title, False), ("\n", False), (entry.url, True))
        status: Cell = entry.status
        if entry.last_error and entry.status in ("queued", "failed"):
            status = ((entry.status, False), ("\n", False), (entry.last_error[:60], True))
        rows.append(
            [
                str(entry.id),
                entry.week,
                status,
                entry.kind,
                at,
                label if entry.title else entry.url,
                _channel_cells(entry, posts.get(entry.id, [])),
            ]
        )
    print_table(("id", "week", "status", "kind", "at", "title / url", "channels"), rows)


_MARKS = {"posted": "✓", "failed": "✗", "posting": "…"}


def _channel_cells(entry: EntryRecord, posts: Sequence[PostRecord]) -> Cell:
    """Each targeted channel with its post's state and link (`x ✓ https://...`)."""
    by_channel = {post.channel: post for post in posts}
    fragments: list[tuple[str, bool]] = []
    for name in entry.channels:
        post = by_channel.get(name)
        mark = _MARKS.get(post.status, "·") if post is not None else "·"
        fragments.append((f"\n{name} {mark}" if fragments else f"{name} {mark}", False))
        if post and post.remote_url:
            fragments += [(" ", False), (post.remote_url, True)]
    return tuple(fragments)


@click.command()
@click.argument("entry_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
@translate_errors
def show(app: App, entry_id: int, as_json: bool) -> None:
    """Show one entry with its posts and every attempt.

    \b
    Example:
      paperbot show 12 --json
    """
    from bot.reports.entries import entry_document

    with app.reader() as reader:
        document = entry_document(reader, entry_id, app.tz)
    if as_json:
        emit_json(document)
        return
    out = console()
    from rich.markup import escape

    out.print(f"[bold]#{document['id']}[/bold] {escape(document['title'] or '(no title)')}")
    for key in (
        "url",
        "kind",
        "week",
        "status",
        "channels",
        "at",
        "attempts",
        "next_attempt_at",
        "last_error",
    ):
        value = document[key]
        if value not in (None, ""):
            shown = ", ".join(value) if isinstance(value, list) else str(value)
            out.print(f"  [dim]{key}:[/dim] {escape(shown)}")
    if document["comment"]:
        out.print(f"  [dim]comment:[/dim] {escape(document['comment'])}")
    for image in document["images"]:
        out.print(
            f"  [dim]image:[/dim] {escape(image['source'])}  [dim]alt:[/dim] "
            f"{escape(image['alt'] or '(title)')}"
        )
    for post in document["posts"]:
        out.print(
            f"  [bold]{post['channel']}[/bold] {post['status']} "
            f"{post['remote_url'] or ''} {post['posted_at'] or ''}"
        )
        for attempt in post["attempts"]:
            out.print(
                f"    {attempt['started_at']} {attempt['outcome']} {escape(attempt['error'] or '')}"
            )
