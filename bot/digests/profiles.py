"""Recognise links to the digest author's own social profiles, so they are never posted as entries.

Split from `bot.digests.markdown` because it is a separate judgement from parsing: digests end
with "follow me on Twitter" and headings sometimes link only to the author's GitHub, and which
handles are the author's must be guessed from how the whole digest links to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["author_handles", "is_own_profile"]


_TWITTER_RESERVED = frozenset(
    ("i", "home", "search", "intent", "hashtag", "share", "explore", "settings", "messages")
)
_GITHUB_RESERVED = frozenset(
    ("orgs", "topics", "features", "about", "marketplace", "explore", "sponsors", "settings",
     "search", "collections", "trending", "login", "join", "notifications", "apps")
)  # fmt: skip
_SIMPLE_PROFILE_HOSTS = {
    "facebook.com": "facebook",
    "instagram.com": "instagram",
    "qiita.com": "qiita",
    "zenn.dev": "zenn",
    "note.com": "note",
    "dev.to": "devto",
    "speakerdeck.com": "speakerdeck",
    "huggingface.co": "huggingface",
}


@dataclass(frozen=True)
class _Social:
    platform: str
    handle: str  # lower-cased
    profile: bool  # the profile itself, or a place the owner keeps notes (repo issues, wiki)
    bare: bool  # nothing after the handle


_HOST = re.compile(r"^https?://(?:[^/?#@]*@)?([^/?#:]+)", re.IGNORECASE)
_SOCIAL_HOSTS = frozenset(
    ("twitter.com", "x.com", "github.com", "medium.com", "linkedin.com", "youtube.com", "bsky.app",
     *_SIMPLE_PROFILE_HOSTS)
)  # fmt: skip


def _social(url: str) -> _Social | None:
    """Who a social-network link belongs to, if it is one."""
    quick = _HOST.match(url)
    if quick:  # most links are not social: skip the full parse for them
        host = quick.group(1).lower()
        for prefix in ("www.", "mobile.", "m."):
            host = host.removeprefix(prefix)
        if host not in _SOCIAL_HOSTS and not host.endswith(".medium.com"):
            return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "mobile.", "m."):
        host = host.removeprefix(prefix)
    segs = [seg for seg in parts.path.split("/") if seg]
    if host in ("twitter.com", "x.com"):
        if not segs or segs[0].lower() in _TWITTER_RESERVED:
            return None
        tabs = ("with_replies", "media", "likes", "highlights")
        profile = len(segs) == 1 or (len(segs) == 2 and segs[1] in tabs)
        return _Social("twitter", segs[0].lower().lstrip("@"), profile, len(segs) == 1)
    if host == "github.com":
        if not segs or segs[0].lower() in _GITHUB_RESERVED:
            return None
        notes = len(segs) >= 3 and segs[2] in ("issues", "discussions", "wiki")
        return _Social("github", segs[0].lower(), len(segs) == 1 or notes, len(segs) == 1)
    if host == "medium.com" and segs:
        return _Social("medium", segs[0].lower().lstrip("@"), len(segs) == 1, len(segs) == 1)
    if host.endswith(".medium.com") and host.count(".") == 2:
        return _Social("medium", host.split(".")[0], not segs, not segs)
    if host == "linkedin.com" and len(segs) >= 2 and segs[0] == "in":
        return _Social("linkedin", segs[1].lower(), len(segs) == 2, len(segs) == 2)
    if host == "youtube.com" and segs and segs[0].startswith("@"):
        return _Social("youtube", segs[0][1:].lower(), len(segs) == 1, len(segs) == 1)
    if host == "bsky.app" and len(segs) >= 2 and segs[0] == "profile":
        return _Social("bluesky", segs[1].lower(), len(segs) == 2, len(segs) == 2)
    if host in _SIMPLE_PROFILE_HOSTS and segs:
        handle = segs[0].lower().lstrip("@")
        return _Social(_SIMPLE_PROFILE_HOSTS[host], handle, len(segs) == 1, len(segs) == 1)
    return None


def author_handles(preamble_urls: Iterable[str], all_urls: Iterable[str]) -> frozenset[str]:
    """The handles the digest's author goes by, guessed from how the digest links to them.

    A handle counts as the author's when it is linked from the text before the first entry
    (the "original post" link), when a bare Twitter/X profile is linked (digests end with
    "follow me"), or when the same handle appears on two different networks (the seed's
    github.com/AkiraTOSEI and twitter.com/AkiraTOSEI): third parties rarely line up like that.
    """
    handles: set[str] = set()
    for url in preamble_urls:
        social = _social(url)
        if social:
            handles.add(social.handle)
    platforms: dict[str, set[str]] = {}
    for url in all_urls:
        social = _social(url)
        if social is None:
            continue
        platforms.setdefault(social.handle, set()).add(social.platform)
        if social.platform == "twitter" and social.bare:
            handles.add(social.handle)
    handles.update(handle for handle, seen in platforms.items() if len(seen) >= 2)
    return frozenset(handles)


def is_own_profile(url: str, authors: frozenset[str]) -> bool:
    social = _social(url)
    if social is None:
        return False
    if social.platform == "twitter" and social.bare:
        return True
    return social.profile and social.handle in authors
