"""Image limits per channel (bot/images/limits.py): each platform's own, never X's for all."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.images.limits import X_LIMIT, ChannelImageLimit, load_policy, size_warnings
from bot.images.load import load_image
from bot.images.types import MB, ImageError, ImagePolicy
from tests.images.test_images import png_bytes

MASTODON = ChannelImageLimit("this Mastodon instance", 16 * MB)
BLUESKY = ChannelImageLimit("Bluesky", 2_000_000, shrunk_by_channel=True)


def _padded_png(path: Path, size: int) -> Path:
    """A valid PNG of about ``size`` bytes (padding after IEND is ignored by decoders)."""
    data = png_bytes(64, 48)
    path.write_bytes(data + b"\0" * (size - len(data)))
    return path


def test_load_policy_gives_each_channel_its_own_sizes() -> None:
    base = ImagePolicy(max_download_bytes=20 * MB, shrink_oversized=False)
    x = load_policy(base, X_LIMIT)
    assert (x.max_bytes, x.max_gif_bytes, x.platform) == (5 * MB, 15 * MB, "X")
    mastodon = load_policy(base, MASTODON)
    assert (mastodon.max_bytes, mastodon.max_gif_bytes) == (16 * MB, 16 * MB)
    bluesky = load_policy(base, BLUESKY)  # the channel shrinks: loading must not refuse
    assert bluesky.max_bytes == bluesky.max_gif_bytes == 20 * MB
    assert not mastodon.shrink_oversized and mastodon.max_download_bytes == 20 * MB


def test_a_7_mb_image_is_refused_for_x_alone_naming_x(tmp_path: Path) -> None:
    figure = _padded_png(tmp_path / "big.png", 7 * MB)
    base = ImagePolicy()
    with pytest.raises(ImageError, match=r"X accepts at most 5 MB"):
        load_image(str(figure), base_dir=tmp_path, policy=load_policy(base, X_LIMIT))
    for limit in (MASTODON, BLUESKY):
        loaded = load_image(str(figure), base_dir=tmp_path, policy=load_policy(base, limit))
        assert len(loaded.data) == 7 * MB
    small = ChannelImageLimit("this Mastodon instance", 2 * MB)
    with pytest.raises(ImageError, match=r"this Mastodon instance accepts at most 2 MB"):
        load_image(str(figure), base_dir=tmp_path, policy=load_policy(base, small))


def test_size_warnings_per_channel(tmp_path: Path) -> None:
    big = _padded_png(tmp_path / "big.png", 7 * MB)
    small = _padded_png(tmp_path / "small.png", 100_000)
    sources = ["big.png", str(small), "https://example.org/remote.png", "missing.png"]

    def warn(limit: ChannelImageLimit, shrink: bool = False) -> list[str]:
        return size_warnings(sources, base_dir=tmp_path, limit=limit, shrink_oversized=shrink)

    assert warn(X_LIMIT) == [
        "image big.png is 7 MB; X accepts at most 5 MB — shrink it or set "
        "images.shrink_oversized = true"
    ]
    assert warn(X_LIMIT, shrink=True) == [
        "image big.png is 7 MB; X accepts at most 5 MB: it will be shrunk"
    ]
    assert warn(MASTODON) == []
    assert warn(BLUESKY) == [
        "image big.png is 7 MB, over Bluesky's 1.9 MB: it will be shrunk to fit"
    ]
    assert big.exists()
