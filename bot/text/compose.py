"""Compose the text of a post from an entry: pure, no I/O, within a platform's rules.

The post is a template filled with the comment's first sentence, the link, the title,
hashtags and an emoji. Platforms refuse posts over their length (X: 280 weighted characters, see
``textlen``; others: a ``bot.text.length_rules.LengthRule``), so
when the filled template is too long the sentence (and then the title) is shortened with "…";
the link is never altered and appears exactly once. Everything the curator may want to know
about what was changed comes back as short warnings, for ``preview``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

import regex

from bot.text import twitter_text as textlen
from bot.text.entry_text import nfc, prepare
from bot.text.length_rules import LengthRule, XRule, measure_x
from bot.text.sentences import ELLIPSIS, shorten

PLACEHOLDERS = ("sentence", "url", "title", "hashtags", "emoji")
_PLACEHOLDER_URL = "https://t.co/aaaaaaaaaa"  # any link weighs 23: stands in for the real one
# Characters that may sit right before / after {url} without joining the link.
_URL_MAY_FOLLOW = frozenset("([<“‘「『【《（:：")
_URL_MAY_PRECEDE = frozenset(")]>”’」』】》）")
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACE_RUN = re.compile(r"[ \t]{2,}")
_WHITESPACE = re.compile(r"\s+")
_CLUSTER = regex.compile(r"\X")


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


class TemplateError(ValueError):
    """The template or limits cannot produce a valid post (the message says why)."""


def _fields(template: str) -> list[str]:
    """Placeholder names in ``template``, in order; raises TemplateError on anything else."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"template {template!r} is malformed: {exc}") from None
    names: list[str] = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + known + "}" for known in PLACEHOLDERS)
            raise TemplateError(f"unknown placeholder {{{name}}} in the template; use {known}")
        if spec or conversion:
            raise TemplateError(f"placeholder {{{name}}} takes no format spec or conversion")
        names.append(name)
    return names


@lru_cache(maxsize=64)
def _hashtags(tags: tuple[str, ...]) -> str:
    """Tags joined with spaces, '#' added where missing, inner whitespace removed."""
    cleaned = (_WHITESPACE.sub("", tag) for tag in tags)
    return " ".join(tag if tag[0] in "#＃" else "#" + tag for tag in cleaned if tag.strip("#＃"))


@lru_cache(maxsize=64)
def _template_lines(template: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((line, tuple(_fields(line))) for line in template.split("\n"))


def _render(template: str, values: Mapping[str, str]) -> str:
    """Fill the template; drop lines that only empty placeholders made blank, then tidy."""
    lines: list[str] = []
    for line, names in _template_lines(template):
        rendered = line.format_map(values)
        if names and not rendered.strip():
            continue
        if names and any(not values[name] for name in names):
            rendered = _SPACE_RUN.sub(" ", rendered)
        lines.append(rendered.strip())
    text = "\n".join(lines)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


@lru_cache(maxsize=64)
def _fill(template: str, sentence: str, url: str, title: str, hashtags: str, emoji: str) -> str:
    """``_render`` of these values; the same post is filled for each channel in turn."""
    values = {"sentence": sentence, "url": url, "title": title}
    values.update(hashtags=hashtags, emoji=emoji)
    return _render(template, values)


def validate_template(settings: ComposeSettings, rule: LengthRule | None = None) -> None:
    """Raise TemplateError unless the settings can produce a post.

    The template must use known placeholders only and ``{url}`` exactly once (the link is what
    a post is for), and the fixed parts (a 23-character link, hashtags, emoji) must leave room
    within the limit even for an empty comment and title. Checked at start-up, so a bad config
    fails with a clear message instead of at the first post. ``rule`` measures the fixed parts
    (X's rule with ``settings.limit`` by default).
    """
    names = _fields(settings.template)
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
    fixed = _render(
        settings.template,
        {
            "sentence": "",
            "title": "",
            "url": _PLACEHOLDER_URL,
            "hashtags": _hashtags(hashtags),
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
    for cluster in _CLUSTER.findall(alt):
        if size + len(cluster) > limit:
            break
        kept.append(cluster)
        size += len(cluster)
    return "".join(kept).rstrip() + ELLIPSIS


def _images(
    entry: ComposeInput, settings: ComposeSettings, title: str, warnings: list[str]
) -> tuple[ImageSpec, ...]:
    """The images to attach, each with alt text: X takes 4 and 1,000 characters of alt text,
    and a figure without a description shuts out readers who use screen readers."""
    given = entry.images
    if not given:
        warnings.append("no image")
        return ()
    if len(given) > settings.max_images:
        warnings.append(
            f"images: {len(given)} given, only the first {settings.max_images} are attached"
        )
    images: list[ImageSpec] = []
    for number, image in enumerate(given[: settings.max_images], start=1):
        alt = nfc(image.alt).strip() or title
        if not alt:
            warnings.append(f"image {number} has no alt text")
        elif len(alt) > settings.alt_max:
            warnings.append(
                f"alt text of image {number} cut from {len(alt)} to {settings.alt_max} characters"
            )
            alt = _truncate_alt(alt, settings.alt_max)
        same = alt == image.alt and type(image) is ImageSpec  # (frozen: shared, not copied)
        images.append(image if same else ImageSpec(source=image.source, alt=alt))
    return tuple(images)


_Measured = tuple[str, str, int, list[tuple[int, int]]]


@dataclass(frozen=True)
class _Meter:
    """A rule's measures as composition uses them; X's with twitter-text's one-pass ``measure``.

    ``budget`` tells whether ``sentences.shorten`` may be given a weight budget: its budget is in
    X's weights, so other rules shorten by measuring whole candidate posts instead.
    """

    limit: int
    unit: str
    who: str
    weigh: Callable[[str], int]
    measure: Callable[[str], tuple[int, list[tuple[int, int]]]]
    budget: bool

    @staticmethod
    @lru_cache(maxsize=64)
    def of(rule: LengthRule) -> _Meter:
        """The meter of ``rule`` (one per rule value: rules are small frozen values)."""
        if isinstance(rule, XRule):
            return _Meter(rule.limit, rule.unit, "X", textlen.weighted_length, measure_x, True)
        measure = getattr(rule, "measure_links", None)  # one pass, where the rule has one
        if measure is None:

            def measure(text: str) -> tuple[int, list[tuple[int, int]]]:
                return rule.measure(text), rule.links(text)

        return _Meter(rule.limit, rule.unit, rule.name.capitalize(), rule.measure, measure, False)


def _fit(
    part: str,
    render: Callable[[str], str],
    meter: _Meter,
    rest: int | None,
    part_weight: int = 0,
) -> _Measured:
    """``part`` shortened so that ``render(part)`` weighs at most the limit ("" if impossible).

    Returns the part, the rendered text, its weight and its links. ``rest`` is what the
    template adds to the part's weight (``part_weight``), when known: the part is usually set
    off by whitespace, so weights add up and one shortening with that budget is right; if the
    estimate was wrong, whole posts are measured at each step instead. A rule other than X's
    is always measured on whole posts, the search starting at the share of the part that
    the budget suggests.
    """
    limit = meter.limit
    hint = None
    if rest is not None and not meter.budget and part_weight > 0:
        hint = min(max((limit - rest) / part_weight, 0.0), 1.0)
    if rest is not None and meter.budget:
        short = shorten(part, limit - rest)
        if short:
            text = render(short)
            length, spans = meter.measure(text)
            if length <= limit:
                return short, text, length, spans

    def fits(candidate: str) -> bool:
        return meter.weigh(render(candidate)) <= limit

    short = shorten(part, fits, hint=hint)
    text = render(short)
    length, spans = meter.measure(text)
    return short, text, length, spans


@lru_cache(maxsize=8)
def _x_rule(limit: int) -> XRule:
    return XRule(limit)


@lru_cache(maxsize=64)
def _checked(settings: ComposeSettings, rule: LengthRule) -> frozenset[str]:
    validate_template(settings, rule)
    return frozenset(_fields(settings.template))


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
    draft carries a "too long" warning and must not be posted. Raises TemplateError for
    unusable settings, ValueError without a link. ``rule`` is the platform's length rule: X's
    with ``settings.limit`` by default.
    """
    if not isinstance(settings.hashtags, tuple):  # a list from loose callers: keep it hashable
        settings = replace(settings, hashtags=tuple(settings.hashtags))
    rule = rule or _x_rule(settings.limit)
    meter = _Meter.of(rule)
    names = _checked(settings, rule)
    url = entry.url.strip()
    if not url:
        raise ValueError("an entry needs a link to be posted")
    limit = meter.limit
    weigh = meter.weigh
    has_title = "title" in names
    prepared = prepare(url, entry.comment, entry.title, has_title)
    title, chosen, source = prepared.title, prepared.sentence, prepared.source
    warnings = list(prepared.warnings)

    template, hashtags, emoji = settings.template, _hashtags(settings.hashtags), settings.emoji

    def render(sentence: str, title: str) -> str:
        return _fill(template, sentence, url, title, hashtags, emoji)

    sentence, short_title = chosen, title if has_title else ""
    text = render(sentence, short_title)
    length, spans = meter.measure(text)  # (text is NFC: all its parts are)
    shortened = length > limit
    unit = meter.unit
    if shortened:
        chosen_weight = weigh(chosen)
        sentence, text, length, spans = _fit(
            chosen,
            lambda part: render(part, short_title),
            meter,
            length - chosen_weight,
            chosen_weight,
        )
        if not sentence and short_title:
            if chosen:
                # Not a word of the sentence fits beside the title: give each about half.
                room = limit - weigh(render("", ""))
                short_title = _shorten_title(short_title, max(room // 2, 1), meter)
                sentence, text, length, spans = _fit(
                    chosen, lambda part: render(part, short_title), meter, None
                )
            if not sentence:
                short_title, text, length, spans = _fit(
                    title, lambda part: render("", part), meter, None
                )
            warnings.append(
                f"shortened: title cut from {weigh(title)} to {weigh(short_title)} {unit}"
            )
        if chosen:
            warnings.append(
                f"shortened: {source} cut from {chosen_weight} to {weigh(sentence)} {unit}"
            )

    if length > limit:
        warnings.append(f"too long: {length} {unit}, the limit is {limit}")
    found = [text[start:end] for start, end in spans]
    if found.count(url) != 1:
        warnings.append(f"{meter.who} will not read the link as a URL where the template puts it")
    images = _images(entry, settings, title, warnings)
    return Draft(
        text=text,
        weighted_length=length,
        limit=limit,
        images=images,
        warnings=tuple(warnings),
        shortened=shortened,
        sentence=chosen,
    )


def _shorten_title(title: str, room: int, meter: _Meter) -> str:
    """The title cut to about ``room`` by the rule's own measure."""
    if meter.budget:
        return shorten(title, room)
    return shorten(title, lambda candidate: meter.weigh(candidate) <= room)
