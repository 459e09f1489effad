"""The link card a post carries on a platform that builds none itself (Bluesky).

The composer decides whether a post gets a card and what it says (bot/text/link_card.py, pure);
this step adds the thumbnail, the page's own preview image fetched through the image fetcher's
SSRF guard (bot/images/thumbnail.py). arXiv links get none: its pages have no preview image and
arXiv asks robots to keep their requests few.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.channels.base import LinkCard, MediaItem

if TYPE_CHECKING:
    from bot.images.types import ImagePolicy
    from bot.text.per_channel import ChannelDraft


def link_card(draft: ChannelDraft, policy: ImagePolicy, *, fetch: bool) -> LinkCard | None:
    """The draft's card with a thumbnail when one can be had (``fetch``: the network may be
    used), or None when the draft has no card."""
    card = draft.card
    if card is None:
        return None
    thumb = None
    if fetch and card.thumbnail_allowed:
        import httpx

        from bot.images.thumbnail import page_thumbnail

        with httpx.Client(timeout=policy.timeout, follow_redirects=False) as client:
            found = page_thumbnail(card.uri, policy, client)
        if found is not None:
            thumb = MediaItem(found.data, found.mime_type, "")
    return LinkCard(card.uri, card.title, card.description, thumb)
