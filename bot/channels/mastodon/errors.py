"""How the Mastodon channel turns Mastodon.py's exceptions into ``ChannelError``s.

Mastodon.py raises ``MastodonAPIError(message, status, reason, error)`` (and subclasses for 401,
404 and 5xx), ``MastodonRatelimitError`` for a 429 in ``ratelimit_method="throw"`` mode (the
response is gone by then; the reset it announced is on the client as ``ratelimit_reset``), and
``MastodonNetworkError`` for any transport failure, timeouts included, raised inside the
``except`` that caught the requests error (so the cause is on ``__context__``).

Servers that speak Mastodon's API but are not Mastodon word a rejected token differently: Takahē
answers ``400 text/html "Invalid Bearer token"``, which Mastodon.py reports without the body, so
the channel passes the body of a non-JSON answer in (``body``) and a 400 that speaks of the token
counts as rejected credentials (pause the channel), as 401 and 403 do.

Messages carry Mastodon's own ``error`` text (``Validation failed: Text character limit of 500
exceeded``) and are scrubbed of the access token. Mastodon.py is imported inside the function,
so importing this module stays cheap.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.channels.base import ChannelError, ErrorKind
from bot.channels.transport import scrub, transport_error

__all__ = ["RATE_LIMIT_FALLBACK", "classify", "is_too_long", "reading_error"]

#: Mastodon's general API window is 5 minutes; without a usable reset, wait one window.
RATE_LIMIT_FALLBACK = timedelta(minutes=5)
_MAX_MESSAGE = 400
_TOKEN_HINT = (
    "check the access token (an application token with the write:statuses, write:media, "
    "read:accounts and read:statuses scopes) and the instance URL"
)
# A 400 whose explanation is about the token (Takahē: "Invalid Bearer token").
_TOKEN_WORDS = re.compile(
    r"(?i)\bbearer\b|access[ _]token|\btoken\b.{0,20}\b(invalid|expired|revoked)"
)
# Mastodon's "Text character limit of 500 exceeded"; other servers' "too long".
_TOO_LONG = re.compile(r"(?i)character limit|too long|exceeds? .{0,30}characters")


def classify(
    exc: BaseException,
    *,
    what: str,
    creating: bool,
    secrets: tuple[str, ...],
    ratelimit_reset: float | None = None,
    now: datetime | None = None,
    body: str | None = None,
) -> ChannelError:
    """The ChannelError for one exception out of a Mastodon.py call.

    ``creating`` marks the request that creates the status: a 5xx, an unreadable answer or a
    lost connection there may still have posted (the caller resends with the same
    Idempotency-Key, or settles from the account's statuses). ``ratelimit_reset`` is the
    client's ``ratelimit_reset`` (Unix time, already moved to our clock by Mastodon.py).
    ``body`` is the text of the failed answer when it was not JSON (Mastodon.py drops it).
    """
    import mastodon

    now = now or datetime.now(UTC)
    if isinstance(exc, mastodon.MastodonRatelimitError):
        retry_at = _retry_at(ratelimit_reset, now)
        return ChannelError(
            ErrorKind.RATE_LIMITED,
            f"Mastodon rate limit reached while {what}; retry after "
            f"{retry_at.isoformat(timespec='seconds')}",
            retry_at=retry_at,
            status_code=429,
        )
    if isinstance(exc, mastodon.MastodonNetworkError):
        # Describe the requests error it wraps (timeout, reset, refused), not the wrapper.
        inner = exc.__cause__ or exc.__context__ or exc
        return transport_error(inner, what=what, creating=creating, secrets=secrets)
    if isinstance(exc, mastodon.MastodonAPIError):
        return _api_error(exc, what=what, creating=creating, secrets=secrets, body=body)
    return ChannelError(
        ErrorKind.INVALID,
        scrub(f"Mastodon.py refused {what}: {_shorten(str(exc))}", secrets),
    )


def reading_error(error: ChannelError) -> ChannelError:
    """A failure to *read* is never a verdict on the entry: INVALID becomes TRANSIENT.

    Used while settling: a 404 or 422 on a timeline read must not fail an entry whose post
    may well exist. Credentials and rate limits keep their kind (pause, or wait).
    """
    if error.kind is not ErrorKind.INVALID:
        return error
    return ChannelError(ErrorKind.TRANSIENT, error.message, status_code=error.status_code)


# Mastodon 4.3+: "Media 123 not found or already attached to another post" (422); the fake and
# older wordings name the ids too. Staged media the vacuum took (bot/channels/staging.py).
_MEDIA_GONE = re.compile(r"(?i)\bmedia\b.*\b(?:not found|already attached)")


def media_gone(error: ChannelError) -> bool:
    """Whether the server refused a status because its media ids are unknown to it."""
    return error.kind is ErrorKind.INVALID and bool(_MEDIA_GONE.search(error.message))


def is_too_long(error: ChannelError) -> bool:
    """Whether the server refused a status as too long (422, or 400 on other servers)."""
    return error.kind is ErrorKind.INVALID and bool(_TOO_LONG.search(error.message))


def _api_error(
    exc: BaseException,
    *,
    what: str,
    creating: bool,
    secrets: tuple[str, ...],
    body: str | None = None,
) -> ChannelError:
    args = exc.args
    status = args[1] if len(args) > 1 and isinstance(args[1], int) else None
    if status is None:
        # 2xx whose body was not JSON (a proxy's HTML page): it may have been accepted.
        return ChannelError(
            ErrorKind.TRANSIENT,
            f"Mastodon gave an unreadable answer while {what}",
            maybe_posted=creating,
        )
    reason = str(args[2]) if len(args) > 2 and args[2] else ""
    detail = str(args[3]) if len(args) > 3 and args[3] else (body or "").strip() or reason
    explanation = scrub(_shorten(detail), secrets)
    explanation = explanation or "no explanation given"
    if status >= 500:
        return ChannelError(
            ErrorKind.TRANSIENT,
            f"Mastodon had a server error while {what} ({status}: {explanation})",
            maybe_posted=creating,
            status_code=status,
        )
    if status in (401, 403) or (status == 400 and _TOKEN_WORDS.search(explanation)):
        return ChannelError(
            ErrorKind.AUTH,
            f"Mastodon rejected the access token while {what} ({status}: {explanation}); "
            + _TOKEN_HINT,
            status_code=status,
        )
    if status == 429:  # only if a caller turned Mastodon.py's own rate limiting off
        retry_at = datetime.now(UTC) + RATE_LIMIT_FALLBACK
        return ChannelError(
            ErrorKind.RATE_LIMITED,
            f"Mastodon rate limit reached while {what}",
            retry_at=retry_at,
            status_code=status,
        )
    return ChannelError(
        ErrorKind.INVALID,
        f"Mastodon refused {what} ({status}: {explanation})",
        status_code=status,
    )


def _retry_at(reset: float | None, now: datetime) -> datetime:
    if reset is not None:
        try:
            moment = datetime.fromtimestamp(reset, UTC)
        except (OverflowError, OSError, ValueError):
            moment = None
        if moment is not None and moment > now:
            return moment
    return now + RATE_LIMIT_FALLBACK


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"
