"""Reading the queue: `list` and `show` (each targeted channel's post and link included)."""

from __future__ import annotations

import sys

import click

from bot.cli.context import App, pass_app, translate_errors
from bot.cli.entries import STATUSES
from bot.cli.entry_table import print_entries
from bot.cli.output import console, emit_json


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
    print_entries(entries, posts, app.tz)


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
