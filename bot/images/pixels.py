"""Everything that decodes pixels with Pillow: checking an image parses, and shrinking one.

Split from `bot.images.load` because this is where user complaints about figures "downscaled until
unreadable" are answered: an oversize image is re-encoded once from the original pixels, least
damage first (lossless PNG, then JPEG at quality 90), and never below 1600 px on the long side.
Pillow's decompression-bomb guard is turned into an `ImageError` here too. Pillow is imported
inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from bot.images.types import ImageError, format_size

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["JPEG_QUALITY", "MIN_LONG_SIDE", "inspect_image", "pillow_guard", "shrink_to_fit"]

MIN_LONG_SIDE = 1600  # below this, dense figures stop being legible on a phone
JPEG_QUALITY = 90

_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}


@contextmanager
def pillow_guard(source: str) -> Iterator[None]:
    """Pillow's decompression-bomb guard as an ImageError, and any parse failure likewise.

    The guard's *warning* (above MAX_IMAGE_PIXELS) is made an error too: decoding such an image
    would need gigabytes, whatever the test or production warning filters say.
    """
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(
            source,
            f"has more than {Image.MAX_IMAGE_PIXELS:,} pixels, Pillow's decompression-bomb "
            "limit — export it at a lower resolution",
        ) from None
    except Exception as exc:  # Pillow's parsers raise many types on malformed input
        raise ImageError(
            source, f"is damaged or truncated ({exc}) — export or download it again"
        ) from None


def inspect_image(source: str, data: bytes, mime_type: str) -> tuple[int, int]:
    """Width and height, after checking the file parses (and, for PNG, its checksums)."""
    from PIL import Image

    with (
        pillow_guard(source),
        Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[mime_type]]) as image,
    ):
        width, height = image.size
        image.verify()
    return width, height


def shrink_to_fit(
    source: str, data: bytes, mime_type: str, limit: int
) -> tuple[bytes, str, int, int]:
    """Re-encode once from the original pixels (no generation loss), least damage first:

    1. PNG sources: lossless PNG (opaque alpha dropped, ≤256 colours as a palette).
    2. JPEG quality 90 at full size, 4:4:4 chroma (crisp coloured lines), then 4:2:0.
    3. Downscaled JPEG, never below MIN_LONG_SIDE px on the long side.
    """
    from PIL import Image, ImageOps

    with (
        pillow_guard(source),
        Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[mime_type]]) as opened,
    ):
        opened.load()
        image = ImageOps.exif_transpose(opened)
    width, height = image.size

    if mime_type == "image/png":
        png = _lossless_png(image, limit)
        if png is not None:
            return png, "image/png", width, height

    rgb = _flatten(image)
    # A CMYK or grey profile would mislabel the RGB pixels; keep only profiles that still fit.
    icc = image.info.get("icc_profile") if image.mode in {"RGB", "RGBA", "P", "PA"} else None
    attempt = b""
    for subsampling in (0, 2):
        attempt = _jpeg(rgb, subsampling, icc)
        if len(attempt) <= limit:
            return attempt, "image/jpeg", width, height

    long_side = max(width, height)
    if long_side <= MIN_LONG_SIDE:
        raise _cannot_fit(source, data, limit, len(attempt), long_side)
    scale = 1.0
    for _ in range(8):
        # JPEG size grows roughly with the pixel count, so scale by the square root; 0.95 aims a
        # little under the limit so most images need one try.
        scale *= min(0.95, 0.95 * (limit / len(attempt)) ** 0.5)
        scale = max(scale, MIN_LONG_SIDE / long_side)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        attempt = _jpeg(rgb.resize(size, Image.Resampling.LANCZOS), 2, icc)
        if len(attempt) <= limit:
            return attempt, "image/jpeg", size[0], size[1]
        if max(size) <= MIN_LONG_SIDE:
            break
    raise _cannot_fit(source, data, limit, len(attempt), MIN_LONG_SIDE)


def _cannot_fit(source: str, data: bytes, limit: int, best: int, long_side: int) -> ImageError:
    return ImageError(
        source,
        f"is {format_size(len(data), limit)} and still {format_size(best, limit)} as a "
        f"quality-{JPEG_QUALITY} JPEG at {long_side} px on the long side; X accepts at most "
        f"{format_size(limit)}, and paperbot does not shrink figures below {MIN_LONG_SIDE} px "
        "on the long side, where they become unreadable — crop or simplify the figure, or "
        "export a smaller file yourself",
    )


def _lossless_png(image: Image.Image, limit: int) -> bytes | None:
    """A smaller lossless PNG, or None when one cannot fit (estimated cheaply first)."""
    from PIL import Image

    candidate = image
    if candidate.mode in {"RGBA", "LA"} and _alpha_is_opaque(candidate):
        candidate = candidate.convert(candidate.mode[:-1])  # alpha that hides nothing
    if candidate.mode == "I;16" or candidate.mode == "I":
        return None  # 16-bit greyscale: leave it to the JPEG step
    if candidate.mode == "RGB":
        colours = candidate.getcolors(256)
        if colours is not None:  # a typical plot: a palette holds every colour exactly
            palette = candidate.quantize(
                colors=len(colours), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
            )
            if palette.convert("RGB").tobytes() == candidate.tobytes():  # verify, never assume
                candidate = palette
    compact = candidate.mode in {"P", "L", "1"}
    level = 9 if compact else 6
    if not compact and _estimated_png_size(candidate, level) > limit:
        return None  # truecolour noise: a full encode would take seconds for nothing
    out = io.BytesIO()
    candidate.save(out, "PNG", compress_level=level, optimize=compact)
    return out.getvalue() if out.tell() <= limit else None


def _alpha_is_opaque(image: Image.Image) -> bool:
    low, _high = image.getchannel("A").getextrema()
    return bool(low == 255)


def _estimated_png_size(image: Image.Image, level: int) -> float:
    """The PNG size extrapolated from eight bands spread over the image (1/8 of its rows)."""
    width, height = image.size
    band = max(1, height // 64)
    bands = [image.crop((0, top, width, top + band)) for top in range(0, height, height // 8 or 1)]
    sample = _stack(bands)
    out = io.BytesIO()
    sample.save(out, "PNG", compress_level=level)
    return out.tell() * height / sample.height


def _stack(bands: list[Image.Image]) -> Image.Image:
    from PIL import Image

    width = bands[0].width
    stacked = Image.new(bands[0].mode, (width, sum(band.height for band in bands)))
    top = 0
    for band in bands:
        stacked.paste(band, (0, top))
        top += band.height
    return stacked


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG; transparency becomes white, the background most figures are drawn for."""
    from PIL import Image

    if image.mode == "RGB":
        return image
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in {"RGBA", "LA", "PA"}:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in {"I;16", "I", "F"}:
        return image.point(lambda value: value / 256).convert("RGB")
    return image.convert("RGB")


def _jpeg(image: Image.Image, subsampling: int, icc: object) -> bytes:
    out = io.BytesIO()
    options: dict[str, object] = {"quality": JPEG_QUALITY, "subsampling": subsampling}
    if isinstance(icc, bytes):
        options["icc_profile"] = icc
    image.save(out, "JPEG", **options)
    return out.getvalue()
