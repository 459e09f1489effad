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

The network side lives in ``bot.images.fetch`` and the Pillow side in ``bot.images.pixels``
(shared types in ``bot.images.types``); this module decides what a source is, reads local files,
and loads an image from either. Importing it stays cheap: httpx and Pillow are imported
inside the functions that use them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from bot.images.fetch import download
from bot.images.pixels import inspect_image, shrink_to_fit
from bot.images.types import ImageError, ImagePolicy, LoadedImage, format_size

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CONFIG_HINT",
    "check_local_path",
    "is_remote",
    "load_image",
    "sniff_mime",
]

CONFIG_HINT = "set images.shrink_oversized = true in config/paperbot.toml"

# Schemes that are URLs even without "//"; anything else needs "scheme://" to count as a URL,
# so a local file called "fig:1.png" stays a path.
_OPAQUE_SCHEMES = {"data", "javascript", "vbscript", "mailto", "about", "blob", "tel"}
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.\-]+):(//)?")


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
                data = download(source, policy, own)
        else:
            data = download(source, policy, client)
    else:
        data = _read_local(source, base_dir, policy)

    mime_type = sniff_mime(data)
    if mime_type is None:
        raise ImageError(source, _not_an_image(data))
    width, height = inspect_image(source, data, mime_type)

    limit = policy.limit_for(mime_type)
    if len(data) <= limit:
        return LoadedImage(source, data, mime_type, width, height)
    if mime_type == "image/gif":
        raise ImageError(
            source,
            f"is {format_size(len(data), limit)}; {policy.platform} accepts GIFs of at most "
            f"{format_size(limit)} — "
            "make it shorter or smaller (paperbot does not re-encode GIFs: that loses the "
            "animation)",
        )
    if not policy.shrink_oversized:
        raise ImageError(
            source,
            f"is {format_size(len(data), limit)}; {policy.platform} accepts at most "
            f"{format_size(limit)} — "
            f"shrink it or {CONFIG_HINT}",
        )
    data, mime_type, width, height = shrink_to_fit(source, data, mime_type, limit)
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
            f"is larger than {format_size(cap)}, more than paperbot reads — export a smaller "
            "version",
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
