"""Reading a Mastodon-API server's public instance document, whatever server it is.

Mastodon.py asks for ``/api/v2/instance/`` with a trailing slash; Mastodon answers both forms,
but other servers speaking its API do not (Takahē serves ``/api/v2/instance`` only without the
slash and 404s the other, FACTS.md "Seen on real servers"). So the document is asked for here,
through the client's own ``requests`` session, without the slash: ``/api/v2/instance`` first,
``/api/v1/instance`` when that is missing (Mastodon before 4.0, Pleroma and forks). The
endpoints are public: no token is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.channels.base import ChannelError, ErrorKind
from bot.channels.mastodon.limits import InstanceLimits, limits_from_configuration
from bot.channels.transport import json_or_none, transport_error

__all__ = ["read_instance_limits"]

_WHAT = "reading the instance's limits"


def read_instance_limits(session: Any, base_url: str, *, timeout: float) -> InstanceLimits:
    """The instance's limits. Raises ChannelError (TRANSIENT: never a verdict on a post) when
    neither document can be read."""
    base = base_url.rstrip("/")
    document = _get(session, base + "/api/v2/instance", timeout)
    if document is None:
        document = _get(session, base + "/api/v1/instance", timeout)
    if not isinstance(document, Mapping):
        raise ChannelError(
            ErrorKind.TRANSIENT,
            f"{_WHAT}: neither /api/v2/instance nor /api/v1/instance answered "
            "(both missing on this server)",
            status_code=404,
        )
    configuration = document.get("configuration")
    if isinstance(configuration, Mapping):
        return limits_from_configuration(configuration)
    legacy = document.get("max_toot_chars")
    if isinstance(legacy, int) and not isinstance(legacy, bool) and legacy > 0:
        return InstanceLimits(max_characters=legacy)  # Pleroma and old forks
    return InstanceLimits()


def _get(session: Any, url: str, timeout: float) -> object:
    """The JSON document at ``url``; None when the server says it has none (404/410)."""
    import requests

    try:
        response = session.get(
            url, timeout=timeout, headers={"Accept": "application/json"}, allow_redirects=True
        )
    except requests.RequestException as exc:
        raise transport_error(exc, what=_WHAT, creating=False, secrets=()) from None
    if response.status_code in (404, 410):
        return None
    if not response.ok:
        raise ChannelError(
            ErrorKind.TRANSIENT,
            f"{_WHAT}: {url.rsplit('/api/', 1)[-1]} answered {response.status_code}",
            status_code=response.status_code,
        )
    document = json_or_none(response)
    if not isinstance(document, Mapping):
        raise ChannelError(
            ErrorKind.TRANSIENT, f"{_WHAT}: {url.rsplit('/api/', 1)[-1]} did not answer JSON"
        )
    return document
