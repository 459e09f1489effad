"""Where Mastodon finds links: twitter-text's extractor with Mastodon's own rules. Pure.

Mastodon counts a link as 23 characters wherever its extractor finds one (twitter-text 3.1 with
the overrides in Mastodon's ``config/initializers/twitter_regex.rb``), so a composer that ends a
link earlier than the server counts less than the server does and a post near the limit is
refused. The overrides, against X's rules (bot/text/url_extract.py):

* more schemes: ``dat``, ``dweb``, ``ipfs``, ``ipns``, ``ssb``, ``gopher``, ``gemini``;
* a path runs on through anything but whitespace, ``<>()?``: non-ASCII letters (CJK prose glued
  to a link becomes part of it: ``…/2009.01835です。``), ``{}|^``, backslashes; it ends on a
  character other than ``()?!*"'「」<>;:=,.$%[]~&|@`` or a balanced parenthesis;
* a query may hold ``^`` and non-ASCII characters, and end on a non-ASCII one;
* only links written with a scheme count (the status length validator asks for
  ``extract_url_without_protocol: false``); a bare ``example.com/x`` is still matched, and hides
  a scheme link glued behind it, but is ordinary text.

The domain rules (labels, the TLD list, IDN) are twitter-text's, shared with X.
"""

from __future__ import annotations

import re

import regex

from bot.text.url_extract import Dialect, extract_urls
from bot.text.url_patterns import CANDIDATE_START

__all__ = ["MASTODON_DIALECT", "mastodon_url_spans"]

_SCHEMES = "(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://"
# twitter-text's path characters, for the balanced parentheses Mastodon's path end still uses
# (its override refers to the original pattern, defined before the override replaces it).
_ORIGINAL_PATH_CHAR = (
    "[a-z\\u0400-\\u04ff0-9!*';:=+,.$/%#\\[\\]\\-\\u2013_~@|&"
    "\\xc0-\\xd6\\xd8-\\xf6\\xf8-\\xff\\u0100-\\u024f\\u0253\\u0254\\u0256\\u0257\\u0259\\u025b"
    "\\u0263\\u0268\\u026f\\u0272\\u0289\\u028b\\u02bb\\u0300-\\u036f\\u1e00-\\u1eff]"
)
_ORIGINAL_PARENS = (
    f"(?:\\((?:{_ORIGINAL_PATH_CHAR}+|(?:{_ORIGINAL_PATH_CHAR}*\\({_ORIGINAL_PATH_CHAR}+\\)"
    f"{_ORIGINAL_PATH_CHAR}*))\\))"
)
_GENERAL = "[^\\p{White_Space}<>()?]"
_PARENS = f"(?:\\((?:{_GENERAL}+|(?:{_GENERAL}*\\({_GENERAL}+\\){_GENERAL}*))\\))"
_PATH_END = f"(?:[^\\p{{White_Space}}()?!*\"'「」<>;:=,.$%\\[\\]~&|@]|{_ORIGINAL_PARENS})"
_PATH = f"(?:(?:{_GENERAL}*(?:{_PARENS}{_GENERAL}*)*{_PATH_END})|(?:{_GENERAL}+/))"
_UCHARS = (
    "\\xa0-\\ud7ff\\uf900-\\ufdcf\\ufdf0-\\uffef\\U00010000-\\U0001fffd\\U00020000-\\U0002fffd"
    "\\U00030000-\\U0003fffd\\U00040000-\\U0004fffd\\U00050000-\\U0005fffd\\U00060000-\\U0006fffd"
    "\\U00070000-\\U0007fffd\\U00080000-\\U0008fffd\\U00090000-\\U0009fffd\\U000a0000-\\U000afffd"
    "\\U000b0000-\\U000bfffd\\U000c0000-\\U000cfffd\\U000d0000-\\U000dfffd\\U000e1000-\\U000efffd"
    "\\ue000-\\uf8ff\\U000f0000-\\U000ffffd\\U00100000-\\U0010fffd"
)
_QUERY_CHAR = f"[a-z0-9!?*'();:&=+$/%#\\[\\]\\-_.,~|@^{_UCHARS}]"
_QUERY_END = f"[a-z0-9_&=#/\\-{_UCHARS}]"

MASTODON_DIALECT = Dialect(
    protocol=re.compile(_SCHEMES, re.IGNORECASE),
    tail=regex.compile(
        f"(?::[0-9]+)?(?P<path>/{_PATH}*)?(?:\\?{_QUERY_CHAR}*{_QUERY_END})?", regex.IGNORECASE
    ),
    scheme_before=re.compile(_SCHEMES + "\\Z", re.IGNORECASE),
    candidate_start=re.compile(
        CANDIDATE_START.pattern.replace("(?i:https?://)", f"(?i:{_SCHEMES})")
    ),
    without_protocol=False,
)


def mastodon_url_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each link the instance counts as 23 characters, in order."""
    if "://" not in text:
        return []
    return extract_urls(text, MASTODON_DIALECT)
