"""Counting and rendering a status as the instance does (independent of bot/text/mastodon.py):
links count as 23, ``@user@domain`` as ``@user``, graphemes; content is HTML with shortened
link text.
"""

from __future__ import annotations

import html
import re

import regex

_LINK = re.compile(r"https?://[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:/[^\s]*)?", re.IGNORECASE)
_TRAILING = ".,:;!?'\")*=$%[]~&|@「」"  # Mastodon's link path never ends on one of these
_MENTION = re.compile(r"(?<![=/\w])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_])?)(?:@[\w.-]+\w)?", re.I)


def _links(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _LINK.finditer(text):
        url = match.group(0)
        while url and url[-1] in _TRAILING and not (url[-1] == ")" and "(" in url):
            url = url[:-1]
        spans.append((match.start(), match.start() + len(url)))
    return spans


def status_length(text: str, url_length: int | None = 23) -> int:
    """Graphemes as the instance counts them; ``url_length`` None counts the raw text, links at
    full length and mentions with their domain (as Takahē does)."""
    if url_length is None:
        return len(regex.findall(r"\X", text))
    spans = _links(text)
    out: list[str] = []
    position = 0
    for start, end in spans:
        out.append(_MENTION.sub(r"@\1", text[position:start]))
        out.append("x" * url_length)
        position = end
    out.append(_MENTION.sub(r"@\1", text[position:]))
    return len(regex.findall(r"\X", "".join(out)))


def render_content(text: str, host: str) -> str:
    """Mastodon's TextFormatter, in short: escaped text, ``<p>``/``<br />``, shortened links."""
    pieces: list[str] = []
    position = 0
    for start, end in _links(text):
        pieces.append(_mentions_html(text[position:start], host))
        url = text[start:end]
        scheme, _, rest = url.partition("://")
        shown, hidden = rest[:30], rest[30:]
        pieces.append(
            f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" '
            f'translate="no"><span class="invisible">{scheme}://</span>'
            f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
            f'<span class="invisible">{html.escape(hidden)}</span></a>'
        )
        position = end
    pieces.append(_mentions_html(text[position:], host))
    body = "".join(pieces)
    paragraphs = [p.replace("\n", "<br />") for p in body.split("\n\n")]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _mentions_html(text: str, host: str) -> str:
    escaped = html.escape(text, quote=False)
    return _MENTION.sub(
        lambda m: (
            f'<span class="h-card" translate="no"><a href="https://{host}/@{m.group(1)}" '
            f'class="u-url mention">@<span>{m.group(1)}</span></a></span>'
        ),
        escaped,
    )
