"""`paperbot schedule`: the coming slots, which entry fills each, and the free ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.posting.planning import plan_queue
from bot.schedule.timetable import slots_between
from bot.store.documents import iso

if TYPE_CHECKING:
    from bot.schedule.timetable import Assignment, TimetableConfig
    from bot.store.reader import Reader


def schedule_report(
    reader: Reader,
    config: TimetableConfig,
    now: datetime,
    *,
    days: int,
    timezone: str,
    channel: str = "x",
) -> tuple[dict[str, Any], list[Assignment]]:
    """The `--json` document and the plan it was made from (the table shows local times), for
    `channel` (the first enabled one: every channel follows the same timetable)."""
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
    for assignment in plan:
        entry = entries.get(assignment.entry_id)
        rows.append(
            {
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
    return document, plan
