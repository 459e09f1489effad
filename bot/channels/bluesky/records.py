"""Bluesky records from paperbot's values and back: the post, its facets, its images or card.

Split from bot.channels.bluesky.channel so the channel module is about sessions and exactly once.
The
SDK models are imported inside each function (``atproto_client`` is slow to import).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.channels.base import ChannelError, ErrorKind, MediaItem
from bot.text.bluesky import LinkFacet
from bot.text.bluesky_tags import tag_facets

__all__ = [
    "THUMB_LIMIT",
    "external_embed",
    "fit_image",
    "image_entry",
    "link_facets",
    "media_ids",
    "parse_time",
    "post_record",
]

THUMB_LIMIT = 1_000_000  # app.bsky.embed.external's thumb maxSize


def fit_image(item: MediaItem, number: int, limit: int) -> tuple[bytes, str, int, int]:
    """The image's bytes, type and size: as given when within ``limit`` bytes, else shrunk once
    (bot.images.pixels: least damage first). INVALID when it cannot be read or made to fit."""
    from bot.images.pixels import inspect_image, shrink_to_fit
    from bot.images.types import ImageError

    source = f"image {number}"
    try:
        if len(item.data) > limit:
            return shrink_to_fit(source, item.data, item.mime_type, limit)
        width, height = inspect_image(source, item.data, item.mime_type)
    except (ImageError, KeyError) as exc:
        too_big = len(item.data) > limit
        reason = f"it cannot be made {limit:,} bytes or less" if too_big else str(exc)
        raise ChannelError(ErrorKind.INVALID, f"{source} for Bluesky: {reason}") from None
    return item.data, item.mime_type, width, height


def image_entry(blob: Any, alt: str, width: int, height: int) -> Any:
    """One ``app.bsky.embed.images`` entry: the uploaded blob, alt text and aspect ratio."""
    from atproto_client import models

    return models.AppBskyEmbedImages.Image(
        alt=alt,
        image=blob,
        aspect_ratio=models.AppBskyEmbedDefs.AspectRatio(width=width, height=height),
    )


def external_embed(uri: str, title: str, description: str, thumb: Any | None) -> Any:
    """An ``app.bsky.embed.external`` link card (``thumb``: an uploaded blob, or None)."""
    from atproto_client import models

    return models.AppBskyEmbedExternal.Main(
        external=models.AppBskyEmbedExternal.External(
            uri=uri, title=title, description=description, thumb=thumb
        )
    )


def post_record(
    text: str,
    facets: tuple[LinkFacet, ...],
    images: list[Any],
    created_at: datetime,
    card: Any | None = None,
) -> Any:
    """An ``app.bsky.feed.post`` record (createdAt in UTC, milliseconds, as the app writes it):
    a facet for each link and each #hashtag, and the images or else ``card`` (never both)."""
    from atproto_client import models

    stamp = created_at.astimezone(UTC).isoformat(timespec="milliseconds")
    all_facets = [_facet_model(facet) for facet in facets] + _tag_facets(text)
    all_facets.sort(key=lambda facet: facet.index.byte_start)
    return models.AppBskyFeedPost.Record(
        text=text,
        created_at=stamp.replace("+00:00", "Z"),
        facets=all_facets or None,
        embed=models.AppBskyEmbedImages.Main(images=images) if images else card,
    )


def _tag_facets(text: str) -> list[Any]:
    """A tag facet over each #hashtag's bytes (the tag without its "#"), so it is clickable
    and searchable on Bluesky."""
    from atproto_client import models

    return [
        models.AppBskyRichtextFacet.Main(
            features=[models.AppBskyRichtextFacet.Tag(tag=span.tag)],
            index=models.AppBskyRichtextFacet.ByteSlice(
                byte_start=span.byte_start, byte_end=span.byte_end
            ),
        )
        for span in tag_facets(text)
    ]


def _facet_model(facet: LinkFacet) -> Any:
    from atproto_client import models

    return models.AppBskyRichtextFacet.Main(
        features=[models.AppBskyRichtextFacet.Link(uri=facet.uri)],
        index=models.AppBskyRichtextFacet.ByteSlice(
            byte_start=facet.byte_start, byte_end=facet.byte_end
        ),
    )


def link_facets(record: Any) -> tuple[LinkFacet, ...]:
    facets: list[LinkFacet] = []
    for facet in getattr(record, "facets", None) or ():
        for feature in facet.features:
            uri = getattr(feature, "uri", None)
            if isinstance(uri, str):
                facets.append(LinkFacet(facet.index.byte_start, facet.index.byte_end, uri))
    return tuple(facets)


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def media_ids(record: Any) -> tuple[str, ...]:
    """The blob CIDs of a post's images, in order."""
    embed = getattr(record, "embed", None)
    return tuple(str(image.image.ref.link) for image in getattr(embed, "images", None) or ())


def warm_up(images: Sequence[Any], now: datetime) -> None:
    """Build (and drop) a post record with ``images``, a link and a tag: the SDK loads and
    completes its models on first use (~70 ms), which staging (bot/channels/staging.py) pays
    off the slot instead of the first post after a start."""
    from bot.text.bluesky import render

    shown = render("#paperbot https://example.org")
    post_record(shown.text, shown.facets, list(images), now).model_dump(mode="json")
