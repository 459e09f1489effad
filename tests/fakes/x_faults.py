"""Fault injection for the fake X: the failures X produces in practice, queued per route."""

from __future__ import annotations

import time

from tests.fakes.x_model import (
    PERMISSIONS_MESSAGE,
    ROUTE_NAMES,
    Fault,
    FaultMode,
    Reply,
    invalid,
    problem,
    too_many_body,
)
from tests.fakes.x_state import XState


class XFaults(XState):
    """``fail_next`` queues faults; the request handler takes them in order."""

    def fail_next(
        self,
        route: str,
        mode: FaultMode | str,
        *,
        times: int = 1,
        status: int | None = None,
        reset: int | None = None,
        user_reset: int | None = None,
        delay: float = 0.0,
        message: str | None = None,
    ) -> None:
        """Make the next ``times`` requests to ``route`` ("*" for any) fail in ``mode``."""
        if route != "*" and route not in ROUTE_NAMES:
            raise ValueError(f"unknown route {route!r}; known: {sorted(ROUTE_NAMES)}")
        fault = Fault(route, FaultMode(mode), times, status, reset, user_reset, delay, message)
        with self._lock:
            self._faults.append(fault)

    def release(self) -> None:
        """Let every request held by a HOLD fault go on (now and from now on)."""
        self._released.set()

    def pending_faults(self, route: str | None = None) -> int:
        """Injected failures not yet taken by a request (to route ``route``, if given)."""
        with self._lock:
            return sum(f.times for f in self._faults if route is None or f.route == route)

    def _take_fault(self, route: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.route in (route, "*"):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


def fault_reply(fault: Fault) -> Reply:
    if fault.mode is FaultMode.SERVER_ERROR:
        status = fault.status or 500
        title = "Service Unavailable" if status == 503 else "Internal Server Error"
        return problem(status, title, fault.message or title)
    if fault.mode is FaultMode.RATE_LIMITED:
        headers = {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "0",
        }
        if fault.reset is not None:  # an epoch, or (below 10**9) seconds from this reply
            reset = fault.reset if fault.reset > 10**9 else int(time.time()) + fault.reset
            headers["x-rate-limit-reset"] = str(reset)
        if fault.user_reset is not None:
            headers["x-user-limit-24hour-limit"] = "17"
            headers["x-user-limit-24hour-remaining"] = "0"
            headers["x-user-limit-24hour-reset"] = str(fault.user_reset)
        return Reply(429, too_many_body(), headers)
    if fault.mode is FaultMode.UNAUTHORIZED:
        return problem(401, "Unauthorized", "Unauthorized")
    if fault.mode is FaultMode.FORBIDDEN_PERMISSIONS:
        return problem(
            403,
            "Unsupported Authentication",
            fault.message or PERMISSIONS_MESSAGE,
            type_="https://api.twitter.com/2/problems/oauth1-permissions",
        )
    return invalid(fault.message or "One or more parameters to your request was invalid.")
