"""Bluesky and Mastodon credentials from the environment (or `.env`), like X's in
bot/config/secrets.py.

Kept apart from bot/config/secrets.py so each platform's names sit together. Values never show in a
repr; a fingerprint (a short one-way hash) lets a pause for rejected credentials lift when they
change (bot/posting/gate.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.config.settings import ConfigError

BLUESKY_NAMES = ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD")
MASTODON_NAMES = ("MASTODON_BASE_URL", "MASTODON_ACCESS_TOKEN")
DEFAULT_BLUESKY_SERVICE = "https://bsky.social"


@dataclass(frozen=True)
class BlueskySecrets:
    handle: str
    app_password: str = field(repr=False)
    service: str = DEFAULT_BLUESKY_SERVICE

    def values(self) -> tuple[str, ...]:
        return (self.app_password,)

    def fingerprint(self) -> str:
        return _fingerprint(self.handle, self.app_password, self.service)


@dataclass(frozen=True)
class MastodonSecrets:
    base_url: str
    access_token: str = field(repr=False)

    def values(self) -> tuple[str, ...]:
        return (self.access_token,)

    def fingerprint(self) -> str:
        return _fingerprint(self.base_url, self.access_token)


def bluesky_secrets(environ: Mapping[str, str]) -> BlueskySecrets | None:
    """None when neither name is set; ConfigError when only one is or the service is no URL."""
    handle, password = _pair(environ, BLUESKY_NAMES, "Bluesky")
    if handle is None or password is None:
        return None
    service = environ.get("BLUESKY_SERVICE", "").strip() or DEFAULT_BLUESKY_SERVICE
    _check_url(service, "BLUESKY_SERVICE")
    return BlueskySecrets(handle.lstrip("@"), password, service.rstrip("/"))


def mastodon_secrets(environ: Mapping[str, str]) -> MastodonSecrets | None:
    base_url, token = _pair(environ, MASTODON_NAMES, "Mastodon")
    if base_url is None or token is None:
        return None
    _check_url(base_url, "MASTODON_BASE_URL")
    return MastodonSecrets(base_url.rstrip("/"), token)


def _pair(
    environ: Mapping[str, str], names: tuple[str, str], platform: str
) -> tuple[str | None, str | None]:
    values = [environ.get(name, "").strip() for name in names]
    if not any(values):
        return None, None
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise ConfigError(
            f"environment: {', '.join(missing)} missing ({platform} needs "
            f"{' and '.join(names)}; see .env.example)"
        )
    return values[0], values[1]


def _check_url(url: str, name: str) -> None:
    if not url.startswith(("https://", "http://")) or len(url) <= len("https://"):
        raise ConfigError(f"environment: {name} must be an http(s) URL, not {url!r}")


def _fingerprint(*values: str) -> str:
    return hashlib.sha256("\0".join(values).encode()).hexdigest()[:16]
