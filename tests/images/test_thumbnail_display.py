"""A link card's thumbnail from the page's og:image (through the SSRF guard), and the display
copies the preview page embeds."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from bot.images.display import display_copy
from bot.images.thumbnail import page_thumbnail, preview_image_url
from bot.images.types import ImageError, ImagePolicy
from tests.fakes.http_server import FakeHTTPServer

OPEN = ImagePolicy(allow_private_hosts=True, timeout=5.0)


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 130, 70)).save(buffer, "PNG")
    return buffer.getvalue()


def _page(meta: str) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "text/html"}, f"<html><head>{meta}</head></html>".encode()


@pytest.fixture
def server() -> Iterator[FakeHTTPServer]:
    with FakeHTTPServer() as fake:
        fake.route("/img/card.png", (200, {"Content-Type": "image/png"}, _png(120, 63)))
        fake.route("/post", _page('<meta property="og:image" content="/img/card.png">'))
        fake.route("/twitter", _page('<meta name="twitter:image" content="img/card.png">'))
        fake.route("/bare", _page('<meta property="og:title" content="no image">'))
        fake.route("/notimage", _page('<meta property="og:image" content="/post">'))
        yield fake


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<meta property="og:image" content="/a.png">', "https://site.org/a.png"),
        ('<meta content="b.png" property="OG:IMAGE">', "https://site.org/blog/b.png"),
        (
            '<meta name="twitter:image" content="https://cdn.org/t.png">'
            '<meta property="og:image" content="https://cdn.org/o.png">',
            "https://cdn.org/o.png",  # og:image first
        ),
        ('<meta property="og:image" content="javascript:alert(1)">', None),
        ('<meta property="og:image" content="">', None),
        ("<p>no meta</p>", None),
    ],
)
def test_the_preview_image_named_by_the_page(html: str, expected: str | None) -> None:
    assert preview_image_url(html, "https://site.org/blog/post") == expected


@pytest.mark.parametrize("path", ["/post", "/twitter"])
def test_the_thumbnail_is_the_pages_image(server: FakeHTTPServer, path: str) -> None:
    with httpx.Client() as client:
        found = page_thumbnail(server.url(path), OPEN, client)
    assert found is not None and (found.width, found.height, found.mime_type) == (
        120,
        63,
        "image/png",
    )


@pytest.mark.parametrize("path", ["/bare", "/notimage", "/missing"])
def test_no_image_means_no_thumbnail(server: FakeHTTPServer, path: str) -> None:
    with httpx.Client() as client:
        assert page_thumbnail(server.url(path), OPEN, client) is None


def test_a_private_host_is_never_asked(server: FakeHTTPServer) -> None:
    with httpx.Client() as client:
        assert page_thumbnail(server.url("/post"), ImagePolicy(timeout=5.0), client) is None
    assert server.paths() == []  # refused before connecting: 127.0.0.1 is loopback


def test_display_copies_keep_the_aspect_ratio_within_the_long_side() -> None:
    shown = display_copy("fig", _png(2000, 1000))
    assert (shown.width, shown.height) == (800, 400)
    header, _, data = shown.data_uri.partition(",")
    assert header.startswith("data:image/") and header.endswith(";base64")
    assert Image.open(io.BytesIO(base64.b64decode(data))).size == (800, 400)
    small = display_copy("fig", _png(30, 90))
    assert (small.width, small.height) == (30, 90)  # never enlarged


def test_display_copy_of_something_else_is_an_image_error() -> None:
    with pytest.raises(ImageError, match="cannot be shown"):
        display_copy("fig.png", b"<html>not an image</html>")
