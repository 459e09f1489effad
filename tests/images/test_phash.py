"""The perceptual hash: one picture at another size or as JPEG matches, another picture does not."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.images.phash import picture_hash
from bot.images.types import ImageError
from tests.fakes.latexml_pages import as_resized_jpeg, figure_png

FIGURES = [figure_png(seed) for seed in range(24)]
HASHES = [picture_hash(f"f{n}", data) for n, data in enumerate(FIGURES)]


@pytest.mark.parametrize(("scale", "quality"), [(0.25, 50), (0.6, 70), (1.0, 95), (1.8, 85)])
def test_resized_and_reencoded_copies_match(scale: float, quality: int) -> None:
    for original, data in zip(HASHES, FIGURES, strict=True):
        copy = picture_hash("copy", as_resized_jpeg(data, scale, quality))
        assert original.same_picture(copy)


def test_different_figures_do_not_match() -> None:
    pairs = [(a, b) for a in range(len(HASHES)) for b in range(a + 1, len(HASHES))]
    assert not [p for p in pairs if HASHES[p[0]].same_picture(HASHES[p[1]])]


def test_a_different_aspect_ratio_is_another_picture() -> None:
    with Image.open(io.BytesIO(FIGURES[0])) as image:
        squeezed = image.resize((image.width, image.height // 2))
        out = io.BytesIO()
        squeezed.save(out, "PNG")
    assert not HASHES[0].same_picture(picture_hash("squeezed", out.getvalue()))


def test_transparency_counts_as_white() -> None:
    with Image.open(io.BytesIO(FIGURES[1])) as image:
        rgba = image.convert("RGBA")
    rgba.putalpha(rgba.convert("L").point(lambda v: 0 if v == 255 else 255))  # white: clear
    out = io.BytesIO()
    rgba.save(out, "PNG")
    assert HASHES[1].same_picture(picture_hash("transparent", out.getvalue()))


def test_bytes_that_are_no_image_raise_image_error() -> None:
    with pytest.raises(ImageError, match="damaged or truncated"):
        picture_hash("broken.png", FIGURES[0][:100])
