"""One way for a test to wait: poll a condition until it holds, a deadline as the safety net.

The condition is the event waited for (a post arrived, a log line was written, a lock was taken);
the deadline is generous and only turns a hang into a failure that says what never happened, so
no test depends on the machine's speed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_SECONDS = 0.02


def wait_until(
    condition: Callable[[], T],
    what: str | Callable[[], str],
    timeout: float = 60.0,
) -> T:
    """`condition()`'s first truthy value, polled until `timeout` seconds have passed.

    `what` names the awaited event in the failure (a callable is asked only then, so it can show
    the state at the moment of failing, e.g. a log so far). A condition may raise to fail at once
    when the event can no longer happen (a process that died).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            named = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout} s waiting for {named}")
        time.sleep(POLL_SECONDS)
