"""URL canonicalisation: one spelling per paper, so a paper is queued at most once a week.

arXiv papers reach curators as abs pages, PDFs, versioned links, ``arXiv:ID`` tags and old-style
``hep-th/9901001`` ids; they all become ``https://arxiv.org/abs/<id>`` with the id kept apart
(a version, ``.pdf``, a query or a ``#fragment`` on an arXiv link are dropped). Other links keep
their path, query and fragment as given; only the scheme, host case and default port are tidied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z\-]+(?:\.[A-Z]{2})?/\d{7}"
_ID = rf"(?P<id>{_NEW_ID}|{_OLD_ID})(?:v\d+)?"
_ARXIV_TAG = re.compile(rf"^\s*arxiv:\s*{_ID}\s*$", re.IGNORECASE)
_ARXIV_BARE = re.compile(rf"^\s*{_ID}\s*$")
_ARXIV_PATH = re.compile(rf"^/(?:abs|pdf|html|format)/{_ID}(?:\.pdf)?/?$")
_ARXIV_HOSTS = {"arxiv.org", "www.arxiv.org", "export.arxiv.org", "xxx.lanl.gov"}


class InvalidURL(ValueError):
    """The text is not an http(s) URL nor an arXiv id."""


@dataclass(frozen=True)
class CanonicalURL:
    url: str
    arxiv_id: str | None


def arxiv_id_of(text: str) -> str | None:
    """The arXiv id that ``text`` names (a link of any form or an ``arXiv:`` tag), else None."""
    text = text.strip()
    for pattern in (_ARXIV_TAG, _ARXIV_BARE):
        match = pattern.match(text)
        if match:
            return match.group("id")
    try:
        parts = urlsplit(text if "://" in text else "https://" + text)
    except ValueError:
        return None
    if (parts.hostname or "").lower() not in _ARXIV_HOSTS:
        return None
    match = _ARXIV_PATH.match(parts.path)
    return match.group("id") if match else None


def canonicalize(text: str) -> CanonicalURL:
    """The canonical form of a link as a user typed it; raises InvalidURL with the reason."""
    raw = text.strip()
    if not raw:
        raise InvalidURL("the URL is empty")
    arxiv_id = arxiv_id_of(raw)
    if arxiv_id:
        return CanonicalURL(f"https://arxiv.org/abs/{arxiv_id}", arxiv_id)
    try:
        parts = urlsplit(raw)
    except ValueError as exc:
        raise InvalidURL(f"{raw!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme:
            raise InvalidURL(f"{raw!r} is not a URL: it needs http:// or https://")
        raise InvalidURL(f"{raw!r} is not an http(s) URL (scheme {scheme!r})")
    if not parts.hostname or any(c.isspace() for c in raw):
        raise InvalidURL(f"{raw!r} is not a valid URL")
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    for default in (":80" if scheme == "http" else ":443",):
        if netloc.endswith(default):
            netloc = netloc[: -len(default)]
    path = parts.path or "/"
    # The fragment stays: `#part-2` is a different part of a series, and the post must link it.
    return CanonicalURL(urlunsplit((scheme, netloc, path, parts.query, parts.fragment)), None)
