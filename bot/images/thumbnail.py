"""A link card's thumbnail: the page's own preview image (``og:image``), fetched safely.

Bluesky shows a link card's thumbnail only when the poster uploads it. The page names its
preview image in ``<meta property="og:image">`` (or ``twitter:image``); both the page and the
image come through bot.images.fetch, so the same SSRF guard, size cap and deadline apply as to
any figure. A card is a nicety: anything that goes wrong (no such tag, a refused host, a slow
server, not an image) means a card without a thumbnail, never a failed post.
"""

from __future__ import annotations

import logging
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from bot.images.fetch import download
from bot.images.load import sniff_mime
from bot.images.pixels import inspect_image
from bot.images.types import MB, ImageError, ImagePolicy, LoadedImage

if TYPE_CHECKING:
    import httpx

__all__ = ["PAGE_CAP", "page_thumbnail", "preview_image_url"]

log = logging.getLogger("paperbot")

PAGE_CAP = 2 * MB  # the head of a page names its image; nobody needs more than this of it
_PROPERTIES = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image")


class _MetaImage(HTMLParser):
    """Finds the first preview image named in a page's ``<meta>`` tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        values = {name: value or "" for name, value in attrs}
        key = (values.get("property") or values.get("name") or "").strip().lower()
        content = values.get("content", "").strip()
        if key in _PROPERTIES and content and key not in self.found:
            self.found[key] = content


def preview_image_url(html: str, page_url: str) -> str | None:
    """The absolute URL of the page's preview image (og:image first), or None."""
    parser = _MetaImage()
    parser.feed(html)
    parser.close()
    for key in _PROPERTIES:
        if key in parser.found:
            absolute = urljoin(page_url, parser.found[key])
            return absolute if absolute.startswith(("http://", "https://")) else None
    return None


def page_thumbnail(page_url: str, policy: ImagePolicy, client: httpx.Client) -> LoadedImage | None:
    """The page's preview image, checked as an image, or None (logged) when there is none."""
    page_policy = ImagePolicy(
        max_bytes=policy.max_bytes,
        max_download_bytes=min(policy.max_download_bytes, PAGE_CAP),
        timeout=policy.timeout,
        allow_private_hosts=policy.allow_private_hosts,
    )
    try:
        page = download(page_url, page_policy, client)
        source = preview_image_url(page.decode("utf-8", errors="replace"), page_url)
        if source is None:
            log.info("no link card thumbnail: %s names no preview image", page_url)
            return None
        data = download(source, policy, client)
        mime_type = sniff_mime(data)
        if mime_type is None:
            raise ImageError(source, "is not an image")
        width, height = inspect_image(source, data, mime_type)
    except ImageError as exc:
        log.info("no link card thumbnail: %s", exc)
        return None
    return LoadedImage(source, data, mime_type, width, height)
