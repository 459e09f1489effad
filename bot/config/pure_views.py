"""The pure packages' view of the settings: the timetable's config (bot/schedule/timetable.py)
and the composer's (bot/text/compose.py), imported lazily so commands that need neither start
fast.
"""

from __future__ import annotations

from typing import Any

from bot.config.settings import ConfigError, Settings


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

    return TimetableConfig(**timetable_fields(settings))


def timetable_fields(settings: Settings) -> dict[str, Any]:
    """TimetableConfig's fields from these settings (bot/schedule/timetable_checks.py checks
    them without the planner)."""
    s = settings.schedule
    return {
        "tz": settings.tz,
        "slots": s.slots,
        "jitter_minutes": s.jitter_minutes,
        "posts_per_day": s.posts_per_day,
        "daily_limit_24h": settings.x.daily_post_limit,
        "quiet_days": s.quiet_days,
        "catch_up": s.catch_up,
        "catch_up_spacing_minutes": s.catch_up_spacing_minutes,
    }


def compose_settings(settings: Settings) -> Any:
    """The pure composer's view of these settings."""
    from bot.text.compose import ComposeSettings

    c = settings.compose
    return ComposeSettings(template=c.template, hashtags=c.hashtags, emoji=c.emoji)
