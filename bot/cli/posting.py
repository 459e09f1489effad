"""Posting commands: preview, post, run, check, schedule, status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from bot.cli.context import App, BadInput, Failure, console, emit_json, pass_app, translate_errors


@click.command()
@click.argument("entry_id", type=int, required=False)
@click.option("--week", help="Preview every unposted entry of this ISO week.")
@click.option(
    "--channel",
    type=click.Choice(["x", "bluesky", "mastodon"]),
    help="Only this channel (default: every channel each entry targets).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
@translate_errors
def preview(
    app: App, entry_id: int | None, week: str | None, channel: str | None, as_json: bool
) -> None:
    """Show exactly what would be posted on each channel, with its length by that platform's
    rules, images and warnings.

    Without ID or --week: every queued entry.

    \b
    Example:
      paperbot preview --week 2026-W48
    """
    from bot.config import checked_compose_settings
    from bot.posting.previews import entries_to_preview, preview_items
    from bot.schedule.weeks import parse_week

    if entry_id is not None and week:
        raise BadInput("give an ID or --week, not both")
    the_week = parse_week(week) if week else None
    with app.reader() as reader:
        entries = entries_to_preview(reader, entry_id=entry_id, week=the_week)
    from bot.cli.channel_wiring import cached_mastodon_options

    items = preview_items(
        entries,
        checked_compose_settings(app.settings),
        channel=channel,
        compose_options=cached_mastodon_options(app),
    )
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
                title=f"#{item['id']} {item['channel']}",
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
    from bot.cli.wiring import build_worker, build_workers, configure_logging
    from bot.store.engine import session_scope
    from bot.store.queue import get_entry

    configure_logging(log_format)
    with session_scope(app.engine, write=False) as session:
        entry = get_entry(session=session, entry_id=entry_id)
        channels = list(entry.channels)
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
    from bot.store import lease

    held = lease.try_acquire(app.engine, now=app.now())
    if held is None:
        # Two processes posting from one database could race on this entry: hand it to the
        # poster holding the lock instead (a daemon picks the change up within seconds).
        _hand_to_daemon(app, entry_id)
        return
    try:
        workers = [w for w in build_workers(app, dry_run=False) if w.channel.name in channels]
    except BaseException:
        lease.release(app.engine, held, now=app.now())
        raise
    try:
        outcomes = _post_on_each(workers, entry_id, app.now())
    finally:
        lease.release(app.engine, held, now=app.now())
        for worker in workers:
            worker.channel.close()
    _report_posted(entry_id, outcomes)


def _post_on_each(workers: list[Any], entry_id: int, now: Any) -> list[tuple[str, Any]]:
    """The entry on each channel in turn; a paused channel fails the command after the rest."""
    from bot.posting.outcome import ChannelPaused

    outcomes: list[tuple[str, Any]] = []
    paused: list[str] = []
    for worker in workers:
        try:
            outcomes.append((worker.channel.name, worker.post(entry_id, now)))
        except ChannelPaused as exc:
            paused.append(_pause_message(str(exc), worker.channel.name))
    if paused:
        raise Failure("; ".join(paused))
    return outcomes


def _report_posted(entry_id: int, outcomes: list[tuple[str, Any]]) -> None:
    if not outcomes:
        raise Failure(
            f"entry {entry_id} targets no channel enabled in [channels] post_to (see "
            f"`paperbot show {entry_id}`)"
        )
    failed = []
    for channel, outcome in outcomes:
        if outcome.result in ("posted", "settled"):
            link = outcome.remote_url or "posted"
            click.echo(link if len(outcomes) == 1 else f"{channel}: {link}")
        else:
            failed.append(f"{channel}: {outcome.result}: {outcome.detail}")
    if failed:
        raise Failure(f"entry {entry_id} not posted on " + "; ".join(failed))


def _hand_to_daemon(app: App, entry_id: int) -> None:
    from bot.store.engine import session_scope
    from bot.store.lease import holder
    from bot.store.queue import EntryChanges, edit_entry

    with session_scope(app.engine, write=True) as session:
        edit_entry(session=session, entry_id=entry_id, changes=EntryChanges(at=app.now()))
    click.echo(
        f"the daemon ({holder(app.engine)}) is running: entry {entry_id} is due now and it will "
        f"post it within seconds; see `paperbot show {entry_id}`"
    )


def _pause_message(reason: str, channel: str = "x") -> str:
    if channel == "bluesky":
        return (
            f"Bluesky rejected the credentials ({reason}); posting there is paused. Fix: check "
            "BLUESKY_HANDLE and BLUESKY_APP_PASSWORD (an app password from Settings → Privacy "
            "and security → App passwords), then `paperbot check`"
        )
    if channel == "mastodon":
        return (
            f"Mastodon rejected the access token ({reason}); posting there is paused. Fix: "
            "check MASTODON_BASE_URL and MASTODON_ACCESS_TOKEN (scopes write:statuses, "
            "write:media, read:accounts, read:statuses), then `paperbot check`"
        )
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
@click.option(
    "--standby",
    is_flag=True,
    help="If another daemon runs on this database, wait and take over when it stops.",
)
@pass_app
@translate_errors
def run(app: App, once: bool, dry_run: bool, log_format: str, verbose: bool, standby: bool) -> None:
    """Run the posting daemon (or one pass with --once).

    The daemon posts on the timetable of config/paperbot.toml, picks up entries added from
    the CLI within seconds, and stops cleanly on SIGTERM/SIGINT (a second signal exits at once).
    Only one process posts from a database: a second daemon is refused (exit 1), unless
    started with --standby, when it waits and takes over within seconds of the first one's end.

    \b
    Example:
      paperbot run --once --dry-run
      paperbot run --log-format json
      paperbot run --standby
    """
    from bot.cli.wiring import build_workers, configure_logging
    from bot.config import timetable_config

    if once and standby:
        raise BadInput("--standby is for the daemon; --once runs only when nothing else posts")
    config = timetable_config(app.settings)
    configure_logging(log_format, verbose)
    from bot.store import lease

    # Refuse early and cheaply (before building the X channel) if another process posts.
    held = lease.try_acquire(app.engine, now=app.now())
    if held is None and not standby:
        raise Failure(lease.refusal(app.engine))
    try:
        workers = build_workers(app, dry_run=dry_run)
    except BaseException:
        if held is not None:
            lease.release(app.engine, held, now=app.now())
        raise
    if once and held is not None:
        _run_once(app, workers, config, held)
        return
    from bot.posting.daemon import Daemon

    daemon = Daemon(
        workers=workers, config=config, settings=app.settings.daemon, standby=standby, lease=held
    )
    code = daemon.run()
    if code:
        raise SystemExit(code)


def _run_once(app: App, workers: list[Any], config: Any, held: Any) -> None:
    import logging

    from bot.posting.one_pass import run_all
    from bot.store import lease

    try:
        state = lease.read_state(app.engine)
        last_run = state.last_run_at if state else None
        summary = run_all(workers, config, app.now, last_run=last_run)
        lease.record_run(app.engine, held, now=summary.settled_until or app.now())
    finally:
        lease.release(app.engine, held, now=app.now())
        for worker in workers:
            worker.channel.close()
    logging.getLogger("paperbot").info("run finished: %s", summary.line())
    if summary.paused_channels:
        raise Failure(
            "; ".join(
                _pause_message(reason, channel)
                for channel, reason in summary.paused_channels.items()
            )
        )


@click.command()
@pass_app
@translate_errors
def check(app: App) -> None:
    """Validate the config and the credentials of every enabled channel: ask X who the
    credentials post as, and whether the app's access level can read the account's posts
    (without it, a post whose answer is lost cannot be looked up and waits for `paperbot
    resolve`); ask Bluesky and Mastodon who the account is, and the Mastodon instance its
    limits.

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
    from bot.cli.check_channels import check_bluesky, check_mastodon
    from bot.cli.wiring import build_channel

    click.echo(f"channels: {', '.join(settings.channels.post_to)}")
    if "x" in settings.channels.post_to:
        channel, _ = build_channel(app, dry_run=False)
        try:
            name = channel.whoami()
            click.echo(f"posting as {name}")
            click.echo(_read_access(channel, app.now()))
        except ChannelError as exc:
            raise Failure(f"X refused the credentials: {exc.message}") from None
        finally:
            channel.close()
    for name, probe in (("bluesky", check_bluesky), ("mastodon", check_mastodon)):
        if name in settings.channels.post_to:
            for line in probe(app):
                click.echo(line)


def _read_access(channel: Any, now: Any) -> str:
    """Whether the access level can read the account's own posts, and what that means."""
    from bot.channels.base import ChannelError, ErrorKind

    try:
        channel.recent_posts(now - timedelta(minutes=5))
    except ChannelError as exc:
        if exc.kind is ErrorKind.READ_REFUSED:
            return (
                "reading the account's posts: not allowed by this app's access level (X error "
                "453). Posting works, but when the answer to a post is lost paperbot cannot "
                'look the post up: it waits under "needs a decision" in `paperbot status` '
                "until you `paperbot resolve` it"
            )
        if exc.kind is ErrorKind.AUTH:
            raise
        return f"reading the account's posts: could not tell now ({exc.message})"
    return (
        "reading the account's posts: allowed; a post whose answer is lost is looked up on "
        "the account and settled without you"
    )


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
    from bot.reports.schedule import schedule_report

    config = timetable_config(app.settings)
    with app.reader() as reader:
        document, plan = schedule_report(
            reader,
            config,
            app.now(),
            days=days,
            timezone=app.settings.timezone,
            channel=app.settings.channels.post_to[0],
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
    from bot.posting.status import gather_status

    with app.reader() as reader:
        document = gather_status(
            reader,
            config=timetable_config(app.settings),
            stale_after=timedelta(seconds=app.settings.daemon.stale_after_seconds),
            now=app.now(),
            tz=app.tz,
            channel=app.settings.channels.post_to[0],
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
    undecided = document["needs_decision"]
    if undecided["count"]:
        ids = ", ".join(str(p["entry_id"]) for p in undecided["posts"])
        out.print(
            f"[yellow]needs a decision: {undecided['count']}[/yellow] (entry {ids}: outcome "
            "unknown and the platform cannot show it; `paperbot show ID` says what to run)"
        )
    shown = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon"}
    for name, state in document["channels"].items():
        label = shown.get(name, name)
        if state.get("paused_reason"):
            out.print(f"[red]{label} paused:[/red] {state['paused_reason']}")
        if state.get("rate_limited_until"):
            out.print(f"{label} rate limit: waiting until {state['rate_limited_until']}")
    if document["last_error"]:
        out.print(f"last error: {document['last_error']}")
