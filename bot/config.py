"""Settings: `config/paperbot.toml` for behaviour, the environment (and `.env`) for secrets.

Everything is validated once, at start, so a typo in the timetable fails with the file, the key
and the reason instead of surfacing at 9 a.m. on Monday. Secrets live only in `Secrets`, whose
repr hides them, and are never written to the database or logs.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import tomllib
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_CONFIG_PATH = "config/paperbot.toml"
SECRET_NAMES = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")


class ConfigError(ValueError):
    """Invalid configuration: the message names the file, the key and the reason."""


@dataclass(frozen=True)
class ScheduleSettings:
    slots: tuple[str, ...] = ("Mon-Fri 09:00", "Mon-Fri 13:00", "Mon-Fri 18:00")
    jitter_minutes: int = 10
    posts_per_day: int = 3
    quiet_days: tuple[str, ...] = ()
    catch_up: str = "spread"
    catch_up_spacing_minutes: int = 10


@dataclass(frozen=True)
class XSettings:
    daily_post_limit: int | None = None
    api_base: str | None = None
    max_attempts: int = 5
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 3600.0
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class ComposeConfig:
    template: str = "{sentence}\n{url}"
    hashtags: tuple[str, ...] = ()
    emoji: str = ""


@dataclass(frozen=True)
class ImageSettings:
    shrink_oversized: bool = False
    allow_private_hosts: bool = False
    max_download_mb: float = 20.0
    timeout_seconds: float = 20.0


@dataclass(frozen=True)
class ArxivSettings:
    api_url: str = "https://export.arxiv.org/api/query"
    fetch: bool = True
    min_interval_seconds: float = 3.0
    timeout_seconds: float = 15.0


@dataclass(frozen=True)
class DaemonSettings:
    poll_seconds: float = 2.0
    heartbeat_seconds: float = 10.0
    stale_after_seconds: float = 60.0


@dataclass(frozen=True)
class ChannelSettings:
    """`[channels] post_to`: where new entries go unless `add --channel` says otherwise."""

    post_to: tuple[str, ...] = ("x",)


@dataclass(frozen=True)
class Settings:
    timezone: str
    config_path: Path | None
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    x: XSettings = field(default_factory=XSettings)
    compose: ComposeConfig = field(default_factory=ComposeConfig)
    images: ImageSettings = field(default_factory=ImageSettings)
    arxiv: ArxivSettings = field(default_factory=ArxivSettings)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    channels: ChannelSettings = field(default_factory=ChannelSettings)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Secrets:
    """X credentials (OAuth 1.0a user context). Never printed: the repr hides every value."""

    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    access_token_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secrets(<hidden>)"

    def values(self) -> tuple[str, ...]:
        return (self.api_key, self.api_secret, self.access_token, self.access_token_secret)

    def fingerprint(self) -> str:
        """A short one-way hash, so a pause for rejected credentials lifts when they change."""
        return hashlib.sha256("\0".join(self.values()).encode()).hexdigest()[:16]


def load_dotenv_into(environ: MutableMapping[str, str], path: Path = Path(".env")) -> None:
    """Merge `.env` into `environ`; variables already set in the real environment win."""
    if not path.is_file():
        return
    from dotenv import dotenv_values

    for key, value in dotenv_values(path).items():
        if value is not None and key not in environ:
            environ[key] = value


def load_secrets(environ: Mapping[str, str]) -> Secrets | None:
    """The X credentials, or None when none are set; raises ConfigError when only some are."""
    values = {name: environ.get(name, "").strip() for name in SECRET_NAMES}
    present = [name for name, value in values.items() if value]
    if not present:
        return None
    missing = [name for name in SECRET_NAMES if not values[name]]
    if missing:
        raise ConfigError(
            f"environment: {', '.join(missing)} missing (X needs all four of "
            f"{', '.join(SECRET_NAMES)}; see .env.example)"
        )
    for name, value in values.items():
        if value.lower() in {"changeme", "xxx", "your-key-here", "..."}:
            raise ConfigError(f"environment: {name} still holds the placeholder {value!r}")
    return Secrets(*(values[name] for name in SECRET_NAMES))


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
    },
    "channels": {"post_to": list},
    "daemon": {
        "poll_seconds": (int, float),
        "heartbeat_seconds": (int, float),
        "stale_after_seconds": (int, float),
    },
}


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
    return Settings(**{**settings.__dict__, "config_path": used})


def settings_from_mapping(
    data: Mapping[str, Any], *, source: str, environ: Mapping[str, str]
) -> Settings:
    """Validate a parsed TOML document against the schema and build Settings."""
    _check_keys(data, source)
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
    comp = section("compose")
    if "hashtags" in comp:
        comp["hashtags"] = tuple(_strings(comp["hashtags"], source, "compose.hashtags"))
    settings = Settings(
        timezone=tz_name,
        config_path=None,
        schedule=ScheduleSettings(**sched),
        x=XSettings(**xs),
        compose=ComposeConfig(**comp),
        images=ImageSettings(**section("images")),
        arxiv=ArxivSettings(**section("arxiv")),
        daemon=DaemonSettings(**section("daemon")),
        channels=_channels(section("channels"), source),
    )
    _check_values(settings, source)
    return settings


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


def _check_keys(data: Mapping[str, Any], source: str) -> None:
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
        elif key in _SCHEMA[""]:
            _check_type(value, _SCHEMA[""][key], source, key)
        else:
            known_top = sorted([*_SCHEMA[""], *(k for k in _SCHEMA if k)])
            raise ConfigError(f"{source}: key '{key}': unknown key (known: {', '.join(known_top)})")


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
    }.get(t, t.__name__)


def _check_values(settings: Settings, source: str) -> None:
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
    }
    for key, value in positive.items():
        if value <= 0:
            raise ConfigError(f"{source}: key '{key}': must be greater than 0, not {value}")
    # TOML has nan and inf; they (and absurd sizes) pass the checks above but break timedelta
    # and the scheduler later, or make a dead daemon's lease look fresh forever.
    for table, keys in _SCHEMA.items():
        for key, kind in keys.items():
            if table and kind == (int, float):
                number = getattr(getattr(settings, table), key)
                if not (math.isfinite(number) and 0 <= number <= 1e9):
                    raise ConfigError(
                        f"{source}: key '{table}.{key}': must be a number from 0 to 1e9, "
                        f"not {number}"
                    )
    if s.jitter_minutes < 0 or s.jitter_minutes > 120:
        raise ConfigError(f"{source}: key 'schedule.jitter_minutes': must be 0-120")
    if x.daily_post_limit is not None and x.daily_post_limit < 0:
        raise ConfigError(f"{source}: key 'x.daily_post_limit': must be 0 (none) or more")
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


def _check_schedule(settings: Settings, source: str) -> None:
    from bot.schedule import slots, timetable

    for spec in settings.schedule.slots:
        try:
            slots.parse_slot(spec)
        except ValueError as exc:
            raise ConfigError(f"{source}: key 'schedule.slots': {spec!r}: {exc}") from None
    try:
        timetable.validate(timetable_config(settings))
    except ValueError as exc:
        raise ConfigError(f"{source}: key 'schedule': {exc}") from None


def checked_compose_settings(settings: Settings) -> Any:
    """The composer's settings, refusing a template that cannot fit even an empty comment.

    Called by every command that composes, not at every start: `list` and `add` need no
    composer (bot/text/compose.py and its text rules, ~0.1 s to import).
    """
    from bot.text.compose import validate_template
    from bot.text.template import TemplateError

    composed = compose_settings(settings)
    try:
        validate_template(composed)
    except TemplateError as exc:
        source = settings.config_path or "built-in defaults"
        raise ConfigError(f"{source}: key 'compose.template': {exc}") from None
    return composed


def timetable_config(settings: Settings) -> Any:
    """The pure timetable's view of these settings."""
    from bot.schedule.timetable import TimetableConfig

    s = settings.schedule
    return TimetableConfig(
        tz=settings.tz,
        slots=s.slots,
        jitter_minutes=s.jitter_minutes,
        posts_per_day=s.posts_per_day,
        daily_limit_24h=settings.x.daily_post_limit,
        quiet_days=s.quiet_days,
        catch_up=s.catch_up,  # type: ignore[arg-type]
        catch_up_spacing_minutes=s.catch_up_spacing_minutes,
    )


def compose_settings(settings: Settings) -> Any:
    """The pure composer's view of these settings."""
    from bot.text.compose import ComposeSettings

    c = settings.compose
    return ComposeSettings(template=c.template, hashtags=c.hashtags, emoji=c.emoji)
