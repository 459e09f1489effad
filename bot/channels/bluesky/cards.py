"""Bluesky link cards: the ``app.bsky.embed.external`` embed for a post without images.

Bluesky builds no card for a link (X and Mastodon do), so the poster sends one: the link, its
title, a short description and, when one was found safely, a thumbnail. The thumbnail is a
nicety: one that cannot be made small enough for the lexicon's limit is left out, never a
reason to fail the post (a cross-poster's most common complaint, mixpost#188).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.channels.base import ChannelError, ErrorKind, LinkCard
from bot.channels.bluesky.records import THUMB_LIMIT, external_embed, fit_image

__all__ = ["card_embed"]

log = logging.getLogger("paperbot")

# Uploads bytes of a type and answers the blob reference (the channel's upload_blob call).
Upload = Callable[[bytes, str], Any]


def card_embed(card: LinkCard, upload: Upload) -> Any:
    """The card as an embed, its thumbnail (if any) shrunk to the limit and uploaded first."""
    thumb = None
    if card.thumb is not None:
        try:
            data, mime, _width, _height = fit_image(card.thumb, 0, THUMB_LIMIT)
        except ChannelError as error:
            if error.kind is not ErrorKind.INVALID:
                raise
            log.info("link card without thumbnail: %s", error.message)
        else:
            thumb = upload(data, mime)
    return external_embed(card.uri, card.title, card.description, thumb)
