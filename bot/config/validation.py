"""Checking the settings once, at start: the keys and types of the TOML document against the
schema, then the values (ranges, the slots, the timetable), so a typo fails with the file, the
key and the reason instead of surfacing at 9 a.m. on Monday.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from bot.config.settings import ConfigError, Settings

_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "": {"timezone": str},
    "schedule": {
        "slots": list,
        "jitter_minutes": int,
        "posts_per_day": int,
        "quiet_days": list,
        "catch_up": str,
        "catch_up_spacing_minutes": int,
    },
    "x": {
        "daily_post_limit": int,
        "api_base": str,
        "max_attempts": int,
        "retry_base_seconds": (int, float),
        "retry_max_seconds": (int, float),
        "timeout_seconds": (int, float),
        "monthly_budget": (int, float),
        "link_style": str,
        "costs": dict,
    },
    "compose": {"template": str, "hashtags": list, "emoji": str},
    "images": {
        "shrink_oversized": bool,
        "allow_private_hosts": bool,
        "max_download_mb": (int, float),
        "timeout_seconds": (int, float),
    },
    "arxiv": {
        "api_url": str,
        "fetch": bool,
        "min_interval_seconds": (int, float),
        "timeout_seconds": (int, float),
        "figure": str,
        "html_urls": list,
    },
    "channels": {"post_to": list},
    "engagement": {"at": list, "poll_seconds": (int, float)},
    "daemon": {
        "poll_seconds": (int, float),
        "heartbeat_seconds": (int, float),
        "stale_after_seconds": (int, float),
        "stage_minutes": (int, float),
    },
}


def check_keys(data: Mapping[str, Any], source: str) -> None:
    for key, value in data.items():
        if key in _SCHEMA and key:
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: key '{key}': must be a table ([{key}])")
            known = _SCHEMA[key]
            for sub, subvalue in value.items():
                if sub not in known:
                    raise ConfigError(
                        f"{source}: key '{key}.{sub}': unknown key "
                        f"(known: {', '.join(sorted(known))})"
                    )
                _check_type(subvalue, known[sub], source, f"{key}.{sub}")
                if sub in _NESTED.get(key, {}):
                    _check_nested(subvalue, _NESTED[key][sub], source, f"{key}.{sub}")
        elif key in _SCHEMA[""]:
            _check_type(value, _SCHEMA[""][key], source, key)
        else:
            known_top = sorted([*_SCHEMA[""], *(k for k in _SCHEMA if k)])
            raise ConfigError(f"{source}: key '{key}': unknown key (known: {', '.join(known_top)})")


# Tables inside tables (`[x.costs]`): their keys, all numbers.
_NESTED: dict[str, dict[str, tuple[str, ...]]] = {
    "x": {"costs": ("post", "post_with_link", "post_read", "media_metadata")},
}
LINK_STYLES = ("url", "arxiv-id")


def _check_nested(table: Mapping[str, Any], known: tuple[str, ...], source: str, key: str) -> None:
    for sub, value in table.items():
        if sub not in known:
            raise ConfigError(
                f"{source}: key '{key}.{sub}': unknown key (known: {', '.join(sorted(known))})"
            )
        _check_type(value, (int, float), source, f"{key}.{sub}")
        if not (math.isfinite(value) and 0 <= value <= 1000):
            raise ConfigError(
                f"{source}: key '{key}.{sub}': must be a price in USD from 0 to 1000, not {value}"
            )


def _check_type(value: Any, expected: type | tuple[type, ...], source: str, key: str) -> None:
    types = expected if isinstance(expected, tuple) else (expected,)
    # TOML booleans are ints to Python; `true` is no answer to "how many posts a day".
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        names = " or ".join(_type_name(t) for t in types)
        raise ConfigError(f"{source}: key '{key}': must be {names}, not {value!r}")


def _type_name(t: type) -> str:
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }.get(t, t.__name__)


def check_values(settings: Settings, source: str) -> None:
    s, x = settings.schedule, settings.x
    positive = {
        "schedule.posts_per_day": s.posts_per_day,
        "schedule.catch_up_spacing_minutes": s.catch_up_spacing_minutes,
        "x.max_attempts": x.max_attempts,
        "x.retry_base_seconds": x.retry_base_seconds,
        "x.timeout_seconds": x.timeout_seconds,
        "images.max_download_mb": settings.images.max_download_mb,
        "daemon.poll_seconds": settings.daemon.poll_seconds,
        "daemon.heartbeat_seconds": settings.daemon.heartbeat_seconds,
        "daemon.stale_after_seconds": settings.daemon.stale_after_seconds,
        "engagement.poll_seconds": settings.engagement.poll_seconds,
    }
    for key, value in positive.items():
        if value <= 0:
            raise ConfigError(f"{source}: key '{key}': must be greater than 0, not {value}")
    if settings.daemon.stage_minutes < 0:
        raise ConfigError(
            f"{source}: key 'daemon.stage_minutes': must be 0 (no staging) or more, "
            f"not {settings.daemon.stage_minutes}"
        )
    if x.monthly_budget is not None and x.monthly_budget <= 0:
        raise ConfigError(
            f"{source}: key 'x.monthly_budget': must be greater than 0 (leave it out for no "
            f"budget), not {x.monthly_budget}"
        )
    # TOML has nan and inf; they (and absurd sizes) pass the checks above but break timedelta
    # and the scheduler later, or make a dead daemon's lease look fresh forever.
    for table, keys in _SCHEMA.items():
        for key, kind in keys.items():
            if table and kind == (int, float):
                number = getattr(getattr(settings, table), key)
                if number is None:  # an optional key left out (x.monthly_budget)
                    continue
                if not (math.isfinite(number) and 0 <= number <= 1e9):
                    raise ConfigError(
                        f"{source}: key '{table}.{key}': must be a number from 0 to 1e9, "
                        f"not {number}"
                    )
    if s.jitter_minutes < 0 or s.jitter_minutes > 120:
        raise ConfigError(f"{source}: key 'schedule.jitter_minutes': must be 0-120")
    if x.daily_post_limit is not None and x.daily_post_limit < 0:
        raise ConfigError(f"{source}: key 'x.daily_post_limit': must be 0 (none) or more")
    if x.link_style not in LINK_STYLES:
        raise ConfigError(
            f"{source}: key 'x.link_style': must be 'url' or 'arxiv-id', not {x.link_style!r}"
        )
    if s.catch_up not in ("spread", "next-slots"):
        raise ConfigError(
            f"{source}: key 'schedule.catch_up': must be 'spread' or 'next-slots', "
            f"not {s.catch_up!r}"
        )
    if not s.slots:
        raise ConfigError(f"{source}: key 'schedule.slots': needs at least one slot")
    if x.api_base and not re.match(r"^https?://[^/\s]+/?$", x.api_base):
        raise ConfigError(f"{source}: key 'x.api_base': must be like https://api.x.com")
    _check_schedule(settings, source)
    _check_arxiv(settings, source)


def _check_arxiv(settings: Settings, source: str) -> None:
    """`[arxiv] figure` and `html_urls`: a typo here would only show as "no figure" later."""
    figure = settings.arxiv.figure
    if figure not in ("first", "none"):
        raise ConfigError(
            f"{source}: key 'arxiv.figure': must be 'first' or 'none', not {figure!r}"
        )
    if not settings.arxiv.html_urls:
        raise ConfigError(
            f"{source}: key 'arxiv.html_urls': name at least one (or figure = 'none')"
        )
    for url in settings.arxiv.html_urls:
        if not re.match(r"^https?://[^/\s]+/\S*$", url) or "{id}" not in url:
            raise ConfigError(
                f"{source}: key 'arxiv.html_urls': {url!r} must be an http(s) URL with {{id}}, "
                "like https://arxiv.org/html/{id}"
            )


def _check_schedule(settings: Settings, source: str) -> None:
    from bot.config.pure_views import timetable_fields
    from bot.schedule import slots
    from bot.schedule.timetable_checks import check_timetable

    for spec in settings.schedule.slots:
        try:
            slots.parse_slot(spec)
        except ValueError as exc:
            raise ConfigError(f"{source}: key 'schedule.slots': {spec!r}: {exc}") from None
    try:  # what the planner's TimetableConfig checks when it is made
        check_timetable(**timetable_fields(settings))
    except ValueError as exc:
        raise ConfigError(f"{source}: key 'schedule': {exc}") from None
