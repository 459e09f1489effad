"""`paperbot status`'s output: the daemon, the next post, the queue, each channel's troubles and
what X has cost. Without click, so that bot/cli/fast.py prints exactly what the command prints.

Every value that comes from the queue or a platform (titles, errors, reasons) is escaped: rich
would read `[Re] Reproducing...` as a style and drop it, and a `[/...]` in an error message
would stop the command with a markup error.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.cli.output import console
from bot.cli.schedule_view import usd_text

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from bot.config.settings import Settings
    from bot.store.reader import Reader

_SHOWN = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon"}


def read_status(
    settings: Settings, reading: AbstractContextManager[Reader], now: datetime
) -> dict[str, Any]:
    """The status document, read through the reader `reading` opens."""
    from bot.config.pure_views import timetable_config
    from bot.posting.status import gather_status
    from bot.posting.x_costs import x_cost_policy

    with reading as reader:
        return gather_status(
            reader,
            config=timetable_config(settings),
            stale_after=timedelta(seconds=settings.daemon.stale_after_seconds),
            now=now,
            tz=settings.tz,
            channels=settings.channels.post_to,
            x_budget=x_cost_policy(settings.x).budget,
        )


def print_status(document: dict[str, Any]) -> None:
    """`read_status`'s document as the lines people read."""
    from rich.markup import escape

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
        f"next post: {nxt['when']} entry {nxt['entry_id']} {escape(str(nxt['title']))}"
        if nxt
        else "next post: none planned" + escape(_paused_note(document))
    )
    out.print("queue: " + ", ".join(f"{k} {v}" for k, v in document["counts"].items()))
    undecided = document["needs_decision"]
    if undecided["count"]:
        ids = ", ".join(str(p["entry_id"]) for p in undecided["posts"])
        out.print(
            f"[yellow]needs a decision: {undecided['count']}[/yellow] (entry {ids}: outcome "
            "unknown and the platform cannot show it; `paperbot show ID` says what to run)"
        )
    for name, state in document["channels"].items():
        label = escape(_SHOWN.get(name, name))
        if state.get("paused_reason"):
            out.print(f"[red]{label} paused:[/red] {escape(state['paused_reason'])}")
        if state.get("rate_limited_until"):
            out.print(f"{label} rate limit: waiting until {state['rate_limited_until']}")
        if state.get("engagement_note"):
            out.print(f"{label} engagement not read: {escape(state['engagement_note'])}")
        if state.get("staging_note"):
            out.print(f"{label} figures not staged ahead: {escape(state['staging_note'])}")
    _print_costs(out, document["costs"]["x"])
    if document["last_error"]:
        out.print(f"last error: {escape(document['last_error'])}")


def _print_costs(out: Any, costs: dict[str, Any]) -> None:
    from rich.markup import escape

    budget = f" of {usd_text(costs['budget'])}" if costs["budget"] is not None else " (no budget)"
    out.print(f"X costs {costs['month']}: {usd_text(costs['spent'])}{budget}")
    if costs["message"]:
        out.print(f"[yellow]{escape(costs['message'])}[/yellow] ({costs['held']} waiting)")


def _paused_note(document: dict[str, Any]) -> str:
    """` (x paused)` for each paused channel: why no post is planned on it."""
    channels = document["channels"].items()
    return "".join(f" ({name} paused)" for name, state in channels if state.get("paused_reason"))
