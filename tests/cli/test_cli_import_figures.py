"""`paperbot import` of a seed-shaped digest: figures without alt text get the paper's captions.

The curator's images are the paper's figures saved smaller and re-encoded as JPEG (as a
screenshot or "save image as" gives them); a perceptual hash finds which figure each is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.digests.markdown_escape import escape_alt
from tests.conftest import Paperbot
from tests.fakes.fake_arxiv_html import FakeArxivHtml
from tests.fakes.http_server import FakeHTTPServer
from tests.fakes.latexml_pages import Figure, Table, as_resized_jpeg, figure_png, math

ONLINE = {"PAPERBOT_OFFLINE": ""}
DIGEST = """# 2026 年第 2 周

> 原文：<https://example.org/week-2>

以下是我在 2026 年第 2 周读到的一些论文。

# 1.机器学习论文

## 流动边缘引导的视频完成

[https://arxiv.org/abs/2401.00001](https://arxiv.org/abs/2401.00001)

这是一个使用 flow 的视频补全的研究。

![](img/a.jpg)

## 动态细化网络

https://arxiv.org/abs/2401.00002

很难检测密集的物体。

![](img/b.jpg)

## 没有图的论文

[https://arxiv.org/abs/2401.00003](https://arxiv.org/abs/2401.00003)

他们提出了一种训练方法。

## 策展人写了替代文字

[https://arxiv.org/abs/2401.00004](https://arxiv.org/abs/2401.00004)

减小发生器尺寸的研究。

![The curator's own words](img/d.png)

## 找不到的图

[https://arxiv.org/abs/2401.00005](https://arxiv.org/abs/2401.00005)

视频中行为对应的无监督检测研究。

![](img/e.png)

# 2.技术文章

## 访谈

对创始人的采访。

[https://www.example.org/podcast](https://www.example.org/podcast)

![](img/f.png)
"""


def caption(paper: int, figure: int) -> str:
    tex = r"\lambda_{[" + str(figure) + "]}*"  # backslash, brackets, star: Markdown's own
    return f"Paper {paper}, figure {figure}: the result with {math(tex)} shown."


def alt(paper: int, figure: int) -> str:
    return f"Paper {paper}, figure {figure}: the result with \\lambda_{{[{figure}]}}* shown."


def png(paper: int, figure: int) -> bytes:
    return figure_png(paper * 10 + figure)


@pytest.fixture
def fake() -> Iterator[FakeArxivHtml]:
    with FakeHTTPServer() as server:
        fake = FakeArxivHtml(server)
        for paper in range(1, 6):
            blocks: list[Figure | Table] = [Table(1, "Scores.")]
            blocks += [Figure(n, caption(paper, n), (f"x{n}.png",)) for n in (1, 2, 3)]
            images = {f"x{n}.png": png(paper, n) for n in (1, 2, 3)}
            fake.paper(f"2401.0000{paper}", blocks, images, site="arxiv" if paper % 2 else "ar5iv")
        yield fake


@pytest.fixture
def digest(paperbot: Paperbot) -> Path:
    folder = paperbot.workdir / "week"
    (folder / "img").mkdir(parents=True)
    (folder / "img/a.jpg").write_bytes(as_resized_jpeg(png(1, 1), 0.6, 70))
    (folder / "img/b.jpg").write_bytes(as_resized_jpeg(png(2, 2), 0.4, 60))
    (folder / "img/d.png").write_bytes(png(4, 1))
    (folder / "img/e.png").write_bytes(figure_png(12345))  # no paper has it
    (folder / "img/f.png").write_bytes(figure_png(777))
    path = folder / "2026-W02.md"
    path.write_text(DIGEST, encoding="utf-8")
    return path


def imported(paperbot: Paperbot, digest: Path, **env: str) -> list[Any]:
    result = paperbot("import", str(digest), **{**ONLINE, **env})
    assert result.exit_code == 0, result.stderr
    assert "6 added" in result.stdout, result.stderr
    return list(paperbot.json("list", "--json"))


def test_images_without_alt_text_get_the_matching_captions(
    paperbot: Paperbot, fake: FakeArxivHtml, digest: Path
) -> None:
    paperbot.write_config(fake.config())
    entries = imported(paperbot, digest)
    alts = [[i["alt"] for i in e["images"]] for e in entries]
    assert alts == [[alt(1, 1)], [alt(2, 2)], [alt(3, 1)], ["The curator's own words"], [""], [""]]
    assert entries[2]["images"][0]["source"] == fake.server.url("/html/2401.00003v2/x1.png")
    shown = paperbot.json("show", str(entries[0]["id"]), "--json")
    assert shown["images"][0] == {"source": str(digest.parent / "img/a.jpg"), "alt": alt(1, 1)}
    paths = fake.server.paths()
    assert not any("2401.00004" in p for p in paths)  # its alt text was written: nothing asked
    assert "/ar5iv/html/2401.00002/assets/x3.png" not in paths  # stopped at the match
    preview = paperbot.json("preview", "--json")
    warned = {(p["id"], w) for p in preview for w in p["warnings"] if "alt text" in w}
    assert warned == {
        (entries[4]["id"], "image 1 has no alt text of its own (the title stands in)"),
        (entries[5]["id"], "image 1 has no alt text of its own (the title stands in)"),
    }


def test_the_digest_carries_the_captions_and_imports_again_the_same(
    paperbot: Paperbot, fake: FakeArxivHtml, digest: Path
) -> None:
    paperbot.write_config(fake.config())
    original = imported(paperbot, digest)
    out = paperbot.workdir / "out" / "2026-W02.md"
    assert paperbot("digest", "--week", "2026-W02", "--output", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert f"![{escape_alt(alt(1, 1))}](img/a.jpg)" in text
    assert f"![{escape_alt(alt(3, 1))}]({fake.server.url('/html/2401.00003v2/x1.png')})" in text
    other = {"PAPERBOT_DATABASE_URL": f"sqlite:///{paperbot.workdir / 'other.db'}"}
    fake.server.clear()
    again = imported(paperbot, out, **other)
    assert fake.pages() == ["/html/2401.00005", "/html/2401.00005v2/"]  # the one left empty
    keys = ("kind", "title", "url", "arxiv_id", "comment", "week")
    assert [{k: e[k] for k in keys} for e in again] == [{k: e[k] for k in keys} for e in original]
    assert [[i["alt"] for i in e["images"]] for e in again] == [
        [i["alt"] for i in e["images"]] for e in original
    ]


@pytest.mark.parametrize(("option", "config"), [("--no-fetch", ""), ("", 'figure = "none"')])
def test_no_request_when_figures_are_off(
    paperbot: Paperbot, fake: FakeArxivHtml, digest: Path, option: str, config: str
) -> None:
    paperbot.write_config(fake.config(config))
    result = paperbot("import", str(digest), *([option] if option else []), **ONLINE)
    assert result.exit_code == 0, result.stderr
    assert fake.count() == 0
    assert json.loads(paperbot("list", "--json").stdout)[2]["images"] == []


def test_arxiv_failures_never_fail_the_import(paperbot: Paperbot, digest: Path) -> None:
    with FakeHTTPServer() as server:
        fake = FakeArxivHtml(server)  # knows no paper: 404 everywhere
        paperbot.write_config(fake.config())
        entries = imported(paperbot, digest)
        result = paperbot("import", str(digest), **ONLINE)
    assert "0 added, 6 already queued" in result.stdout
    assert len(entries) == 6 and entries[2]["images"] == []
    assert fake.count() == 2 * 4  # two URLs for each of the four papers that wanted a figure


def test_the_digests_own_errors_still_fail_it_before_arxiv_is_asked(
    paperbot: Paperbot, fake: FakeArxivHtml, digest: Path
) -> None:
    (digest.parent / "img/a.jpg").unlink()
    paperbot.write_config(fake.config())
    result = paperbot("import", str(digest), **ONLINE)
    assert result.exit_code == 2
    assert "img/a.jpg" in result.stderr
    assert fake.count() == 0
    assert paperbot.dump().get("entries", []) == []


def test_a_dry_run_asks_arxiv_for_no_figure(
    paperbot: Paperbot, fake: FakeArxivHtml, digest: Path
) -> None:
    paperbot.write_config(fake.config())
    result = paperbot("import", str(digest), "--dry-run", **ONLINE)
    assert result.exit_code == 0, result.stderr
    assert "would have 6 added" in result.stdout
    assert fake.count() == 0
