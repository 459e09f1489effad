"""Queue commands: add, edit, skip, retry, remove (`list` and `show`: bot/cli/listing.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.context import App, BadInput, pass_app, translate_errors
from bot.cli.figures import add_figure, figure_choice, figure_option

if TYPE_CHECKING:
    from bot.store.new_entry import NewEntry

KINDS = ("paper", "article", "application")
CHANNELS = ("x", "bluesky", "mastodon")  # bot/store/queue.py's; kept here so --help needs no ORM
STATUSES = ("queued", "posting", "posted", "failed", "skipped")


def entry_options(func: Any) -> Any:
    """The options shared by `add` and `edit`."""
    options = [
        click.option("--comment", help="Your comment; its first sentence is what gets posted."),
        click.option("--title", help="The paper's or article's title."),
        click.option(
            "--image",
            "images",
            multiple=True,
            metavar="PATH_OR_URL",
            help="An image to attach (repeat for up to 4): a local file or an http(s) URL.",
        ),
        click.option(
            "--alt",
            "alts",
            multiple=True,
            help="Alt text for the image given in the same position (repeat with --image).",
        ),
        click.option("--kind", type=click.Choice(KINDS), help="What the entry is."),
        click.option("--week", help="ISO week YYYY-Www (default: this week)."),
        click.option(
            "--at",
            "at_text",
            metavar="DATETIME",
            help="Post at this exact time (ISO 8601; no offset = the configured time zone).",
        ),
        click.option(
            "--channel",
            "channels",
            multiple=True,
            type=click.Choice(CHANNELS),
            help="Post on this channel (repeat for several; default: [channels] post_to).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_images(images: tuple[str, ...], alts: tuple[str, ...]) -> tuple[dict[str, str], ...]:
    """Pair --image with --alt, checking local paths exist and URLs are http(s)."""
    from bot.images.load import check_local_path, is_remote
    from bot.images.types import ImageError

    if len(images) > 4:
        raise BadInput(f"at most 4 images per post, got {len(images)}")
    if len(alts) > len(images):
        raise BadInput(f"{len(alts)} --alt given for {len(images)} --image")
    result = []
    for index, source in enumerate(images):
        alt = alts[index] if index < len(alts) else ""
        if is_remote(source):
            resolved = source
        elif "://" in source or source.lower().startswith(("data:", "javascript:")):
            raise BadInput(f"image {source!r}: only local files and http(s) URLs are accepted")
        else:
            try:
                resolved = str(check_local_path(source, Path.cwd()))
            except ImageError as exc:
                raise BadInput(str(exc)) from None
        result.append({"source": resolved, "alt": alt})
    return tuple(result)


def _enrich(app: App, new: NewEntry) -> NewEntry:
    """Fill a missing title/comment from arXiv; a failed fetch only warns."""
    from bot.digests.enrich import fetch_metadata, fill
    from bot.text.sentences import first_sentence

    assert new.arxiv_id is not None
    found, warnings = fetch_metadata(
        app.engine, [new.arxiv_id], app.settings.arxiv, offline=app.offline
    )
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    return fill(new, found.get(new.arxiv_id), first_sentence)


def _parse_week(app: App, week: str | None) -> str:
    from bot.schedule.weeks import parse_week, week_of

    return parse_week(week) if week else week_of(app.now(), app.tz)


@click.command()
@click.argument("url")
@entry_options
@figure_option
@click.option("--no-fetch", is_flag=True, help="Do not ask arXiv for anything (title, figure).")
@pass_app
@translate_errors
def add(
    app: App,
    url: str,
    comment: str | None,
    title: str | None,
    images: tuple[str, ...],
    alts: tuple[str, ...],
    kind: str | None,
    week: str | None,
    at_text: str | None,
    channels: tuple[str, ...],
    figure: str | None,
    no_fetch: bool,
) -> None:
    """Queue a paper, article or application example; prints the new entry's id.

    \b
    Example:
      paperbot add https://arxiv.org/pdf/2009.01835v2.pdf \\
        --comment "Video completion guided by flow edges." --image fig1.png --alt "Figure 1"
    """
    from bot.schedule.weeks import parse_datetime
    from bot.store.new_entry import NewEntry
    from bot.text.urls import canonicalize

    canonical = canonicalize(url)
    the_week = _parse_week(app, week)
    at = parse_datetime(at_text, app.tz) if at_text else None
    image_specs = build_images(images, alts)
    choice = figure_choice(
        app, figure, arxiv_id=canonical.arxiv_id, images=len(images), no_fetch=no_fetch
    )
    new = NewEntry(
        url=canonical.url,
        arxiv_id=canonical.arxiv_id,
        week=the_week,
        kind=kind or "paper",
        title=title or "",
        comment=comment or "",
        images=image_specs,
        at=at,
        channels=tuple(dict.fromkeys(channels)) or app.settings.channels.post_to,
    )
    if canonical.arxiv_id and not (new.title and new.comment) and not no_fetch:
        new = _enrich(app, new)
    if canonical.arxiv_id and not no_fetch and not app.offline:
        new = add_figure(app, new, choice)
    click.echo(_store(app, new))


def _store(app: App, new: NewEntry) -> int:
    """The new entry's id: written directly on a SQLite file at head, else through the ORM."""
    from datetime import UTC, datetime

    from bot.store.add_direct import add_entry_directly

    app.settings  # noqa: B018  (validate config, and load .env, before choosing a path)
    entry_id = add_entry_directly(app.environ, new, now=datetime.now(UTC))
    if entry_id is not None:
        return entry_id
    from bot.store.engine import session_scope
    from bot.store.queue import add_entry

    with session_scope(app.engine) as session:
        entry = add_entry(session=session, new=new)
        assert entry.id is not None
        return entry.id


@click.command()
@click.argument("entry_id", type=int)
@click.option("--url", help="A new link (canonicalised like `add`).")
@entry_options
@click.option("--no-at", is_flag=True, help="Drop the exact time: wait for a timetable slot.")
@click.option("--clear-images", is_flag=True, help="Remove all images (before adding --image).")
@pass_app
@translate_errors
def edit(
    app: App,
    entry_id: int,
    url: str | None,
    comment: str | None,
    title: str | None,
    images: tuple[str, ...],
    alts: tuple[str, ...],
    kind: str | None,
    week: str | None,
    at_text: str | None,
    channels: tuple[str, ...],
    no_at: bool,
    clear_images: bool,
) -> None:
    """Change an entry that is not posted yet. --image replaces the images.

    \b
    Example:
      paperbot edit 12 --comment "A sharper first sentence." --at 2026-11-30T09:00
    """
    from bot.schedule.weeks import parse_datetime, parse_week
    from bot.store.engine import session_scope
    from bot.store.queue import EntryChanges, edit_entry
    from bot.text.urls import canonicalize

    if at_text and no_at:
        raise BadInput("--at and --no-at contradict each other")
    canonical = canonicalize(url) if url else None
    new_images = build_images(images, alts) if images or clear_images else None
    changes = EntryChanges(
        url=canonical.url if canonical else None,
        arxiv_id=canonical.arxiv_id if canonical else None,
        kind=kind,
        title=title,
        comment=comment,
        images=new_images,
        week=parse_week(week) if week else None,
        at=parse_datetime(at_text, app.tz) if at_text else None,
        clear_at=no_at,
        channels=channels or None,
    )
    with session_scope(app.engine) as session:
        entry = edit_entry(session=session, entry_id=entry_id, changes=changes)
        click.echo(f"entry {entry.id} updated")


def _simple_transition(name: str, doc: str, verb: str) -> click.Command:
    @click.command(name=name, help=doc)
    @click.argument("entry_id", type=int)
    @pass_app
    @translate_errors
    def command(app: App, entry_id: int) -> None:
        from bot.store import queue
        from bot.store.engine import session_scope

        action = getattr(queue, f"{name}_entry")
        with session_scope(app.engine) as session:
            entry = action(session=session, entry_id=entry_id)
            click.echo(f"entry {entry_id} {verb}" + (f" ({entry.url})" if name == "remove" else ""))

    return command


skip = _simple_transition(
    "skip",
    "Skip an entry: it stays in the database but is never posted.\n\n"
    "\b\nExample:\n  paperbot skip 12",
    "skipped",
)


@click.command()
@click.argument("entry_id", type=int)
@click.option(
    "--channel",
    type=click.Choice(CHANNELS),
    help="Only this channel's failed post (default: every failed one).",
)
@pass_app
@translate_errors
def retry(app: App, entry_id: int, channel: str | None) -> None:
    """Queue what failed again (or a skipped entry), with a fresh attempt count.

    Posts already made on other channels stay as they are: only the failed ones go out again.

    \b
    Example:
      paperbot retry 12
      paperbot retry 12 --channel mastodon
    """
    from bot.store.engine import session_scope
    from bot.store.post_state import retry_posts

    with session_scope(app.engine) as session:
        retry_posts(session=session, entry_id=entry_id, channel=channel, now=app.now())
    where = f" on {channel}" if channel else ""
    click.echo(f"entry {entry_id} queued again{where}")


remove = _simple_transition(
    "remove",
    "Delete an entry that has not been posted.\n\n\b\nExample:\n  paperbot remove 12",
    "removed",
)
