"""bot.images.load against a real HTTP server on 127.0.0.1 and real Pillow-made files.

Refusals are checked at the edge: a recording transport or the fake server proves that no
request left paperbot, not just that an error was raised.
"""

from __future__ import annotations

import io
import ipaddress
import itertools
import random
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw

from bot.images.fetch import forbidden_reason, pinned_request
from bot.images.load import check_local_path, is_remote, load_image, sniff_mime
from bot.images.types import ImageError, ImagePolicy, LoadedImage
from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, Reply

KB = 1024
LIMIT = 300 * KB  # small limits keep the Pillow work fast
OPEN = ImagePolicy(allow_private_hosts=True, timeout=2.0)
CLOSED = ImagePolicy(allow_private_hosts=False, timeout=2.0)


# -- helpers -----------------------------------------------------------------------------------


def png_bytes(width: int = 40, height: int = 30, **save: object) -> bytes:
    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).line([(0, 0), (width, height)], fill="blue", width=2)
    return encode(image, "PNG", **save)


def encode(image: Image.Image, fmt: str, **save: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def noisy(width: int, height: int, amount: float, seed: int = 1) -> Image.Image:
    """White with coloured noise: too many colours for a palette, like a photo-ish figure."""
    noise = Image.frombytes(
        "RGB", (width, height), random.Random(seed).randbytes(width * height * 3)
    )
    return Image.blend(Image.new("RGB", (width, height), "white"), noise, amount)


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


class RecordingTransport(httpx.BaseTransport):
    """Fails the test's expectations loudly if paperbot ever tries to send a request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, content=png_bytes())


@pytest.fixture
def server() -> Iterator[FakeHTTPServer]:
    with FakeHTTPServer() as fake:
        yield fake


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """One real client for the module: building its TLS context costs ~50 ms each time."""
    with httpx.Client() as real:
        yield real


@pytest.fixture(scope="module")
def big_noisy_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2000 x 1333, ~5 MB as PNG; as JPEG q90 ~470 KB at full size, ~230 KB at 1600 px."""
    path = tmp_path_factory.mktemp("big") / "figure.png"
    path.write_bytes(encode(noisy(2000, 1333, 0.07), "PNG", compress_level=0))
    return path


# -- classification ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\nrest", "image/png"),
        (b"GIF89a...", "image/gif"),
        (b"GIF87a...", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"%PDF-1.7", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"", None),
    ],
)
def test_sniff_mime_reads_magic_bytes(data: bytes, expected: str | None) -> None:
    assert sniff_mime(data) == expected


@pytest.mark.parametrize(
    ("source", "remote"),
    [
        ("https://example.org/fig.png", True),
        ("HTTP://example.org/fig.png", True),
        ("figs/fig.png", False),
        ("/abs/fig.png", False),
        ("fig:1.png", False),
        ("file:///etc/passwd", False),
        ("ftp://example.org/fig.png", False),
        ("data:image/png;base64,iVBORw0KGgo=", False),
        ("javascript:alert(1)", False),
    ],
)
def test_is_remote_only_for_http_urls(source: str, remote: bool) -> None:
    assert is_remote(source) is remote


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("172.16.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("fec0::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::7f00:1", "loopback"),
        ("2002:a9fe:a9fe::", "link-local"),
        ("8.8.8.8", None),
        ("::ffff:8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_forbidden_reason(address: str, reason: str | None) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) == reason


def test_pinned_request_connects_to_the_address_but_keeps_the_name() -> None:
    url = httpx.URL("https://bücher.example:8443/fig.png?v=2")
    request = pinned_request(url, ipaddress.ip_address("93.184.216.34"), timeout=3)
    assert str(request.url) == "https://93.184.216.34:8443/fig.png?v=2"
    assert request.headers["host"] == "xn--bcher-kva.example:8443"
    assert request.extensions["sni_hostname"] == "xn--bcher-kva.example"
    assert request.extensions["timeout"]["read"] == 3

    v6 = pinned_request(
        httpx.URL("http://example.org/a"), ipaddress.ip_address("2001:db8::1"), timeout=1
    )
    assert str(v6.url) == "http://[2001:db8::1]/a"
    assert v6.headers["host"] == "example.org"
    assert "sni_hostname" not in v6.extensions


def test_module_import_stays_cheap() -> None:
    code = "import sys, bot.images.load; print(sorted({'PIL', 'httpx'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- remote: success ---------------------------------------------------------------------------


def test_fetches_png_from_local_server(server: FakeHTTPServer, client: httpx.Client) -> None:
    data = png_bytes(40, 30)
    server.route("/fig.png", (200, {"Content-Type": "image/png"}, data))
    image = load_image(
        server.url("/fig.png"), base_dir=Path("/nonexistent"), policy=OPEN, client=client
    )
    assert image == LoadedImage(server.url("/fig.png"), data, "image/png", 40, 30)
    [request] = server.requests
    assert request.headers["host"] == f"127.0.0.1:{server.port}"
    assert request.headers["accept-encoding"] == "identity"


def test_content_type_header_is_not_trusted(server: FakeHTTPServer, client: httpx.Client) -> None:
    jpeg = encode(Image.new("RGB", (8, 8), "red"), "JPEG")
    server.route("/fig.png", (200, {"Content-Type": "image/png"}, jpeg))
    image = load_image(server.url("/fig.png"), base_dir=Path("."), policy=OPEN, client=client)
    assert image.mime_type == "image/jpeg"


def test_works_without_a_client(server: FakeHTTPServer) -> None:
    server.route("/fig.png", (200, {}, png_bytes()))
    assert load_image(server.url("/fig.png"), base_dir=Path("."), policy=OPEN).width == 40


def test_host_name_kept_when_connection_is_pinned(
    server: FakeHTTPServer, client: httpx.Client
) -> None:
    # localhost may resolve to ::1 first, where nothing listens: the next address is tried.
    server.route("/fig.png", (200, {}, png_bytes()))
    load_image(
        server.url("/fig.png", host="localhost"), base_dir=Path("."), policy=OPEN, client=client
    )
    assert [r.headers["host"] for r in server.requests] == [f"localhost:{server.port}"]


def test_shared_client_defaults_do_not_leak_to_image_hosts(server: FakeHTTPServer) -> None:
    server.route("/fig.png", (200, {}, png_bytes()))
    with httpx.Client(
        headers={"Authorization": "Bearer secret"}, cookies={"session": "s3cret"}
    ) as shared:
        load_image(server.url("/fig.png"), base_dir=Path("."), policy=OPEN, client=shared)
    [request] = server.requests
    assert "authorization" not in request.headers
    assert "cookie" not in request.headers


def test_follows_five_redirects(server: FakeHTTPServer, client: httpx.Client) -> None:
    for hop in range(5):
        server.redirect(f"/r{hop}", f"/r{hop + 1}" if hop < 4 else "/fig.png", status=301 + hop % 2)
    server.route("/fig.png", (200, {}, png_bytes()))
    load_image(server.url("/r0"), base_dir=Path("."), policy=OPEN, client=client)
    assert server.paths() == ["/r0", "/r1", "/r2", "/r3", "/r4", "/fig.png"]


# -- remote: refused before any connection -----------------------------------------------------


def test_loopback_refused_unless_private_hosts_allowed(
    server: FakeHTTPServer, client: httpx.Client
) -> None:
    server.route("/fig.png", (200, {}, png_bytes()))
    with pytest.raises(
        ImageError, match=r"loopback address, 127\.0\.0\.1.*allow_private_hosts"
    ) as info:
        load_image(server.url("/fig.png"), base_dir=Path("."), policy=CLOSED, client=client)
    assert server.requests == []
    assert not info.value.transient


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("http://localhost:{port}/fig.png", "loopback"),
        ("http://[::1]:{port}/fig.png", "loopback"),
        ("http://[::ffff:127.0.0.1]:{port}/fig.png", "loopback"),
        ("http://2130706433:{port}/fig.png", "loopback"),  # 127.0.0.1 written as one number
        ("http://0.0.0.0:{port}/fig.png", "unspecified"),
        ("http://10.0.0.1/x.png", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]/", "loopback"),
        ("https://[fd00::1]/x.png", "private"),
    ],
)
def test_private_targets_refused_without_connecting(
    server: FakeHTTPServer, template: str, reason: str
) -> None:
    transport = RecordingTransport()
    with httpx.Client(transport=transport) as recording, pytest.raises(ImageError, match=reason):
        load_image(
            template.format(port=server.port), base_dir=Path("."), policy=CLOSED, client=recording
        )
    assert transport.requests == []
    assert server.requests == []


@pytest.mark.parametrize(
    "source",
    [
        "file:///etc/passwd",
        "ftp://example.org/fig.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "javascript:alert(1)",
    ],
)
def test_other_schemes_refused(source: str, tmp_path: Path) -> None:
    transport = RecordingTransport()
    with (
        httpx.Client(transport=transport) as recording,
        pytest.raises(ImageError, match="only local files and http"),
    ):
        load_image(source, base_dir=tmp_path, policy=OPEN, client=recording)
    assert transport.requests == []


def test_redirect_to_file_url_refused(server: FakeHTTPServer, client: httpx.Client) -> None:
    server.redirect("/fig.png", "file:///etc/passwd")
    with pytest.raises(ImageError, match="redirects to a file: URL"):
        load_image(server.url("/fig.png"), base_dir=Path("."), policy=OPEN, client=client)
    assert server.paths() == ["/fig.png"]


def test_redirect_to_private_host_refused_before_connecting() -> None:
    # A public IP literal needs no DNS; its redirect into the private network must stop there.
    seen: list[str] = []

    def public_host(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://192.168.0.10/admin.png"})

    with (
        httpx.Client(transport=httpx.MockTransport(public_host)) as mocked,
        pytest.raises(ImageError, match=r"private address, 192\.168\.0\.10"),
    ):
        load_image("http://93.184.216.34/fig.png", base_dir=Path("."), policy=CLOSED, client=mocked)
    assert seen == ["http://93.184.216.34/fig.png"]


def test_https_to_http_redirect_refused() -> None:
    def public_host(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "http://93.184.216.34/fig.png"})

    with (
        httpx.Client(transport=httpx.MockTransport(public_host)) as mocked,
        pytest.raises(ImageError, match="from https to plain http"),
    ):
        load_image(
            "https://93.184.216.34/fig.png", base_dir=Path("."), policy=CLOSED, client=mocked
        )


def test_redirect_loop_capped(server: FakeHTTPServer, client: httpx.Client) -> None:
    server.redirect("/loop", "/loop")
    with pytest.raises(ImageError, match="redirects more than 5 times"):
        load_image(server.url("/loop"), base_dir=Path("."), policy=OPEN, client=client)
    assert len(server.requests) == 6


# -- remote: failures --------------------------------------------------------------------------


SMALL_CAP = ImagePolicy(allow_private_hosts=True, timeout=2.0, max_download_bytes=64 * KB)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, {}, b"\x89PNG\r\n\x1a\n" + b"\0" * (200 * KB)),  # honest Content-Length
        Reply(200, {}, itertools.repeat(b"\0" * KB), content_length=False),  # endless, no length
        Reply(200, {}, itertools.repeat(b"\0" * KB), chunked=True),  # endless, chunked
        # Declared 1 GB, dripping: refused on the header alone, long before the cap or deadline.
        Reply(200, {}, itertools.repeat(b"\0" * KB), content_length=KB**3, chunk_delay=0.1),
    ],
    ids=["content-length", "no-length", "chunked", "declared-huge"],
)
def test_body_over_download_cap_aborted(
    server: FakeHTTPServer, client: httpx.Client, reply: Reply
) -> None:
    server.route("/big.png", reply)
    with pytest.raises(ImageError, match="larger than 64 KB, more than paperbot downloads"):
        load_image(server.url("/big.png"), base_dir=Path("."), policy=SMALL_CAP, client=client)


def test_lying_small_content_length_still_capped(
    server: FakeHTTPServer, client: httpx.Client
) -> None:
    # The body stops where the header says; what arrives is then judged as bytes.
    server.route("/fig.png", Reply(200, {}, itertools.repeat(b"x" * KB), content_length=10))
    with pytest.raises(ImageError, match="not a JPEG, PNG, GIF or WEBP"):
        load_image(server.url("/fig.png"), base_dir=Path("."), policy=SMALL_CAP, client=client)


@pytest.mark.parametrize(
    ("status", "pattern", "transient"),
    [
        (404, "answered 404 Not Found — check that the link", False),
        (403, "answered 403 Forbidden — the image is not public", False),
        (503, "answered 503 Service Unavailable — try again later", True),
        (429, "answered 429 Too Many Requests — try again later", True),
    ],
)
def test_error_status_named(
    server: FakeHTTPServer, client: httpx.Client, status: int, pattern: str, transient: bool
) -> None:
    server.route("/fig.png", (status, {}, b"nope"))
    with pytest.raises(ImageError, match=pattern) as info:
        load_image(server.url("/fig.png"), base_dir=Path("."), policy=OPEN, client=client)
    assert info.value.transient is transient
    assert "\n" not in str(info.value)


def test_unknown_path_is_404(server: FakeHTTPServer, client: httpx.Client) -> None:
    with pytest.raises(
        ImageError, match=r"^image http://127\.0\.0\.1:\d+/missing\.png could not .* 404"
    ):
        load_image(server.url("/missing.png"), base_dir=Path("."), policy=OPEN, client=client)


def test_slow_server_times_out(server: FakeHTTPServer, client: httpx.Client) -> None:
    server.route("/fig.png", Reply(200, {}, png_bytes(), delay=3))
    policy = ImagePolicy(allow_private_hosts=True, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(ImageError, match=r"took longer than 0\.3 s.*try again later") as info:
        load_image(server.url("/fig.png"), base_dir=Path("."), policy=policy, client=client)
    assert time.monotonic() - started < 1.5
    assert info.value.transient


def test_dripping_server_hits_the_overall_deadline(
    server: FakeHTTPServer, client: httpx.Client
) -> None:
    # Each byte arrives well within the read timeout; only the whole-fetch deadline stops it.
    body = png_bytes()
    server.route(
        "/fig.png", Reply(200, {}, (body[i : i + 1] for i in range(len(body))), chunk_delay=0.05)
    )
    policy = ImagePolicy(allow_private_hosts=True, timeout=0.4)
    started = time.monotonic()
    with pytest.raises(ImageError, match=r"took longer than 0\.4 s"):
        load_image(server.url("/fig.png"), base_dir=Path("."), policy=policy, client=client)
    assert time.monotonic() - started < 1.5


def test_dropped_connection_is_transient(server: FakeHTTPServer, client: httpx.Client) -> None:
    server.route("/fig.png", Reply(drop=True))
    with pytest.raises(ImageError, match="could not be downloaded") as info:
        load_image(server.url("/fig.png"), base_dir=Path("."), policy=OPEN, client=client)
    assert info.value.transient


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        (b"<!DOCTYPE html><html><head><title>arXiv</title>", "is an HTML page"),
        (b"%PDF-1.5\n...", "is a PDF, not an image"),
        (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'></svg>", "is an SVG"),
        (b"just some text", "not a JPEG, PNG, GIF or WEBP"),
        (b"", "is empty"),
    ],
)
def test_non_image_bytes_refused(
    server: FakeHTTPServer, client: httpx.Client, body: bytes, pattern: str
) -> None:
    server.route("/fig.png", (200, {"Content-Type": "image/png"}, body))
    with pytest.raises(ImageError, match=pattern):
        load_image(server.url("/fig.png"), base_dir=Path("."), policy=OPEN, client=client)


# -- local files -------------------------------------------------------------------------------


def test_local_path_relative_to_base_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "figs").mkdir()
    data = png_bytes(20, 10)
    (tmp_path / "figs" / "a.png").write_bytes(data)
    monkeypatch.chdir("/")  # the working directory must not matter
    assert check_local_path("figs/a.png", tmp_path) == (tmp_path / "figs" / "a.png").resolve()
    image = load_image("figs/a.png", base_dir=tmp_path, policy=CLOSED)
    assert (image.data, image.mime_type, image.width, image.height) == (data, "image/png", 20, 10)
    assert image.source == "figs/a.png"


def test_absolute_path_ignores_base_dir(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(png_bytes())
    assert (
        load_image(str(tmp_path / "a.png"), base_dir=Path("/elsewhere"), policy=CLOSED).height == 30
    )


def test_missing_path(tmp_path: Path) -> None:
    message = f"image figs/nope.png does not exist (looked for {tmp_path / 'figs/nope.png'})"
    with pytest.raises(ImageError, match=f"^{re.escape(message)}") as info:
        check_local_path("figs/nope.png", tmp_path)
    assert str(tmp_path) in str(info.value)
    with pytest.raises(ImageError, match="does not exist"):
        load_image("figs/nope.png", base_dir=tmp_path, policy=CLOSED)


def test_directory_is_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "figs").mkdir()
    with pytest.raises(ImageError, match="is not a regular file"):
        check_local_path("figs", tmp_path)


@pytest.mark.parametrize("source", ["file:///etc/passwd", "ftp://host/x.png", "data:,x"])
def test_check_local_path_refuses_urls(source: str, tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="only local files and http"):
        check_local_path(source, tmp_path)


def test_extension_is_not_trusted(tmp_path: Path) -> None:
    (tmp_path / "figure.png").write_bytes(encode(Image.new("RGB", (5, 5)), "JPEG"))
    (tmp_path / "photo.jpg").write_bytes(b"name,value\n")
    assert load_image("figure.png", base_dir=tmp_path, policy=CLOSED).mime_type == "image/jpeg"
    with pytest.raises(ImageError, match="not a JPEG, PNG"):
        load_image("photo.jpg", base_dir=tmp_path, policy=CLOSED)


def test_truncated_png_refused(tmp_path: Path) -> None:
    (tmp_path / "cut.png").write_bytes(png_bytes(200, 200)[:-40])
    with pytest.raises(ImageError, match="damaged or truncated"):
        load_image("cut.png", base_dir=tmp_path, policy=CLOSED)


def test_local_file_over_read_cap(tmp_path: Path) -> None:
    (tmp_path / "huge.png").write_bytes(png_bytes() + b"\0" * (70 * KB))
    with pytest.raises(ImageError, match="larger than 64 KB"):
        load_image("huge.png", base_dir=tmp_path, policy=SMALL_CAP)


@pytest.mark.parametrize("size", [(200, 200), (120, 100)], ids=["error-zone", "warning-zone"])
def test_decompression_bomb_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    (tmp_path / "bomb.png").write_bytes(png_bytes(*size))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    # Production does not turn warnings into errors as pytest does here: neither must we rely on it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ImageError, match="decompression-bomb limit"):
            load_image("bomb.png", base_dir=tmp_path, policy=CLOSED)


# -- size limits and shrinking -----------------------------------------------------------------


def test_oversize_png_without_shrink_explains_the_fix(big_noisy_png: Path) -> None:
    policy = ImagePolicy(max_bytes=LIMIT)
    with pytest.raises(ImageError) as info:
        load_image(str(big_noisy_png), base_dir=Path("."), policy=policy)
    size = big_noisy_png.stat().st_size / (1024 * 1024)
    assert str(info.value) == (
        f"image {big_noisy_png} is {size:.1f} MB; X accepts at most 300 KB — shrink it or set "
        "images.shrink_oversized = true in config/paperbot.toml"
    )


def test_shrink_downscales_but_keeps_1600_px(big_noisy_png: Path) -> None:
    policy = ImagePolicy(max_bytes=LIMIT, shrink_oversized=True)
    image = load_image(str(big_noisy_png), base_dir=Path("."), policy=policy)
    assert image.reencoded
    assert len(image.data) <= LIMIT
    assert image.mime_type == "image/jpeg" == sniff_mime(image.data)
    assert 1600 <= max(image.width, image.height) < 2000
    assert abs(image.width / image.height - 2000 / 1333) < 0.01
    assert decoded(image.data).size == (image.width, image.height)


def test_shrink_keeps_full_size_when_jpeg_fits(tmp_path: Path) -> None:
    (tmp_path / "f.png").write_bytes(encode(noisy(1000, 700, 0.05), "PNG", compress_level=0))
    image = load_image(
        "f.png", base_dir=tmp_path, policy=ImagePolicy(max_bytes=LIMIT, shrink_oversized=True)
    )
    assert (image.mime_type, image.width, image.height, image.reencoded) == (
        "image/jpeg",
        1000,
        700,
        True,
    )
    assert len(image.data) <= LIMIT


def test_shrink_prefers_lossless_png_for_plots(tmp_path: Path) -> None:
    plot = Image.new("RGB", (1200, 800), "white")
    draw = ImageDraw.Draw(plot)
    for x in range(0, 1200, 30):
        draw.line([(x, 0), (1200 - x, 800)], fill=(x % 256, 40, 200), width=2)
    raw = encode(plot, "PNG", compress_level=0)
    assert len(raw) > LIMIT
    (tmp_path / "plot.png").write_bytes(raw)
    image = load_image(
        "plot.png", base_dir=tmp_path, policy=ImagePolicy(max_bytes=LIMIT, shrink_oversized=True)
    )
    assert (image.mime_type, image.width, image.height, image.reencoded) == (
        "image/png",
        1200,
        800,
        True,
    )
    assert len(image.data) <= LIMIT
    assert decoded(image.data).convert("RGB").tobytes() == plot.tobytes()  # not one pixel changed


def test_shrink_flattens_transparency_onto_white(tmp_path: Path) -> None:
    rgba = noisy(900, 600, 0.05).convert("RGBA")
    rgba.paste((0, 0, 0, 0), (0, 0, 100, 100))  # a transparent corner
    (tmp_path / "t.png").write_bytes(encode(rgba, "PNG", compress_level=0))
    image = load_image(
        "t.png", base_dir=tmp_path, policy=ImagePolicy(max_bytes=LIMIT, shrink_oversized=True)
    )
    assert image.mime_type == "image/jpeg"
    red, green, blue = decoded(image.data).convert("RGB").getpixel((10, 10))  # type: ignore[misc]
    assert min(red, green, blue) > 245


def test_shrink_refuses_to_go_below_1600_px(tmp_path: Path) -> None:
    (tmp_path / "noise.png").write_bytes(encode(noisy(2000, 1200, 1.0), "PNG", compress_level=0))
    policy = ImagePolicy(max_bytes=LIMIT, shrink_oversized=True)
    with pytest.raises(
        ImageError, match=r"at 1600 px on the long side.*does not shrink figures below 1600 px"
    ):
        load_image("noise.png", base_dir=tmp_path, policy=policy)


def test_small_image_that_cannot_fit_is_not_downscaled(tmp_path: Path) -> None:
    (tmp_path / "noise.png").write_bytes(encode(noisy(800, 600, 1.0), "PNG", compress_level=0))
    policy = ImagePolicy(max_bytes=100 * KB, shrink_oversized=True)
    with pytest.raises(ImageError, match="at 800 px on the long side"):
        load_image("noise.png", base_dir=tmp_path, policy=policy)


def test_oversize_gif_is_never_reencoded(tmp_path: Path) -> None:
    frames = [noisy(300, 200, 1.0, seed).convert("P") for seed in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    (tmp_path / "a.gif").write_bytes(out.getvalue())
    policy = ImagePolicy(max_bytes=10 * KB, max_gif_bytes=50 * KB, shrink_oversized=True)
    with pytest.raises(
        ImageError, match=r"X accepts GIFs of at most 50 KB.*does not re-encode GIFs"
    ):
        load_image("a.gif", base_dir=tmp_path, policy=policy)


def test_gif_has_its_own_limit(tmp_path: Path) -> None:
    gif = encode(noisy(100, 100, 1.0).convert("P"), "GIF")
    (tmp_path / "a.gif").write_bytes(gif)
    policy = ImagePolicy(max_bytes=len(gif) - 1, max_gif_bytes=len(gif))
    assert load_image("a.gif", base_dir=tmp_path, policy=policy).data == gif


# -- the fake server itself (other suites rely on it) ------------------------------------------


def test_fake_server_routes_callables_and_records_bodies(server: FakeHTTPServer) -> None:
    def echo(request: RecordedRequest) -> Reply:
        return Reply(201, {"X-Query": request.query}, request.body[::-1])

    server.route("/api", echo, method="POST")
    server.route("/api?id=1", (200, {}, b"exact"))
    response = httpx.post(server.url("/api?id=7"), content=b"abc")
    assert (response.status_code, response.headers["x-query"], response.content) == (
        201,
        "id=7",
        b"cba",
    )
    assert httpx.get(server.url("/api?id=1")).content == b"exact"
    assert httpx.get(server.url("/api")).status_code == 404  # only POST is routed on /api
    assert [(r.method, r.path, r.body) for r in server.requests] == [
        ("POST", "/api", b"abc"),
        ("GET", "/api", b""),
        ("GET", "/api", b""),
    ]
