"""Load an entry's images (local files or http(s) URLs) as bytes X will accept.

Why this module is careful:

* Image URLs come from imported digests, i.e. from other people. Fetching them from the
  daemon's host must not become a way to reach its private network (SSRF): every hop is
  resolved here, refused if any address is private/loopback/link-local/..., and the
  connection is then made to the address that was checked (so DNS cannot answer differently a
  moment later), with the original name kept in ``Host`` and TLS SNI.
* Servers lie about Content-Length and can stream forever; the body is counted as it arrives
  and the whole fetch has a deadline.
* Bytes decide the type, never the extension or the Content-Type header.
* Users complain most about figures "downscaled until unreadable": oversize images fail with
  a clear message unless ``shrink_oversized`` is on, and even then the pixels are kept where
  possible (lossless PNG first, then JPEG at quality 90) and never go below 1600 px on the long
  side.

Importing this module stays cheap: httpx and Pillow are imported inside the functions that use
them.
"""

from __future__ import annotations

import io
import ipaddress
import re
import socket
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx
    from PIL import Image

MB = 1024 * 1024
MAX_REDIRECTS = 5
MIN_LONG_SIDE = 1600  # below this, dense figures stop being legible on a phone
JPEG_QUALITY = 90
CONFIG_HINT = "set images.shrink_oversized = true in config/paperbot.toml"
USER_AGENT = "paperbot (+https://github.com/paperbot; fetching a paper figure)"

_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
_REDIRECTS = {301, 302, 303, 307, 308}
# Schemes that are URLs even without "//"; anything else needs "scheme://" to count as a URL,
# so a local file called "fig:1.png" stays a path.
_OPAQUE_SCHEMES = {"data", "javascript", "vbscript", "mailto", "about", "blob", "tel"}
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.\-]+):(//)?")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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
    """Limits for one platform. Defaults are X's: 5 MB for JPEG/PNG/WEBP, 15 MB for GIF.

    ``timeout`` bounds each network operation *and* the whole fetch including redirects, so a
    server that drips one byte a second cannot hold the daemon.
    """

    max_bytes: int = 5 * MB
    max_download_bytes: int = 20 * MB
    timeout: float = 20.0
    allow_private_hosts: bool = False
    shrink_oversized: bool = False
    max_gif_bytes: int = 15 * MB

    def limit_for(self, mime_type: str) -> int:
        return self.max_gif_bytes if mime_type == "image/gif" else self.max_bytes


# -- classification ----------------------------------------------------------------------------


def sniff_mime(data: bytes) -> str | None:
    """The image type from magic bytes; None for anything X does not take as an image."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _url_scheme(source: str) -> str | None:
    """The scheme if ``source`` is written as a URL (``x://`` or a known opaque scheme)."""
    match = _SCHEME.match(source)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if match.group(2) or scheme in _OPAQUE_SCHEMES:
        return scheme
    return None


def is_remote(source: str) -> bool:
    """True for http(s) URLs, the only remote sources paperbot fetches."""
    return _url_scheme(source) in {"http", "https"}


def check_local_path(source: str, base_dir: Path) -> Path:
    """The file a local image source names (relative paths are read from ``base_dir``).

    Called when an entry is added or imported, so a typo fails then and not at 3 a.m. when the
    post is due. Non-http(s) URLs (file:, ftp:, data:, ...) are refused here too, so a caller
    that checks ``is_remote`` first and this otherwise covers every source.
    """
    scheme = _url_scheme(source)
    if scheme is not None and scheme not in {"http", "https"}:
        raise ImageError(
            source,
            f"is a {scheme}: URL; only local files and http(s) URLs are accepted — "
            "give a file path or an http(s) link",
        )
    path = Path(source.strip()).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    if not path.exists():
        raise ImageError(
            source,
            f"does not exist (looked for {path}) — check the path; relative paths are read "
            f"from {base_dir}",
        )
    if not path.is_file():
        raise ImageError(source, f"is not a regular file ({path}) — give the image file itself")
    return path.resolve()


# -- loading -----------------------------------------------------------------------------------


def load_image(
    source: str,
    *,
    base_dir: Path,
    policy: ImagePolicy,
    client: httpx.Client | None = None,
) -> LoadedImage:
    """The image's bytes, checked (type, size, pixels) and, if allowed, shrunk to fit.

    Remote images go through ``client`` (one is made for the call if none is given; pass one
    to reuse connections or to swap the transport). Raises ImageError with a single-line
    reason the user can act on.
    """
    if is_remote(source):
        if client is None:
            import httpx

            with httpx.Client(timeout=policy.timeout, follow_redirects=False) as own:
                data = _download(source, policy, own)
        else:
            data = _download(source, policy, client)
    else:
        data = _read_local(source, base_dir, policy)

    mime_type = sniff_mime(data)
    if mime_type is None:
        raise ImageError(source, _not_an_image(data))
    width, height = _inspect(source, data, mime_type)

    limit = policy.limit_for(mime_type)
    if len(data) <= limit:
        return LoadedImage(source, data, mime_type, width, height)
    if mime_type == "image/gif":
        raise ImageError(
            source,
            f"is {_size(len(data), limit)}; X accepts GIFs of at most {_size(limit)} — "
            "make it shorter or smaller (paperbot does not re-encode GIFs: that loses the "
            "animation)",
        )
    if not policy.shrink_oversized:
        raise ImageError(
            source,
            f"is {_size(len(data), limit)}; X accepts at most {_size(limit)} — shrink it or "
            f"{CONFIG_HINT}",
        )
    data, mime_type, width, height = _shrink(source, data, mime_type, limit)
    return LoadedImage(source, data, mime_type, width, height, reencoded=True)


def _read_local(source: str, base_dir: Path, policy: ImagePolicy) -> bytes:
    path = check_local_path(source, base_dir)
    cap = policy.max_download_bytes
    try:
        with path.open("rb") as handle:
            data = handle.read(cap + 1)
    except OSError as exc:
        reason = exc.strerror or exc
        raise ImageError(source, f"cannot be read ({reason}) — check its permissions") from None
    if len(data) > cap:
        raise ImageError(
            source,
            f"is larger than {_size(cap)}, more than paperbot reads — export a smaller version",
        )
    return data


def _not_an_image(data: bytes) -> str:
    """Why these bytes are not an image X takes, naming the common mistakes."""
    head = data[:512].lstrip().lower()
    if not data:
        return "is empty — check the file or link"
    if head.startswith(b"%pdf"):
        return "is a PDF, not an image — export the figure as PNG or JPEG"
    if b"<svg" in head or (head.startswith(b"<?xml") and b"svg" in head):
        return "is an SVG, which X does not accept — export the figure as PNG"
    if head.startswith((b"<!doctype html", b"<html")) or b"<head" in head:
        return (
            "is an HTML page, not an image — link the image file itself (e.g. the figure's "
            "'open image in new tab' address)"
        )
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "is a TIFF, which X does not accept — convert it to PNG or JPEG"
    return "is not a JPEG, PNG, GIF or WEBP image — X accepts only those"


# -- network -----------------------------------------------------------------------------------


def _download(source: str, policy: ImagePolicy, client: httpx.Client) -> bytes:
    """Fetch with redirects followed by hand, so every hop passes the same checks."""
    import httpx

    deadline = time.monotonic() + policy.timeout
    url = _http_url(source, source)
    for hop in range(MAX_REDIRECTS + 1):
        addresses = _vetted_addresses(source, url, policy)
        response = _send(source, client, url, addresses, policy, deadline)
        try:
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location:
                if hop == MAX_REDIRECTS:
                    raise ImageError(
                        source,
                        f"redirects more than {MAX_REDIRECTS} times (a loop?) — link the "
                        "image's final address",
                    )
                url = _redirect_target(source, url, location)
                continue
            if not 200 <= response.status_code < 300:
                raise _status_error(source, response)
            return _read_capped(source, response, policy, deadline)
        except httpx.TimeoutException:
            raise _timeout_error(source, policy) from None
        except httpx.HTTPError as exc:
            raise ImageError(
                source, f"could not be downloaded ({exc}) — try again later", transient=True
            ) from None
        finally:
            response.close()
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _http_url(source: str, text: str) -> httpx.URL:
    import httpx

    try:
        url = httpx.URL(text.strip())
    except httpx.InvalidURL as exc:
        raise ImageError(source, f"is not a valid URL ({exc}) — check the link") from None
    if url.scheme not in {"http", "https"}:
        raise ImageError(source, f"uses {url.scheme or 'no'} scheme; only http(s) is fetched")
    if not url.host:
        raise ImageError(source, "has no host name — check the link")
    return url


def _redirect_target(source: str, url: httpx.URL, location: str) -> httpx.URL:
    """The next hop. Only http(s); https never downgrades to http; http may upgrade."""
    import httpx

    try:
        target = url.join(location)
    except httpx.InvalidURL as exc:
        raise ImageError(source, f"redirects to an invalid URL ({exc})") from None
    if target.scheme not in {"http", "https"}:
        raise ImageError(
            source,
            f"redirects to a {target.scheme or 'schemeless'}: URL, which paperbot refuses to "
            "follow — link the image's final http(s) address",
        )
    if url.scheme == "https" and target.scheme == "http":
        raise ImageError(
            source,
            "redirects from https to plain http, which paperbot refuses — link an https "
            "address that serves the image directly",
        )
    return _http_url(source, str(target))


def _vetted_addresses(source: str, url: httpx.URL, policy: ImagePolicy) -> list[IPAddress]:
    """The addresses of ``url``'s host, all of them public unless private hosts are allowed.

    Refusing when *any* address is private (not just the first) closes the trick of a name
    with one public and one internal record.
    """
    host = url.host
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = _resolve(source, url.raw_host.decode("ascii"), port)
    if not policy.allow_private_hosts:
        for address in addresses:
            reason = forbidden_reason(address)
            if reason is not None:
                shown = host if str(address) == host else f"{host} ({address})"
                raise ImageError(
                    source,
                    f"is on a {reason} address, {shown}, which paperbot does not fetch — "
                    "link a public copy of the image, or set images.allow_private_hosts = true "
                    "in config/paperbot.toml if you trust every source",
                )
    return addresses


def _resolve(source: str, host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        transient = exc.errno == socket.EAI_AGAIN
        raise ImageError(
            source,
            f"has a host name that does not resolve ({host}: {exc.strerror}) — "
            + ("try again later" if transient else "check the link"),
            transient=transient,
        ) from None
    except UnicodeError:
        raise ImageError(source, f"has an invalid host name ({host})") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ImageError(source, f"has a host name with no address ({host})", transient=True)
    return addresses


def forbidden_reason(address: IPAddress) -> str | None:
    """Why paperbot will not connect to ``address`` (e.g. "loopback"), or None if public.

    IPv6 forms that embed an IPv4 address (mapped ``::ffff:a.b.c.d``, NAT64, 6to4) are judged
    by the IPv4 address they lead to.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return forbidden_reason(embedded)
        if address.is_site_local:
            return "private"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-public", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def _send(
    source: str,
    client: httpx.Client,
    url: httpx.URL,
    addresses: list[IPAddress],
    policy: ImagePolicy,
    deadline: float,
) -> httpx.Response:
    """Connect to the vetted addresses in turn; the first that accepts gets the request."""
    import httpx

    failure: Exception | None = None
    for address in addresses[:4]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        request = pinned_request(url, address, timeout=remaining)
        try:
            return client.send(request, stream=True, follow_redirects=False, auth=None)
        except httpx.ConnectError as exc:
            failure = exc  # e.g. an IPv6 address on a host without IPv6: try the next one
        except httpx.TimeoutException:  # connecting or waiting for the status line
            raise _timeout_error(source, policy) from None
        except httpx.HTTPError as exc:
            raise ImageError(
                source, f"could not be downloaded ({exc}) — try again later", transient=True
            ) from None
    detail = f" ({failure})" if failure else ""
    raise ImageError(
        source, f"could not be downloaded: no connection to {url.host}{detail}", transient=True
    )


def pinned_request(url: httpx.URL, address: IPAddress, *, timeout: float) -> httpx.Request:
    """A GET for ``url`` that connects to ``address``, keeping the name in Host and TLS SNI.

    Built as a bare ``httpx.Request`` (not ``client.build_request``) so a shared client's
    default headers, cookies or auth never travel to arbitrary image hosts.
    """
    import httpx

    extensions: dict[str, object] = {"timeout": httpx.Timeout(timeout).as_dict()}
    if url.scheme == "https":
        extensions["sni_hostname"] = url.raw_host.decode("ascii")
    headers = {
        "Host": url.netloc.decode("ascii"),
        "User-Agent": USER_AGENT,
        "Accept": "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1",
        # Images are compressed already; refusing gzip keeps a tiny body from inflating.
        "Accept-Encoding": "identity",
    }
    return httpx.Request(
        "GET", url.copy_with(host=str(address)), headers=headers, extensions=extensions
    )


def _read_capped(
    source: str, response: httpx.Response, policy: ImagePolicy, deadline: float
) -> bytes:
    """The body, abandoned as soon as it passes the cap or the deadline."""
    cap = policy.max_download_bytes
    too_big = f"is larger than {_size(cap)}, more than paperbot downloads — link a smaller version"
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise ImageError(source, too_big)
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > cap:
            raise ImageError(source, too_big)
        if time.monotonic() > deadline:
            raise _timeout_error(source, policy)
    return bytes(body)


def _status_error(source: str, response: httpx.Response) -> ImageError:
    status = response.status_code
    phrase = f"{status} {response.reason_phrase}".strip()
    if status in {408, 425, 429} or status >= 500:
        return ImageError(
            source,
            f"could not be downloaded: the server answered {phrase} — try again later",
            transient=True,
        )
    if 300 <= status < 400:
        hint = "a redirect without a Location — link the image's final address"
    elif status in {401, 403}:
        hint = "the image is not public — link a public copy"
    else:
        hint = "check that the link points at the image itself"
    return ImageError(source, f"could not be downloaded: the server answered {phrase} — {hint}")


def _timeout_error(source: str, policy: ImagePolicy) -> ImageError:
    return ImageError(
        source,
        f"took longer than {policy.timeout:g} s to download — the server is slow or "
        "unreachable; try again later",
        transient=True,
    )


# -- pixels ------------------------------------------------------------------------------------


@contextmanager
def _pillow_guard(source: str) -> Iterator[None]:
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


def _inspect(source: str, data: bytes, mime_type: str) -> tuple[int, int]:
    """Width and height, after checking the file parses (and, for PNG, its checksums)."""
    from PIL import Image

    with (
        _pillow_guard(source),
        Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[mime_type]]) as image,
    ):
        width, height = image.size
        image.verify()
    return width, height


def _shrink(source: str, data: bytes, mime_type: str, limit: int) -> tuple[bytes, str, int, int]:
    """Re-encode once from the original pixels (no generation loss), least damage first:

    1. PNG sources: lossless PNG (opaque alpha dropped, ≤256 colours as a palette).
    2. JPEG quality 90 at full size, 4:4:4 chroma (crisp coloured lines), then 4:2:0.
    3. Downscaled JPEG, never below MIN_LONG_SIDE px on the long side.
    """
    from PIL import Image, ImageOps

    with (
        _pillow_guard(source),
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
        f"is {_size(len(data), limit)} and still {_size(best, limit)} as a quality-{JPEG_QUALITY} "
        f"JPEG at {long_side} px on the long side; X accepts at most {_size(limit)}, and paperbot "
        f"does not shrink figures below {MIN_LONG_SIDE} px on the long side, where they become "
        "unreadable — crop or simplify the figure, or export a smaller file yourself",
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


# -- formatting --------------------------------------------------------------------------------


def _size(count: int, other: int | None = None) -> str:
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
