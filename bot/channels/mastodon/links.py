"""Mastodon statuses named by the operator: a status link or a status id.

For `paperbot resolve --posted`. Mastodon links a status as ``/@user/ID`` (``/@user@domain/ID``
for a remote account), ``/users/user/statuses/ID`` or ``/web/statuses/ID``; servers that speak
its API use ``/notice/ID`` (Pleroma, Akkoma) or ``/@user/posts/ID`` (Takahē), with ids that
need not be digits. Pure: no Mastodon.py, no network.
"""

from __future__ import annotations

import re

__all__ = ["parse_status_reference"]

_ID = r"([A-Za-z0-9]{1,64})"
_LINK = re.compile(
    r"(?i)^(https?://[^/\s?#]+)/"
    r"(?:@[^/\s?#]+/(?:posts/)?|users/[^/\s?#]+/statuses/|web/statuses/|notice/|statuses/)"
    rf"{_ID}/?(?:[?#].*)?$"
)


def parse_status_reference(text: str, base_url: str | None) -> tuple[str, str]:
    """``(status id, link)`` of a status named by its link, or by its id on ``base_url`` (the
    account's instance). ValueError (one line) for anything else."""
    text = text.strip()
    if re.fullmatch(_ID, text) and any(c.isdigit() for c in text):
        if not base_url:
            raise ValueError("give the status's link: MASTODON_BASE_URL is not set")
        return text, f"{base_url.rstrip('/')}/web/statuses/{text}"
    match = _LINK.match(text)
    if match is None:
        raise ValueError(
            f"{text!r} is neither a Mastodon status link (https://INSTANCE/@USER/ID) nor a "
            "status id"
        )
    return match.group(2), text.split("?")[0].split("#")[0]
