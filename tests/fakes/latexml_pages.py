"""LaTeXML-shaped pages and Pillow-drawn figures, written for the tests (no real paper's page).

The markup follows what arXiv's HTML edition and ar5iv publish (see FACTS.md): each figure a
``<figure class="ltx_figure">`` with ``img.ltx_graphics`` (alt "Refer to caption") and a
``figcaption.ltx_caption`` opening with ``span.ltx_tag_figure``; tables ``figure.ltx_table``;
panels ``ltx_figure_panel`` cells inside ``ltx_flex_figure``; math ``<math alttext=...>`` with
MathML inside; footnotes ``span.ltx_note`` with a mark and their text. Sections of filler prose
(with math and citations, like a paper's) pad a page to any size for the size-cap test and the
parsing benchmark.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

HEAD = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n'
    '<meta content="text/html; charset=utf-8" http-equiv="content-type"/>\n'
    "<title>{title}</title>\n"
    '<link href="/static/ar5iv.min.css" rel="stylesheet" type="text/css"/>\n'
    '</head>\n<body>\n<div class="ltx_page_main">\n<div class="ltx_page_content">\n'
    '<article class="ltx_document ltx_authors_1line">\n'
    '<h1 class="ltx_title ltx_title_document">{title}</h1>\n'
)
TAIL = "</article>\n</div>\n</div>\n</body>\n</html>\n"


@dataclass(frozen=True)
class Figure:
    """One ``figure.ltx_figure``: ``images`` are the ``src`` of its raster images (panels when
    ``panels``); ``svg`` draws an inline SVG instead (a vector figure); ``obj`` an <object>."""

    number: int
    caption: str  # inner HTML after the tag
    images: tuple[str, ...] = ()
    panels: bool = False
    svg: bool = False
    obj: str = ""


@dataclass(frozen=True)
class Table:
    """One ``figure.ltx_table``; ``image`` makes it a table typeset as a picture."""

    number: int
    caption: str
    image: str = ""


def math(tex: str) -> str:
    """Inline math as LaTeXML writes it: MathML inside, the TeX in ``alttext``."""
    return (
        f'<math alttext="{escape(tex)}" class="ltx_Math" display="inline">'
        f"<semantics><mrow><mi>x</mi><mo>+</mo><mn>1</mn></mrow>"
        f'<annotation encoding="application/x-tex">{escape(tex)}</annotation></semantics></math>'
    )


def footnote(number: int, text: str) -> str:
    return (
        f'<span class="ltx_note ltx_role_footnote" id="footnote{number}">'
        f'<sup class="ltx_note_mark">{number}</sup><span class="ltx_note_outer">'
        f'<span class="ltx_note_content"><sup class="ltx_note_mark">{number}</sup>'
        f'<span class="ltx_tag ltx_tag_note">{number}</span>{text}</span></span></span>'
    )


def _img(src: str, *, panel: bool = False) -> str:
    classes = "ltx_graphics" + (" ltx_figure_panel" if panel else " ltx_centering")
    return (
        f'<img alt="Refer to caption" class="{classes} ltx_img_landscape" height="300" '
        f'src="{escape(src)}" width="598"/>'
    )


def _caption(kind: str, number: int, caption: str) -> str:
    tag = {"figure": "Figure", "table": "Table"}[kind]
    return (
        f'<figcaption class="ltx_caption ltx_centering"><span class="ltx_tag ltx_tag_{kind}">'
        f"{tag} {number}: </span>{caption}</figcaption>"
    )


def render_figure(figure: Figure) -> str:
    body: list[str] = []
    if figure.svg:
        body.append(
            '<svg class="ltx_picture" height="120" overflow="visible" version="1.1" width="200">'
            '<g transform="translate(0,120) matrix(1 0 0 -1 0 0)"><path d="M 0 0 L 200 120" '
            'style="fill:none"/><text x="10" y="10">axis label</text></g></svg>'
        )
    if figure.obj:
        body.append(f'<object data="{escape(figure.obj)}" type="image/svg+xml"></object>')
    if figure.panels:
        cells = []
        for index, src in enumerate(figure.images):
            inner = (
                _img(src, panel=True)
                if index % 2 == 0
                else (
                    f'<figure class="ltx_figure ltx_figure_panel ltx_align_center">{_img(src)}'
                    '<figcaption class="ltx_caption"><span class="ltx_tag ltx_tag_figure">'
                    f"({chr(97 + index)}) </span>panel {index + 1}</figcaption></figure>"
                )
            )
            cells.append(f'<div class="ltx_flex_cell ltx_flex_size_2">{inner}</div>')
        body.append(f'<div class="ltx_flex_figure">{"".join(cells)}</div>')
    else:
        body += [_img(src) for src in figure.images]
    return (
        f'<figure class="ltx_figure" id="S1.F{figure.number}">{"".join(body)}\n'
        f"{_caption('figure', figure.number, figure.caption)}\n</figure>\n"
    )


def render_table(table: Table) -> str:
    content = (
        _img(table.image)
        if table.image
        else '<table class="ltx_tabular"><tr><td class="ltx_td">0.91</td></tr></table>'
    )
    return (
        f'<figure class="ltx_table" id="S1.T{table.number}">'
        f"{_caption('table', table.number, table.caption)}{content}</figure>\n"
    )


def paragraph(rng: random.Random, index: int) -> str:
    """A paragraph of filler prose with inline math and a citation, as papers have."""
    words = " ".join(rng.choice(_WORDS) for _ in range(70))
    return (
        f'<div class="ltx_para" id="S2.p{index}"><p class="ltx_p">{words} '
        f"{math('x_{' + str(index) + '}^{2}')} {words[:200]} "
        f'<cite class="ltx_cite ltx_citemacro_cite">[<a class="ltx_ref" href="#bib.bib{index}">'
        f"{index}</a>]</cite>.</p></div>\n"
    )


_PROSE = (
    "we propose a method that learns the model from data and evaluates its loss on "
    "benchmarks where the baseline fails under distribution shift with fewer parameters"
)
_WORDS = tuple(_PROSE.split(" "))


def latexml_page(
    blocks: Sequence[Figure | Table],
    *,
    title: str = "A Paper Written for the Tests",
    pad_to: int = 0,
    seed: int = 0,
) -> bytes:
    """The page: the blocks in order, each after a little prose, then filler up to ``pad_to``
    bytes (filler sections come after the figures, as appendices do)."""
    rng = random.Random(seed)
    parts = [HEAD.format(title=escape(title))]
    parts.append('<section class="ltx_section" id="S1">\n')
    for index, block in enumerate(blocks):
        parts.append(paragraph(rng, index))
        parts.append(render_figure(block) if isinstance(block, Figure) else render_table(block))
    parts.append("</section>\n")
    size = sum(len(p.encode()) for p in parts)
    index = 0
    while size < pad_to:
        chunk = paragraph(rng, index)
        if index % 40 == 0:
            chunk = f'<section class="ltx_appendix" id="A{index}">\n' + chunk
        elif index % 40 == 39:
            chunk += "</section>\n"
        parts.append(chunk)
        size += len(chunk.encode())
        index += 1
    parts.append(TAIL)
    return "".join(parts).encode()


def figure_png(seed: int, size: tuple[int, int] = (640, 420)) -> bytes:
    """A plot-like figure (axes, curves, bars on white), different for every seed."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.line([(40, 20), (40, height - 40), (width - 20, height - 40)], fill="black", width=3)
    for curve in range(rng.randint(1, 3)):
        color = rng.choice(["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"])
        y = rng.uniform(60, height - 80)
        points = []
        for x in range(50, width - 20, 12):
            y = min(max(y + rng.uniform(-25, 25), 25), height - 45)
            points.append((x, y))
        draw.line(points, fill=color, width=3 + curve)
    for _ in range(rng.randint(2, 6)):
        x0 = rng.uniform(60, width - 80)
        y0 = rng.uniform(40, height - 90)
        shade = rng.choice(["#9467bd", "#8c564b", "#7f7f7f", "#17becf"])
        draw.rectangle([x0, y0, x0 + rng.uniform(15, 60), height - 42], fill=shade)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def as_resized_jpeg(png: bytes, scale: float = 0.6, quality: int = 70) -> bytes:
    """The same figure as a curator saves it: resized and re-encoded as JPEG."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        smaller = image.convert("RGB").resize(
            (max(1, int(image.width * scale)), max(1, int(image.height * scale))),
            Image.Resampling.LANCZOS,
        )
    out = io.BytesIO()
    smaller.save(out, "JPEG", quality=quality)
    return out.getvalue()
