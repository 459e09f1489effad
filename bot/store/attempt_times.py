"""A settled attempt never finishes before it started, whichever path settles it.

Attempts are closed in several places (the answer, a later lookup, `resolve`, a restart closing
what a killed process left open), each with the `now` its caller read, and a caller's `now` may
predate the attempt (a pass that read the clock, then found an attempt another process began
after that). History must still read in order, so the store clamps `finished_at` to
`started_at` as the row is written: one rule in one place instead of one in every caller.
"""

from __future__ import annotations

from typing import Any

_installed: list[bool] = []


def install() -> None:
    """Hook every ORM session's flushes (once per process; no model import needed here)."""
    if _installed:
        return
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    event.listen(Session, "before_flush", _clamp_pending)
    _installed.append(True)


def _clamp_pending(session: Any, _context: Any, _instances: Any) -> None:
    for attempt in (*session.new, *session.dirty):
        if getattr(attempt, "__tablename__", None) != "attempt":
            continue
        started, finished = attempt.started_at, attempt.finished_at
        if started is not None and finished is not None and finished < started:
            attempt.finished_at = started
