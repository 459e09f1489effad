"""X posts as text: their links, and their text as X shows it back.

An operator names a post by its link or id (`paperbot resolve --posted`); X shows a post's text
with every link replaced by a t.co link and a t.co link to its media appended, which settling
(bot/posting/settling.py) must undo to recognise a post we sent. Pure functions, no tweepy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

__all__ = ["aware", "parse_post_reference", "post_url", "text_as_posted"]


def post_url(remote_id: str, username: str | None = None) -> str:
    """A link to a post. ``/i/status/`` works without knowing the username (saves a call)."""
    return f"https://x.com/{username or 'i'}/status/{remote_id}"


_POST_LINK = re.compile(
    r"(?i)^https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/([A-Za-z0-9_]{1,15})/"
    r"status(?:es)?/(\d{1,20})(?:/[^?#]*)?(?:[?#].*)?$"
)


def parse_post_reference(text: str) -> tuple[str, str]:
    """``(remote id, link)`` of a post named by its link on x.com / twitter.com, or its id.

    For `paperbot resolve --posted`: what the operator copies from the account. Raises
    ValueError (one line) for anything else.
    """
    text = text.strip()
    if text.isdigit() and 0 < len(text) <= 20:
        return text, post_url(text)
    match = _POST_LINK.match(text)
    if match is None:
        raise ValueError(
            f"{text!r} is neither a post link (https://x.com/USER/status/ID) nor a post id"
        )
    username, remote_id = match.groups()
    return remote_id, post_url(remote_id, None if username.lower() == "i" else username)


def aware(value: object) -> datetime | None:
    """A datetime X gave without a zone is UTC; anything else is not a time."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def text_as_posted(text: str, entities: object, remote_id: str) -> str:
    """The text as it was posted: X's t.co links replaced by the links they stand for
    (``entities.urls``), and the t.co link X appends for a post's media left out.

    The media link is the entity with a ``media_key``, or one that expands to this very post's
    ``/photo/N`` or ``/video/N`` page; a link to another post's photo is a link like any other.
    Entries that share a sentence differ only by their link, so settling must see it.
    """
    urls = entities.get("urls") if isinstance(entities, Mapping) else None
    for item in urls if isinstance(urls, list) else ():
        if not isinstance(item, Mapping):
            continue
        short, expanded = item.get("url"), item.get("expanded_url")
        if not isinstance(short, str) or not short:
            continue
        if item.get("media_key") or _is_own_media_link(expanded, remote_id):
            text = re.sub(r"\s*" + re.escape(short), "", text, count=1)
        elif isinstance(expanded, str) and expanded:
            text = text.replace(short, expanded, 1)
    return text


def _is_own_media_link(expanded: object, remote_id: str) -> bool:
    match = _MEDIA_PAGE.match(expanded) if isinstance(expanded, str) else None
    return match is not None and match.group(1) == remote_id


_MEDIA_PAGE = re.compile(
    r"(?i)^https?://(?:www\.)?(?:x|twitter)\.com/[^/]+/status/(\d+)/(?:photo|video)/\d+$"
)
