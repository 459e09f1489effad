"""Finding the links X would shorten, as twitter-text's ``extractUrlsWithIndices`` does.

A link is an optional ``http(s)://``, a domain whose last label is a known TLD (bot/text/tlds.py),
then an optional port, path and query. twitter-text expresses this as one large regular
expression with every TLD in it; here the domain is walked label by label in Python and the TLD
looked up in a set, trying the same alternatives in the same order as that pattern's
backtracking would (most subdomains first, longest TLD first), and the rest (port, path, query)
is one small pattern. Nothing costs more than a few milliseconds to compile.
tests/text/test_urls_reference.py checks the result against the original pattern.

The rules, the character classes and the TLD list are those of twitter-text v3
(https://github.com/twitter/twitter-text, Apache-2.0); the code is ours. Offsets are in code
points of the text as given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import regex

from bot.text.tlds import ASCII_TLDS, CCTLDS, fold, tld_end
from bot.text.url_patterns import (
    ASCII_LABEL,
    CANDIDATE_START,
    DOMAIN_LABEL,
    DOT_WORD,
    MAX_LABEL_LENGTH,
    MAX_TCO_SLUG_LENGTH,
    MAX_URL_LENGTH,
    NO_PROTOCOL_BAD_BEFORE,
    PRECEDING_CHAR,
    PROTOCOL,
    RUN_BREAK_REVERSED,
    SCHEME_BEFORE,
    SPECIAL_SHORT_DOMAIN,
    SUBDOMAIN_LABEL,
    TCO_URL,
    URL_TAIL,
)


class UrlMatch(NamedTuple):
    """One match of twitter-text's URL pattern: what precedes the link, and its parts (a named
    tuple, built for every link found: quicker to build than a frozen dataclass)."""

    text: str
    before: str
    protocol: str | None
    start: int
    domain_end: int
    path: str | None
    end: int

    @property
    def url(self) -> str:
        return self.text[self.start : self.end]

    @property
    def domain(self) -> str:
        return self.text[self.start + len(self.protocol or "") : self.domain_end]


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between twitter-text as X runs it and as another platform runs it:
    ``protocol``, the schemes; ``tail``, port, path and query (group ``path``); ``scheme_before``,
    a scheme ending where a search ends; ``candidate_start``, where else a match may start (see
    ``_leftmost_match``); ``without_protocol``: whether a link needs no scheme (a match without
    one is still found, and hides what it covers, but is not a link)."""

    protocol: re.Pattern[str]
    tail: re.Pattern[str] | regex.Pattern[str]
    scheme_before: re.Pattern[str]
    candidate_start: re.Pattern[str]
    without_protocol: bool = True


X_DIALECT = Dialect(PROTOCOL, URL_TAIL, SCHEME_BEFORE, CANDIDATE_START)


def _domain_end(text: str, start: int) -> int | None:
    """End of the domain starting at `start`: subdomain labels, a name label, a TLD.

    The pattern's subdomain repetition is greedy, so the most subdomains are tried first; each
    label is maximal (possessive), so the labels are fixed by the text and only their count
    varies.
    """
    ends: list[int] = []
    position = start
    while (label := SUBDOMAIN_LABEL.match(text, position)) is not None:
        position = label.end()
        ends.append(position)
    for count in range(len(ends) - 1, -1, -1):  # subdomains before the name label
        name = DOMAIN_LABEL.match(text, ends[count - 1] if count else start)
        if name is None or name.end() != ends[count]:
            continue  # the name label may not hold '_'
        end = tld_end(text, ends[count])
        if end is not None:
            return end
    return None


def match_url(text: str, start: int, dialect: Dialect = X_DIALECT) -> UrlMatch | None:
    """twitter-text's URL pattern matched at `start` (where the preceding character is)."""
    url_starts = []
    if start < len(text) and PRECEDING_CHAR.match(text, start):
        url_starts.append(start + 1)
    if start == 0:
        url_starts.append(0)  # '^': nothing precedes a URL at the very start
    for url_start in url_starts:
        protocol = dialect.protocol.match(text, url_start)
        for scheme in (protocol.group(), None) if protocol else (None,):
            domain_end = _domain_end(text, url_start + len(scheme or ""))
            if domain_end is None:
                continue
            tail = dialect.tail.match(text, domain_end)
            assert tail is not None  # every part of it is optional
            before = text[start:url_start]
            return UrlMatch(text, before, scheme, url_start, domain_end, tail["path"], tail.end())
    return None


def _ascii_label_ends(domain: str, position: int) -> list[int]:
    """Where each ASCII label (followed by its '.') from `position` on ends, in order."""
    ends: list[int] = []
    while True:
        run = ASCII_LABEL.match(domain, position)
        run_end = run.end() if run else position
        if run_end == position or not domain.startswith(".", run_end):
            return ends
        position = run_end + 1
        ends.append(position)


def ascii_domain_spans(domain: str, *, first_only: bool = False) -> list[tuple[int, int]]:
    """twitter-text's ``validAsciiDomain`` found in `domain`, left to right, not overlapping.

    Labels of ASCII letters, digits, '-' and Latin accents, each followed by a '.', then a TLD
    (tried after the last label first, as the pattern's greedy repetition does). Every start
    inside one run of label characters reaches the same labels, so only the first start of
    each run is tried.
    """
    spans: list[tuple[int, int]] = []
    position = 0
    while position < len(domain):
        label_ends = _ascii_label_ends(domain, position)
        if not label_ends:
            run = ASCII_LABEL.match(domain, position)
            position = max(run.end() if run else position, position) + 1
            continue
        tld_ends = (tld_end(domain, end) for end in reversed(label_ends))
        found = next((end for end in tld_ends if end is not None), None)
        if found is None:
            position = label_ends[0]
            continue
        spans.append((position, found))
        if first_only:
            break
        position = found
    return spans


def _is_short_cc_domain(domain: str) -> bool:
    """One name label and a ccTLD (``foo.jp``): not a link without a path, says twitter-text."""
    name = DOMAIN_LABEL.match(domain)
    return name is not None and fold(domain[name.end() :]) in CCTLDS


@lru_cache(maxsize=4096)
def _label_length(label: str) -> int:
    """Length of a DNS label once IDNA-encoded (what the 63-character limit applies to)."""
    if all(ord(char) < 0x7F for char in label):
        return len(label)
    return len("xn--") + len(label.encode("punycode"))


def _domain_is_valid(domain: str) -> bool:
    """twitter-text's IDNA check: a punycode domain must be ASCII, each label 1–63 once encoded."""
    if domain.startswith("xn--") and not ascii_domain_spans(domain, first_only=True):
        return False
    if domain.isascii():
        return max(map(len, domain.split("."))) <= MAX_LABEL_LENGTH  # (labels are not empty)
    return all(1 <= _label_length(label) <= MAX_LABEL_LENGTH for label in domain.split("."))


def _utf16_length(text: str) -> int:
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _leftmost_match(
    text: str, position: int, dot: int, dialect: Dialect = X_DIALECT
) -> UrlMatch | None:
    """The match a search for the URL pattern from ``position`` would find, if it starts by
    ``dot``.

    ``dot`` is a '.' followed by a TLD; every URL has one. A plain search is quadratic in long
    runs of domain characters (CJK prose without spaces is one long run), so this tries only
    the start positions whose outcome can differ: within one run of domain characters every
    start reaches the same first '.', with the same label validity, so only the first valid
    start of each run, and each ``http(s)://`` inside it, need a try.
    """
    brk = RUN_BREAK_REVERSED.search(text, position, dot)
    run_start = brk.end() if brk else position
    # The match starts at the character before the URL (its scheme, if one precedes the run).
    if run_start >= 3 and text[run_start - 2 : run_start] == "//":  # (a scheme ends in "://")
        scheme = dialect.scheme_before.search(text, max(0, run_start - 10), run_start)
        if scheme is not None:
            run_start = scheme.start()
    start = max(position, run_start - 1)
    while start <= dot:
        match = match_url(text, start, dialect)
        if match:
            return match
        # (no endpos: it would cut look-aheads)
        candidate = dialect.candidate_start.search(text, start + 1)
        if candidate is None or candidate.start() > dot:
            return None
        start = candidate.start()
    return None


def extract_urls(text: str, dialect: Dialect = X_DIALECT) -> list[tuple[int, int]]:
    """The ``(start, end)`` spans of the URLs X would shorten to t.co links, in order.

    Follows twitter-text's ``extractUrlsWithIndices`` (with URLs without a scheme, such as
    ``arxiv.org/abs/2009.01835``): a domain needs a known TLD, a protocol-less URL keeps only
    its ASCII domain and is dropped after ``-_./``, a bare two-label ccTLD domain (``foo.jp``)
    is not a link unless it has a path (``t.co`` and ``*.tv`` are), and t.co links stop after
    the slug. Spans index ``text`` as given; pass NFC text to see what X sees.
    """
    if "." not in text:
        return []
    spans: list[tuple[int, int]] = []
    position = 0
    for dot_match in DOT_WORD.finditer(text):
        dot = dot_match.start()
        if dot < position:
            continue
        word, non_ascii = dot_match.groups()
        if word and not non_ascii:
            word = word.lower()
            if word not in ASCII_TLDS and word != "xn":
                continue
        elif tld_end(text, dot + 1) is None:
            continue  # CJK prose often has '.' before a non-ASCII letter: check exactly
        match = _leftmost_match(text, position, dot, dialect)
        if match is None:
            position = dot + 1  # no match starts at or before this dot
            continue
        position = match.end
        if match.protocol or dialect.without_protocol:
            accept(match, spans)
    return spans


def accept(match: UrlMatch, spans: list[tuple[int, int]]) -> None:
    """Apply twitter-text's checks to one pattern match and record the link it yields, if any."""
    url, protocol, domain = match.url, match.protocol, match.domain
    start, end = match.start, match.end
    scheme_length = len(protocol or "https://")
    # (2 * len bounds the UTF-16 length: count exactly only for URLs near the limit.)
    if (
        scheme_length + 2 * len(url) > MAX_URL_LENGTH
        and scheme_length + _utf16_length(url) > MAX_URL_LENGTH
    ):
        return
    if not _domain_is_valid(domain):
        return
    if protocol:
        tco = TCO_URL.match(url)
        if tco:
            if len(tco.group(1)) > MAX_TCO_SLUG_LENGTH:
                return
            end = start + tco.end()
        spans.append((start, end))
        return
    if match.before and match.before in NO_PROTOCOL_BAD_BEFORE:
        return
    if domain.isascii() and "_" not in domain:
        # The whole domain is the one ASCII domain in it (the usual case; saves a TLD search).
        ascii_domains = [(0, len(domain))]
    else:
        ascii_domains = ascii_domain_spans(domain)
    last: tuple[int, int] | None = None
    for ascii_start, ascii_end in ascii_domains:
        last = (start + ascii_start, start + ascii_end)
        ascii_domain = domain[ascii_start:ascii_end]
        if (
            match.path
            or SPECIAL_SHORT_DOMAIN.match(ascii_domain)
            or not _is_short_cc_domain(ascii_domain)
        ):
            spans.append(last)
    if last is not None and match.path:
        spans[-1] = (last[0], end)
