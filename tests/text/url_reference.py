"""twitter-text's URL extraction as a literal loop over its one big pattern: the oracle that
bot/text/url_extract.py is checked against.

The pattern is built the way twitter-text writes it (every TLD in an alternation, here as a trie
with the same longest-first preference); compiling it takes about a second, which is why the
product code walks domains in Python instead. The loop tries the pattern at every position
(`finditer`) and applies the same acceptance rules, using the pattern's own sub-expressions for
the ASCII-domain and short-ccTLD checks.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from bot.text import tlds, url_extract
from bot.text.url_patterns import (
    DOMAIN_NAME,
    LATIN_ACCENTS,
    PATH,
    QUERY_CHAR,
    QUERY_END,
    SUBDOMAIN,
)

_PRECEDING = "(?:[^A-Za-z0-9@\uff20$#\uff03\ufffe\ufeff\uffff]|^)"
_TLD_END = r"(?=[^0-9a-zA-Z@+\-]|\Z)"
_MAX_URL_LENGTH = 4096
_Trie = dict[str, "_Trie"]


def _trie_pattern(words: list[str], end: str) -> str:
    root: _Trie = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        alternatives = [re.escape(char) + build(child) for char, child in node.items() if char]
        if "" in node:
            alternatives.append(end)
        if len(alternatives) == 1:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")"

    return build(root)


@functools.cache
def patterns() -> dict[str, re.Pattern[str]]:
    tld = f"(?:{_trie_pattern(sorted(tlds.TLDS), _TLD_END)}|(?:xn--[\\-0-9a-z]+))"
    cctld = _trie_pattern(sorted(tlds.CCTLDS), _TLD_END)
    domain = f"(?:{SUBDOMAIN}*{DOMAIN_NAME}{tld})"
    return {
        "url": re.compile(
            f"(?P<before>{_PRECEDING})(?P<url>(?P<protocol>https?://)?(?P<domain>{domain})"
            f"(?::[0-9]+)?(?P<path>/{PATH}*)?(?:\\?{QUERY_CHAR}*{QUERY_END})?)",
            re.IGNORECASE,
        ),
        "ascii_domain": re.compile(f"(?:[\\-a-z0-9{LATIN_ACCENTS}]+\\.)+{tld}", re.IGNORECASE),
        "short_cc": re.compile(f"{DOMAIN_NAME}{cctld}\\Z", re.IGNORECASE),
        "tld": re.compile(tld, re.IGNORECASE),
    }


def _accept(match: re.Match[str], spans: list[tuple[int, int]]) -> None:
    found = patterns()
    url, protocol, domain = match.group("url"), match.group("protocol"), match.group("domain")
    start, end = match.span("url")
    utf16 = len(url) + sum(1 for char in url if ord(char) > 0xFFFF)
    if len(protocol or "https://") + utf16 > _MAX_URL_LENGTH:
        return
    if domain.startswith("xn--") and not found["ascii_domain"].search(domain):
        return
    if not all(1 <= url_extract._label_length(label) <= 63 for label in domain.split(".")):
        return
    if protocol:
        tco = re.match(r"https?://t\.co/([a-z0-9]+)", url, re.IGNORECASE)
        if tco:
            if len(tco.group(1)) > 40:
                return
            end = start + tco.end()
        spans.append((start, end))
        return
    if match.group("before") in ("-", "_", ".", "/"):
        return
    last = None
    for ascii_match in found["ascii_domain"].finditer(domain):
        last = (start + ascii_match.start(), start + ascii_match.end())
        ascii_domain = ascii_match.group()
        if (
            match.group("path")
            or re.match(f"{DOMAIN_NAME}(?:co|tv)\\Z", ascii_domain, re.IGNORECASE)
            or not found["short_cc"].match(ascii_domain)
        ):
            spans.append(last)
    if last is not None and match.group("path"):
        spans[-1] = (last[0], end)


def extract_urls(text: str) -> list[tuple[int, int]]:
    """twitter-text's loop as written: the full pattern tried at every position."""
    spans: list[tuple[int, int]] = []
    for match in patterns()["url"].finditer(text):
        _accept(match, spans)
    return spans


def tld_end(text: str, position: int) -> int | None:
    match: Any = patterns()["tld"].match(text, position)
    return match.end() if match else None
