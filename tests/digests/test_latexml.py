"""Reading figures from LaTeXML-shaped pages (written for the tests, shaped as arXiv's)."""

from __future__ import annotations

from bot.digests.latexml import PaperFigure, read_figures
from tests.fakes.latexml_pages import Figure, Table, footnote, latexml_page, math

BASE = "https://arxiv.org/html/2401.01234v2/"


def figures(*blocks: Figure | Table, base: str = BASE) -> list[PaperFigure]:
    return read_figures(latexml_page(blocks), base)


def test_tables_are_not_figures_even_when_they_are_pictures() -> None:
    found = figures(Table(1, "Scores.", image="t1.png"), Figure(1, "The figure.", ("x1.png",)))
    assert found == [PaperFigure("1", (BASE + "x1.png",), "The figure.")]


def test_caption_is_plain_text_without_tag_footnotes_or_mathml() -> None:
    caption = (
        "Loss of  "
        + math(r"f(x)=\sum_{i}x_{i}^{2}")
        + footnote(3, "Measured on <b>four</b> GPUs.")
        + " per step.\n   <b>Lower</b> is <em>better</em>."
    )
    [figure] = figures(Figure(7, caption, ("x1.png",)))
    assert figure.number == "7"
    assert figure.caption == r"Loss of f(x)=\sum_{i}x_{i}^{2} per step. Lower is better."


def test_panels_give_up_to_four_images_and_not_their_own_captions() -> None:
    names = tuple(f"x{n}.png" for n in range(1, 7))
    [figure] = figures(Figure(2, "Six panels.", names, panels=True))
    assert figure.images == tuple(BASE + n for n in names[:4])
    assert figure.caption == "Six panels."  # "(b) panel 2" belongs to the panel


def test_vector_figures_have_no_raster_image() -> None:
    found = figures(
        Figure(1, "Inline SVG.", svg=True),
        Figure(2, "An object.", obj="x2.svg"),
        Figure(3, "An SVG file.", ("x3.svg",)),
        Figure(4, "A data URI.", ("data:image/png;base64,AAAA",)),
        Figure(5, "A raster one.", ("x5.jpg",)),
    )
    assert [(f.number, f.images) for f in found] == [
        ("1", ()),
        ("2", ()),
        ("3", ()),
        ("4", ()),
        ("5", (BASE + "x5.jpg",)),
    ]


def test_links_resolve_against_the_final_url() -> None:
    found = figures(
        Figure(1, "Relative.", ("x1.png",)),
        Figure(2, "Root-relative.", ("/html/2401.01234/assets/x2.png",)),
        Figure(3, "Absolute.", ("https://ar5iv.labs.arxiv.org/html/2401.01234/assets/x3.png",)),
        Figure(4, "Parent.", ("../x4.png",)),
    )
    assert [f.images[0] for f in found] == [
        BASE + "x1.png",
        "https://arxiv.org/html/2401.01234/assets/x2.png",
        "https://ar5iv.labs.arxiv.org/html/2401.01234/assets/x3.png",
        "https://arxiv.org/html/x4.png",
    ]


def test_a_truncated_or_malformed_page_gives_what_it_holds() -> None:
    page = latexml_page([Figure(1, "First.", ("x1.png",)), Figure(2, "Second.", ("x2.png",))])
    cut = page[: page.index(b"Second.")]
    assert [(f.number, f.caption) for f in read_figures(cut, BASE)] == [("1", "First."), ("2", "")]
    assert read_figures(
        b"\xff\xfe<figure class='ltx_figure'><img class=ltx_graphics src=a.png", BASE
    )
    assert read_figures(b"", BASE) == []
    assert read_figures(b"%PDF-1.5 binary \x00\x01", BASE) == []


def test_numbers_follow_the_tag_else_the_order() -> None:
    page = (
        b'<figure class="ltx_figure"><img class="ltx_graphics" src="a.png"><figcaption>'
        b'<span class="ltx_tag ltx_tag_figure">Figure A.1: </span>Appendix.</figcaption></figure>'
        b'<figure class="ltx_figure"><img class="ltx_graphics" src="b.png"></figure>'
    )
    assert [(f.number, f.caption) for f in read_figures(page, BASE)] == [
        ("A.1", "Appendix."),
        ("2", ""),
    ]
