"""A small copy of an image for showing it on a page (``paperbot preview --html``).

The preview page carries its images inside it (data: URIs), so one page of a week must stay a
few megabytes, not the sum of every full-size figure: each image is shrunk to at most
``DISPLAY_LONG_SIDE`` pixels on its long side (its aspect ratio kept) and stored as PNG when
it has transparency or few colours, else as JPEG. The copy is for eyes only; what is posted
is the original (bot/images/load.py).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from bot.images.types import ImageError

__all__ = ["DISPLAY_LONG_SIDE", "DisplayImage", "display_copy"]

DISPLAY_LONG_SIDE = 800


@dataclass(frozen=True)
class DisplayImage:
    """The copy as a data: URI, with its size in pixels (the original's aspect ratio)."""

    data_uri: str
    width: int
    height: int


def display_copy(source: str, data: bytes, long_side: int = DISPLAY_LONG_SIDE) -> DisplayImage:
    """``data`` (any image Pillow reads) shrunk for display; ImageError if it is not one."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.seek(0)  # the first frame of an animation
            image = opened.convert("RGBA")
    except Exception as exc:  # Pillow's parsers raise many types on malformed input
        raise ImageError(source, f"cannot be shown ({exc})") from None
    image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    lowest_alpha = image.getchannel("A").getextrema()[0]
    transparent = isinstance(lowest_alpha, int | float) and lowest_alpha < 255
    if transparent or image.getcolors(256) is not None:  # a diagram: PNG keeps it crisp
        image.save(buffer, "PNG", optimize=True)
        mime = "image/png"
    else:
        image.convert("RGB").save(buffer, "JPEG", quality=85)
        mime = "image/jpeg"
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return DisplayImage(f"data:{mime};base64,{encoded}", image.width, image.height)
