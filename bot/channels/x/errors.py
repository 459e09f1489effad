"""How the X channel turns failures into ``ChannelError``s, kept apart from the calls that fail.

Classifying an error response (rate limit, server error, bad credentials, missing permission,
duplicate post) and wording its message are pure decisions worth testing with a table of fixed
inputs, without tweepy, httpx or a fake server. Both the tweepy calls (bot.channels.x.channel) and
the media upload (bot.channels.x.media) use them, so they live here rather than in either.

Messages are built from X's own explanation and scrubbed of anything that could hold a secret
(bot/channels/transport.py, which also words network failures for every channel).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from bot.channels.base import ChannelError, ErrorKind
from bot.channels.transport import scrub

__all__ = ["classify_http_error", "retry_time"]

_RATE_LIMIT_FALLBACK = timedelta(minutes=15)
_MAX_MESSAGE = 400

# A 403 that means "this app or token may not do this", so the channel must pause, not the entry
# fail. X words it in several ways; the problem ``type`` is the most stable part.
_PERMISSION_MARKERS = (
    "oauth1-permissions",
    "oauth1 app permissions",
    "not permitted to perform this action",
    "client-not-enrolled",
    "unsupported authentication",
    "appropriate level of api access",
    "not configured with the appropriate",
    "read-only application cannot post",
)
_DUPLICATE_MARKER = "duplicate content"
# Error 453: the access level (API plan) does not include this endpoint, e.g. reading posts on a
# write-only level. The credentials are fine; only the plan is short.
_ACCESS_LEVEL_CODE = 453
_ACCESS_LEVEL_MARKER = "access to a subset of"


def classify_http_error(
    status: int,
    headers: Mapping[str, str],
    body: object,
    *,
    what: str,
    creating: bool,
    reading: bool = False,
    reason: str = "",
    secrets: tuple[str, ...] = (),
    now: datetime | None = None,
) -> ChannelError:
    """Turn one error response from X into the ChannelError the worker acts on.

    ``creating`` marks the request that creates the post: a 5xx there may still have posted.
    ``reading`` marks a read of the account's posts: an access level that refuses it (453) only
    means lost answers cannot be looked up, not that posting must stop.
    """
    explanation = scrub(_explain(body) or reason or "no explanation given", secrets)
    text = " ".join((_problem_text(body), explanation)).lower()
    if status == 429:
        retry_at = retry_time(headers, now=now)
        return ChannelError(
            ErrorKind.RATE_LIMITED,
            f"X rate limit reached while {what} (429: {explanation}); "
            f"retry after {retry_at.isoformat(timespec='seconds')}",
            retry_at=retry_at,
            status_code=status,
        )
    if status >= 500:
        return ChannelError(
            ErrorKind.TRANSIENT,
            f"X had a server error while {what} ({status}: {explanation})",
            maybe_posted=creating,
            status_code=status,
        )
    if status == 401:
        return ChannelError(
            ErrorKind.AUTH,
            f"X rejected the credentials while {what} (401: {explanation}); check X_API_KEY, "
            "X_API_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET",
            status_code=status,
        )
    if status == 403:
        refused = _forbidden_error(body, text, explanation, what=what, reading=reading)
        if refused is not None:
            return refused
    return ChannelError(
        ErrorKind.INVALID,
        f"X refused the request while {what} ({status}: {explanation})",
        status_code=status,
    )


def _forbidden_error(
    body: object, text: str, explanation: str, *, what: str, reading: bool
) -> ChannelError | None:
    """The ChannelError for a 403 X explains (access level, duplicate, permissions), else None."""
    if _is_access_level(body, text):
        # X's explanation here is a long, generic paragraph: the code says it all.
        if reading:
            return ChannelError(
                ErrorKind.READ_REFUSED,
                f"X's access level of this app does not allow {what} (403, error 453)",
                status_code=403,
            )
        return ChannelError(
            ErrorKind.AUTH,
            f"X's access level of this app does not allow {what} (403, error 453); choose an "
            "access level (plan) that includes it in the developer portal",
            status_code=403,
        )
    if _DUPLICATE_MARKER in text:
        return ChannelError(
            ErrorKind.DUPLICATE,
            f"X refused a duplicate post (403: {explanation})",
            status_code=403,
        )
    if any(marker in text for marker in _PERMISSION_MARKERS):
        return ChannelError(
            ErrorKind.AUTH,
            f"X does not allow this app or token to post (403: {explanation}); give the app "
            "'Read and write' permissions in the developer portal, then regenerate the access "
            "token and secret",
            status_code=403,
        )
    return None


def _is_access_level(body: object, text: str) -> bool:
    """Error code 453 (v1.1-style ``errors[].code``), or its wording."""
    errors = body.get("errors") if isinstance(body, Mapping) else None
    codes = (
        [e.get("code") for e in errors if isinstance(e, Mapping)]
        if isinstance(errors, list)
        else []
    )
    return _ACCESS_LEVEL_CODE in codes or _ACCESS_LEVEL_MARKER in text


def retry_time(headers: Mapping[str, str], *, now: datetime | None = None) -> datetime:
    """When a 429 lifts: the latest reset among the limits that are exhausted.

    ``x-rate-limit-reset`` is the 15-minute window; when a 24-hour quota is used up (its
    ``-remaining`` is 0) its later reset wins. X sends no Retry-After. A missing or already
    past reset means we know nothing better than "in 15 minutes".
    """
    now = now or datetime.now(UTC)
    candidates = [_epoch(headers.get("x-rate-limit-reset"))]
    for prefix in ("x-user-limit-24hour", "x-app-limit-24hour"):
        if str(headers.get(f"{prefix}-remaining", "")).strip() == "0":
            candidates.append(_epoch(headers.get(f"{prefix}-reset")))
    future = [moment for moment in candidates if moment is not None and moment > now]
    return max(future) if future else now + _RATE_LIMIT_FALLBACK


def _epoch(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value).strip()), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _explain(body: object) -> str:
    """X's own words: the v2 ``errors[].message`` list, else ``detail``, else ``title``.

    A 400 carries the specific reasons in ``errors`` and a generic ``detail``; a 403 or 429
    carries only ``detail``.
    """
    if not isinstance(body, Mapping):
        return ""
    parts: list[str] = []
    errors = body.get("errors")
    if isinstance(errors, list):
        for error in errors:
            if isinstance(error, Mapping):
                message = error.get("message") or error.get("detail")
                if message and str(message) not in parts:
                    parts.append(str(message))
            elif isinstance(error, str):
                parts.append(error)
    if not parts:
        for key in ("detail", "error", "title"):
            value = body.get(key)
            if isinstance(value, str) and value:
                parts.append(value)
                break
    return _shorten("; ".join(parts))


def _problem_text(body: object) -> str:
    """The machine-readable parts (problem ``type``, ``title``) that say what kind of refusal."""
    if not isinstance(body, Mapping):
        return ""
    words = [str(body.get(key, "")) for key in ("type", "title")]
    errors = body.get("errors")
    if isinstance(errors, list):
        words.extend(str(e.get("type", "")) for e in errors if isinstance(e, Mapping))
    return " ".join(words)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"
