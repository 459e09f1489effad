"""Planning cost: `timetable.plan` over 10,000 queued entries and a 7-day horizon.

Usage: .venv/bin/python bench/bench_timetable.py   (target: well under 100 ms)
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.schedule.plan_entry import PlanEntry
from bot.schedule.timetable import TimetableConfig, plan


def main() -> None:
    cfg = TimetableConfig(
        tz=ZoneInfo("Europe/London"), jitter_minutes=10, posts_per_day=5, daily_limit_24h=50
    )
    now = datetime(2026, 11, 23, 8, tzinfo=UTC)
    weeks = ["2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    entries = [
        PlanEntry(
            i,
            i,
            weeks[i % 4],
            at=now + timedelta(minutes=7 * i) if i % 10 == 0 else None,
            next_attempt_at=now + timedelta(hours=i % 30) if i % 7 == 0 else None,
        )
        for i in range(10_000)
    ]
    plan(cfg, now, entries[:10], current_week="2026-W48")
    times = []
    for _ in range(7):
        start = time.perf_counter()
        plan(cfg, now, entries, current_week="2026-W48")
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"plan 10,000 entries, 7 days: median {statistics.median(times):.1f} ms, "
        f"best {min(times):.1f} ms"
    )


if __name__ == "__main__":
    main()
