"""Reading Markdown digests: the seed, every link form, own profiles, weeks and broken files."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.digests.headings import classify_section
from bot.digests.markdown import parse_markdown, parse_markdown_bytes
from bot.digests.records import (
    MAX_IMPORT_BYTES,
    ImageRef,
    ImportedEntry,
    ImportFileError,
    ParsedImport,
    Skipped,
    read_limited,
)
from tests.conftest import Paperbot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED = FIXTURES / "seed_2020_w37.md"
SEED_IMAGES = [
    "d744d44c739ca0dc49040596b2ee43ad",
    "122e024e8cc290db25be1c642a471097",
    "f34f9fe2a8671abbd97d333c029b9f22",
    "4af6f2ae196a0edfc1fd7f81ef010594",
    "ba0f1cd0136fccf811b58b90622277cb",
    "d3fba639ecd2403877c026bdd4134e2c",
]


def parse(
    text: str,
    base_dir: Path,
    *,
    default_week: str | None = None,
    week_override: str | None = None,
    check_images: bool = False,
) -> ParsedImport:
    return parse_markdown(
        text,
        base_dir=base_dir,
        source_name="digest.md",
        default_week=default_week,
        week_override=week_override,
        check_images=check_images,
    )


def seed_entries(base: Path) -> list[ImportedEntry]:
    """What the seed must read as, written out in full."""

    def paper(line: int, title: str, arxiv_id: str, comment: str, image: str) -> ImportedEntry:
        return ImportedEntry(
            kind="paper",
            title=title,
            url=f"https://arxiv.org/abs/{arxiv_id}",
            arxiv_id=arxiv_id,
            comment=comment,
            images=(ImageRef(str(base / "img" / f"{image}.png"), ""),),
            week="2020-W37",
            at=None,
            line=line,
        )

    return [
        paper(
            15,
            "流动边缘引导的视频完成",
            "2009.01835",
            "这是一个使用 flow 的视频补全的研究。这种方法"
            "的关键点是:1)通过检测缺失的边缘并连接它们来完成"
            "流，2)通过使用稍远的帧来获得视频的不可见部分"
            "，3)通过使用梯度来防止接缝。他们的方法在数量上"
            "优于以前的研究，甚至可以从视频中剔除人。",
            SEED_IMAGES[0],
        ),
        paper(
            23,
            "用于定向和密集包装对象检测的动态细化网络",
            "2005.09973",
            "很难检测密集的并且相对于图像旋转的物体。为了克服这"
            "一困难，他们提出了一种基于 CenterNet 的"
            "模型，该模型在不使用边界框的情况下回归对象中心，使"
            "用可变形 Conv 和 DRH 沿着要检测的对象的线"
            "进行检测，该模型通过生成过滤器来动态响应每个样本。",
            SEED_IMAGES[1],
        ),
        paper(
            31,
            "具有最大不变预测器的分布外推广",
            "2008.01883",
            "对于推广到超出分布的问题，他们提出了一种训练"
            "方法，其中每个数据的梯度接近平均梯度，并发现它"
            "在彩色 MNIST 中是有效的。",
            SEED_IMAGES[2],
        ),
        paper(
            39,
            "GAN 瘦身:通过统一的优化框架实现一体化 GAN 压缩",
            "2008.11062",
            "减小氮化镓发生器尺寸的研究。提炼、量化和修剪"
            "的组合。量化通常是不可微的，但是他们使用伪梯度"
            "来实现 E2E 训练。他们已经成功地将现有模型的尺寸缩小到原来的 1/47。",
            SEED_IMAGES[3],
        ),
        paper(
            47,
            "在空间和时间上对齐视频",
            "2007.04515",
            "视频中行为对应的无监督检测研究。通过测量在无"
            "监督训练跟踪器中检测到的斑块之间的距离来学习"
            "斑块级对应。检测精度优于现有的特征提取器。",
            SEED_IMAGES[4],
        ),
        paper(
            55,
            "SliceOut:训练变压器和 CNN 更快，同时使用更少的内存",
            "2007.10909",
            "提出了 Sliceout，一种高效的存储器丢失算"
            "法。我们不是选择一个均匀的随机缺失部分，而是在一个"
            "连续的范围内选择和分割矩阵，这消除了耗时的内存重新分配，从而使它更快。",
            SEED_IMAGES[5],
        ),
        ImportedEntry(
            kind="article",
            title="卡格尔创始人安东尼·戈德布卢姆访谈",
            url="https://www.wandb.com/podcast/anthony-goldbloom",
            arxiv_id=None,
            comment="对 Kaggle 创始人安东尼·戈德布卢姆(Anthony Goldbloom)关于 Kaggle 竞争的采访证明"
            "了随机森林的有用性，GBDT 在学术界并不那么受欢"
            "迎，但它对结构化数据很有效，Kaggle 笔记本和 "
            "Kaggle 数据集的引入创造了一个环境，许多人可以自由表达他们的见解。",
            images=(),
            week="2020-W37",
            at=None,
            line=65,
        ),
        ImportedEntry(
            kind="application",
            title="用人工智能助手寻找太空中的磁喷发",
            url="https://phys.org/news/2020-09-magnetic-eruptions-space-ai.html",
            arxiv_id=None,
            comment="磁层顶是由太阳风与地球磁层碰撞引起的现象，"
            "这种现象很罕见，因此该团队动员了技术高超的"
            "科学家对其进行全职监控。本文是关于使用机器学"
            "习来创建该任务的助手的试错。由于这是一项困难的"
            "任务，他们通过使用“科学家在循环中”来提高准确性，这涉及到一个科学家在学习循环中。",
            images=(),
            week="2020-W37",
            at=None,
            line=81,
        ),
    ]


SEED_SKIPPED = [
    Skipped(
        75, "新冠肺炎时间序列预测模型", "no link (expected a URL or arXiv:ID under the heading)"
    ),
    Skipped(
        91,
        "我的 github 上许多论文的摘要。",
        "links only to the author's own profile (github.com/AkiraTOSEI/ML_papers/issues)",
    ),
    Skipped(
        99,
        "推特，我贴一句纸评论。",
        "links only to the author's own profile (twitter.com/AkiraTOSEI)",
    ),
]


# -- the seed --------------------------------------------------------------------------------


def test_seed_reads_as_the_expected_entries() -> None:
    base = FIXTURES.resolve()
    parsed = parse(SEED.read_text(encoding="utf-8"), base)
    assert parsed.week == "2020-W37"
    assert list(parsed.entries) == seed_entries(base)
    assert list(parsed.skipped) == SEED_SKIPPED


def test_seed_with_its_images_present(tmp_path: Path) -> None:
    """As a user would import it: bytes from disk, images checked and found."""
    (tmp_path / "img").mkdir()
    for name in SEED_IMAGES:
        (tmp_path / "img" / f"{name}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    digest = tmp_path / "digest.md"
    digest.write_bytes(SEED.read_bytes())
    parsed = parse_markdown_bytes(digest.read_bytes(), base_dir=tmp_path, source_name="d.md")
    assert list(parsed.entries) == seed_entries(tmp_path.resolve())


def test_seed_without_its_images_lists_every_missing_one(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_markdown(SEED.read_text(encoding="utf-8"), base_dir=tmp_path, source_name="s.md")
    error = caught.value
    assert [(e.line, e.field) for e in error.errors] == [
        (21, "image"),
        (29, "image"),
        (37, "image"),
        (45, "image"),
        (53, "image"),
        (61, "image"),
    ]
    lines = str(error).splitlines()
    assert lines[0] == "s.md: 6 errors, nothing imported"
    assert lines[1].startswith("s.md:21: field 'image': 'img/d744d44c739ca0dc49040596b2ee43ad.png'")
    assert "does not exist" in lines[1]
    assert (error.line, error.field) == (21, "image")


def test_embed_card_headings_are_not_entries() -> None:
    parsed = parse(SEED.read_text(encoding="utf-8"), FIXTURES)
    titles = [e.title for e in parsed.entries] + [s.title for s in parsed.skipped]
    assert "如何与安东尼·戈德布卢姆一起赢得卡格尔比赛" not in titles
    assert "AkiraTOSEI/ML_papers" not in titles
    assert "内容:" not in titles  # the table of contents is neither an entry nor skipped
    assert not any("wandb.com" in e.comment or "###" in e.comment for e in parsed.entries)


# -- links -----------------------------------------------------------------------------------

EVERY_LINK_FORM = """\
# Week 12, 2024

## Markdown link
[the paper](https://arxiv.org/abs/2401.00001v2)

Comment one.

## Bare URL

https://example.com/bare

## Angle brackets

<https://example.com/angle>

## Full-width bracket, unclosed
【https://arxiv.org/abs/2401.00002<3 spaces>

## Full-width bracket, closed

【https://example.com/closed】

## arXiv tag

arXiv:2401.00003

## [Link in the heading](https://arxiv.org/pdf/2401.00004v1.pdf)

Said in the heading.

## Labelled link

Paper: https://arxiv.org/abs/2401.00005

## Medium embed

A comment before the card.

[](https://example.com/embed) [## Card title

### Card description…

example.com](https://example.com/embed)

## Link inside the text

I liked [this post](https://example.com/inline), and https://example.com/second too.

## Old-style arXiv id

https://arxiv.org/abs/hep-th/9901001
""".replace("<3 spaces>", "   ")


def test_every_link_form(tmp_path: Path) -> None:
    parsed = parse(EVERY_LINK_FORM, tmp_path)
    got = [(e.title, e.url, e.arxiv_id, e.comment, e.kind) for e in parsed.entries]
    assert got == [
        (
            "Markdown link",
            "https://arxiv.org/abs/2401.00001",
            "2401.00001",
            "Comment one.",
            "paper",
        ),
        ("Bare URL", "https://example.com/bare", None, "", "article"),
        ("Angle brackets", "https://example.com/angle", None, "", "article"),
        (
            "Full-width bracket, unclosed",
            "https://arxiv.org/abs/2401.00002",
            "2401.00002",
            "",
            "paper",
        ),
        ("Full-width bracket, closed", "https://example.com/closed", None, "", "article"),
        ("arXiv tag", "https://arxiv.org/abs/2401.00003", "2401.00003", "", "paper"),
        (
            "Link in the heading",
            "https://arxiv.org/abs/2401.00004",
            "2401.00004",
            "Said in the heading.",
            "paper",
        ),
        ("Labelled link", "https://arxiv.org/abs/2401.00005", "2401.00005", "", "paper"),
        (
            "Medium embed",
            "https://example.com/embed",
            None,
            "A comment before the card.",
            "article",
        ),
        (
            "Link inside the text",
            "https://example.com/inline",
            None,
            "I liked [this post](https://example.com/inline), and https://example.com/second too.",
            "article",
        ),
        (
            "Old-style arXiv id",
            "https://arxiv.org/abs/hep-th/9901001",
            "hep-th/9901001",
            "",
            "paper",
        ),
    ]
    assert parsed.skipped == ()
    assert parsed.week == "2024-W12"
    assert [e.line for e in parsed.entries][:3] == [3, 8, 12]


def test_link_line_beats_links_in_the_comment(tmp_path: Path) -> None:
    text = "# Week 2, 2024\n\n## T\n\nSee also https://example.com/other.\n\n<https://example.com/main>\n"
    (entry,) = parse(text, tmp_path).entries
    assert entry.url == "https://example.com/main"
    assert entry.comment == "See also https://example.com/other."


def test_second_link_line_stays_in_the_comment(tmp_path: Path) -> None:
    text = "## T\n\nhttps://arxiv.org/abs/2401.00001\n\nCode:\n\nhttps://github.com/org/repo\n"
    (entry,) = parse(text, tmp_path).entries
    assert entry.url == "https://arxiv.org/abs/2401.00001"
    assert entry.comment == "Code:\n\nhttps://github.com/org/repo"


def test_a_bad_link_line_is_an_error(tmp_path: Path) -> None:
    text = "## One\n\n[paper](ftp://example.com/x)\n\n## Two\n\n[paper](example.com/y)\n"
    with pytest.raises(ImportFileError) as caught:
        parse(text, tmp_path)
    assert [(e.line, e.field) for e in caught.value.errors] == [(3, "url"), (7, "url")]
    assert "scheme 'ftp'" in str(caught.value)


def test_posted_lines_and_rules_are_ignored(tmp_path: Path) -> None:
    text = (
        "## T\n\n<https://example.com/a>\n\nThe comment.\n\n---\n\n"
        "Posted: <https://x.com/someone/status/1>\n"
    )
    (entry,) = parse(text, tmp_path).entries
    assert entry.comment == "The comment."


def test_code_fences_hide_headings(tmp_path: Path) -> None:
    text = "## T\n\n<https://example.com/a>\n\n```\n## not an entry\n```\n"
    (entry,) = parse(text, tmp_path).entries
    assert entry.comment == "```\n## not an entry\n```"


def test_fences_follow_commonmark(tmp_path: Path) -> None:
    """A backtick in a backtick fence's info string makes it text, and a closing fence
    indented four spaces closes nothing (markdown-it-py decides, as any viewer would)."""
    not_a_fence = "## A\n\n<https://example.com/a>\n\n```a`b\n\n## B\n\n<https://example.com/b>\n"
    assert [e.title for e in parse(not_a_fence, tmp_path).entries] == ["A", "B"]
    still_open = (
        "## A\n\n<https://example.com/a>\n\n```\n    ```\n## B\n\n<https://example.com/b>\n"
    )
    (entry,) = parse(still_open, tmp_path).entries
    assert entry.comment == "```\n```\n## B\n\n<https://example.com/b>"


def test_escaped_ordered_list_marker_reads_as_written(tmp_path: Path) -> None:
    """``1\\.`` is how CommonMark (and the digest writer) keeps "1." from starting a list."""
    text = "## A\n\n<https://example.com/a>\n\n1\\. # not a list\n\\1\\. kept\n2. a list\n"
    (entry,) = parse(text, tmp_path).entries
    assert entry.comment == "1. # not a list\n1\\. kept\n2. a list"


def test_same_url_twice_is_skipped_with_the_first_line(tmp_path: Path) -> None:
    text = (
        "## A\n\nhttps://arxiv.org/abs/2401.00001\n\n## B\n\nhttps://arxiv.org/pdf/2401.00001v2\n"
    )
    parsed = parse(text, tmp_path)
    assert [e.title for e in parsed.entries] == ["A"]
    assert parsed.skipped == (
        Skipped(5, "B", "same URL as line 1 (https://arxiv.org/abs/2401.00001)"),
    )


# -- own profiles and missing links ----------------------------------------------------------


def test_own_profiles_are_skipped_and_others_kept(tmp_path: Path) -> None:
    text = """\
# Week 12, 2024

> Original: <https://medium.com/@akira/week-12-abcdef>

## Follow me on X

https://x.com/someone_else

## My notes

[](https://github.com/akira/notes/issues) [## akira/notes

github.com](https://github.com/akira/notes/issues)

## A repository by someone else

https://github.com/other/notes/issues

## My Medium

https://medium.com/@akira

## A tweet worth reading

https://twitter.com/someone_else/status/12345

## Section without a link

Just text.
"""
    parsed = parse(text, tmp_path)
    assert [e.url for e in parsed.entries] == [
        "https://github.com/other/notes/issues",
        "https://twitter.com/someone_else/status/12345",
    ]
    assert [(s.line, s.title, s.reason) for s in parsed.skipped] == [
        (5, "Follow me on X", "links only to the author's own profile (x.com/someone_else)"),
        (
            9,
            "My notes",
            "links only to the author's own profile (github.com/akira/notes/issues)",
        ),
        (19, "My Medium", "links only to the author's own profile (medium.com/@akira)"),
        (27, "Section without a link", "no link (expected a URL or arXiv:ID under the heading)"),
    ]


def test_handle_on_two_networks_is_the_author(tmp_path: Path) -> None:
    text = (
        "## A\n\nhttps://arxiv.org/abs/2401.00001\n\nby me: https://twitter.com/akira/status/1\n\n"
        "## B\n\nhttps://github.com/akira\n"
    )
    parsed = parse(text, tmp_path)
    assert [s.title for s in parsed.skipped] == ["B"]


def test_a_file_of_only_skipped_headings_has_no_entries(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"no entries found .*1 heading\(s\) skipped"):
        parse("# Week 3, 2024\n\n## Only text\n\nNothing to link.\n", tmp_path)


# -- sections and weeks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("1. Machine Learning Papers", "paper"),
        ("2. Technical Articles", "article"),
        ("3. Examples of Machine Learning applications", "application"),
        ("1.机器学习论文", "paper"),
        ("2.技术文章", "article"),
        ("3.机器学习应用的例子", "application"),
        ("1. 論文", "paper"),
        ("2. 技術記事", "article"),
        ("3. 機械学習の応用例", "application"),
        ("4. Other topics", None),
    ],
)
def test_classify_section(heading: str, kind: str | None) -> None:
    assert classify_section(heading) == kind


def test_kinds_follow_sections_and_links_elsewhere(tmp_path: Path) -> None:
    text = """\
# 2024年第12週

## 前置き

https://arxiv.org/abs/2401.00001

# 1. 技術記事

## 記事

https://example.com/article

# 2. 応用例

## 応用

https://example.com/app

# 3. その他

## ほか

https://example.com/other
"""
    parsed = parse(text, tmp_path)
    assert parsed.week == "2024-W12"
    assert [e.kind for e in parsed.entries] == ["paper", "article", "application", "article"]


def test_sections_one_level_down(tmp_path: Path) -> None:
    """Some digests use ``##`` sections and ``###`` entries; they read the same."""
    text = (
        "# Reading list, week 12 2024\n\n## Papers\n\n### P\n\n<https://example.com/p>\n\n"
        "## Applications\n\n### A\n\n<https://example.com/a>\n"
    )
    parsed = parse(text, tmp_path)
    assert [(e.kind, e.title) for e in parsed.entries] == [("paper", "P"), ("application", "A")]
    assert parsed.week == "2024-W12"


def test_heading_with_only_a_link_gives_an_empty_title(tmp_path: Path) -> None:
    """As in CSV, the caller fills an empty title from arXiv."""
    (entry,) = parse("## [](https://arxiv.org/abs/2401.00001)\n", tmp_path).entries
    assert (entry.title, entry.arxiv_id) == ("", "2401.00001")


@pytest.mark.parametrize(
    "title",
    [
        "# 2020 年第 37 周",
        "# Week 37 2020",
        "# 2020-W37",
        "# ML News Week 37, 2020",
        "# Akira's ML news: Week 37, 2020",
        "# 2020年第37週",
        "# 第37週",  # the year comes from the text before the first entry
    ],
)
def test_week_from_the_title(tmp_path: Path, title: str) -> None:
    text = f"{title}\n\nPapers I read in 2020.\n\n## A\n\nhttps://example.com/a\n"
    parsed = parse(text, tmp_path)
    assert parsed.week == "2020-W37"
    assert parsed.entries[0].week == "2020-W37"


def test_week_without_a_year_takes_the_default_weeks_year(tmp_path: Path) -> None:
    text = "# 第37週\n\n## A\n\nhttps://example.com/a\n"
    assert parse(text, tmp_path, default_week="2021-W02").week == "2021-W37"
    assert parse(text, tmp_path).week is None


def test_week_precedence(tmp_path: Path) -> None:
    titled = "# Week 37, 2020\n\n## A\n\nhttps://example.com/a\n"
    untitled = "# My reading list\n\n## A\n\nhttps://example.com/a\n"
    assert parse(titled, tmp_path, week_override="2024-W01").week == "2024-W01"
    assert parse(titled, tmp_path, default_week="2024-W01").week == "2020-W37"
    assert parse(untitled, tmp_path, default_week="2024-W01").week == "2024-W01"
    nothing = parse(untitled, tmp_path)
    assert nothing.week is None and nothing.entries[0].week is None


def test_week_53_only_in_years_that_have_it(tmp_path: Path) -> None:
    body = "\n\n## A\n\nhttps://example.com/a\n"
    assert parse("# 2020-W53" + body, tmp_path).week == "2020-W53"
    with pytest.raises(ImportFileError) as caught:
        parse("# 2021-W53" + body, tmp_path)
    assert str(caught.value) == (
        "digest.md:1: field 'week': the title names a week that does not exist: "
        "2021 has weeks 1 to 52, not 53"
    )
    # an explicit week makes the title's irrelevant
    assert parse("# 2021-W53" + body, tmp_path, week_override="2021-W52").week == "2021-W52"


# -- images ----------------------------------------------------------------------------------


def test_images_resolved_kept_and_checked(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a b.png").write_bytes(b"png")
    (tmp_path / "img" / "c.png").write_bytes(b"png")
    text = (
        "## T\n\n<https://example.com/a>\n\n"
        "![Figure 1: the model](<img/a b.png>)\n"
        '![](img/c.png "a title") ![remote](https://example.com/fig.png)\n'
    )
    (entry,) = parse(text, tmp_path, check_images=True).entries
    assert entry.images == (
        ImageRef(str(tmp_path.resolve() / "img" / "a b.png"), "Figure 1: the model"),
        ImageRef(str(tmp_path.resolve() / "img" / "c.png"), ""),
        ImageRef("https://example.com/fig.png", "remote"),
    )
    assert entry.comment == ""


def test_image_paths_must_stay_in_the_digests_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(b"png")
    digest_dir = tmp_path / "digest"
    digest_dir.mkdir()
    text = (
        "## T\n\n<https://example.com/a>\n\n"
        "![](../secret.png)\n"
        f"![]({tmp_path / 'secret.png'})\n"
        "![](img/../../secret.png)\n"
    )
    with pytest.raises(ImportFileError) as caught:
        parse(text, digest_dir, check_images=True)
    assert [(e.line, e.field) for e in caught.value.errors] == [
        (5, "image"),
        (6, "image"),
        (7, "image"),
    ]
    assert all("outside the digest's folder" in e.reason for e in caught.value.errors)
    # confinement holds even when existence is not checked
    with pytest.raises(ImportFileError, match="outside the digest's folder"):
        parse(text, digest_dir, check_images=False)


def test_more_than_four_images_is_an_error(tmp_path: Path) -> None:
    images = "\n".join(f"![](https://example.com/{n}.png)" for n in range(5))
    with pytest.raises(ImportFileError, match="field 'images': 5 images; X takes at most 4"):
        parse(f"## T\n\n<https://example.com/a>\n\n{images}\n", tmp_path)


# -- broken files ----------------------------------------------------------------------------


def test_no_entries(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as caught:
        parse("# Just a title\n\nSome prose, no headings.\n", tmp_path)
    assert str(caught.value) == (
        "digest.md: no entries found (expected '## title' headings with links)"
    )
    assert caught.value.line is None


def test_invalid_utf8_names_the_byte_and_offset(tmp_path: Path) -> None:
    data = "## Café\n\nhttps://example.com/a\n".encode("latin-1")
    with pytest.raises(ImportFileError) as caught:
        parse_markdown_bytes(data, base_dir=tmp_path, source_name="latin.md")
    assert str(caught.value) == "latin.md:1: not UTF-8 text (byte 0xe9 at offset 6)"


def test_binary_file_is_refused(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    with pytest.raises(ImportFileError, match=r"not UTF-8 text \(byte 0x89 at offset 0\)"):
        parse_markdown_bytes(png, base_dir=tmp_path, source_name="fig.png")
    with pytest.raises(ImportFileError, match=r"not UTF-8 text \(byte 0x00 at offset 5\)"):
        parse_markdown_bytes(b"## a\n\x00b", base_dir=tmp_path, source_name="nul.md")


def test_bom_and_crlf_are_fine(tmp_path: Path) -> None:
    data = "\ufeff# Week 2, 2024\r\n\r\n## A\r\n\r\nhttps://example.com/a\r\n".encode()
    parsed = parse_markdown_bytes(data, base_dir=tmp_path)
    assert [(e.title, e.url, e.line) for e in parsed.entries] == [("A", "https://example.com/a", 3)]


def test_a_50_mb_file_fails_fast(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    block = b"## Title\n\nhttps://example.com/a\n\n" + b"x" * 1000 + b"\n\n"
    with big.open("wb") as out:
        for _ in range(50 * 1024 * 1024 // len(block) + 1):
            out.write(block)
    assert big.stat().st_size > 50 * 1024 * 1024
    started = time.perf_counter()
    with big.open("rb") as stream, pytest.raises(ImportFileError, match="file too large"):
        read_limited(stream, source_name="big.md")
    data = big.read_bytes()
    with pytest.raises(ImportFileError, match=r"big.md: file too large \(5\d+ bytes; the limit"):
        parse_markdown_bytes(data, base_dir=tmp_path, source_name="big.md")
    with pytest.raises(ImportFileError, match="file too large"):
        parse_markdown(data.decode(), base_dir=tmp_path, source_name="big.md")
    assert time.perf_counter() - started < 2.0


def test_read_limited_passes_small_files() -> None:
    assert read_limited(io.BytesIO(b"abc"), source_name="-") == b"abc"
    assert len(read_limited(io.BytesIO(b"x" * MAX_IMPORT_BYTES), source_name="-")) == (
        MAX_IMPORT_BYTES
    )


def test_every_error_is_listed_once(tmp_path: Path) -> None:
    text = (
        "# 2021-W53\n\n"
        "## A\n\n[x](mailto:someone@example.com)\n\n"
        "## B\n\n<https://example.com/b>\n\n![](../up.png)\n"
    )
    with pytest.raises(ImportFileError) as caught:
        parse(text, tmp_path)
    assert [(e.line, e.field) for e in caught.value.errors] == [
        (1, "week"),
        (5, "url"),
        (11, "image"),
    ]
    assert str(caught.value).splitlines()[0] == "digest.md: 3 errors, nothing imported"


def test_bad_override_week_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="field 'week': '2024-37' is not an ISO week"):
        parse("## A\n\nhttps://example.com/a\n", tmp_path, week_override="2024-37")


# -- start-up cost ---------------------------------------------------------------------------

_SEES_MARKDOWN_IT = """
import sys
from click.testing import CliRunner
from bot.cli import cli
result = CliRunner().invoke(cli, sys.argv[1:], catch_exceptions=False)
assert result.exit_code == 0, result.output
print(sorted(m for m in sys.modules if m.split(".")[0] in ("markdown_it", "mdurl")))
"""


@pytest.mark.parametrize("args", [["--help"], ["list", "--json"], ["import", "--help"]])
def test_markdown_it_is_loaded_only_by_the_markdown_commands(
    paperbot: Paperbot, args: list[str]
) -> None:
    assert paperbot("db", "upgrade").exit_code == 0
    done = subprocess.run(
        [sys.executable, "-c", _SEES_MARKDOWN_IT, *args],
        env={**paperbot.env, "PATH": ""},
        cwd=paperbot.workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]"


def test_importing_a_digest_does_load_markdown_it(paperbot: Paperbot) -> None:
    """The test above would pass for a reader that never used markdown-it-py at all."""
    assert paperbot("db", "upgrade").exit_code == 0
    example = Path(__file__).resolve().parents[2] / "examples" / "2020-W37.md"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _SEES_MARKDOWN_IT,
            "import",
            str(example),
            "--dry-run",
            "--no-fetch",
        ],
        env={**paperbot.env, "PATH": ""},
        cwd=paperbot.workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "'markdown_it'" in done.stdout
