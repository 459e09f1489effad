"""Reading the settings: `config/paperbot.toml` (or `PAPERBOT_CONFIG`) and the environment,
into bot/config/settings.py's dataclasses, checked by bot/config/validation.py.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config.settings import (
    ArxivSettings,
    ChannelSettings,
    ComposeConfig,
    ConfigError,
    DaemonSettings,
    EngagementSettings,
    ImageSettings,
    ScheduleSettings,
    Settings,
    XCosts,
    XSettings,
)
from bot.config.validation import check_keys, check_values

DEFAULT_CONFIG_PATH = "config/paperbot.toml"


def system_timezone(environ: Mapping[str, str]) -> str:
    """The machine's IANA time zone name (TZ, /etc/timezone, /etc/localtime), else UTC."""
    candidates = [environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name and _valid_zone(name):
            return name
    return "UTC"


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def config_path(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("PAPERBOT_CONFIG") or DEFAULT_CONFIG_PATH)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from `PAPERBOT_CONFIG` (default config/paperbot.toml) and the environment.

    A missing default file means built-in defaults; a missing file that was named explicitly is
    an error (the user meant something).
    """
    path = config_path(environ)
    data: dict[str, Any] = {}
    used: Path | None = None
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
        used = path
    elif environ.get("PAPERBOT_CONFIG"):
        raise ConfigError(f"{path}: no such file (named by PAPERBOT_CONFIG)")
    settings = settings_from_mapping(data, source=str(path), environ=environ)
    return settings._replace(config_path=used)


def settings_from_mapping(
    data: Mapping[str, Any], *, source: str, environ: Mapping[str, str]
) -> Settings:
    """Validate a parsed TOML document against the schema and build Settings."""
    check_keys(data, source)
    tz_name = data.get("timezone") or environ.get("PAPERBOT_TIMEZONE") or system_timezone(environ)
    if not _valid_zone(tz_name):
        raise ConfigError(
            f"{source}: key 'timezone': unknown time zone {tz_name!r} "
            "(use an IANA name such as 'Europe/London' or 'Asia/Tokyo')"
        )

    def section(name: str) -> dict[str, Any]:
        value = data.get(name, {})
        return dict(value)

    sched = section("schedule")
    for key in ("slots", "quiet_days"):
        if key in sched:
            sched[key] = tuple(_strings(sched[key], source, f"schedule.{key}"))
    xs = section("x")
    if environ.get("PAPERBOT_X_API_BASE"):
        xs["api_base"] = environ["PAPERBOT_X_API_BASE"]
    if xs.get("daily_post_limit") == 0:
        xs["daily_post_limit"] = None
    if "costs" in xs:
        xs["costs"] = XCosts(**xs["costs"])
    comp = section("compose")
    if "hashtags" in comp:
        comp["hashtags"] = tuple(_strings(comp["hashtags"], source, "compose.hashtags"))
    arxiv = section("arxiv")
    if "html_urls" in arxiv:
        arxiv["html_urls"] = tuple(_strings(arxiv["html_urls"], source, "arxiv.html_urls"))
    settings = Settings(
        timezone=tz_name,
        config_path=None,
        schedule=ScheduleSettings(**sched),
        x=XSettings(**xs),
        compose=ComposeConfig(**comp),
        images=ImageSettings(**section("images")),
        arxiv=ArxivSettings(**arxiv),
        daemon=DaemonSettings(**section("daemon")),
        channels=_channels(section("channels"), source),
        engagement=_engagement(section("engagement"), source),
    )
    check_values(settings, source)
    return settings


def _engagement(table: Mapping[str, Any], source: str) -> EngagementSettings:
    from bot.schedule.durations import parse_duration

    values = dict(table)
    if "at" in values:
        ages = []
        for text in _strings(values["at"], source, "engagement.at"):
            try:
                ages.append(parse_duration(text))
            except ValueError as exc:
                raise ConfigError(f"{source}: key 'engagement.at': {exc}") from None
        values["at"] = tuple(sorted(set(ages)))
    return EngagementSettings(**values)


def _channels(table: Mapping[str, Any], source: str) -> ChannelSettings:
    if "post_to" not in table:
        return ChannelSettings()
    names = _strings(table["post_to"], source, "channels.post_to")
    known = ("x", "bluesky", "mastodon")
    for name in names:
        if name not in known:
            raise ConfigError(
                f"{source}: key 'channels.post_to': unknown channel {name!r} "
                f"(known: {', '.join(known)})"
            )
    if not names:
        raise ConfigError(f"{source}: key 'channels.post_to': name at least one channel")
    return ChannelSettings(tuple(dict.fromkeys(names)))


def _strings(value: Any, source: str, key: str) -> list[str]:
    if not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{source}: key '{key}': every item must be a string")
    return list(value)
