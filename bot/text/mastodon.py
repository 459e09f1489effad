"""How long a Mastodon status is, counted the way the instance counts it before refusing it.

Mastodon's status length validator (``app/validators/status_length_validator.rb`` in
mastodon/mastodon) does not count ``len()`` or UTF-16 units. It rewrites the text first and then
counts extended grapheme clusters:

* every link that twitter-text's extractor finds *with* a scheme (``http://`` or ``https://``;
  ``extract_url_without_protocol: false``) becomes a placeholder of
  ``characters_reserved_per_url`` characters (23 on every stock instance), however long it is;
  a bare ``arxiv.org/abs/...`` is ordinary text and counts in full;
* a mention ``@user@domain`` counts as ``@user`` (the domain is free), unless it overlaps a link
  (``https://mastodon.social/@user`` is a link);
* the rest counts one per grapheme cluster, so a CJK character, an emoji, a flag or a whole ZWJ
  family is 1.

The limit is the instance's ``configuration.statuses.max_characters`` (500 by default, often more),
read from the instance by bot.channels.mastodon.channel and passed in here: this module does no I/O.
Link spans come from bot.text.twitter_text's twitter-text extractor (the same library Mastodon
calls), kept to those with a scheme; graphemes are counted as for Bluesky
(bot.text.bluesky.graphemes: ``regex``'s ``\\X`` only over the non-ASCII stretches).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import regex

from bot.text.bluesky import graphemes
from bot.text.length_rules import MASTODON_MAX_CHARACTERS, MASTODON_URL_LENGTH, measure_x
from bot.text.mastodon_urls import mastodon_url_spans

__all__ = [
    "LINKS_IN_FULL",
    "MastodonRule",
    "mastodon_length",
]

#: A ``url_length`` for servers that count the text as it is, every link at its full length
#: (they advertise ``characters_reserved_per_url`` but do not apply it; Takahē does so).
LINKS_IN_FULL = -1

# Account::MENTION_RE: not after ``=``, ``/`` or a word character; a username of letters, digits
# and ``_`` (``.`` and ``-`` only inside); an optional ``@domain``: runs of word characters
# joined by dots and hyphens (``@alice@-x.com`` has none, and is no mention at all).
_MENTION = regex.compile(
    r"(?<![=/\w])@(?P<user>[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_])?)(?:@(?P<domain>\w+(?:[.-]+\w+)*))?",
    regex.IGNORECASE,
)
_MAX_DOMAIN_LENGTH = 253  # Extractor::MAX_DOMAIN_LENGTH: a longer domain is no mention
# Where Unicode 15.1's rule GB9c joins an Indic conjunct (क्ष) into one grapheme: servers on an
# older Unicode (Ruby 3.4 has 15.0) count the consonant after the virama as one more.
_CONJUNCT = regex.compile(
    r"(?<=\p{InCB=Consonant}[\p{InCB=Extend}\p{InCB=Linker}]*\p{InCB=Linker}"
    r"[\p{InCB=Extend}\p{InCB=Linker}]*)\p{InCB=Consonant}"
)
# The viramas that may join a conjunct (InCB=Linker, Unicode 17), for a quick test: \p{...} of
# the regex module is far slower (tests/text/test_mastodon_text.py checks the list is whole).
LINKERS = (
    "\u094d\u09cd\u0acd\u0b4d\u0c4d\u0d4d\u1039\u17d2\u1a60\u1b44\u1bab\u1cf5\u1cf6\ua9c0"
    "\uaaf6\U00010a3f\U00011133\U000113d0\U0001193e\U00011a3a\U00011a47\U00011a99\U00011f42"
)
_LINKER = re.compile(f"[{LINKERS}]")
_SCHEME = re.compile(r"https?://", re.IGNORECASE)
_BACKSLASHED_HOST = re.compile(
    r"(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://[^\s/?#\\]*\\", re.IGNORECASE
)
# After a link X found: characters Mastodon's link path may hold but not end on, up to a space.
_ENDS_THERE = re.compile(r"[!*\"'「」;:=,.$%\[\]~&|@]*(?:[ \t\n]|\Z)")
# twitter-text's end_mention_match: a mention directly followed by another ``@`` or by ``://`` is
# not a mention at all.
_NOT_A_MENTION_END = regex.compile(r"[@＠]|://")


@lru_cache(maxsize=64)
def _found_links(text: str) -> tuple[tuple[int, int], ...]:
    # (kept for a while: a post is measured, then its links checked, on the same text)
    if "://" not in text:
        return ()  # every link Mastodon counts has a scheme
    x_spans = measure_x(text)[1]  # (usually found already: the same text was composed for X)
    if _same_as_x(text, x_spans):
        return tuple(span for span in x_spans if _SCHEME.match(text, span[0]))
    return tuple(mastodon_url_spans(text))


def _same_as_x(text: str, x_spans: list[tuple[int, int]]) -> bool:
    """Whether Mastodon counts the links X finds with a scheme, and only those (the usual post).

    Mastodon's link path takes everything X's takes and more, and ends on the same characters
    but "=" (bot/text/mastodon_urls.py): a link that X ends before a space, a tab, a line break
    or the end of the text (after, at most, punctuation no link may end on: "." "," ")" ...),
    not on "=" nor with "=" before its query, ends there for Mastodon too. If each such link
    starts the text or follows whitespace, no match before it (which X may have dropped) can
    run on over it, as no match holds whitespace. Every "://" must be in such a link (else
    another scheme, or one X does not read, may be there).
    """
    schemes = 0
    for start, end in x_spans:
        if not _SCHEME.match(text, start):
            continue
        if start and text[start - 1] not in " \t\n":
            return False
        if text[end - 1] == "=" or "=?" in text[start:end] or not _ENDS_THERE.match(text, end):
            return False
        schemes += 1
    return text.count("://") == schemes


def _link_spans(text: str) -> list[tuple[int, int]]:
    return list(_found_links(text))


def _mentions(text: str, links: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for match in _MENTION.finditer(text):
        start, end = match.span()
        if _NOT_A_MENTION_END.match(text, end):
            continue
        if len(match.group("domain") or "") > _MAX_DOMAIN_LENGTH:
            continue
        if any(start < link_end and link_start < end for link_start, link_end in links):
            continue  # Extractor.remove_overlapping_entities: the link wins
        found.append((start, end, "@" + match.group("user")))
    return found


def countable_text(
    text: str, *, url_length: int = MASTODON_URL_LENGTH, links: list[tuple[int, int]] | None = None
) -> str:
    """The text as the validator counts it: links as placeholders, mentions without domain.

    ``links`` are the text's link spans (``MastodonRule.links``) when already known.
    ``url_length`` LINKS_IN_FULL counts the text as it is.
    """
    if url_length == LINKS_IN_FULL:
        return text
    if links is None:
        if "://" not in text and "@" not in text:
            return text
        links = _link_spans(text)
    elif not links and "@" not in text:
        return text
    entities = [(start, end, "x" * url_length) for start, end in links]
    entities += _mentions(text, links) if "@" in text else []
    entities.sort()
    parts: list[str] = []
    position = 0
    for start, end, replacement in entities:
        parts.append(text[position:start])
        parts.append(replacement)
        position = end
    parts.append(text[position:])
    return "".join(parts)


def mastodon_length(
    text: str, *, url_length: int = MASTODON_URL_LENGTH, links: list[tuple[int, int]] | None = None
) -> int:
    """Graphemes of ``countable_text``: the number the instance compares with its limit.

    Counted as a server on Unicode 15.0 counts (an Indic conjunct is two graphemes there, one
    since 15.1): never fewer than any current server counts. A blank text counts 0.
    """
    countable = countable_text(text, url_length=url_length, links=links)
    count = _counted(countable)
    if "\\" in text:
        # twitter-text's Ruby port (Mastodon's) takes "\\" for a domain character, ours does
        # not: a link there may be one for the server, of 23 however short; count 23 more.
        found = _link_spans(text) if links is None else links
        for match in _BACKSLASHED_HOST.finditer(text):
            if not any(start <= match.start() < end for start, end in found):
                count += url_length
    return count


def _counted(countable: str) -> int:
    if countable.isascii():
        return 0 if countable.isspace() else len(countable) - countable.count("\r\n")
    if countable.isspace():
        return 0
    count = graphemes(countable)
    if _LINKER.search(countable):
        count += len(_CONJUNCT.findall(countable))
    return count


@dataclass(frozen=True)
class MastodonRule:
    """One instance's length rule, in the shape the composer takes
    (``bot.text.length_rules.LengthRule``: ``name``, ``limit``, ``unit``, ``measure``,
    ``links``), so composing for Mastodon is composing against this rule.

    Build it from the instance's limits (bot.channels.mastodon.limits.InstanceLimits:
    ``max_characters`` and ``characters_reserved_per_url``), not from the defaults, which are
    only right for a stock instance.
    """

    limit: int = MASTODON_MAX_CHARACTERS
    url_length: int = MASTODON_URL_LENGTH
    name: str = "mastodon"
    unit: str = "characters"

    def __post_init__(self) -> None:
        if self.limit <= 0 or (self.url_length < 0 and self.url_length != LINKS_IN_FULL):
            raise ValueError("a Mastodon limit must be positive and a URL length not negative")

    def measure(self, text: str) -> int:
        return mastodon_length(text, url_length=self.url_length)

    def links(self, text: str) -> list[tuple[int, int]]:
        """Spans of what the instance makes links of: twitter-text's links with a scheme."""
        return _link_spans(text)

    def measure_links(self, text: str) -> tuple[int, list[tuple[int, int]]]:
        """``measure`` and ``links`` with one search for links."""
        links = _link_spans(text)
        return mastodon_length(text, url_length=self.url_length, links=links), links

    def fits(self, text: str) -> bool:
        return self.measure(text) <= self.limit
