"""The types every part of image loading shares: the error users read, the policy, the result.

Split from `bot.images.load` so that fetching (`bot.images.fetch`) and pixel work
(`bot.images.pixels`)
can raise the same one-line `ImageError` and read the same `ImagePolicy` without importing the
loader that imports them. Cheap to import: no httpx, no Pillow.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MB", "ImageError", "ImagePolicy", "LoadedImage", "format_size"]

MB = 1024 * 1024


class ImageError(ValueError):
    """One line for the user: which image, what is wrong, what to do about it.

    ``transient`` is True when trying again later may succeed (timeouts, connection failures,
    5xx and 429 answers, temporary DNS failures), so a worker can retry instead of failing the
    entry for good.
    """

    def __init__(self, source: str, problem: str, *, transient: bool = False) -> None:
        self.source = source
        self.problem = problem
        self.transient = transient
        super().__init__(f"image {_shown(source)} {problem}")


@dataclass(frozen=True)
class LoadedImage:
    source: str
    data: bytes
    mime_type: str
    width: int
    height: int
    reencoded: bool = False

    def __repr__(self) -> str:
        # Megabytes of bytes in a log line or a failed assertion help nobody.
        return (
            f"LoadedImage(source={self.source!r}, <{len(self.data)} bytes>, "
            f"mime_type={self.mime_type!r}, {self.width}x{self.height}, "
            f"reencoded={self.reencoded})"
        )


@dataclass(frozen=True)
class ImagePolicy:
    """Limits for one platform. Defaults are X's: 5 MB for JPEG/PNG/WEBP, 15 MB for GIF;
    bot.images.limits gives each channel its own (``platform`` names it in messages).

    ``timeout`` bounds each network operation *and* the whole fetch including redirects, so a
    server that drips one byte a second cannot hold the daemon.
    """

    max_bytes: int = 5 * MB
    max_download_bytes: int = 20 * MB
    timeout: float = 20.0
    allow_private_hosts: bool = False
    shrink_oversized: bool = False
    max_gif_bytes: int = 15 * MB
    platform: str = "X"

    def limit_for(self, mime_type: str) -> int:
        return self.max_gif_bytes if mime_type == "image/gif" else self.max_bytes


def format_size(count: int, other: int | None = None) -> str:
    """Human size; one more decimal when it would otherwise read the same as ``other``."""

    def fmt(value: int, digits: int) -> str:
        if value >= MB:
            return f"{value / MB:.{digits}f}".rstrip("0").rstrip(".") + " MB"
        return f"{value / 1024:.{digits}f}".rstrip("0").rstrip(".") + " KB"

    text = fmt(count, 1)
    if other is not None and other != count and text == fmt(other, 1):
        text = fmt(count, 3)
    return text


def _shown(source: str) -> str:
    """The source as the user wrote it, cut short (a data: URL can be megabytes)."""
    return source if len(source) <= 120 else source[:117] + "…"
