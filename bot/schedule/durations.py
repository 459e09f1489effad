"""Durations as people write them in the config: ``90s``, ``30m``, ``1h``, ``7d``."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["parse_duration"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``"24h"`` → 24 hours. Raises ValueError naming the accepted forms."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration (use a number and s, m, h or d: '24h')")
    seconds = float(match.group(1)) * _UNIT[match.group(2)]
    if seconds <= 0 or seconds > 366 * 86400:
        raise ValueError(f"{text!r} must be more than 0 and at most 366d")
    return timedelta(seconds=seconds)
