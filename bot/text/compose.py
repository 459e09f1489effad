"""Compose the text of a post from an entry: pure, no I/O, within a platform's rules.

The post is a template filled with the comment's first sentence, the link, the title,
hashtags and an emoji. Platforms refuse posts over their length (X: 280 weighted characters, see
``textlen``; others: a ``bot.text.length_rules.LengthRule``), so
when the filled template is too long the sentence (and then the title) is shortened with "…";
the link is never altered and appears exactly once. Everything the curator may want to know
about what was changed comes back as short warnings, for ``preview``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from bot.text import twitter_text as textlen
from bot.text.characters import nfc
from bot.text.clusters import clusters
from bot.text.entry_text import prepare
from bot.text.fitting import Meter, check_fit, fit_post
from bot.text.glue import unglued_for
from bot.text.length_rules import LengthRule, XRule
from bot.text.shorten import ELLIPSIS
from bot.text.template import TemplateError, fields, fill, hashtag_line
from bot.text.template import render as template_render

_PLACEHOLDER_URL = "https://t.co/aaaaaaaaaa"  # any link weighs 23: stands in for the real one
# Characters that may sit right before / after {url} without joining the link.
_URL_MAY_FOLLOW = frozenset("([<“‘「『【《（:：")
_URL_MAY_PRECEDE = frozenset(")]>”’」』】》）")


@dataclass(frozen=True)
class ImageSpec:
    """An image to attach: a local path or an http(s) URL, and its alt text."""

    source: str
    alt: str = ""


@dataclass(frozen=True)
class ComposeInput:
    """What the composer needs from an entry (the link already canonical)."""

    url: str
    comment: str = ""
    title: str = ""
    kind: str = "paper"
    images: tuple[ImageSpec, ...] = ()
    abstract: str = ""  # for Bluesky's link card (bot/text/link_card.py), never in the text


@dataclass(frozen=True)
class ComposeSettings:
    """The post template and platform limits (X's by default)."""

    template: str = "{sentence}\n{url}"
    hashtags: tuple[str, ...] = ()
    emoji: str = ""
    limit: int = textlen.MAX_WEIGHTED_LENGTH
    max_images: int = 4
    alt_max: int = 1000


@dataclass(frozen=True)
class Draft:
    """The exact text to post and what was done to get there.

    ``sentence`` is the comment's first sentence as chosen (before any shortening), so a
    preview can show what was cut; ``weighted_length`` is X's count of ``text``.
    """

    text: str
    weighted_length: int
    limit: int
    images: tuple[ImageSpec, ...]
    warnings: tuple[str, ...]
    shortened: bool
    sentence: str


def validate_template(settings: ComposeSettings, rule: LengthRule | None = None) -> None:
    """Raise TemplateError unless the settings can produce a post.

    The template must use known placeholders only and ``{url}`` exactly once (the link is what
    a post is for), and the fixed parts (a 23-character link, hashtags, emoji) must leave room
    within the limit even for an empty comment and title. Checked at start-up, so a bad config
    fails with a clear message instead of at the first post. ``rule`` measures the fixed parts
    (X's rule with ``settings.limit`` by default).
    """
    names = fields(settings.template)
    hashtags = tuple(settings.hashtags)
    if names.count("url") != 1:
        raise TemplateError(
            f"the template must contain {{url}} exactly once (found {names.count('url')})"
        )
    before, _, after = settings.template.partition("{url}")
    if (before and not (before[-1].isspace() or before[-1] in _URL_MAY_FOLLOW)) or (
        after and not (after[0].isspace() or after[0] in _URL_MAY_PRECEDE)
    ):
        raise TemplateError(
            "{url} must be set off by a space or line break (or brackets/quotes), "
            "or X will not read it as a link"
        )
    if settings.limit <= 0:
        raise TemplateError(f"limit must be positive, not {settings.limit}")
    if settings.max_images < 0:
        raise TemplateError(f"max_images must be 0 or more, not {settings.max_images}")
    if settings.alt_max < 1:
        raise TemplateError(f"alt_max must be at least 1, not {settings.alt_max}")
    fixed = template_render(
        settings.template,
        {
            "sentence": "",
            "title": "",
            "url": _PLACEHOLDER_URL,
            "hashtags": hashtag_line(hashtags),
            "emoji": settings.emoji,
        },
    )
    rule = rule or XRule(settings.limit)
    length = rule.measure(fixed)
    if length > rule.limit:
        raise TemplateError(
            f"the template's fixed parts (link, hashtags, emoji) weigh {length}, over the "
            f"limit of {rule.limit}: shorten the hashtags or the emoji"
        )


def _truncate_alt(alt: str, limit: int) -> str:
    """At most ``limit`` code points, cut at a grapheme boundary, "…" marking the cut."""
    if len(alt) <= limit:
        return alt
    kept: list[str] = []
    size = len(ELLIPSIS)
    for cluster in clusters(alt):
        if size + len(cluster) > limit:
            break
        kept.append(cluster)
        size += len(cluster)
    return "".join(kept).rstrip() + ELLIPSIS


# The last images attached, for the next channel of the same entry (bot/text/per_channel.py
# composes an entry for each in turn): (given, title, max_images, images, warnings, longest alt
# text). Kept only when no alt text was cut; looked up by identity (the tuple is immutable).
_Attached = tuple[tuple[ImageSpec, ...], str, int, tuple[ImageSpec, ...], tuple[str, ...], int]
_last_attached: list[_Attached] = []


def _images(
    entry: ComposeInput, settings: ComposeSettings, title: str, warnings: list[str]
) -> tuple[ImageSpec, ...]:
    """The images to attach, each with alt text: X takes 4 and 1,000 characters of alt text,
    and a figure without a description shuts out readers who use screen readers."""
    given = entry.images
    if not given:
        warnings.append("no image")
        return ()
    for last in _last_attached[-1:]:
        if (
            last[0] is given
            and last[1] == title
            and last[2] == settings.max_images
            and last[5] <= settings.alt_max
        ):
            warnings += last[4]
            return last[3]
    found: list[str] = []
    if len(given) > settings.max_images:
        found.append(
            f"images: {len(given)} given, only the first {settings.max_images} are attached"
        )
    images: list[ImageSpec] = []
    longest = 0
    cut = False
    for number, image in enumerate(given[: settings.max_images], start=1):
        alt = (nfc(image.alt).strip() if image.alt else "") or title
        longest = max(longest, len(alt))
        if not alt:
            found.append(f"image {number} has no alt text")
        elif len(alt) > settings.alt_max:
            found.append(
                f"alt text of image {number} cut from {len(alt)} to {settings.alt_max} characters"
            )
            alt = _truncate_alt(alt, settings.alt_max)
            cut = True
        same = alt == image.alt and type(image) is ImageSpec  # (frozen: shared, not copied)
        images.append(image if same else ImageSpec(source=image.source, alt=alt))
    attached = tuple(images)
    if not cut:
        _last_attached[:] = [(given, title, settings.max_images, attached, tuple(found), longest)]
    warnings += found
    return attached


@lru_cache(maxsize=8)
def _x_rule(limit: int) -> XRule:
    return XRule(limit)


_Checked = tuple[Meter, frozenset[str], str]


@lru_cache(maxsize=64)
def _checked(settings: ComposeSettings, rule: LengthRule) -> _Checked:
    """The settings validated for ``rule``: its meter, the template's placeholders and the
    hashtag line (one lookup per composition: hashing a settings value costs)."""
    validate_template(settings, rule)
    return Meter.of(rule), frozenset(fields(settings.template)), hashtag_line(settings.hashtags)


# The last few settings and rules checked, looked up by identity (a settings value is hashed
# field by field, and an entry is composed for each channel with the same few values).
_recent_checks: tuple[tuple[ComposeSettings, LengthRule, _Checked], ...] = ()


def _checked_recently(settings: ComposeSettings, rule: LengthRule) -> _Checked:
    global _recent_checks
    checked = _checked(settings, rule)
    _recent_checks = (*_recent_checks[-7:], (settings, rule, checked))
    return checked


def compose(
    entry: ComposeInput,
    settings: ComposeSettings = ComposeSettings(),
    rule: LengthRule | None = None,
) -> Draft:
    """The post for ``entry``: the template filled in and, if needed, shortened to fit.

    The sentence is the comment's first sentence (the title when there is no comment, warned
    as "no comment"; a copy of the post's own link in it is removed). If the post is too long
    the sentence is shortened with "…" at a word (or CJK character) boundary; if not even a
    word of it fits beside the title, the title is shortened too. Text is NFC-normalised, as
    X counts it. Should nothing make it fit (a link X does not count as a link, say), the
    draft carries a "too long" warning and must not be posted. On a platform whose links run
    on through the text after them (Bluesky, Mastodon), a space follows each link where they
    would (bot/text/glue.py). Raises TemplateError for unusable settings, ValueError without
    a link. ``rule`` is the platform's length rule: X's with ``settings.limit`` by default.
    """
    return Draft(*compose_fields(entry, settings, rule))


#: A ``Draft``'s fields, in order.
DraftFields = tuple[str, int, int, tuple[ImageSpec, ...], tuple[str, ...], bool, str]


def compose_fields(
    entry: ComposeInput,
    settings: ComposeSettings = ComposeSettings(),
    rule: LengthRule | None = None,
) -> DraftFields:
    """``compose``'s draft as a tuple of its fields: for bot/text/per_channel.py, which makes
    a draft of its own from them (building a ``Draft`` only to take it apart costs, for each
    channel of each entry)."""
    if not isinstance(settings.hashtags, tuple):  # a list from loose callers: keep it hashable
        settings = replace(settings, hashtags=tuple(settings.hashtags))
    rule = rule or _x_rule(settings.limit)
    for known_settings, known_rule, known in _recent_checks:
        if known_settings is settings and known_rule is rule:
            checked = known
            break
    else:
        checked = _checked_recently(settings, rule)
    meter, names, hashtags = checked
    if not (url := entry.url.strip()):
        raise ValueError("an entry needs a link to be posted")
    has_title = "title" in names
    prepared = prepare(url, entry.comment, entry.title, has_title)
    title, chosen, source = prepared.title, prepared.sentence, prepared.source
    warnings = list(prepared.warnings)
    template, emoji = settings.template, settings.emoji
    shown_title = title if has_title else ""  # the title as it appears: what may be cut
    glue_posts = not isinstance(rule, XRule)  # (bot/text/glue.py: X's links never run on)

    def render(sentence: str, title: str) -> str:
        text = fill(template, sentence, url, title, hashtags, emoji)
        return unglued_for(text, rule.links, url) if glue_posts else text

    text = render(chosen, shown_title)
    length, spans = meter.measure(text)  # (text is NFC: all its parts are)
    shortened = length > meter.limit
    if shortened:
        fitted = fit_post(
            chosen, shown_title, render, meter, length, source=source, warnings=warnings
        )
        text, length, spans = fitted.text, fitted.length, fitted.spans
    check_fit(text, length, spans, url, meter, warnings)
    images = _images(entry, settings, title, warnings)
    return text, length, meter.limit, images, tuple(warnings), shortened, chosen
