"""A perceptual hash: telling that a curator's saved figure is one of a paper's figures.

Curators save a paper's figure by screenshot or "save image as", so their copy is the same
picture at another size, often re-encoded as JPEG. A byte hash sees nothing in common; this
one compares what the picture looks like. It is the classic DCT hash (pHash): the image as
32x32 grey levels on white, its 2-D cosine transform, and one bit per low-frequency
coefficient (the 12x12 block without the constant term) telling whether it is above their
median. Low frequencies carry the layout of the picture (where the curves, bars and panels
are), which survives resizing and JPEG's quantisation; they differ between two figures even
when both are mostly white, where a gradient hash (dHash) would see mostly-equal neighbours.
The aspect ratio is kept beside the bits: resizing preserves it, and it rules out figures
whose low frequencies happen to agree. Pillow only (no numpy): the transform of a 32x32
block is a few thousand multiplications.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache

from bot.images.pixels import pillow_guard

__all__ = ["MAX_DISTANCE", "PictureHash", "picture_hash"]

_SIZE = 32
_LOW = 12
#: Bits (of 143) that may differ between two copies of one picture: copies of generated plots
#: measured 0-8 apart (down to 30 % size at JPEG quality 50), different plots 36 and more.
MAX_DISTANCE = 20
#: Relative difference of aspect ratios still taken for a resize (pixel rounding, a border).
MAX_ASPECT_DIFFERENCE = 0.08


@dataclass(frozen=True)
class PictureHash:
    bits: int
    aspect: float  # width / height

    def distance(self, other: PictureHash) -> int:
        """How many of the 143 bits differ."""
        return (self.bits ^ other.bits).bit_count()

    def same_picture(self, other: PictureHash) -> bool:
        """Whether ``other`` is this picture resized or re-encoded."""
        if abs(self.aspect - other.aspect) > MAX_ASPECT_DIFFERENCE * max(self.aspect, 1e-9):
            return False
        return self.distance(other) <= MAX_DISTANCE


def picture_hash(source: str, data: bytes) -> PictureHash:
    """The hash of an encoded image (PNG, JPEG, GIF's first frame, WEBP); ImageError if it
    does not decode."""
    from PIL import Image

    with pillow_guard(source), Image.open(io.BytesIO(data)) as image:
        aspect = image.width / max(image.height, 1)
        image.draft("RGB", (_SIZE * 4, _SIZE * 4))  # JPEG: decode at a fraction of the size
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat.alpha_composite(rgba)  # transparency counts as the white page it is shown on
        grey = flat.convert("L").resize((_SIZE, _SIZE), Image.Resampling.LANCZOS)
        pixels = list(grey.tobytes())  # one byte per grey pixel
    return PictureHash(_dct_bits(pixels), aspect)


@lru_cache(maxsize=1)
def _cosines() -> tuple[tuple[float, ...], ...]:
    """cos((2x + 1) u pi / 2N) for the low frequencies u and every position x."""
    return tuple(
        tuple(math.cos((2 * x + 1) * u * math.pi / (2 * _SIZE)) for x in range(_SIZE))
        for u in range(_LOW)
    )


def _dct_bits(pixels: list[int]) -> int:
    """Bits of the 12x12 low-frequency DCT block (without the DC term) above its median."""
    cos = _cosines()
    rows = [pixels[y * _SIZE : (y + 1) * _SIZE] for y in range(_SIZE)]
    # Transform the rows (only the low frequencies are needed), then the columns.
    row_freq = [
        [sum(c * p for c, p in zip(cos[u], row, strict=True)) for u in range(_LOW)] for row in rows
    ]
    coefficients = [
        sum(cos[v][y] * row_freq[y][u] for y in range(_SIZE))
        for v in range(_LOW)
        for u in range(_LOW)
    ][1:]
    median = sorted(coefficients)[len(coefficients) // 2]
    bits = 0
    for value in coefficients:
        bits = (bits << 1) | (value > median)
    return bits
