"""Posting commands: preview, post, run, check (the reports `schedule` and `status` are in
bot/cli/plans.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from bot.posting.outcome import Outcome

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
@click.option(
    "--html",
    "html",
    type=click.Path(dir_okay=True, path_type=Path),
    help="Write one self-contained page showing each post as its platform will; prints its path.",
)
@pass_app
@translate_errors
def preview(
    app: App,
    entry_id: int | None,
    week: str | None,
    channel: str | None,
    as_json: bool,
    html: Path | None,
) -> None:
    """Show exactly what would be posted on each channel, with its length by that platform's
    rules, images and warnings.

    Without ID or --week: every queued entry. --html FILE writes a page (images inside it)
    with each post as that platform shows it: links, figures and alt texts, link card, length,
    warnings and the planned time.

    \b
    Example:
      paperbot preview --week 2026-W48
      paperbot preview --week 2026-W48 --html week.html
    """
    from bot.config.pure_views import checked_compose_settings
    from bot.posting.previews import entries_to_preview, preview_items
    from bot.posting.x_costs import x_cost_policy
    from bot.schedule.weeks import parse_week

    if entry_id is not None and week:
        raise BadInput("give an ID or --week, not both")
    if as_json and html is not None:
        raise BadInput("give --json or --html, not both")
    the_week = parse_week(week) if week else None
    if html is not None:
        from bot.cli.preview_page import preview_page

        click.echo(preview_page(app, html, entry_id=entry_id, week=the_week, channel=channel))
        return
    with app.reader() as reader:
        entries = entries_to_preview(reader, entry_id=entry_id, week=the_week)
    from bot.cli.channel_wiring import cached_mastodon_options, preview_image_warnings

    items = preview_items(
        entries,
        checked_compose_settings(app.settings),
        channel=channel,
        compose_options=cached_mastodon_options(app),
        image_warnings=preview_image_warnings(app),
        x_costs=x_cost_policy(app.settings.x),
    )
    if as_json:
        emit_json(items)
        return
    _print_previews(items)


def _print_previews(items: list[dict[str, Any]]) -> None:
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
        card = item.get("card")
        if card:
            shown = f"{card['title']} — {card['description']}".rstrip(" —")
            body += f"\n[dim]link card:[/dim] {escape(shown)}"
        for warning in item["warnings"]:
            body += f"\n[yellow]warning:[/yellow] {escape(warning)}"
        out.print(
            Panel(
                body,
                title=f"#{item['id']} {item['channel']}",
                subtitle=f"{item['weighted_length']}/{item['limit']}" + _price(item),
                expand=False,
            )
        )


def _price(item: dict[str, Any]) -> str:
    """What X will bill for the post, and what the citation saves ("· $0.015 on X")."""
    from bot.store.money import MICROS, dollars

    if "cost" not in item:
        return ""
    saving = round(item["saving"] * MICROS)
    cost = dollars(round(item["cost"] * MICROS))
    return f" · {cost} on X" + (f" (saves {dollars(saving)})" if saving else "")


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
    from bot.cli.wiring import build_workers, configure_logging
    from bot.posting.post_now import pause_message, post_now

    configure_logging(log_format)
    result = post_now(
        app.engine,
        entry_id,
        make_workers=lambda dry: build_workers(app, dry_run=dry),
        now=app.now,
        dry_run=dry_run,
    )
    if result.handed_to is not None:
        if result.in_flight:
            click.echo(
                f"the daemon ({result.handed_to}) is posting entry {entry_id} on "
                f"{', '.join(result.in_flight)} right now (any other channel of it is due now); "
                f"see `paperbot show {entry_id}` for how it went"
            )
            return
        click.echo(
            f"the daemon ({result.handed_to}) is running: entry {entry_id} is due now and it "
            f"will post it within seconds; see `paperbot show {entry_id}`"
        )
        return
    paused = "; ".join(pause_message(reason, name) for name, reason in result.paused)
    if result.outcomes or not paused:
        _report_posted(entry_id, result.outcomes)
    if paused:
        raise Failure(paused)


def _report_posted(entry_id: int, outcomes: tuple[tuple[str, Outcome], ...]) -> None:
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
        elif channel == "dry-run":
            click.echo(outcome.remote_url or outcome.result)
        else:
            failed.append(f"{channel}: {outcome.result}: {outcome.detail}")
    if failed:
        raise Failure(f"entry {entry_id} not posted on " + "; ".join(failed))


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
    from bot.cli.wiring import build_workers, configure_logging, read_schedule
    from bot.config.pure_views import timetable_config
    from bot.posting.post_now import pause_message
    from bot.posting.run_posting import AlreadyPosting, run_posting

    if once and standby:
        raise BadInput("--standby is for the daemon; --once runs only when nothing else posts")
    config = timetable_config(app.settings)
    configure_logging(log_format, verbose)
    try:
        result = run_posting(
            app.engine,
            make_workers=lambda: build_workers(app, dry_run=dry_run),
            config=config,
            settings=app.settings.daemon,
            now=app.now,
            once=once,
            standby=standby,
            reads=None if dry_run else read_schedule(app),
        )
    except AlreadyPosting as exc:
        raise Failure(str(exc)) from None
    if isinstance(result, int):
        if result:
            raise SystemExit(result)
    else:
        # Exit 1 when a post failed for good or a channel paused in this run, so that cron
        # and systemd timers notice (DESIGN: `run --once` exit codes).
        problems = [
            pause_message(reason, channel) for channel, reason in result.paused_channels.items()
        ]
        failed = [outcome for outcome in result.outcomes if outcome.result == "failed"]
        if failed:
            ids = ", ".join(str(outcome.entry_id) for outcome in failed)
            problems.append(
                f"{len(failed)} post(s) failed for good in this run (entry {ids}): see "
                "`paperbot history --status failed`; `paperbot retry ID` queues one again"
            )
        if problems:
            raise Failure("; ".join(problems))


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
    from bot.cli.wiring import build_channel
    from bot.config.pure_views import checked_compose_settings
    from bot.posting.account_check import check_account

    settings = app.settings
    checked_compose_settings(settings)
    click.echo(
        f"config: {settings.config_path or 'built-in defaults'} (time zone {settings.timezone})"
    )
    from bot.cli.check_channels import check_bluesky, check_mastodon
    from bot.cli.dbcmd import database_lines

    for line in database_lines(app):
        click.echo(line, err=line.startswith("warning:"))
    click.echo(f"channels: {', '.join(settings.channels.post_to)}")
    if "x" in settings.channels.post_to:
        channel, _ = build_channel(app, dry_run=False)
        result = check_account(channel, app.now(), lambda: app.engine)
        if result.name is not None:
            click.echo(f"posting as {result.name}")
        if result.read_access is not None:
            click.echo(result.read_access)
        if result.refused is not None:
            raise Failure(f"X refused the credentials: {result.refused}")
    for name, probe in (("bluesky", check_bluesky), ("mastodon", check_mastodon)):
        if name in settings.channels.post_to:
            for line in probe(app):
                click.echo(line)
