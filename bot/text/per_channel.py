"""One entry composed for one named channel: the same template, each platform's own rules.

An entry may go to X, Bluesky and Mastodon; each counts length differently (X: twitter-text
weights, see bot/text/twitter_text.py; Bluesky: graphemes and bytes of the text as its app
shows it, see bot/text/bluesky.py; Mastodon: graphemes with every link 23, see
bot/text/mastodon.py) and takes alt text of a different length. ``compose_for`` picks the rule
by channel name and returns a ``ChannelDraft`` that a channel and ``preview`` read the same
way, whatever the platform. X's text is exactly what ``bot.text.compose.compose`` gives with
the settings as they are (the ``dry-run`` channel composes as X does, so a dry run shows what X
would get). Pure: the Mastodon instance's limits are read (and cached) by its channel and
passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.text.compose import ComposeInput, ComposeSettings, DraftFields, ImageSpec, compose_fields
from bot.text.length_rules import MASTODON_MAX_CHARACTERS, MASTODON_URL_LENGTH, XRule

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.text.bluesky import BlueskyRule, LinkFacet, Rendered
    from bot.text.link_card import CardText
    from bot.text.mastodon import MastodonRule

__all__ = [
    "BLUESKY_ALT_MAX",
    "CHANNELS",
    "MASTODON_ALT_MAX",
    "ChannelDraft",
    "UnknownChannel",
    "compose_for",
]

CHANNELS = ("x", "bluesky", "mastodon", "dry-run")
# Alt text limits: X's is the composer's default (ComposeSettings.alt_max, 1,000); the
# official Bluesky app stops at 2,000; a stock Mastodon instance's description_limit is 1,500.
BLUESKY_ALT_MAX = 2000
MASTODON_ALT_MAX = 1500
_PLATFORM_MAX_IMAGES = 4  # Bluesky's embed takes 4 images; X 4; Mastodon's instance says
_X_UNIT = XRule().unit


class UnknownChannel(ValueError):
    """A channel name composition does not know (the message lists the known ones)."""


@dataclass(frozen=True)
class ChannelDraft:
    """What to send to one channel, in the same shape for every platform.

    ``text`` is exactly what is sent; ``composed`` is the same post with every link in full
    (they differ only on Bluesky, whose app shows long links shortened and keeps the full URL
    in a ``facets`` entry). ``card`` is Bluesky's link card, for a post without images.
    ``length`` is the platform's own count of ``text``, in ``unit``,
    compared with ``limit``. ``sentence`` is the comment's first sentence before shortening.
    """

    channel: str
    text: str
    length: int
    limit: int
    unit: str
    images: tuple[ImageSpec, ...]
    warnings: tuple[str, ...]
    shortened: bool
    sentence: str
    composed: str
    facets: tuple[LinkFacet, ...] = ()
    card: CardText | None = None

    @property
    def postable(self) -> bool:
        """Within the limit and the link read as a link: otherwise the draft must not be sent."""
        return self.length <= self.limit and not any(
            warning.startswith("too long") or "will not read the link" in warning
            for warning in self.warnings
        )


def compose_for(
    channel: str,
    entry: ComposeInput,
    settings: ComposeSettings = ComposeSettings(),
    *,
    mastodon_limit: int = MASTODON_MAX_CHARACTERS,
    mastodon_url_length: int = MASTODON_URL_LENGTH,
    mastodon_alt_max: int = MASTODON_ALT_MAX,
    mastodon_max_images: int = _PLATFORM_MAX_IMAGES,
) -> ChannelDraft:
    """``entry`` composed for ``channel`` (``x``, ``bluesky``, ``mastodon`` or ``dry-run``).

    The ``mastodon_*`` values are the instance's (``max_characters``,
    ``characters_reserved_per_url``, ``description_limit``, ``max_media_attachments``).
    Raises UnknownChannel for another name, and what ``compose`` raises (TemplateError for
    settings that cannot fit the platform, ValueError without a link).
    """
    if channel in ("x", "dry-run"):
        return _neutral(channel, compose_fields(entry, settings), _X_UNIT)
    if not isinstance(settings.hashtags, tuple):  # a list from loose callers: keep it hashable
        settings = replace(settings, hashtags=tuple(settings.hashtags))
    if channel == "bluesky":
        bluesky, render, card_text = _bluesky()
        adjusted = _adjusted(settings, BLUESKY_ALT_MAX, _PLATFORM_MAX_IMAGES)
        draft = compose_fields(entry, adjusted, bluesky)
        shown = render(draft[0])
        card = (  # images or a link card, never both
            None if draft[3] else card_text(entry.url, entry.title, entry.abstract, entry.comment)
        )
        return _neutral(channel, draft, bluesky.unit, shown.text, shown.facets, card)
    if channel == "mastodon":
        rule = _mastodon_rule(mastodon_limit, mastodon_url_length)
        adjusted = _adjusted(settings, mastodon_alt_max, mastodon_max_images)
        return _neutral(channel, compose_fields(entry, adjusted, rule), rule.unit)
    known = ", ".join(CHANNELS)
    raise UnknownChannel(f"unknown channel {channel!r}; known channels: {known}")


def _neutral(
    channel: str,
    draft: DraftFields,
    unit: str,
    shown: str | None = None,
    facets: tuple[LinkFacet, ...] = (),
    card: CardText | None = None,
) -> ChannelDraft:
    text, length, limit, images, warnings, shortened, sentence = draft
    return ChannelDraft(
        channel=channel,
        text=text if shown is None else shown,
        length=length,
        limit=limit,
        unit=unit,
        images=images,
        warnings=warnings,
        shortened=shortened,
        sentence=sentence,
        composed=text,
        facets=facets,
        card=card,
    )


# The last few settings adjusted, looked up by identity: hashing a settings value costs.
_recent: tuple[tuple[ComposeSettings, int, int, ComposeSettings], ...] = ()


def _adjusted(settings: ComposeSettings, alt_max: int, max_images: int) -> ComposeSettings:
    """``_settings_for``, first among the last few settings adjusted."""
    global _recent
    for known, known_alt_max, known_max_images, adjusted in _recent:
        if known is settings and known_alt_max == alt_max and known_max_images == max_images:
            return adjusted
    adjusted = _settings_for(settings, alt_max, max_images)
    _recent = (*_recent[-7:], (settings, alt_max, max_images, adjusted))
    return adjusted


@lru_cache(maxsize=64)
def _settings_for(settings: ComposeSettings, alt_max: int, max_images: int) -> ComposeSettings:
    """The settings with the platform's alt text limit and image count (cached: the composer
    caches its template checks per settings value, and building one per entry costs)."""
    return replace(settings, alt_max=alt_max, max_images=min(settings.max_images, max_images))


@lru_cache(maxsize=1)
def _bluesky() -> tuple[BlueskyRule, Callable[[str], Rendered], Callable[..., CardText]]:
    """Bluesky's rule, `render` and `card_text`, imported at the first Bluesky draft: pricing X
    posts (`schedule`) and X-only posters never load Bluesky's or Mastodon's link rules."""
    from bot.text.bluesky import BlueskyRule, render
    from bot.text.link_card import card_text

    return BlueskyRule(), render, card_text


@lru_cache(maxsize=16)
def _mastodon_rule(limit: int, url_length: int) -> MastodonRule:
    from bot.text.mastodon import MastodonRule

    return MastodonRule(limit=limit, url_length=url_length)
