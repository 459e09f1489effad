"""The character classes and small patterns of twitter-text's URL rules, as our URL finder
(bot/text/url_extract.py) uses them and tests/url_reference.py rebuilds the original pattern from.

Taken from twitter-text v3 (https://github.com/twitter/twitter-text, Apache-2.0). None of them
mentions a TLD, so each compiles in microseconds.
"""

from __future__ import annotations

import re

import regex

MAX_URL_LENGTH = 4096  # twitter-text: scheme + URL, in UTF-16 units
MAX_TCO_SLUG_LENGTH = 40
MAX_LABEL_LENGTH = 63  # a DNS label, after punycode

# ASCII punctuation (Java twitter-text's \p{Punct}; the JS port's list lacks '"' and '`').
_PUNCT = r"!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"
_SPACES = "\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: twitter-text's space characters: a URL never spans one.
SPACES = re.compile(f"[{_SPACES}]")
_INVALID = "\ufffe\ufeff\uffff"
_DIRECTIONAL = "\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_NOT_DOMAIN = f"{_SPACES}{_INVALID}{_DIRECTIONAL}"
_PUNCT_NO_DASH = _PUNCT.replace(r"\-", "")
_PUNCT_NO_DASH_UNDERSCORE = _PUNCT_NO_DASH.replace("_", "")
_D = f"[^{_PUNCT}{_NOT_DOMAIN}]"  # a domain character
_D_HYPHEN = f"[^{_PUNCT_NO_DASH}{_NOT_DOMAIN}]"  # ... or '-'
_D_HYPHEN_UNDERSCORE = f"[^{_PUNCT_NO_DASH_UNDERSCORE}{_NOT_DOMAIN}]"  # ... or '-' or '_'
# A label starts and ends with a domain character; possessive matching plus a look-behind on
# the last character accepts exactly the same labels as twitter-text's backtracking form, in
# linear time.
SUBDOMAIN = f"(?:{_D}{_D_HYPHEN_UNDERSCORE}*+(?<={_D})\\.)"
DOMAIN_NAME = f"(?:{_D}{_D_HYPHEN}*+(?<={_D})\\.)"
LATIN_ACCENTS = (
    "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268"
    "\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"
_PATH_CHAR = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{LATIN_ACCENTS}]"
_PARENS = f"(?:\\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\\({_PATH_CHAR}+\\){_PATH_CHAR}*))\\))"
_PATH_END = f"(?:[+\\-a-z{_CYRILLIC}0-9=_#/{LATIN_ACCENTS}]|{_PARENS})"
PATH = f"(?:(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:@{_PATH_CHAR}+/))"
QUERY_CHAR = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
QUERY_END = r"[a-z0-9\-_&=#/]"
_PRECEDING = "(?:[^A-Za-z0-9@\uff20$#\uff03" + _INVALID + "]|^)"  # may precede a URL


SUBDOMAIN_LABEL = re.compile(SUBDOMAIN, re.IGNORECASE)
DOMAIN_LABEL = re.compile(DOMAIN_NAME, re.IGNORECASE)
PROTOCOL = re.compile("https?://", re.IGNORECASE)
# A scheme that ends where a search for it ends (the few characters before a run of domain
# characters).
SCHEME_BEFORE = re.compile("https?://\\Z", re.IGNORECASE)
PRECEDING_CHAR = re.compile(f"[^A-Za-z0-9@\uff20$#\uff03{_INVALID}]", re.IGNORECASE)
# What follows the domain: all optional, so whatever it matches is what the full pattern took.
URL_TAIL = re.compile(
    f"(?::[0-9]+)?(?P<path>/{PATH}*)?(?:\\?{QUERY_CHAR}*{QUERY_END})?", re.IGNORECASE
)
ASCII_LABEL = re.compile(f"[\\-a-z0-9{LATIN_ACCENTS}]*", re.IGNORECASE)
SPECIAL_SHORT_DOMAIN = re.compile(f"{DOMAIN_NAME}(?:co|tv)\\Z", re.IGNORECASE)
TCO_URL = re.compile(r"https?://t\.co/([a-z0-9]+)", re.IGNORECASE)
NO_PROTOCOL_BAD_BEFORE = frozenset("-_./")
# A '.' that may start a TLD: ASCII letters (checked against the ASCII TLDs, or "xn" of
# "xn--"), or anything running into a non-ASCII character (Unicode TLDs, checked exactly).
DOT_WORD = re.compile(r"\.(?:([A-Za-z][A-Za-z0-9]*)([^\x00-\x7f])?|[^\x00-\x7f])")
# Characters that end a run of domain characters (labels, dots, '-' and '_' continue it).
RUN_BREAK_REVERSED = regex.compile(
    "(?r)[" + _PUNCT.replace(r"\-", "").replace("_", "").replace(".", "") + _NOT_DOMAIN + "]"
)
_PUNCT_MAY_PRECEDE = _PUNCT.replace("@", "").replace("$", "").replace("#", "")
_BAD_BEFORE = "A-Za-z0-9@\uff20$#\uff03" + _INVALID  # may not precede a URL
# What re.IGNORECASE also takes for an ASCII letter (İ ı ſ and the Kelvin sign).
_FOLDS_TO_ASCII = "\u0130\u0131\u017f\u212a"
# Start positions (of the preceding character) worth a try: a valid preceding character that
# is not a domain character, or that follows one that may not precede a URL, before a domain
# character; or any valid preceding character before "http(s)://". ("Follows one that may not
# precede" is case-blind, as the preceding-character test is.)
CANDIDATE_START = re.compile(
    f"(?:[^{_BAD_BEFORE}](?=(?i:https?://)))"
    f"|(?:[{_PUNCT_MAY_PRECEDE}{_SPACES}{_DIRECTIONAL}](?={_D}))"
    f"|(?:(?<=[{_BAD_BEFORE}{_FOLDS_TO_ASCII}])[^{_BAD_BEFORE}](?={_D}))"
)
