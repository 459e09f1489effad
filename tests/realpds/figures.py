"""Figures for the real-PDS tests, drawn with Pillow, and the records the PDS gives back."""

from __future__ import annotations

import io
import random
from typing import Any

from PIL import Image, ImageDraw

__all__ = ["chart", "embedded_images", "noise_png"]


def chart(width: int, height: int, fmt: str = "PNG") -> bytes:
    """A small plot-like figure: axes and a few bars (a few kB)."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.line([(20, height - 20), (width - 10, height - 20)], fill="black", width=2)
    draw.line([(20, 10), (20, height - 20)], fill="black", width=2)
    for n, value in enumerate((0.3, 0.8, 0.55, 0.9)):
        left = 30 + n * (width - 50) // 4
        top = int(height - 20 - value * (height - 40))
        draw.rectangle([left, top, left + (width - 50) // 6, height - 21], fill=(40, 90, 160))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def noise_png(side: int, seed: int = 7) -> bytes:
    """A PNG of random pixels: it does not compress, so its size is about ``3 * side**2``."""
    pixels = random.Random(seed).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, "PNG")
    return buffer.getvalue()


def embedded_images(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``app.bsky.embed.images`` entries of a post record as the PDS stores it."""
    embed = record.get("embed") or {}
    assert embed.get("$type") == "app.bsky.embed.images", embed
    images: list[dict[str, Any]] = embed["images"]
    return images
