"""`paperbot schedule`: the coming slots, which entry fills each, and the free ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.posting.planning import plan_queue
from bot.schedule.timetable import slots_between
from bot.store.documents import iso
from bot.store.money import usd

if TYPE_CHECKING:
    from bot.posting.x_costs import XCostPolicy, XPrice
    from bot.schedule.timetable import Assignment, TimetableConfig
    from bot.store.read_records import EntryRecord
    from bot.store.reader import Reader
    from bot.text.compose import ComposeSettings


def schedule_report(
    reader: Reader,
    config: TimetableConfig,
    now: datetime,
    *,
    days: int,
    timezone: str,
    channel: str = "x",
    x_costs: tuple[ComposeSettings, XCostPolicy] | None = None,
) -> tuple[dict[str, Any], list[Assignment]]:
    """The `--json` document and the plan it was made from (the table shows local times), for
    `channel` (the first enabled one: every channel follows the same timetable).

    With `x_costs` (the composer's settings and X's prices), each row of an entry that goes to X
    has `x_cost` (what its X post will cost, in USD) and `x_saving` (what the arXiv-id citation
    saves), and the document `x_cost_total` for the days shown."""
    tz = config.tz
    daemon = reader.daemon_state()
    # Plan a day further than shown: an `at` entry just past the horizon takes its day's room
    # under the caps, as it will when the daemon (planning a week ahead) gets there.
    plan = plan_queue(
        reader,
        config,
        now,
        channel=channel,
        last_run=daemon.last_run_at if daemon else None,
        horizon=timedelta(days=days + 1),
    )
    plan = [a for a in plan if a.when < now + timedelta(days=days)]
    entries = reader.entries_by_id(sorted({a.entry_id for a in plan}))
    rows = []
    total = 0
    for assignment in plan:
        entry = entries.get(assignment.entry_id)
        price = _x_price(entry, x_costs)
        total += price.cost if price else 0
        rows.append(
            {
                "x_cost": usd(price.cost) if price else None,
                "x_saving": usd(price.saving) if price else None,
                "when": iso(assignment.when, tz),
                "entry_id": assignment.entry_id,
                "reason": assignment.reason,
                "title": entry.title if entry else "",
                "url": entry.url if entry else "",
                "week": entry.week if entry else "",
            }
        )
    taken = {a.when for a in plan}
    free = [
        iso(s, tz) for s in slots_between(config, now, now + timedelta(days=days)) if s not in taken
    ]
    document = {"timezone": timezone, "now": iso(now, tz), "posts": rows, "free_slots": free}
    return document | ({} if x_costs is None else {"x_cost_total": usd(total)}), plan


def _x_price(
    entry: EntryRecord | None, x_costs: tuple[ComposeSettings, XCostPolicy] | None
) -> XPrice | None:
    """The X post's price, for an entry going to X (None otherwise, or without prices)."""
    if entry is None or x_costs is None or "x" not in entry.channels:
        return None
    from bot.posting.x_costs import price_record

    settings, policy = x_costs
    try:
        return price_record(entry, settings, policy)[1]
    except ValueError:  # no link to compose with: `preview` says why
        return None
