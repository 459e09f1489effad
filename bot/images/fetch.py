"""Download an image (or a paper's HTML page) over http(s), never reaching the private network.

Split from `bot.images.load` because the SSRF defence is its own concern and must stay reviewable
in one place: every hop is resolved here and refused if any address is private, loopback,
link-local and the like; the connection then goes to the address that was checked (so DNS
cannot answer differently a moment later), with the original name kept in ``Host`` and TLS SNI.
Redirects are followed by hand so each passes the same checks, and the body is counted as it
arrives under one deadline for the whole fetch. httpx is imported inside the functions.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import TYPE_CHECKING

from bot.images.types import ImageError, ImagePolicy, format_size

if TYPE_CHECKING:
    import httpx

__all__ = [
    "MAX_REDIRECTS",
    "USER_AGENT",
    "IPAddress",
    "download",
    "download_from",
    "forbidden_reason",
    "pinned_request",
]

MAX_REDIRECTS = 5
USER_AGENT = "paperbot (+https://github.com/paperbot; fetching a paper figure)"
IMAGE_ACCEPT = "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1"

_REDIRECTS = {301, 302, 303, 307, 308}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def download(source: str, policy: ImagePolicy, client: httpx.Client) -> bytes:
    """Fetch with redirects followed by hand, so every hop passes the same checks."""
    return download_from(source, policy, client)[1]


def download_from(
    source: str, policy: ImagePolicy, client: httpx.Client, *, accept: str = IMAGE_ACCEPT
) -> tuple[str, bytes]:
    """(final address, body) under ``download``'s checks: a page's links resolve against it."""
    import httpx

    deadline = time.monotonic() + policy.timeout
    url = _http_url(source, source)
    for hop in range(MAX_REDIRECTS + 1):
        addresses = _vetted_addresses(source, url, policy)
        response = _send(source, client, url, addresses, policy, deadline, accept)
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
            return str(url), _read_capped(source, response, policy, deadline)
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
    accept: str,
) -> httpx.Response:
    """Connect to the vetted addresses in turn; the first that accepts gets the request."""
    import httpx

    failure: Exception | None = None
    for address in addresses[:4]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        request = pinned_request(url, address, timeout=remaining, accept=accept)
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


def pinned_request(
    url: httpx.URL, address: IPAddress, *, timeout: float, accept: str = IMAGE_ACCEPT
) -> httpx.Request:
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
        "Accept": accept,
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
    too_big = (
        f"is larger than {format_size(cap)}, more than paperbot downloads — link a smaller version"
    )
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
