"""Image size limits per channel: each platform's own, never X's for everyone.

X takes images up to 5 MB (GIFs 15 MB); a Mastodon instance up to its ``image_size_limit``
(16 MB on a stock instance, read from the instance); Bluesky up to the server's blob limit
(2,000,000 bytes on current servers, 1,000,000 on older ones), and the Bluesky channel shrinks
larger images to fit by itself. A 7 MB figure is therefore fine for Mastodon and Bluesky even
though X would refuse it. ``load_policy`` gives the loading policy for one channel;
``size_warnings`` is what ``preview`` says about local images without loading them. Cheap to
import: no httpx, no Pillow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from bot.images.types import MB, ImagePolicy, format_size

__all__ = ["X_LIMIT", "ChannelImageLimit", "load_policy", "size_warnings"]


@dataclass(frozen=True)
class ChannelImageLimit:
    """One channel's image limit. ``shrunk_by_channel``: the channel fits larger images to the
    limit itself (Bluesky), so loading must not refuse them."""

    platform: str
    max_bytes: int
    max_gif_bytes: int | None = None  # None: the same as max_bytes
    shrunk_by_channel: bool = False


X_LIMIT = ChannelImageLimit("X", 5 * MB, 15 * MB)


def load_policy(base: ImagePolicy, limit: ChannelImageLimit) -> ImagePolicy:
    """``base`` (the `[images]` settings) with ``limit``'s sizes, for loading one channel's
    images."""
    if limit.shrunk_by_channel:
        ceiling = base.max_download_bytes
        return replace(base, max_bytes=ceiling, max_gif_bytes=ceiling, platform=limit.platform)
    gif = limit.max_gif_bytes if limit.max_gif_bytes is not None else limit.max_bytes
    return replace(base, max_bytes=limit.max_bytes, max_gif_bytes=gif, platform=limit.platform)


def size_warnings(
    sources: Iterable[str], *, base_dir: Path, limit: ChannelImageLimit, shrink_oversized: bool
) -> list[str]:
    """A warning for each local image over ``limit`` (remote ones are sized when fetched)."""
    from bot.images.load import is_remote, sniff_mime

    warnings: list[str] = []
    for source in sources:
        if is_remote(source):
            continue
        path = Path(source).expanduser()
        path = path if path.is_absolute() else base_dir / path
        try:
            size = path.stat().st_size
            with path.open("rb") as handle:
                gif = sniff_mime(handle.read(16)) == "image/gif"
        except OSError:
            continue  # a missing file is reported where images are checked
        most = limit.max_gif_bytes if gif and limit.max_gif_bytes is not None else limit.max_bytes
        if size <= most:
            continue
        shown = f"image {source} is {format_size(size, most)}"
        if limit.shrunk_by_channel:
            warnings.append(
                f"{shown}, over {limit.platform}'s {format_size(most)}: it will be shrunk to fit"
            )
        elif shrink_oversized and not gif:
            warnings.append(
                f"{shown}; {limit.platform} accepts at most {format_size(most)}: it will be shrunk"
            )
        else:
            warnings.append(
                f"{shown}; {limit.platform} accepts at most {format_size(most)} — shrink it"
                + ("" if gif else " or set images.shrink_oversized = true")
            )
    return warnings
