"""Making a post fit a platform's length: measuring it by the platform's rule and shortening a
part of it (the sentence, or the title) until the whole post fits.

X counts weighted characters with links as 23 (bot/text/twitter_text.py); other platforms count
differently (bot/text/length_rules.py). `Meter` hides the difference from composition
(bot/text/compose.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bot.text import twitter_text as textlen
from bot.text.length_rules import LengthRule, XRule, measure_x
from bot.text.shorten import shorten

Measured = tuple[str, str, int, list[tuple[int, int]]]


@dataclass(frozen=True)
class Meter:
    """A rule's measures as composition uses them; X's with twitter-text's one-pass ``measure``.

    ``budget`` tells whether ``shorten.shorten`` may be given a weight budget: its budget is in
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
    def of(rule: LengthRule) -> Meter:
        """The meter of ``rule`` (one per rule value: rules are small frozen values)."""
        if isinstance(rule, XRule):
            return Meter(rule.limit, rule.unit, "X", textlen.weighted_length, measure_x, True)
        measure = getattr(rule, "measure_links", None)  # one pass, where the rule has one
        if measure is None:

            def measure(text: str) -> tuple[int, list[tuple[int, int]]]:
                return rule.measure(text), rule.links(text)

        return Meter(rule.limit, rule.unit, rule.name.capitalize(), rule.measure, measure, False)


def fit(
    part: str,
    render: Callable[[str], str],
    meter: Meter,
    rest: int | None,
    part_weight: int = 0,
    weigh: Callable[[str], int] | None = None,
) -> Measured:
    """``part`` shortened so that ``render(part)`` weighs at most the limit ("" if impossible).

    Returns the part, the rendered text, its weight and its links. ``rest`` is what the
    template adds to the part's weight (``part_weight``), when known: the part is usually set
    off by whitespace, so weights add up and one shortening with that budget is right; if the
    estimate was wrong, whole posts are measured at each step instead. A rule other than X's
    is always measured on whole posts, the search starting at the share of the part that
    the budget suggests. ``weigh``: the meter's ``weigh``, or one that remembers (for X).
    """
    limit = meter.limit
    hint = None
    if rest is not None and not meter.budget and part_weight > 0:
        hint = min(max((limit - rest) / part_weight, 0.0), 1.0)
    if rest is not None and meter.budget:
        short = shorten(part, limit - rest, weigh=weigh or meter.weigh)
        if short:
            text = render(short)
            length, spans = meter.measure(text)
            if length <= limit:
                return short, text, length, spans

    def fits(candidate: str) -> bool:
        return meter.weigh(render(candidate)) <= limit

    short = shorten(part, fits, hint=hint, link_gap=not meter.budget)
    text = render(short)
    length, spans = meter.measure(text)
    return short, text, length, spans


def shorten_title(title: str, room: int, meter: Meter) -> str:
    """The title cut to about ``room`` by the rule's own measure."""
    if meter.budget:
        return shorten(title, room)
    return shorten(title, lambda candidate: meter.weigh(candidate) <= room, link_gap=True)


@dataclass(frozen=True)
class Fitted:
    """The post after fitting: its parts, text, weight and links."""

    sentence: str
    title: str
    text: str
    length: int
    spans: list[tuple[int, int]]


def _remembering(weigh: Callable[[str], int]) -> Callable[[str], int]:
    """``weigh``, remembering its answers for as long as one post is fitted (the sentence is
    weighed for the budget, then for the fit test, and the cut kept is weighed for the warning:
    X's count of a long comment costs)."""
    known: dict[str, int] = {}

    def remembered(text: str) -> int:
        weight = known.get(text)
        if weight is None:
            weight = known[text] = weigh(text)
        return weight

    return remembered


def fit_post(
    chosen: str,
    title: str,
    render: Callable[[str, str], str],
    meter: Meter,
    length: int,
    *,
    source: str,
    warnings: list[str],
) -> Fitted:
    """Shorten the sentence ``chosen`` (and, if not a word of it fits, the title) so that
    ``render(sentence, title)`` fits; ``length`` is the unshortened post's weight. Warnings say
    what was cut and by how much."""
    weigh, limit, unit = _remembering(meter.weigh), meter.limit, meter.unit
    short_title = title
    chosen_weight = weigh(chosen)
    sentence, text, length, spans = fit(
        chosen,
        lambda part: render(part, short_title),
        meter,
        length - chosen_weight,
        chosen_weight,
        weigh,
    )
    if not sentence and short_title:
        if chosen:
            # Not a word of the sentence fits beside the title: give each about half.
            room = limit - weigh(render("", ""))
            short_title = shorten_title(short_title, max(room // 2, 1), meter)
            sentence, text, length, spans = fit(
                chosen, lambda part: render(part, short_title), meter, None
            )
        if not sentence:
            short_title, text, length, spans = fit(
                title, lambda part: render("", part), meter, None
            )
        warnings.append(f"shortened: title cut from {weigh(title)} to {weigh(short_title)} {unit}")
    if chosen:
        warnings.append(f"shortened: {source} cut from {chosen_weight} to {weigh(sentence)} {unit}")
    return Fitted(sentence, short_title, text, length, spans)


def check_fit(
    text: str,
    length: int,
    spans: list[tuple[int, int]],
    url: str,
    meter: Meter,
    warnings: list[str],
) -> None:
    """Warn when the final post is still too long, or its link would not be read as one."""
    if length > meter.limit:
        warnings.append(f"too long: {length} {meter.unit}, the limit is {meter.limit}")
    found = [text[start:end] for start, end in spans]
    if found.count(url) != 1:
        warnings.append(f"{meter.who} will not read the link as a URL where the template puts it")
