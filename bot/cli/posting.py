"""Posting commands: preview, post, run, check, schedule, status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from bot.cli.context import App, BadInput, Failure, console, emit_json, pass_app, translate_errors


@click.command()
@click.argument("entry_id", type=int, required=False)
@click.option("--week", help="Preview every unposted entry of this ISO week.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
@translate_errors
def preview(app: App, entry_id: int | None, week: str | None, as_json: bool) -> None:
    """Show exactly what would be posted, with its weighted length, images and warnings.

    Without ID or --week: every queued entry.

    \b
    Example:
      paperbot preview --week 2026-W48
    """
    from bot.config import checked_compose_settings
    from bot.previews import entries_to_preview, preview_items
    from bot.weeks import parse_week

    if entry_id is not None and week:
        raise BadInput("give an ID or --week, not both")
    the_week = parse_week(week) if week else None
    with app.reader() as reader:
        entries = entries_to_preview(reader, entry_id=entry_id, week=the_week)
    items = preview_items(entries, checked_compose_settings(app.settings))
    if as_json:
        emit_json(items)
        return
    from rich.markup import escape
    from rich.panel import Panel

    out = console()
    if not items:
        out.print("Nothing to preview: no queued entries.")
    for item in items:
        body = escape(item["text"])
        for image in item["images"]:
            body += f"\n[dim]image:[/dim] {escape(image['source'])}\n[dim]alt:[/dim] " + escape(
                image["alt"] or ""
            )
        for warning in item["warnings"]:
            body += f"\n[yellow]warning:[/yellow] {escape(warning)}"
        out.print(
            Panel(
                body,
                title=f"#{item['id']}",
                subtitle=f"{item['weighted_length']}/{item['limit']}",
                expand=False,
            )
        )


@click.command()
@click.argument("entry_id", type=int)
@click.option("--dry-run", is_flag=True, help="Record on the dry-run channel; no network.")
@click.option("--log-format", type=click.Choice(["human", "json"]), default="human")
@pass_app
@translate_errors
def post(app: App, entry_id: int, dry_run: bool, log_format: str) -> None:
    """Post one entry now, outside the timetable.

    \b
    Example:
      paperbot post 12
    """
    from bot.cli.wiring import build_worker, configure_logging
    from bot.db import session_scope
    from bot.queue import get_entry
    from bot.worker import ChannelPaused

    configure_logging(log_format)
    with session_scope(app.engine) as session:
        entry = get_entry(session=session, entry_id=entry_id)
        if entry.status not in ("queued", "posting"):
            raise BadInput(
                f"entry {entry_id} is {entry.status}; "
                + (
                    "`paperbot retry` it first"
                    if entry.status != "posted"
                    else "it was posted already"
                )
            )
    if dry_run:
        worker = build_worker(app, dry_run=True)
        outcome = worker.post(entry_id, app.now())
        click.echo(outcome.remote_url or outcome.result)
        return
    from bot import lease

    stale = timedelta(seconds=app.settings.daemon.stale_after_seconds)
    try:
        held = lease.acquire(app.engine, now=app.now(), stale_after=stale)
    except lease.AlreadyRunning:
        # Two processes posting from one database could race on this entry: hand it to the
        # daemon instead, which picks up the change within a few seconds.
        _hand_to_daemon(app, entry_id)
        return
    worker = build_worker(app, dry_run=False)
    try:
        outcome = worker.post(entry_id, app.now())
    except ChannelPaused as paused:
        raise Failure(_pause_message(str(paused))) from None
    finally:
        lease.release(app.engine, held, now=app.now())
        worker.channel.close()
    if outcome.result in ("posted", "settled"):
        click.echo(outcome.remote_url or "posted")
        return
    raise Failure(f"entry {entry_id} not posted ({outcome.result}): {outcome.detail}")


def _hand_to_daemon(app: App, entry_id: int) -> None:
    from bot.db import session_scope
    from bot.lease import read_state
    from bot.queue import EntryChanges, edit_entry

    with session_scope(app.engine) as session:
        edit_entry(session=session, entry_id=entry_id, changes=EntryChanges(at=app.now()))
    state = read_state(app.engine)
    pid = state.pid if state else "?"
    click.echo(
        f"the daemon (pid {pid}) is running: entry {entry_id} is due now and it will post it "
        f"within seconds; see `paperbot show {entry_id}`"
    )


def _pause_message(reason: str) -> str:
    return (
        f"X rejected the credentials ({reason}); posting is paused. Fix: check the four X_* "
        "keys in .env and that the app has Read and Write permission (regenerate the "
        "access token after changing it), then `paperbot check`"
    )


@click.command()
@click.option("--once", is_flag=True, help="Post what is due now, then exit (for cron).")
@click.option("--dry-run", is_flag=True, help="Record on the dry-run channel; no network.")
@click.option(
    "--log-format",
    type=click.Choice(["human", "json"]),
    default="human",
    help="Log lines as text or as JSON lines.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log more detail.")
@pass_app
@translate_errors
def run(app: App, once: bool, dry_run: bool, log_format: str, verbose: bool) -> None:
    """Run the posting daemon (or one pass with --once).

    The daemon posts on the timetable of config/paperbot.toml, picks up entries added from
    the CLI within seconds, and stops cleanly on SIGTERM/SIGINT (a second signal exits at once).

    \b
    Example:
      paperbot run --once --dry-run
      paperbot run --log-format json
    """
    from bot.cli.wiring import build_worker, configure_logging
    from bot.config import timetable_config

    configure_logging(log_format, verbose)
    from bot import lease

    # Refuse early and cheaply (before building the X channel) if a daemon holds the database.
    stale = timedelta(seconds=app.settings.daemon.stale_after_seconds)
    try:
        lease.ensure_free(lease.read_state(app.engine), now=app.now(), stale_after=stale)
    except lease.AlreadyRunning as exc:
        raise Failure(str(exc)) from None
    worker = build_worker(app, dry_run=dry_run)
    config = timetable_config(app.settings)
    if once:
        _run_once(app, worker, config)
        return
    from bot.scheduler import Daemon

    daemon = Daemon(worker=worker, config=config, settings=app.settings.daemon)
    code = daemon.run()
    if code:
        raise SystemExit(code)


def _run_once(app: App, worker: Any, config: Any) -> None:
    import logging

    from bot import lease
    from bot.runner import run_due

    stale = timedelta(seconds=app.settings.daemon.stale_after_seconds)
    try:
        held = lease.acquire(app.engine, now=app.now(), stale_after=stale)
    except lease.AlreadyRunning as exc:
        raise Failure(str(exc)) from None
    try:
        state = lease.read_state(app.engine)
        last_run = state.last_run_at if state else None
        summary = run_due(worker, config, app.now, last_run=last_run)
        lease.record_run(app.engine, held, now=summary.settled_until or app.now())
    finally:
        lease.release(app.engine, held, now=app.now())
        worker.channel.close()
    logging.getLogger("paperbot").info("run finished: %s", summary.line())
    if summary.paused:
        raise Failure(_pause_message(summary.paused))


@click.command()
@pass_app
@translate_errors
def check(app: App) -> None:
    """Validate the config and ask X who the credentials post as.

    \b
    Example:
      paperbot check
    """
    from bot.channels.base import ChannelError
    from bot.config import checked_compose_settings

    settings = app.settings
    checked_compose_settings(settings)
    click.echo(
        f"config: {settings.config_path or 'built-in defaults'} (time zone {settings.timezone})"
    )
    from bot.cli.wiring import build_channel

    channel, _ = build_channel(app, dry_run=False)
    try:
        name = channel.whoami()
    except ChannelError as exc:
        raise Failure(f"X refused the credentials: {exc.message}") from None
    finally:
        channel.close()
    click.echo(f"posting as {name}")


@click.command()
@click.option(
    "--days", default=7, show_default=True, type=click.IntRange(1, 60), help="How many days ahead."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
@translate_errors
def schedule(app: App, days: int, as_json: bool) -> None:
    """Show the coming slots and which entry fills each.

    \b
    Example:
      paperbot schedule --days 3
    """
    from bot.config import timetable_config
    from bot.schedule_report import schedule_report

    config = timetable_config(app.settings)
    with app.reader() as reader:
        document, plan = schedule_report(
            reader, config, app.now(), days=days, timezone=app.settings.timezone
        )
    rows, free = document["posts"], document["free_slots"]
    if as_json:
        emit_json(document)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Plan for the next {days} days ({app.settings.timezone})")
    for column in ("day", "time", "entry", "title", "why"):
        table.add_column(column, overflow="fold")
    last_day = ""
    for row, assignment in zip(rows, plan, strict=True):
        local = assignment.when.astimezone(app.tz)
        day = local.strftime("%a %d %b")
        table.add_row(
            "" if day == last_day else day,
            local.strftime("%H:%M"),
            str(row["entry_id"]),
            escape(str(row["title"] or row["url"])),
            str(row["reason"]),
        )
        last_day = day
    out = console()
    out.print(table)
    out.print(f"{len(rows)} posts planned, {len(free)} free slots.")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
@translate_errors
def status(app: App, as_json: bool) -> None:
    """Is the daemon running, what is next, how big is the queue, what went wrong last.

    \b
    Example:
      paperbot status --json
    """
    from bot.config import timetable_config
    from bot.status import gather_status

    with app.reader() as reader:
        document = gather_status(
            reader,
            config=timetable_config(app.settings),
            stale_after=timedelta(seconds=app.settings.daemon.stale_after_seconds),
            now=app.now(),
            tz=app.tz,
        )
    if as_json:
        emit_json(document)
        return
    out = console()
    daemon = document["daemon"]
    if daemon["running"]:
        out.print(
            f"daemon: running since {daemon['started_at']} (pid {daemon['pid']}, "
            f"heartbeat {daemon['heartbeat_at']})"
        )
    else:
        out.print(
            "daemon: not running"
            + (f" (stopped {daemon['stopped_at']})" if daemon["stopped_at"] else "")
        )
    nxt = document["next_post"]
    out.print(
        f"next post: {nxt['when']} entry {nxt['entry_id']} {nxt['title']}"
        if nxt
        else "next post: none planned"
    )
    out.print("queue: " + ", ".join(f"{k} {v}" for k, v in document["counts"].items()))
    x = document["channels"].get("x", {})
    if x.get("paused_reason"):
        out.print(f"[red]X paused:[/red] {x['paused_reason']}")
    if x.get("rate_limited_until"):
        out.print(f"X rate limit: waiting until {x['rate_limited_until']}")
    if document["last_error"]:
        out.print(f"last error: {document['last_error']}")
