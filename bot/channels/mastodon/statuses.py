"""Reading Mastodon statuses back: their HTML as plain text, and whether one is a given post.

Mastodon returns a status's ``content`` as HTML it rendered from the text we sent: paragraphs
and ``<br />`` for newlines, ``&amp;`` and friends escaped, and every link as an ``<a>`` whose
visible text is shortened (``arxiv.org/abs/2401.0``…, the rest in hidden spans) while ``href``
keeps the link as posted (percent-escapes left as they are: bot.channels.base.texts_match
compares links with both sides unescaped alike). Mentions and hashtags are links too (class
``mention`` / ``hashtag``) and show as written. So the plain text puts each link's ``href``
back where it stood and keeps mentions and hashtags as they read; texts_match then compares
it with what we sent, links included. Pure: no Mastodon.py, no network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser

from bot.channels.base import Publication, RemotePost, texts_match

__all__ = ["html_to_text", "is_publication", "links_of", "remote_post"]


class _ContentParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._link_depth = 0  # > 0 inside a plain link, whose visible text we skip
        self._paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._link_depth:
            self._link_depth += tag == "a"
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self._paragraphs:
                self.parts.append("\n\n")
            self._paragraphs += 1
        elif tag == "a":
            attributes = dict(attrs)
            classes = (attributes.get("class") or "").split()
            href = attributes.get("href") or ""
            if href and "mention" not in classes and "hashtag" not in classes:
                self.links.append(href)
                self.parts.append(href)
                self._link_depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self._link_depth and tag == "a":
            self._link_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._link_depth:
            self.parts.append(data)


def _parse(content: str) -> _ContentParser:
    parser = _ContentParser()
    parser.feed(content)
    parser.close()
    return parser


def html_to_text(content: str) -> str:
    """A status's ``content`` as the text that was posted (links as their ``href``)."""
    return "".join(_parse(content).parts)


def links_of(content: str) -> list[str]:
    """The plain links of a status (not mentions or hashtags), as posted."""
    return _parse(content).links


def remote_post(status: Mapping[str, object]) -> RemotePost:
    """One status (a Mastodon.py dict) as the channel protocol's RemotePost."""
    return RemotePost(
        remote_id=str(status.get("id", "")),
        remote_url=str(status.get("url") or status.get("uri") or ""),
        text=html_to_text(str(status.get("content") or "")),
        created_at=aware_time(status.get("created_at")),
    )


def aware_time(value: object) -> datetime | None:
    """``created_at`` as an aware datetime (Mastodon.py parses it; a raw string works too)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def is_publication(status: Mapping[str, object], publication: Publication) -> bool:
    """Whether ``status`` is ``publication``: the same text, the same links, as many images.

    Entries that share a sentence differ only by their link, so the links must match exactly
    (texts_match checks them in order); the image count guards against a status that merely
    quotes the same text.
    """
    if status.get("reblog"):
        return False
    text = html_to_text(str(status.get("content") or ""))
    if not texts_match(publication.text, text):
        return False
    attachments = status.get("media_attachments")
    count = len(attachments) if isinstance(attachments, Sequence) else 0
    return count == len(publication.media)
