"""A figure caption made to fit as alt text: whole sentences, up to the strictest channel's limit.

A caption runs from one line to a paragraph. Cut at the limit it would stop mid-word; the
composer's own cut (at posting time) adds "…" wherever the limit falls. Cutting here, at the
last sentence end that fits, gives readers complete sentences (the first sentence of a caption
usually says what the figure shows). Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.text.per_channel import BLUESKY_ALT_MAX, MASTODON_ALT_MAX
from bot.text.sentences import first_sentence

__all__ = ["X_ALT_MAX", "alt_limit", "fit_alt_text"]

X_ALT_MAX = 1000
_LIMITS = {"x": X_ALT_MAX, "mastodon": MASTODON_ALT_MAX, "bluesky": BLUESKY_ALT_MAX}


def alt_limit(channels: Iterable[str]) -> int:
    """The smallest alt text limit among ``channels`` (X's when none has one)."""
    limits = [_LIMITS[name] for name in channels if name in _LIMITS]
    return min(limits, default=X_ALT_MAX)


def fit_alt_text(text: str, limit: int) -> str:
    """``text`` with whitespace collapsed, cut after the last sentence that ends within
    ``limit`` characters; when even the first sentence is longer, cut at the last word
    boundary that fits and end with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    kept = ""
    rest = text
    while rest:
        sentence = first_sentence(rest)
        if not sentence or sentence == rest:
            break  # no sentence end left in the rest
        candidate = f"{kept} {sentence}" if kept else sentence
        if len(candidate) > limit:
            break
        kept = candidate
        rest = rest[len(sentence) :].lstrip()
    if kept:
        return kept
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"
