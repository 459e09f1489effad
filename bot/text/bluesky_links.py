"""What the official Bluesky app makes a link of, and how it shows one: pure, no I/O.

``find_links`` follows ``@atproto/api``'s ``detectFacets`` (its ``URL_REGEX``, a JavaScript
pattern with the ``gim`` flags): a link starts the text, or follows whitespace or "(", and is
either ``http(s)://`` and everything up to the next whitespace, or a bare domain under a known
TLD (bot/text/bluesky_tlds.py) and everything up to the next whitespace. Its quirks are kept on
purpose, since the app is what the reader sees: the scheme must be written in lower case
(``HTTPS://x.org`` matches the pattern but is dropped), the TLD check is case-sensitive
(``Example.COM`` stays text), a host needs no dot after a scheme (``http://localhost:8080/x``),
and a trailing ``.,;:!?`` (then an unbalanced ``)``) is left out.

``display_url`` is social-app's ``toShortUrl``: the URL parsed as a browser parses it (WHATWG
URL: the host in IDNA, ``.``/``..`` segments resolved, the rest percent-encoded), shown without
scheme, with a path (plus query and fragment) over 15 characters cut to 13 and "...". A URL the
browser refuses is shown as written.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.text.bluesky_tlds import BLUESKY_TLDS

__all__ = ["display_url", "find_links"]

# JavaScript's \s (ECMAScript WhiteSpace and LineTerminator): not Python's, which adds
# U+001C-U+001F and U+0085 and leaves out U+FEFF.
JS_SPACE = "\t\n\v\f\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# URL_REGEX without its leading group: the lookbehind stands for "^|\s|\(" (JavaScript's "^"
# with the m flag also matches after a line terminator, which \s already covers). The i flag
# of a non-Unicode JavaScript pattern folds ASCII letters only: spelled out, since Python's
# IGNORECASE would also take "ſ" for "s" and "K" (Kelvin) for "k".
_LINK = re.compile(
    f"(?:^|(?<=[{JS_SPACE}(]))"
    f"(?:(?P<url>[hH][tT][tT][pP][sS]?://[^{JS_SPACE}]+)"
    f"|(?P<domain>[a-zA-Z][a-zA-Z0-9]*(?:\\.[a-zA-Z0-9]+)+)[^{JS_SPACE}]*)"
)
# A whitespace-separated token that may hold a link (one needs a "://", or a "." before an
# ASCII letter or digit, as both of the pattern's alternatives do: "al." or "DAVIS." cannot be
# one); only these are tried, as scanning all of a long text with the pattern is far slower.
_TOKEN = re.compile(f"(?<![^{JS_SPACE}])[^{JS_SPACE}]*?(?:\\.[a-zA-Z0-9]|://)[^{JS_SPACE}]*")


def find_links(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, uri)`` for each link the app would detect, in order (code point offsets).

    A bare domain becomes ``https://`` + the text; a match the app drops (an upper-case
    scheme, an unknown TLD) still ends its token, as the app's scan goes on after it.
    """
    links: list[tuple[int, int, str]] = []
    for token in _TOKEN.finditer(text):
        position, token_end = token.span()
        while position < token_end:
            match = _LINK.match(text, position)
            if match is None:
                position = text.find("(", position, token_end) + 1
                if position == 0:
                    break
                continue
            position = match.end()
            link = _link(match)
            if link is not None:
                links.append(link)
    return links


def _link(match: re.Match[str]) -> tuple[int, int, str] | None:
    uri = match.group(0)
    start, end = match.span()
    if not uri.startswith("http"):
        domain = match.group("domain")
        if domain is None or domain.rsplit(".", 1)[-1] not in BLUESKY_TLDS:
            return None
        uri = "https://" + uri
    if uri[-1] in ".,;:!?":
        uri, end = uri[:-1], end - 1
    if uri.endswith(")") and "(" not in uri:
        uri, end = uri[:-1], end - 1
    return start, end, uri


# --- toShortUrl: the URL as a browser serialises it ---------------------------------------------
# A link that needs no parser: lower-case http(s), a lower-case ASCII host (its last label not a
# number) without port or user, then a path, query and fragment of characters a browser leaves
# as they are, with no "." or ".." segment and no empty query or fragment.
_PLAIN_URL = re.compile(
    r"https?://((?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*)"
    r"((?:/(?!(?:\.|%2[eE]){1,2}(?:[/?#]|\Z))[!$-.0-;=@-\[\]_a-z|~]*)*)"
    r"((?:\?[!$-&(-;=?-~]+)?(?:#[!#-;=?-_a-~]+)?)"
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# What the WHATWG URL standard percent-encodes in each part (besides C0 controls, DEL and
# everything above ASCII).
_PATH_ENCODE = frozenset(' "#<>?`{}')
_QUERY_ENCODE = frozenset(" \"#<>'")
_FRAGMENT_ENCODE = frozenset(' "<>`')
_FORBIDDEN_HOST = frozenset("\x00\t\n\r #/:<>?@[\\]^|%\x7f")
# Code points UTS #46 maps to nothing (a soft hyphen, variation selectors, zero width space).
_IDNA_IGNORED = re.compile("[\xad\u034f\u180b-\u180d\u200b\u2060\ufe00-\ufe0f\ufeff]")
_IDEOGRAPHIC_STOP = re.compile("[\u3002\uff0e\uff61]")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_DOT_SEGMENTS = (".", "%2e")
_DOUBLE_DOT_SEGMENTS = ("..", ".%2e", "%2e.", "%2e%2e")


@lru_cache(maxsize=4096)
def display_url(uri: str) -> str:
    """The link as the app shows it: no scheme, a path over 15 characters cut to 13 + "...".

    A plain ASCII link (the usual case: every entry has a new one) is taken apart by a pattern;
    anything else is parsed as a browser would; what a browser refuses is shown as written.
    """
    plain = _PLAIN_URL.fullmatch(uri)
    if plain is not None:
        host, path, rest = plain.groups()
        shown = ("" if path in ("", "/") else path) + rest
        return _shortened(host, shown)
    return _display_url_parsed(uri)


def _display_url_parsed(uri: str) -> str:
    """``display_url`` without its fast path (tests check the two agree)."""
    parsed = _parse(uri)
    return uri if parsed is None else _shortened(*parsed)


def _shortened(host: str, shown: str) -> str:
    return host + shown[:13] + "..." if len(shown) > 15 else host + shown


def _parse(uri: str) -> tuple[str, str] | None:
    """``(host[:port], path + search + hash)`` as ``new URL(uri)`` gives them, or None."""
    uri = uri.strip("".join(map(chr, range(0x21)))).replace("\t", "").replace("\n", "")
    uri = uri.replace("\r", "")
    scheme, separator, rest = uri.partition(":")
    scheme = scheme.lower()
    if not separator or scheme not in _DEFAULT_PORTS:
        return None
    rest = rest.lstrip("/\\")
    end = len(rest)
    for delimiter in "/\\?#":
        found = rest.find(delimiter)
        if found != -1:
            end = min(end, found)
    authority, rest = rest[:end], rest[end:]
    host_port = authority.rpartition("@")[2]
    host, port = host_port, ""
    if ":" in host_port and not host_port.startswith("["):
        host, _, port = host_port.rpartition(":")
        if not port.isascii() or not (port.isdigit() or port == "") or int(port or 0) > 65535:
            return None
        port = str(int(port)) if port else ""
    serialised = _host(host)
    if serialised is None:
        return None
    if port and port != _DEFAULT_PORTS[scheme]:
        serialised += ":" + port
    path_part, hash_mark, fragment = rest.partition("#")
    path, question, query = path_part.partition("?")
    shown = _path(path)
    if shown == "/":
        shown = ""
    if question and query:
        shown += "?" + _encode(query, _QUERY_ENCODE)
    if hash_mark and fragment:
        shown += "#" + _encode(fragment, _FRAGMENT_ENCODE)
    return serialised, shown


def _host(host: str) -> str | None:
    """The host as a browser serialises it (IDNA, lower case, IPv4 normalised), or None."""
    if not host or host.startswith("["):
        return None if not host else host.lower()
    decoded = _percent_decoded(host)
    if decoded is None:
        return None
    if not decoded.isascii():
        decoded = _idna(decoded)
        if decoded is None:
            return None
    ascii_host = decoded.lower()
    if not ascii_host or any(char in _FORBIDDEN_HOST for char in ascii_host):
        return None
    labels = ascii_host.split(".")
    last = labels[-1] if labels[-1] or len(labels) == 1 else labels[-2]
    if last and (last.isdigit() or _is_hex(last)):
        return _ipv4(labels)
    return ascii_host


def _idna(host: str) -> str | None:
    """UTS #46 processing as browsers do it (non-transitional: "ß" stays, "straße" becomes
    ``xn--strae-oqa``), in short: NFKC, lower case, the ideographic full stops as dots, and each
    non-ASCII label in punycode."""
    host = _IDNA_IGNORED.sub("", _IDEOGRAPHIC_STOP.sub(".", host))
    labels = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", host).lower()).split(".")
    try:
        return ".".join(
            label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
            for label in labels
        )
    except UnicodeError:
        return None


def _is_hex(label: str) -> bool:
    return label[:2] == "0x" and all(char in "0123456789abcdef" for char in label[2:])


def _ipv4(labels: list[str]) -> str | None:
    if labels[-1] == "" and len(labels) > 1:
        labels = labels[:-1]
    if len(labels) > 4:
        return None
    numbers: list[int] = []
    for label in labels:
        try:
            if _is_hex(label):
                numbers.append(int(label[2:] or "0", 16))
            elif len(label) > 1 and label.startswith("0"):
                numbers.append(int(label, 8))
            else:
                numbers.append(int(label, 10) if label.isdigit() else -1)
        except ValueError:
            return None
        if numbers[-1] < 0:
            return None
    if any(number > 255 for number in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    address = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        address += number * 256 ** (3 - index)
    return ".".join(str(address >> shift & 0xFF) for shift in (24, 16, 8, 0))


def _percent_decoded(text: str) -> str | None:
    if "%" not in text:
        return text
    data = bytearray()
    index = 0
    raw = text.encode()
    while index < len(raw):
        byte = raw[index]
        pair = raw[index + 1 : index + 3]
        if byte == 0x25 and len(pair) == 2 and all(chr(b) in _HEX_DIGITS for b in pair):
            data.append(int(pair, 16))
            index += 3
        else:
            data.append(byte)
            index += 1
    try:
        return data.decode()
    except UnicodeDecodeError:
        return None


def _path(path: str) -> str:
    segments = path.replace("\\", "/").split("/")[1:] if path else [""]
    kept: list[str] = []
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        lowered = segment.lower()
        if lowered in _DOUBLE_DOT_SEGMENTS:
            if kept:
                kept.pop()
            if last:
                kept.append("")
        elif lowered in _DOT_SEGMENTS:
            if last:
                kept.append("")
        else:
            kept.append(_encode(segment, _PATH_ENCODE))
    return "/" + "/".join(kept)


def _encode(text: str, encode: frozenset[str]) -> str:
    if text.isascii() and encode.isdisjoint(text) and text.isprintable():
        return text
    return "".join(
        char
        if char.isascii() and 0x20 < ord(char) < 0x7F and char not in encode
        else "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        for char in text
    )
