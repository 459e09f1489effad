"""What an atproto SDK exception means for the worker: one ``ChannelError`` per failure.

The SDK's classes do not line up with what to do: an expired access token is a 400
(``BadRequestError`` "ExpiredToken"), not a 401; and 409, 413 and 502 arrive as ``NetworkError``
like a dropped connection, so "retry on NetworkError" would retry a too-large image forever.
Here the status code and the XRPC error name decide. Messages carry the server's own short
explanation, with every secret the channel knows removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.channels.base import ChannelError, ErrorKind

__all__ = ["TOKEN_ERRORS", "blob_maximum", "classify", "error_name", "scrub", "status_of"]

TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
# The reference PDS refuses an over-limit image at create with ``400 InvalidRequest "Invalid
# app.bsky.feed.post record: blob too big (maximum 1000000, got 1869545) at ..."``.
_BLOB_TOO_BIG = re.compile(r"blob too big \(maximum (\d+), got (\d+)\)")
_DEFAULT_RATE_WAIT = timedelta(minutes=5)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of the answer that raised ``exc``; None when no answer came."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def error_name(exc: BaseException) -> str:
    """The XRPC error name (``ExpiredToken``, ``RecordNotFound`` ...), or ""."""
    content = getattr(getattr(exc, "response", None), "content", None)
    name = getattr(content, "error", None)
    if name is None and isinstance(content, dict):
        name = content.get("error")
    return name if isinstance(name, str) else ""


def _server_message(exc: BaseException) -> str:
    content = getattr(getattr(exc, "response", None), "content", None)
    message = getattr(content, "message", None)
    if message is None and isinstance(content, dict):
        message = content.get("message")
    return message[:200] if isinstance(message, str) else ""


def blob_maximum(error: ChannelError) -> int | None:
    """The blob size limit a server named when it refused an image as too big, else None."""
    if error.kind is not ErrorKind.INVALID:
        return None
    match = _BLOB_TOO_BIG.search(error.message)
    return int(match.group(1)) if match else None


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<hidden>")
    return text


def _explain(exc: BaseException) -> str:
    """``400 InvalidRequest <server message>``, or the exception's name without an answer."""
    status = status_of(exc)
    head = str(status) if status is not None else type(exc).__name__
    detail = " ".join(part for part in (error_name(exc), _server_message(exc)) if part)
    return f"{head} {detail}" if detail else head


def _retry_at(exc: Any, now: datetime) -> datetime:
    reset = getattr(exc, "reset_at", None)
    if isinstance(reset, datetime) and reset > now:
        return reset
    after = getattr(exc, "retry_after", None)
    if isinstance(after, float | int) and after > 0:
        return now + timedelta(seconds=float(after))
    return now + _DEFAULT_RATE_WAIT


def classify(
    exc: BaseException,
    *,
    what: str,
    creating: bool,
    secrets: Iterable[str],
    now: datetime | None = None,
) -> ChannelError:
    """The ChannelError for an SDK exception raised while ``what`` (e.g. "posting").

    ``creating``: the request creates the post, so a failure without a clear refusal may have
    posted (``maybe_posted``), and the caller must settle by record key before sending again.
    """
    from atproto_client import exceptions as sdk

    status = status_of(exc)
    name = error_name(exc)
    message = scrub(f"Bluesky, {what}: {_explain(exc)}", secrets)

    def error(
        kind: ErrorKind, *, maybe: bool = False, retry: datetime | None = None
    ) -> ChannelError:
        return ChannelError(kind, message, retry_at=retry, maybe_posted=maybe, status_code=status)

    if isinstance(exc, sdk.RateLimitExceededError) or status == 429:
        return error(ErrorKind.RATE_LIMITED, retry=_retry_at(exc, now or datetime.now(UTC)))
    if isinstance(exc, sdk.UnauthorizedError | sdk.LoginRequiredError) or name in TOKEN_ERRORS:
        return error(ErrorKind.AUTH)
    if status == 413 or name in ("PayloadTooLarge", "InvalidMimeType"):
        return error(ErrorKind.INVALID)
    if isinstance(exc, sdk.BadRequestError):
        return error(ErrorKind.INVALID)
    # Timeouts, dropped connections, 409/502 (NetworkError), 500 and other statuses, or an
    # answer the SDK could not parse: the request may have been carried out.
    return error(ErrorKind.TRANSIENT, maybe=creating)


OLD_BLOB_LIMIT = 1_000_000  # what servers not yet updated still enforce


def smaller_blob_limit(error: ChannelError, current: int) -> int | None:
    """The blob limit to shrink images to after ``error``, or None if shrinking cannot help.

    A refusal at create names the server's maximum; a 413 at upload names none, so the
    older servers' 1,000,000 bytes is tried.
    """
    named = blob_maximum(error)
    if named is not None:
        return named if 0 < named < current else None
    if error.status_code == 413 and current > OLD_BLOB_LIMIT:
        return OLD_BLOB_LIMIT
    return None
