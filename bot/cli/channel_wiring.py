"""Building the Bluesky and Mastodon channels from settings and the environment.

Beside bot/cli/wiring.py (which builds X and the workers): each builder returns the channel, the
credentials' fingerprint, the values to hide from logs, and the options the composer needs for
that platform. The Bluesky session and the Mastodon instance's limits are kept in files beside
the SQLite database (in the working directory on PostgreSQL): never in the database or a log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.cli.context import App, BadInput

log = logging.getLogger("paperbot")

SESSION_SUFFIX = ".bluesky-session"
CHANNEL_TIMEOUT_SECONDS = 30.0


@dataclass
class BuiltChannel:
    channel: Any
    fingerprint: str | None
    secrets: tuple[str, ...] = ()
    compose_options: dict[str, int] = field(default_factory=dict)
    image_limit: Any = None  # bot.images.limits.ChannelImageLimit; None: X's
    limits: Any = None  # a Mastodon instance's InstanceLimits, for `check`


def database_file(app: App) -> Path:
    """The SQLite file, or a stand-in name in the working directory for other databases."""
    from bot.store.read_sqlite import sqlite_path

    path = sqlite_path(app.environ)
    return path if path is not None else Path.cwd() / "paperbot.db"


def missing_credentials(name: str) -> BadInput:
    names = {
        "bluesky": "BLUESKY_HANDLE and BLUESKY_APP_PASSWORD (an app password)",
        "mastodon": "MASTODON_BASE_URL and MASTODON_ACCESS_TOKEN",
    }[name]
    return BadInput(
        f"no {name} credentials: set {names} in the environment or .env (see .env.example), "
        f"take {name} out of [channels] post_to, or add --dry-run"
    )


def build_bluesky(app: App) -> BuiltChannel:
    from bot.channels.bluesky.channel import BlueskyChannel
    from bot.channels.bluesky.connection import BlueskyCredentials
    from bot.cli.secrets import bluesky_secrets
    from bot.config.settings import ConfigError

    try:
        secrets = bluesky_secrets(app.environ)
    except ConfigError as exc:
        raise BadInput(str(exc)) from None
    if secrets is None:
        raise missing_credentials("bluesky")
    database = database_file(app)
    channel = BlueskyChannel(
        BlueskyCredentials(secrets.handle, secrets.app_password),
        session_file=database.with_name(database.name + SESSION_SUFFIX),
        service=secrets.service,
        timeout=CHANNEL_TIMEOUT_SECONDS,
    )
    return BuiltChannel(
        channel, secrets.fingerprint(), secrets.values(), image_limit=bluesky_image_limit()
    )


def bluesky_image_limit() -> Any:
    """Bluesky's: the server's blob limit, to which the channel shrinks larger images itself."""
    from bot.channels.bluesky.channel import BLOB_LIMIT
    from bot.images.limits import ChannelImageLimit

    return ChannelImageLimit("Bluesky", BLOB_LIMIT, shrunk_by_channel=True)


def mastodon_image_limit(limits: Any) -> Any:
    """The instance's ``image_size_limit`` (GIFs included)."""
    from bot.images.limits import ChannelImageLimit

    return ChannelImageLimit("this Mastodon instance", limits.image_size_limit)


def build_mastodon(app: App) -> BuiltChannel:
    from bot.channels.mastodon.channel import MastodonChannel
    from bot.cli.secrets import mastodon_secrets
    from bot.config.settings import ConfigError

    try:
        secrets = mastodon_secrets(app.environ)
    except ConfigError as exc:
        raise BadInput(str(exc)) from None
    if secrets is None:
        raise missing_credentials("mastodon")
    from bot.channels.mastodon.account import AccountFile, account_path
    from bot.channels.mastodon.limits import cache_path, remember_links_in_full
    from bot.text.mastodon import LINKS_IN_FULL

    database = database_file(app)
    limits = _instance_limits(app, secrets.base_url, secrets.access_token)
    options = _options(limits)

    def links_in_full() -> None:
        # The worker composes with this same dict: the next attempt counts links in full.
        options["mastodon_url_length"] = LINKS_IN_FULL
        remember_links_in_full(cache_path(database), instance=secrets.base_url, now=app.now())

    channel = MastodonChannel(
        api_base_url=secrets.base_url,
        access_token=secrets.access_token,
        timeout=CHANNEL_TIMEOUT_SECONDS,
        max_media=limits.max_media_attachments,
        account_file=AccountFile(account_path(database), secrets.base_url, secrets.access_token),
        links_in_full=limits.links_in_full,
        on_links_in_full=links_in_full,
    )
    return BuiltChannel(
        channel,
        secrets.fingerprint(),
        secrets.values(),
        options,
        image_limit=mastodon_image_limit(limits),
        limits=limits,
    )


def cached_mastodon_limits(app: App) -> Any:
    """The cached instance limits, without any network (for `preview`); the defaults when
    nothing is cached yet."""
    from datetime import timedelta

    from bot.channels.mastodon.limits import (
        InstanceLimits,
        cache_path,
        learned_links_in_full,
        load_cached,
    )

    base_url = app.environ.get("MASTODON_BASE_URL", "").strip().rstrip("/")
    if not base_url:
        return InstanceLimits()
    path = cache_path(database_file(app))
    limits = load_cached(path, instance=base_url, now=app.now(), max_age=timedelta(days=365))
    return limits or InstanceLimits(links_in_full=learned_links_in_full(path, instance=base_url))


def cached_mastodon_options(app: App) -> dict[str, int]:
    """The composer's Mastodon options from the cached instance limits (see above)."""
    return _options(cached_mastodon_limits(app))


def preview_image_warnings(app: App) -> Any:
    """``image_warnings`` for `preview`: local images over each channel's own limit (X 5 MB,
    Bluesky the blob limit it shrinks to, Mastodon the cached instance's)."""
    from bot.images.limits import X_LIMIT, size_warnings

    per_channel = {
        "x": X_LIMIT,
        "dry-run": X_LIMIT,
        "bluesky": bluesky_image_limit(),
        "mastodon": mastodon_image_limit(cached_mastodon_limits(app)),
    }
    shrink = app.settings.images.shrink_oversized

    def warnings(channel: str, sources: Any) -> list[str]:
        limit = per_channel.get(channel)
        if limit is None:
            return []
        return size_warnings(sources, base_dir=Path.cwd(), limit=limit, shrink_oversized=shrink)

    return warnings


def _options(limits: Any) -> dict[str, int]:
    from bot.text.mastodon import LINKS_IN_FULL

    in_full = limits.links_in_full
    return {
        "mastodon_limit": limits.max_characters,
        "mastodon_url_length": LINKS_IN_FULL if in_full else limits.characters_reserved_per_url,
        "mastodon_alt_max": limits.description_limit,
        "mastodon_max_images": limits.max_media_attachments,
    }


def _instance_limits(app: App, base_url: str, token: str) -> Any:
    """The instance's limits, read once and cached beside the database; the defaults (500
    characters) when the instance cannot be read, cached too so it is not asked on every run."""
    from bot.channels.mastodon.channel import MastodonChannel
    from bot.channels.mastodon.limits import cache_path, cached_limits

    reader = MastodonChannel(api_base_url=base_url, access_token=token, timeout=10.0)
    try:
        limits = cached_limits(
            cache_path(database_file(app)),
            reader.instance_limits,
            instance=base_url,
            now=app.now(),
        )
    finally:
        reader.close()
    if limits.unread:
        log.info("using the stock Mastodon limits: %s", limits.unread)
    return limits
