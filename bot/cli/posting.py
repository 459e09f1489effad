"""Posting commands: post, run, check (`preview` is bot/cli/previewing.py; the reports
`schedule` and `status` are in bot/cli/plans.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bot.posting.outcome import Outcome

from bot.cli.context import App, BadInput, Failure, pass_app, translate_errors


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
    app.migrate_apart = not once
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
