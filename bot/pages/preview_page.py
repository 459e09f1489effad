"""``paperbot preview --html``: one self-contained page showing each post as its platform will.

A curator judges paperbot by what lands on the timeline, so the page shows, per entry and
channel, a card shaped like that platform's post: the visible text with links as the platform
shows them, the figures in their aspect ratio with their alt text (the ``alt`` attribute, and
visible on hover or focus), Bluesky's link card, the length meter, warnings, the planned time
and, for X, the price. Everything is inside the page (images as data: URIs, shrunk for
display, no script or style from elsewhere), so it opens offline and can be mailed around.

The page is a Jinja2 template with autoescaping (``templates/preview.html.j2``); the CLI gathers
the posts (composition, the plan, prices) and this module turns them into views and HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.images.display import DisplayImage, display_copy
from bot.images.types import ImageError
from bot.pages.links import Segment, displayed

if TYPE_CHECKING:
    from bot.text.link_card import CardText

__all__ = ["PLATFORMS", "PreviewPost", "render_preview_page"]

TEMPLATES = Path(__file__).parent / "templates"
PLATFORMS = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon", "dry-run": "Dry run (as X)"}

# Loads an image's bytes from its source (a path or URL): the CLI passes bot.images.load's
# loader with the configured policy, so remote figures pass the same SSRF guard as posting.
ImageLoader = Callable[[str], bytes]


@dataclass(frozen=True)
class PreviewPost:
    """One post as composed for one channel, with what the page shows around it.

    ``text`` has its links in full (the page shows them as the platform does); ``images`` are
    ``(source, alt)``; ``card`` is Bluesky's link card and ``card_thumb`` its thumbnail bytes;
    ``planned`` is the planned time as shown; ``price`` is X's cost of the post in USD, shown
    only when known.
    """

    entry_id: int
    title: str
    url: str
    channel: str
    text: str
    length: int
    limit: int
    unit: str
    images: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    card: CardText | None = None
    card_thumb: bytes | None = None
    planned: str | None = None
    price: float | None = None


@dataclass(frozen=True)
class FigureView:
    alt: str
    image: DisplayImage


@dataclass(frozen=True)
class CardView:
    uri: str
    host: str
    title: str
    description: str
    thumb: DisplayImage | None


@dataclass(frozen=True)
class PostView:
    post: PreviewPost
    platform: str
    segments: list[Segment]
    figures: list[FigureView]
    card: CardView | None
    warnings: list[str]

    @property
    def over(self) -> bool:
        return self.post.length > self.post.limit


@dataclass
class EntryView:
    entry_id: int
    title: str
    url: str
    posts: list[PostView] = field(default_factory=list)


def render_preview_page(
    posts: Sequence[PreviewPost], *, heading: str, load_image: ImageLoader
) -> str:
    """The whole page as HTML. Images that cannot be loaded or read become a warning on
    their post (and no ``<img>``), never a broken image on the page."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    entries: dict[int, EntryView] = {}
    cache: dict[str, DisplayImage | str] = {}
    for post in posts:
        entry = entries.setdefault(post.entry_id, EntryView(post.entry_id, post.title, post.url))
        entry.posts.append(_view(post, load_image, cache))
    template = environment.get_template("preview.html.j2")
    return template.render(heading=heading, entries=list(entries.values()))


def _view(
    post: PreviewPost, load_image: ImageLoader, cache: dict[str, DisplayImage | str]
) -> PostView:
    warnings = list(post.warnings)
    figures = []
    for source, alt in post.images:
        shown = _display(source, load_image, cache)
        if isinstance(shown, str):
            warnings.append(shown)
        else:
            figures.append(FigureView(alt, shown))
    card = None
    if post.card is not None:
        thumb = None
        if post.card_thumb is not None:
            try:
                thumb = display_copy("the card's thumbnail", post.card_thumb, long_side=600)
            except ImageError as exc:
                warnings.append(str(exc))
        card = CardView(
            post.card.uri, _host(post.card.uri), post.card.title, post.card.description, thumb
        )
    platform = PLATFORMS.get(post.channel, post.channel)
    return PostView(post, platform, displayed(post.channel, post.text), figures, card, warnings)


def _display(
    source: str, load_image: ImageLoader, cache: dict[str, DisplayImage | str]
) -> DisplayImage | str:
    """The display copy of an image, or the one-line reason it cannot be shown (kept per
    source: an entry's figure appears once per channel)."""
    if source not in cache:
        try:
            cache[source] = display_copy(source, load_image(source))
        except ImageError as exc:
            cache[source] = f"{exc} (not shown)"
    return cache[source]


def _host(uri: str) -> str:
    try:
        return urlsplit(uri).hostname or uri
    except ValueError:
        return uri
