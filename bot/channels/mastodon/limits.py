"""A Mastodon instance's posting limits, and a small file cache so they are read once, not per post.

Every instance sets its own limits (``max_characters`` is 500 on a stock instance and 5,000 or
more on many others), and the composer must count against the real ones. They live in the
instance's ``configuration`` (``GET /api/v2/instance``, or ``/api/v1/instance`` on servers older
than 4.0). Reading them for every post would waste requests from a 300-per-5-minutes budget, so
the caller keeps them: ``load_cached`` / ``store`` keep them as JSON in a file beside the
database (``cache_path``), trusted for ``max_age``; anything unreadable, from the future or too old
counts as no cache. Limits are not secrets, so the file has ordinary permissions.

A server whose instance document cannot be read is not asked again on every run: the defaults
are cached too, with the reason (``unread``, so ``check`` can say the limits are defaults), for
``FAILED_MAX_AGE``. What posting taught about the server (``links_in_full``: it counted links
at full length although it advertises fewer) outlives a refresh of the limits.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = [
    "DEFAULT_MAX_AGE",
    "FAILED_MAX_AGE",
    "InstanceLimits",
    "cache_path",
    "cached_limits",
    "learned_links_in_full",
    "limits_from_configuration",
    "load_cached",
    "remember_links_in_full",
    "store",
]

DEFAULT_MAX_AGE = timedelta(hours=24)
FAILED_MAX_AGE = timedelta(hours=1)
_CACHE_SUFFIX = ".mastodon-instance.json"


@dataclass(frozen=True)
class InstanceLimits:
    """What one instance allows in a status. Defaults are a stock Mastodon 4.x instance's."""

    max_characters: int = 500
    characters_reserved_per_url: int = 23
    max_media_attachments: int = 4
    description_limit: int = 1500
    image_size_limit: int = 16 * 1024 * 1024
    image_matrix_limit: int = 33_177_600  # pixels (7680 x 4320)
    supported_mime_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif", "image/webp")
    # Learned from a "too long" refusal: the server counts every link at its full length.
    links_in_full: bool = False
    # Non-empty: why the instance's own limits could not be read (these are the defaults).
    unread: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> InstanceLimits:
        """Inverse of ``to_json``; raises ValueError on anything that is not such a value."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("instance limits must be a JSON object")
        return _from_mapping(data, cls())


def limits_from_configuration(configuration: Mapping[str, object]) -> InstanceLimits:
    """Pick the limits out of an instance's ``configuration`` object (v1 or v2: same shape).

    A missing or malformed field keeps the stock default rather than failing: an instance that
    hides one limit should still be usable, and the server refuses what it does not allow.
    """
    statuses = _section(configuration, "statuses")
    media = _section(configuration, "media_attachments")
    flat = {
        "max_characters": statuses.get("max_characters"),
        "characters_reserved_per_url": statuses.get("characters_reserved_per_url"),
        "max_media_attachments": statuses.get("max_media_attachments"),
        "description_limit": media.get("description_limit"),
        "image_size_limit": media.get("image_size_limit"),
        "image_matrix_limit": media.get("image_matrix_limit"),
        "supported_mime_types": media.get("supported_mime_types"),
    }
    return _from_mapping(flat, InstanceLimits())


def _section(configuration: Mapping[str, object], name: str) -> Mapping[str, object]:
    value = configuration.get(name)
    return value if isinstance(value, Mapping) else {}


def _from_mapping(data: Mapping[str, object], default: InstanceLimits) -> InstanceLimits:
    values: dict[str, object] = {}
    for item in fields(InstanceLimits):
        value = data.get(item.name)
        if item.name == "supported_mime_types":
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                values[item.name] = tuple(value)
        elif item.name == "links_in_full":
            if isinstance(value, bool):
                values[item.name] = value
        elif item.name == "unread":
            if isinstance(value, str):
                values[item.name] = value
        elif isinstance(value, int) and not isinstance(value, bool) and value > 0:
            values[item.name] = value
    return InstanceLimits(**{**asdict(default), **values})


# -- the cache file ------------------------------------------------------------------------------


def cache_path(database: Path) -> Path:
    """Where the limits of the instance used with ``database`` are kept: right beside it."""
    return database.with_name(database.name + _CACHE_SUFFIX)


def load_cached(
    path: Path, *, instance: str, now: datetime, max_age: timedelta = DEFAULT_MAX_AGE
) -> InstanceLimits | None:
    """The cached limits of ``instance`` (its base URL) if fresh, else None (read them again)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        fetched_at = datetime.fromisoformat(record["fetched_at"])
        if record["instance"] != instance or fetched_at.tzinfo is None:
            return None
        limits = InstanceLimits.from_json(json.dumps(record["limits"]))
        if not timedelta(0) <= now - fetched_at <= (FAILED_MAX_AGE if limits.unread else max_age):
            return None
        return limits
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(path: Path, limits: InstanceLimits, *, instance: str, now: datetime) -> None:
    """Write the cache atomically (a reader never sees half a file)."""
    record = {
        "instance": instance,
        "fetched_at": now.astimezone(UTC).isoformat(),
        "limits": json.loads(limits.to_json()),
    }
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(record, file, sort_keys=True)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def cached_limits(
    path: Path,
    fetch: Callable[[], InstanceLimits],
    *,
    instance: str,
    now: datetime,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> InstanceLimits:
    """The cached limits if fresh; otherwise ``fetch()`` them (e.g. the channel's
    ``instance_limits``) and keep them. A failing fetch (ChannelError) keeps the defaults, with
    the reason in ``unread``, for ``FAILED_MAX_AGE``: the server is not asked on every run."""
    from bot.channels.base import ChannelError

    limits = load_cached(path, instance=instance, now=now, max_age=max_age)
    if limits is None:
        try:
            limits = fetch()
        except ChannelError as exc:
            limits = InstanceLimits(unread=exc.message)
        if learned_links_in_full(path, instance=instance):
            limits = replace(limits, links_in_full=True)
        store(path, limits, instance=instance, now=now)
    return limits


def learned_links_in_full(path: Path, *, instance: str) -> bool:
    """Whether posting found that ``instance`` counts links at full length (any age)."""
    cached = _cached_any_age(path, instance)
    return cached is not None and cached[0].links_in_full


def remember_links_in_full(path: Path, *, instance: str, now: datetime) -> InstanceLimits:
    """Record that ``instance`` counts links at full length (the cache keeps its age); the
    limits as now cached."""
    limits, fetched_at = _cached_any_age(path, instance) or (
        InstanceLimits(unread="not read yet"),
        now,
    )
    limits = replace(limits, links_in_full=True)
    store(path, limits, instance=instance, now=fetched_at)
    return limits


def _cached_any_age(path: Path, instance: str) -> tuple[InstanceLimits, datetime] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        fetched_at = datetime.fromisoformat(record["fetched_at"])
        if record["instance"] != instance or fetched_at.tzinfo is None:
            return None
        return InstanceLimits.from_json(json.dumps(record["limits"])), fetched_at
    except (OSError, ValueError, KeyError, TypeError):
        return None
