"""X credentials from the environment (and `.env`). They live only in `Secrets`, whose repr
hides them, and are never written to the database or logs.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from pathlib import Path

from bot.config.settings import ConfigError

SECRET_NAMES = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")
SECRET_FIELDS = ("api_key", "api_secret", "access_token", "access_token_secret")


class Secrets:
    """X credentials (OAuth 1.0a user context). Never printed: the repr hides every value.

    A plain class rather than a frozen dataclass: every command loads the settings, and on
    Python 3.11 importing dataclasses (with inspect) is ~7 ms of `paperbot list`'s start.
    """

    __slots__ = ("access_token", "access_token_secret", "api_key", "api_secret")
    api_key: str
    api_secret: str
    access_token: str
    access_token_secret: str

    def __init__(
        self, api_key: str, api_secret: str, access_token: str, access_token_secret: str
    ) -> None:
        for name, value in zip(
            SECRET_FIELDS, (api_key, api_secret, access_token, access_token_secret), strict=True
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Secrets are read-only: {name}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secrets) and self.values() == other.values()

    def __hash__(self) -> int:
        return hash(self.values())

    def __repr__(self) -> str:
        return "Secrets(<hidden>)"

    def values(self) -> tuple[str, ...]:
        return (self.api_key, self.api_secret, self.access_token, self.access_token_secret)

    def fingerprint(self) -> str:
        """A short one-way hash, so a pause for rejected credentials lifts when they change."""
        import hashlib  # here: OpenSSL's load is ~4 ms of every command's start, used only here

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
