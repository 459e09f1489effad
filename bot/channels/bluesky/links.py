"""Bluesky posts named by the operator: an ``at://`` URI or a bsky.app post link.

For `paperbot resolve --posted`. A post's remote id is its ``at://`` URI; a bsky.app link names
the account by handle or DID, which an ``at://`` URI may hold as well. Pure: no SDK, no network.
"""

from __future__ import annotations

import re

__all__ = ["parse_post_reference"]

_AUTHORITY = r"(did:[a-z]+:[A-Za-z0-9._:%-]+|[A-Za-z0-9.-]+\.[A-Za-z]{2,})"
_RKEY = r"([A-Za-z0-9._:~-]{1,512})"
_AT_URI = re.compile(rf"^at://{_AUTHORITY}/app\.bsky\.feed\.post/{_RKEY}$")
_WEB = re.compile(
    rf"(?i)^https?://(?:www\.)?bsky\.app/profile/{_AUTHORITY}/post/{_RKEY}/?(?:[?#].*)?$"
)


def parse_post_reference(text: str) -> tuple[str, str]:
    """``(at:// URI, bsky.app link)`` of a post named either way; ValueError (one line) else."""
    text = text.strip()
    match = _AT_URI.match(text) or _WEB.match(text)
    if match is None:
        raise ValueError(
            f"{text!r} is neither a Bluesky post link (https://bsky.app/profile/HANDLE/post/KEY) "
            "nor an at:// URI of a post"
        )
    authority, rkey = match.groups()
    return (
        f"at://{authority}/app.bsky.feed.post/{rkey}",
        f"https://bsky.app/profile/{authority}/post/{rkey}",
    )
