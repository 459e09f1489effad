"""Network failures and secret scrubbing, shared by every channel.

A request that failed on the way may or may not have reached the platform; only one that provably
never left (no connection was made) cannot have posted. Every channel words such failures the same
way and scrubs its messages of anything that could hold a secret. requests, urllib3 and httpx are
imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bot.channels.base import ChannelError, ErrorKind

__all__ = ["json_or_none", "scrub", "transport_error"]

_OAUTH_PARAM = re.compile(r"(?i)\b(oauth_[a-z_]+\s*=\s*)(\"[^\"]*\"|[^\s,&]+)")
_AUTH_HEADER = re.compile(r"(?i)\b(authorization\s*[:=]\s*)[^\n]*")


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Remove anything secret from a message, should X or a library ever echo it back."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _AUTH_HEADER.sub(r"\1***", text)
    return _OAUTH_PARAM.sub(r"\1***", text)


def json_or_none(response: Any) -> object:
    try:
        return response.json()
    except Exception:  # any decoding failure means "no usable body", whatever the library
        return None


def transport_error(
    exc: BaseException, *, what: str, creating: bool, secrets: tuple[str, ...]
) -> ChannelError:
    """A network failure as a transient ChannelError; it may have posted only if it was sent."""
    sent = _may_have_been_sent(exc)
    return ChannelError(
        ErrorKind.TRANSIENT,
        scrub(f"network error while {what} ({_describe_transport(exc)})", secrets),
        maybe_posted=creating and sent,
    )


def _causes(exc: BaseException) -> Iterator[object]:
    """The exception and everything it wraps (args, urllib3 ``reason``, cause and context)."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseException):
            stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
            stack.extend(
                item
                for item in (
                    getattr(current, "reason", None),
                    current.__cause__,
                    current.__context__,
                )
                if isinstance(item, BaseException)
            )


def _may_have_been_sent(exc: BaseException) -> bool:
    """False only when the request provably never left: no connection was ever made."""
    import httpx
    import requests
    import urllib3.exceptions

    never_sent = (
        requests.exceptions.ConnectTimeout,
        urllib3.exceptions.NewConnectionError,  # also covers NameResolutionError
        urllib3.exceptions.ConnectTimeoutError,
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.PoolTimeout,
        ConnectionRefusedError,
    )
    return not any(isinstance(cause, never_sent) for cause in _causes(exc))


def _describe_transport(exc: BaseException) -> str:
    import httpx
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout | httpx.ConnectTimeout):
        return "timed out connecting"
    if isinstance(exc, requests.exceptions.Timeout | httpx.TimeoutException):
        return "timed out waiting for the answer"
    if not _may_have_been_sent(exc):
        return "could not connect"
    text = " ".join(str(cause) for cause in _causes(exc)).lower()
    if ("without" in text and "response" in text) or "remote end closed" in text:
        return "connection closed without a response"
    if "reset" in text:
        return "connection reset"
    return type(exc).__name__
