"""`paperbot add` takes the paper's own figure from a fake arXiv HTML edition on 127.0.0.1.

Real CLI, real database (both stores), real httpx over real sockets; the fake records every
request, so "no request" is checked, not assumed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Paperbot
from tests.fakes.fake_arxiv_html import FakeArxivHtml
from tests.fakes.http_server import FakeHTTPServer, Reply
from tests.fakes.latexml_pages import Figure, Table, figure_png, footnote, latexml_page, math

ONLINE = {"PAPERBOT_OFFLINE": ""}
ID = "2401.01234"
LINK = f"https://arxiv.org/abs/{ID}"
CAPTION = (
    "Overview of the method. The encoder maps "
    + math(r"x\in\mathbb{R}^{n}")
    + " to a code"
    + footnote(1, "Code at the authors' site.")
    + ".  Results   follow."
)
ALT = r"Overview of the method. The encoder maps x\in\mathbb{R}^{n} to a code. Results follow."


@pytest.fixture
def fake() -> Iterator[FakeArxivHtml]:
    with FakeHTTPServer() as server:
        yield FakeArxivHtml(server)


def serve_paper(fake: FakeArxivHtml, arxiv_id: str = ID, **options: Any) -> None:
    """A paper whose first block is a table, then a figure, panels, and a vector drawing."""
    blocks: list[Figure | Table] = [
        Table(1, "Scores of every method.", image="t1.png"),
        Figure(1, CAPTION, ("x1.png",)),
        Figure(2, "Five panels; four are taken.", tuple(f"x{n}.png" for n in range(2, 7)), True),
        Figure(3, "A diagram drawn in SVG.", svg=True),
    ]
    images = {f"x{n}.png": figure_png(n) for n in range(1, 7)} | {"t1.png": figure_png(99)}
    fake.paper(arxiv_id, blocks, images, **options)


def add(paperbot: Paperbot, *args: str, link: str = LINK) -> Any:
    """`add` with a link and a comment (the fake's config turns the metadata API off)."""
    result = paperbot("add", link, "--comment", "Mine.", *args, **ONLINE)
    assert result.exit_code == 0, result.stderr
    return result


def show(paperbot: Paperbot, result: Any) -> Any:
    return paperbot.json("show", result.stdout.strip(), "--json")


def test_a_link_and_a_comment_get_the_first_figure_with_its_caption(
    paperbot: Paperbot, fake: FakeArxivHtml
) -> None:
    serve_paper(fake)
    paperbot.write_config(fake.config())
    result = add(paperbot)
    entry = show(paperbot, result)
    assert entry["images"] == [{"source": fake.server.url(f"/html/{ID}v2/x1.png"), "alt": ALT}]
    assert f"took figure 1 from {fake.server.url(f'/html/{ID}v2/')}" in result.stderr
    # The redirect, the versioned page, the figure's image: the table's image is never asked.
    assert fake.server.paths() == [f"/html/{ID}", f"/html/{ID}v2/", f"/html/{ID}v2/x1.png"]


def test_figure_n_takes_up_to_four_panels(paperbot: Paperbot, fake: FakeArxivHtml) -> None:
    serve_paper(fake, site="ar5iv", absolute=True)
    paperbot.write_config(fake.config())
    entry = show(paperbot, add(paperbot, "--figure", "2"))
    folder = f"/ar5iv/html/{ID}/assets/"
    assert [i["source"] for i in entry["images"]] == [
        fake.server.url(f"{folder}x{n}.png") for n in range(2, 6)
    ]
    assert {i["alt"] for i in entry["images"]} == {"Five panels; four are taken."}


def test_root_relative_links_resolve_against_the_page(
    paperbot: Paperbot, fake: FakeArxivHtml
) -> None:
    serve_paper(fake, site="ar5iv")  # arXiv's own URL answers 404: ar5iv is asked next
    paperbot.write_config(fake.config())
    entry = show(paperbot, add(paperbot))
    assert entry["images"][0]["source"] == fake.server.url(f"/ar5iv/html/{ID}/assets/x1.png")
    assert fake.pages() == [f"/html/{ID}", f"/ar5iv/html/{ID}"]


@pytest.mark.parametrize(
    ("args", "config", "private"),
    [
        (("--no-fetch",), "", True),
        (("--figure", "none"), "", True),
        ((), 'figure = "none"', True),
        (("--image", "https://example.org/own.png", "--alt", "Mine"), "", True),
    ],
)
def test_no_request_when_no_figure_is_wanted(
    paperbot: Paperbot, fake: FakeArxivHtml, args: tuple[str, ...], config: str, private: bool
) -> None:
    serve_paper(fake)
    paperbot.write_config(fake.config(config, private=private))
    entry = show(paperbot, add(paperbot, *args))
    assert fake.count() == 0
    assert all(i["source"].startswith("https://example.org") for i in entry["images"])


def test_offline_asks_nothing(paperbot: Paperbot, fake: FakeArxivHtml) -> None:
    serve_paper(fake)
    paperbot.write_config(fake.config())
    result = paperbot("add", LINK, "--comment", "Mine.")  # the fixture's PAPERBOT_OFFLINE=1
    assert result.exit_code == 0
    assert fake.count() == 0


def refused(paperbot: Paperbot, *args: str, link: str = LINK) -> str:
    result = paperbot("add", link, "--comment", "Mine.", *args, **ONLINE)
    assert result.exit_code == 2, result.stderr
    assert paperbot.dump().get("entries", []) == []
    return str(result.stderr)


def test_contradictory_figure_options_are_bad_input(
    paperbot: Paperbot, fake: FakeArxivHtml
) -> None:
    paperbot.write_config(fake.config())
    assert "figure's number" in refused(paperbot, "--figure", "two")
    assert "drop --image" in refused(paperbot, "--figure", "2", "--image", "https://e.org/a.png")
    assert "not one" in refused(paperbot, "--figure", "2", link="https://example.org/post")
    assert "--no-fetch" in refused(paperbot, "--figure", "1", "--no-fetch")
    assert fake.count() == 0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('figure = "last"', "'arxiv.figure': must be 'first' or 'none'"),
        ('html_urls = ["https://arxiv.org/html/"]', "with {id}"),
        ("html_urls = []", "name at least one"),
        ("html_urls = [1]", "every item must be a string"),
    ],
)
def test_bad_arxiv_config_fails_with_the_key(paperbot: Paperbot, line: str, message: str) -> None:
    paperbot.write_config(f"[arxiv]\n{line}\n")
    result = paperbot("add", LINK, "--comment", "Mine.")
    assert result.exit_code == 2
    assert message in result.stderr


def queued_without_figure(paperbot: Paperbot, *args: str) -> str:
    """Exit 0, the entry queued with no image, one warning line saying why."""
    result = add(paperbot, *args)
    entry = show(paperbot, result)
    assert (entry["status"], entry["images"]) == ("queued", [])
    [line] = str(result.stderr).strip().splitlines()
    assert line.startswith(f"warning: arXiv {ID}: ")
    assert line.endswith("queued without a figure")
    return line


def test_no_html_edition_anywhere(paperbot: Paperbot, fake: FakeArxivHtml) -> None:
    paperbot.write_config(fake.config())
    line = queued_without_figure(paperbot)
    assert "no HTML edition" in line and "404" in line
    assert fake.pages() == [f"/html/{ID}", f"/ar5iv/html/{ID}"]


def test_a_vector_figure_is_not_taken(paperbot: Paperbot, fake: FakeArxivHtml) -> None:
    serve_paper(fake)
    paperbot.write_config(fake.config())
    assert "figure 3 has no raster image" in queued_without_figure(paperbot, "--figure", "3")
    assert "has no figure 9 (its figures: 1, 2, 3)" in queued_without_figure(
        paperbot, "--figure", "9", "--week", "2026-W02"
    )


def test_a_page_without_raster_figures(paperbot: Paperbot, fake: FakeArxivHtml) -> None:
    fake.paper(ID, [Table(1, "Only a table.", image="t.png"), Figure(1, "SVG.", svg=True)], {})
    paperbot.write_config(fake.config())
    assert "has no raster figure" in queued_without_figure(paperbot)


def test_a_truncated_page_gives_what_it_holds(paperbot: Paperbot, fake: FakeArxivHtml) -> None:
    whole = latexml_page([Figure(1, "Kept. " * 40, ("x1.png",)), Figure(2, "Lost.", ("x2.png",))])
    cut = whole[: whole.index(b"Kept.") + 100]  # inside the first caption
    fake.paper(ID, [], {"x1.png": figure_png(1)}, page=cut)
    fake.paper("2401.05678", [], {}, page=whole[:200])  # before any figure
    paperbot.write_config(fake.config())
    entry = show(paperbot, add(paperbot))
    assert entry["images"][0]["alt"].startswith("Kept. Kept.")
    result = add(paperbot, link="https://arxiv.org/abs/2401.05678")
    assert "has no raster figure" in result.stderr
    assert show(paperbot, result)["images"] == []


@pytest.mark.parametrize("declared", [True, False])
def test_a_30_mb_page_is_refused_at_the_size_cap(
    paperbot: Paperbot, fake: FakeArxivHtml, declared: bool
) -> None:
    fake.huge(ID, 30, declared=declared)
    paperbot.write_config(fake.config())
    line = queued_without_figure(paperbot)
    assert "larger than 20 MB" in line


def test_a_failing_image_leaves_the_entry_without_it(
    paperbot: Paperbot, fake: FakeArxivHtml
) -> None:
    fake.paper(ID, [Figure(1, "Gone.", ("x1.png",))], {})  # the image itself answers 404
    paperbot.write_config(fake.config())
    assert "figure 1: image" in queued_without_figure(paperbot)
    fake.server.route(f"/html/{ID}v2/x1.png", Reply(200, {}, b"<html>not an image</html>"))
    assert "HTML page, not an image" in queued_without_figure(paperbot, "--week", "2026-W02")


def test_private_hosts_stay_refused_unless_allowed(paperbot: Paperbot, fake: FakeArxivHtml) -> None:
    serve_paper(fake)
    paperbot.write_config(fake.config(private=False))
    line = queued_without_figure(paperbot)
    assert "loopback address" in line
    assert fake.count() == 0


def test_an_image_without_alt_text_gets_the_matching_caption(
    paperbot: Paperbot, fake: FakeArxivHtml
) -> None:
    from tests.fakes.latexml_pages import as_resized_jpeg

    serve_paper(fake)
    paperbot.write_config(fake.config())
    saved = paperbot.workdir / "fig.jpg"
    saved.write_bytes(as_resized_jpeg(figure_png(3), 0.5, 75))  # the second panel of figure 2
    result = add(paperbot, "--image", str(saved))
    entry = show(paperbot, result)
    assert entry["images"] == [{"source": str(saved), "alt": "Five panels; four are taken."}]
    assert "image 1 is figure 2" in result.stderr
    kept = add(paperbot, "--image", str(saved), "--alt", "Mine", "--week", "2026-W02")
    assert show(paperbot, kept)["images"][0]["alt"] == "Mine"


def test_a_slow_page_gives_up_at_the_images_timeout(
    paperbot: Paperbot, fake: FakeArxivHtml
) -> None:
    slow = Reply(200, {"Content-Type": "text/html"}, latexml_page([]), delay=5)
    fake.server.route(f"/html/{ID}", slow)
    paperbot.write_config(fake.config(images="timeout_seconds = 1\n"))
    line = queued_without_figure(paperbot)
    assert "took longer than 1 s" in line


def test_the_caption_is_cut_to_the_strictest_channel(
    paperbot: Paperbot, fake: FakeArxivHtml
) -> None:
    sentences = [f"Sentence {n} says what panel {n} shows in some detail here." for n in range(30)]
    fake.paper(ID, [Figure(1, " ".join(sentences), ("x1.png",))], {"x1.png": figure_png(1)})
    paperbot.write_config(fake.config())
    bluesky = show(paperbot, add(paperbot, "--channel", "bluesky"))["images"][0]["alt"]
    assert bluesky == " ".join(sentences)  # 1,719 characters: under Bluesky's 2,000
    both = add(paperbot, "--channel", "bluesky", "--channel", "mastodon", "--week", "2026-W02")
    mastodon = show(paperbot, both)["images"][0]["alt"]
    x = show(paperbot, add(paperbot, "--week", "2026-W03"))["images"][0]["alt"]  # post_to: x
    for cut, limit in ((mastodon, 1500), (x, 1000)):
        kept = cut.count("Sentence ")
        assert cut == " ".join(sentences[:kept])  # whole sentences only
        assert len(cut) <= limit < len(cut) + 1 + len(sentences[kept])  # as many as fit
