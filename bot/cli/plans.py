"""What is planned and how posting goes: `schedule` and `status` (read-only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from bot.cli.context import App, pass_app, translate_errors
from bot.cli.output import console, emit_json
from bot.cli.schedule_view import usd_text


@click.command()
@click.option(
    "--days", default=7, show_default=True, type=click.IntRange(1, 60), help="How many days ahead."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
@translate_errors
def schedule(app: App, days: int, as_json: bool) -> None:
    """Show the coming slots and which entry fills each.

    With X enabled: what each coming X post will cost (X bills per request; see [x.costs]),
    what the arXiv-id citation saves on it, and the total for the days shown.

    \b
    Example:
      paperbot schedule --days 3
    """
    from bot.cli.schedule_view import print_schedule, read_schedule

    document, plan = read_schedule(app.settings, app.reader(), app.now(), days=days)
    print_schedule(app.settings, document, plan, days=days, as_json=as_json)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
@translate_errors
def status(app: App, as_json: bool) -> None:
    """Is the daemon running, what is next, how big is the queue, what went wrong last.

    Also what X has cost this calendar month (UTC) against [x] monthly_budget, and when X
    posts held by the budget resume.

    \b
    Example:
      paperbot status --json
    """
    from bot.config.pure_views import timetable_config
    from bot.posting.status import gather_status
    from bot.posting.x_costs import x_cost_policy

    with app.reader() as reader:
        document = gather_status(
            reader,
            config=timetable_config(app.settings),
            stale_after=timedelta(seconds=app.settings.daemon.stale_after_seconds),
            now=app.now(),
            tz=app.tz,
            channels=app.settings.channels.post_to,
            x_budget=x_cost_policy(app.settings.x).budget,
        )
    if as_json:
        emit_json(document)
        return
    _print_status(document)


def _print_status(document: dict[str, Any]) -> None:
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
        else "next post: none planned" + _paused_note(document)
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
        if state.get("engagement_note"):
            out.print(f"{label} engagement not read: {state['engagement_note']}")
        if state.get("staging_note"):
            out.print(f"{label} figures not staged ahead: {state['staging_note']}")
    _print_costs(out, document["costs"]["x"])
    if document["last_error"]:
        out.print(f"last error: {document['last_error']}")


def _print_costs(out: Any, costs: dict[str, Any]) -> None:
    budget = f" of {usd_text(costs['budget'])}" if costs["budget"] is not None else " (no budget)"
    out.print(f"X costs {costs['month']}: {usd_text(costs['spent'])}{budget}")
    if costs["message"]:
        out.print(f"[yellow]{costs['message']}[/yellow] ({costs['held']} waiting)")


def _paused_note(document: dict[str, Any]) -> str:
    """` (x paused)` for each paused channel: why no post is planned on it."""
    channels = document["channels"].items()
    return "".join(f" ({name} paused)" for name, state in channels if state.get("paused_reason"))
