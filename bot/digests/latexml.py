"""The figures of a paper's HTML edition (LaTeXML's markup, as arXiv and ar5iv publish it).

A figure is a ``<figure class="ltx_figure">`` holding ``img.ltx_graphics`` and a
``figcaption.ltx_caption`` that opens with its tag ("Figure 3: "); a figure of panels holds
``ltx_figure_panel`` cells (images, or nested figures with captions of their own); tables are
``figure.ltx_table``; vector figures are inline ``<svg>`` or ``<object>``; math is
``<math alttext="...">`` with MathML inside; footnotes are ``span.ltx_note`` (mark and text).

The parser is selectolax's binding of lexbor, an HTML5 parser in C: it builds the tree as a
browser does (a truncated or malformed page still gives the figures it holds), answers the CSS
selectors these rules are written in, and reads a page about twice as fast as lxml builds its
tree and ten times as fast as the standard library's html.parser merely tokenizes it
(bench/bench_figures.py); a long paper's page is several MB. Its tree costs about 6.5 times
the page in memory (133 MB for 20 MB), freed once the figures are read. Imported only when a
page is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

__all__ = ["MAX_PANELS", "PaperFigure", "read_figures"]

MAX_PANELS = 4  # the images a post takes on every platform
_RASTER = (".png", ".jpg", ".jpeg", ".gif", ".webp")
_NOT_RASTER = (".svg", ".svgz", ".pdf", ".eps", ".ps")
_SKIPPED_TAGS = frozenset(("script", "style", "svg", "object", "annotation", "annotation-xml"))
_BREAKS = frozenset(("br", "p", "div", "li", "figure", "table", "tr", "td", "th"))
_NUMBER = re.compile(r"([0-9]+(?:\.[0-9]+)*|[A-Z](?:\.[0-9]+)+)\s*[:.]?\s*$")


@dataclass(frozen=True)
class PaperFigure:
    """One figure: ``number`` as the paper numbers it ("3", "A.1"), its raster images as
    absolute URLs (panels in order, at most four), its caption as plain text."""

    number: str
    images: tuple[str, ...]
    caption: str


def read_figures(page: bytes, base_url: str) -> list[PaperFigure]:
    """Every figure of ``page`` in order, tables left out, including those without a raster
    image (their ``images`` is empty: ``--figure N`` must say so rather than take another).

    ``base_url`` is the address the page finally came from, after redirects: arXiv's
    ``/html/<id>`` redirects to ``/html/<id>vN/`` and its image links are relative to that.
    """
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(page)  # bytes: a str would be copied and re-encoded (2.8x the RSS)
    figures: list[PaperFigure] = []
    for ordinal, node in enumerate(
        (n for n in tree.css("figure.ltx_figure") if not _inside_figure(n)), start=1
    ):
        caption_node = _own_caption(node)
        tag, caption = _caption_text(caption_node) if caption_node is not None else ("", "")
        number = _NUMBER.search(tag)
        figures.append(
            PaperFigure(
                number=number.group(1) if number else str(ordinal),
                images=tuple(_raster_images(node, base_url))[:MAX_PANELS],
                caption=caption,
            )
        )
    return figures


def _classes(node: LexborNode) -> list[str]:
    return (node.attributes.get("class") or "").split()


def _inside_figure(node: LexborNode) -> bool:
    """A figure inside another is one of its panels (or a table's), not a figure of its own."""
    parent = node.parent
    while parent is not None:
        if parent.tag == "figure":
            return True
        parent = parent.parent
    return "ltx_figure_panel" in _classes(node)


def _own_caption(figure: LexborNode) -> LexborNode | None:
    """The figure's own figcaption (a direct child), not one of its panels' captions."""
    own = [child for child in figure.iter() if child.tag == "figcaption"]
    if own:
        return own[-1]
    nested = figure.css("figcaption")
    return nested[-1] if nested else None


def _raster_images(figure: LexborNode, base_url: str) -> list[str]:
    found: list[str] = []
    for image in figure.css("img.ltx_graphics"):
        src = (image.attributes.get("src") or "").strip()
        if not src or src.lower().startswith("data:"):
            continue
        absolute = urljoin(base_url, src)
        parts = urlsplit(absolute)
        suffix = parts.path.lower().rsplit("/", 1)[-1]
        if parts.scheme not in ("http", "https") or suffix.endswith(_NOT_RASTER):
            continue
        if "." in suffix and not suffix.endswith(_RASTER):
            continue
        if absolute not in found:
            found.append(absolute)
    return found


def _caption_text(caption: LexborNode) -> tuple[str, str]:
    """(the tag, "Figure 3: ", and the rest as plain text): math as its alttext, footnotes
    (mark and text) left out, whitespace collapsed."""
    tag: list[str] = []
    text: list[str] = []
    _walk(caption, text, tag)
    return " ".join("".join(tag).split()), " ".join("".join(text).split())


def _walk(node: LexborNode, out: list[str], tag: list[str]) -> None:
    for child in node.iter(include_text=True):
        name = child.tag or ""
        if name == "-text":
            out.append(child.text_content or "")
        elif name == "math":
            out.append(child.attributes.get("alttext") or "")
        elif name in _SKIPPED_TAGS or name.startswith("-"):
            continue  # comments, vector drawings, TeX annotations
        else:
            classes = _classes(child)
            if "ltx_note" in classes:
                continue
            if "ltx_tag_figure" in classes and not tag and not "".join(out).strip():
                _walk(child, tag, [])  # the leading "Figure 3: "
                continue
            if name in _BREAKS:
                out.append(" ")
            _walk(child, out, tag)
            if name in _BREAKS:
                out.append(" ")
