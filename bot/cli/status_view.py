"""`paperbot status`'s output: the daemon, the next post, the queue, each channel's troubles and
what X has cost. Without click, so that bot/cli/fast.py prints exactly what the command prints.

Lines are pieces of text with a style, never rich markup: a value from the queue or a platform
(titles, errors, reasons) is shown as it is, where rich's markup read `[Re] Reproducing...` as a
style and dropped it, and stopped the command at a `[/...]` in an error message. Into a pipe they
are printed without rich's Console (bot/cli/plain.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.cli.plain import Segment, print_lines
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
    print_lines(status_lines(document))


def status_lines(document: dict[str, Any]) -> list[list[Segment]]:
    """The status as lines of (text, rich style) pieces: values shown as they are."""
    lines: list[list[Segment]] = []

    def say(*pieces: str | Segment) -> None:
        lines.append([(piece, "") if isinstance(piece, str) else piece for piece in pieces])

    daemon = document["daemon"]
    if daemon["running"]:
        say(
            f"daemon: running since {daemon['started_at']} (pid {daemon['pid']}, "
            f"heartbeat {daemon['heartbeat_at']})"
        )
    else:
        stopped = f" (stopped {daemon['stopped_at']})" if daemon["stopped_at"] else ""
        say("daemon: not running" + stopped)
    nxt = document["next_post"]
    if nxt:
        say(f"next post: {nxt['when']} entry {nxt['entry_id']} {nxt['title']}")
    else:
        say("next post: none planned" + _paused_note(document))
    say("queue: " + ", ".join(f"{k} {v}" for k, v in document["counts"].items()))
    undecided = document["needs_decision"]
    if undecided["count"]:
        ids = ", ".join(str(p["entry_id"]) for p in undecided["posts"])
        say(
            (f"needs a decision: {undecided['count']}", "yellow"),
            f" (entry {ids}: outcome unknown and the platform cannot show it; "
            "`paperbot show ID` says what to run)",
        )
    for name, state in document["channels"].items():
        label = _SHOWN.get(name, name)
        if state.get("paused_reason"):
            say((f"{label} paused:", "red"), f" {state['paused_reason']}")
        if state.get("rate_limited_until"):
            say(f"{label} rate limit: waiting until {state['rate_limited_until']}")
        if state.get("engagement_note"):
            say(f"{label} engagement not read: {state['engagement_note']}")
        if state.get("staging_note"):
            say(f"{label} figures not staged ahead: {state['staging_note']}")
    costs = document["costs"]["x"]
    budget = f" of {usd_text(costs['budget'])}" if costs["budget"] is not None else " (no budget)"
    say(f"X costs {costs['month']}: {usd_text(costs['spent'])}{budget}")
    if costs["message"]:
        say((costs["message"], "yellow"), f" ({costs['held']} waiting)")
    if document["last_error"]:
        say(f"last error: {document['last_error']}")
    return lines


def _paused_note(document: dict[str, Any]) -> str:
    """` (x paused)` for each paused channel: why no post is planned on it."""
    channels = document["channels"].items()
    return "".join(f" ({name} paused)" for name, state in channels if state.get("paused_reason"))
