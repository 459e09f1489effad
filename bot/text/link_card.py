"""The words of a Bluesky link card: pure, from the entry alone.

Bluesky builds no link card by itself (X and Mastodon do): a post shows one only when it carries
an ``app.bsky.embed.external`` embed with the link, a title and a description. paperbot sends
one for an entry without figures (a post carries images or a card, never both), so the timeline
shows what the link is about instead of a bare URL. The description is one sentence: the
abstract's first, else the comment's, cut to what the app shows in a card.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.text.characters import nfc
from bot.text.clusters import exact_count
from bot.text.sentences import first_sentence_kept
from bot.text.shorten import shorten

__all__ = ["CARD_DESCRIPTION_MAX", "CARD_TITLE_MAX", "CardText", "card_text"]

# The app shows a card's title in two lines and its description in about three; longer texts
# are cut there anyway, so paperbot cuts them (at a word, with "…") instead.
CARD_TITLE_MAX = 200
CARD_DESCRIPTION_MAX = 300


@dataclass(frozen=True)
class CardText:
    """A link card's words: where it leads, its title and its description (may be "").

    ``thumbnail_allowed`` is False for arXiv links: arXiv has no page image worth showing, and
    its robots policy asks for as few requests as possible.
    """

    uri: str
    title: str
    description: str
    thumbnail_allowed: bool = True


def card_text(url: str, title: str = "", abstract: str = "", comment: str = "") -> CardText:
    """The card for ``url``: the title (the link's host when there is none) and one sentence."""
    source = abstract if abstract.strip() else comment
    description = _fit(first_sentence_kept(nfc(source)), CARD_DESCRIPTION_MAX)
    shown_title = _fit(" ".join(nfc(title).split()), CARD_TITLE_MAX) or _host(url)
    return CardText(url, shown_title, description, thumbnail_allowed=not _is_arxiv(url))


def _fit(text: str, graphemes: int) -> str:
    if len(text) <= graphemes:
        return text
    return shorten(text, lambda candidate: exact_count(candidate) <= graphemes)


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url


def _is_arxiv(url: str) -> bool:
    host = _host(url).lower()
    return host == "arxiv.org" or host.endswith(".arxiv.org")
