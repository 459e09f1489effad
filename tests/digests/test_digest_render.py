"""Rendering digests, and the round trip render -> import -> render that `digest` promises."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.digests.markdown import parse_markdown
from bot.digests.records import (
    KINDS,
    ImageRef,
    ParsedImport,
    normalize_comment,
    normalize_title,
)
from bot.digests.writer import DigestItem, Language, items_from_import, render_digest
from bot.schedule.weeks import weeks_in_year
from bot.text.urls import canonicalize

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OUT = Path("/nonexistent/paperbot/digests").resolve()  # images are not checked in these tests


def parse(text: str, base_dir: Path = OUT) -> ParsedImport:
    return parse_markdown(text, base_dir=base_dir, source_name="digest.md", check_images=False)


def test_render_in_the_seeds_structure(tmp_path: Path) -> None:
    out = tmp_path / "digests"
    items = [
        DigestItem(
            kind="article",
            title="An interview",
            url="https://www.wandb.com/podcast/anthony-goldbloom",
            comment="Random forests still win.",
        ),
        DigestItem(
            kind="paper",
            title="Flow-edge Guided Video Completion",
            url="https://arxiv.org/abs/2009.01835",
            comment="Completes flow edges first.\n\nThen the flow.",
            images=(
                ImageRef(str(out / "img" / "fig 1.png"), "Figure 1 [overview]"),
                ImageRef(str(tmp_path / "elsewhere.png"), ""),
                ImageRef("https://example.com/fig.png", "remote"),
            ),
            post_url="https://x.com/paperbot/status/1",
        ),
    ]
    assert render_digest("2020-W37", items, output_dir=out) == (
        "# Week 37, 2020\n"
        "\n"
        "Papers and articles I read in week 37 of 2020 (2020-W37) and found interesting.\n"
        "\n"
        "## Contents\n"
        "\n"
        "1. Papers\n"
        "2. Technical articles\n"
        "\n"
        "# 1. Papers\n"
        "\n"
        "## Flow-edge Guided Video Completion\n"
        "\n"
        "[https://arxiv.org/abs/2009.01835](https://arxiv.org/abs/2009.01835)\n"
        "\n"
        "Completes flow edges first.\n"
        "\n"
        "Then the flow.\n"
        "\n"
        "![Figure 1 \\[overview\\]](<img/fig 1.png>)\n"
        "![](../elsewhere.png)\n"
        "![remote](https://example.com/fig.png)\n"
        "\n"
        "Posted: <https://x.com/paperbot/status/1>\n"
        "\n"
        "# 2. Technical articles\n"
        "\n"
        "## An interview\n"
        "\n"
        "[https://www.wandb.com/podcast/anthony-goldbloom]"
        "(https://www.wandb.com/podcast/anthony-goldbloom)\n"
        "\n"
        "Random forests still win.\n"
    )


def test_rendered_digest_imports_with_its_images(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    figure = tmp_path / "img" / "fig 1.png"
    figure.write_bytes(b"png")
    item = DigestItem(
        "paper", "T", "https://arxiv.org/abs/2009.01835", "C", (ImageRef(str(figure), "alt"),)
    )
    text = render_digest("2020-W37", [item], output_dir=tmp_path, language="zh")
    parsed = parse_markdown(text, base_dir=tmp_path, source_name="d.md", check_images=True)
    assert parsed.entries[0].images == (ImageRef(str(figure.resolve()), "alt"),)


def test_images_outside_the_output_folder_are_refused_on_import(tmp_path: Path) -> None:
    """Documented limitation: keep a week's images next to its digest."""
    item = DigestItem("paper", "T", "https://example.com/a", "", (ImageRef("/elsewhere/x.png"),))
    text = render_digest("2020-W37", [item], output_dir=tmp_path)
    assert "![](../" in text
    with pytest.raises(ValueError, match="outside the digest's folder"):
        parse(text, tmp_path)


@pytest.mark.parametrize(
    ("language", "title", "sections"),
    [
        ("en", "# Week 37, 2020", ["# 1. Papers", "# 2. Technical articles"]),
        ("zh", "# 2020 年第 37 周", ["# 1. 论文", "# 2. 技术文章"]),
        ("ja", "# 2020年第37週", ["# 1. 論文", "# 2. 技術記事"]),
    ],
)
def test_languages(language: Language, title: str, sections: list[str]) -> None:
    items = [
        DigestItem("paper", "P", "https://arxiv.org/abs/2009.01835", ""),
        DigestItem("article", "A", "https://example.com/a", ""),
    ]
    text = render_digest("2020-W37", items, output_dir=OUT, language=language)
    lines = text.splitlines()
    assert lines[0] == title
    assert [line for line in lines if line.startswith("# ")][1:] == sections
    parsed = parse(text)
    assert parsed.week == "2020-W37"
    assert [(e.kind, e.title) for e in parsed.entries] == [("paper", "P"), ("article", "A")]


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown entry kind"):
        render_digest("2020-W37", [DigestItem("tweet", "T", "https://e.com/", "")], output_dir=OUT)


@pytest.mark.parametrize("language", ["en", "zh", "ja"])
def test_seed_round_trip(language: Language) -> None:
    base = FIXTURES.resolve()
    seed = parse((FIXTURES / "seed_2020_w37.md").read_text(encoding="utf-8"), base)
    text = render_digest("2020-W37", items_from_import(seed), output_dir=base, language=language)
    again = parse(text, base)
    assert again.skipped == ()
    assert [dataclasses.replace(e, line=0) for e in again.entries] == [
        dataclasses.replace(e, line=0) for e in seed.entries
    ]
    rerendered = render_digest(
        "2020-W37", items_from_import(again), output_dir=base, language=language
    )
    assert rerendered == text


TRICKY_COMMENT_LINES = [
    "# not a heading",
    "## nor this",
    "#hashtag at the start",
    "https://example.com/alone",
    "<https://example.com/angle>",
    "【https://example.com/bracket",
    "arXiv:2401.00001",
    "Paper: https://example.com/labelled",
    "Posted: <https://x.com/a/status/1>",
    "![not an image](img/x.png)",
    "[## not an embed card",
    "[](https://example.com/a) [## nor this",
    "```",
    "---",
    "\\",
    "\\# already escaped",
    "\\alpha",
    "> a quote",
]


def test_tricky_comments_and_titles_survive() -> None:
    items = [
        DigestItem("paper", "**Bold** [link](https://e.com/x) and <b> #", "https://e.com/1", line)
        for line in TRICKY_COMMENT_LINES
    ]
    items = [dataclasses.replace(item, url=f"https://e.com/{n}") for n, item in enumerate(items)]
    text = render_digest("2024-W02", items, output_dir=OUT)
    parsed = parse(text)
    assert [e.comment for e in parsed.entries] == TRICKY_COMMENT_LINES
    assert {e.title for e in parsed.entries} == {"**Bold** [link](https://e.com/x) and <b> #"}
    assert [e.url for e in parsed.entries] == [item.url for item in items]


# -- the property ----------------------------------------------------------------------------

_text_chars = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0x3040, max_codepoint=0x30FF),
    st.sampled_from("、。「」【】（）！？：；・ー\u3000éü—…"),
)
_words = st.text(_text_chars, min_size=0, max_size=30)
_prefixes = st.sampled_from(
    ["", "", "", "#", "# ", "## ", "\\", "\\#", "!", "![a](b.png)", "https://example.com/x",
     "<https://e.com/y>", "【https://e.com/z", "arXiv:2401.00001", "Posted: <https://x.com/a>",
     "```", "---", "[## ", "[](https://a.com) [## ", "**", "[x](https://e.com/y)", "Paper: ",
     "> ", "1. ", "* "]
)  # fmt: skip
_lines = st.builds(str.__add__, _prefixes, _words)
_comments = st.lists(st.lists(_lines, min_size=1, max_size=3).map("\n".join), max_size=3).map(
    "\n\n".join
)
_titles = (
    st.builds(
        lambda prefix, words, suffix: prefix + words + suffix,
        st.sampled_from(["", "", "**", "#", "[", "<", "Contents", "内容:", "\\"]),
        _words,
        st.sampled_from(["", "", " #", "#", "\\", "**", "]", " ##"]),
    )
    .map(normalize_title)
    .filter(bool)
)
_urls = st.one_of(
    st.builds(
        lambda yymm, n: f"https://arxiv.org/abs/{yymm}.{n:05d}",
        st.sampled_from(["1501", "2009", "2401"]),
        st.integers(1, 99999),
    ),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789-_./~%()", max_size=24).map(
        lambda path: canonicalize("https://example.com/" + path).url
    ),
)
_file_names = st.text("abcxyz019 ()_-.", min_size=1, max_size=12).filter(
    lambda name: name.strip() == name and name not in (".", "..")
)
_images = st.lists(
    st.builds(
        ImageRef,
        st.one_of(
            _file_names.map(lambda name: str(OUT / "img" / name)),
            _file_names.map(lambda name: "https://example.com/f/" + name.replace(" ", "_")),
        ),
        st.one_of(st.just(""), _words),
    ),
    max_size=4,
)
_items = st.builds(
    DigestItem,
    kind=st.sampled_from(KINDS),
    title=_titles,
    url=_urls,
    comment=_comments,
    images=_images.map(tuple),
    post_url=st.one_of(st.none(), st.just("https://x.com/paperbot/status/42")),
)
_weeks = st.integers(2000, 2035).flatmap(
    lambda year: st.integers(1, weeks_in_year(year)).map(lambda week: f"{year}-W{week:02d}")
)


@settings(max_examples=300, deadline=None)
@given(
    week=_weeks,
    items=st.lists(_items, min_size=1, max_size=6, unique_by=lambda item: item.url),
    language=st.sampled_from(["en", "zh", "ja"]),
)
def test_render_then_import_gives_the_same_entries(
    week: str, items: list[DigestItem], language: Language
) -> None:
    text = render_digest(week, items, output_dir=OUT, language=language)
    parsed = parse(text)
    in_digest_order = sorted(items, key=lambda item: KINDS.index(item.kind))
    expected = [
        (
            item.kind,
            normalize_title(item.title),
            item.url,
            normalize_comment(item.comment),
            tuple(ImageRef(image.source, normalize_title(image.alt)) for image in item.images),
            week,
        )
        for item in in_digest_order
    ]
    got = [(e.kind, e.title, e.url, e.comment, e.images, e.week) for e in parsed.entries]
    assert got == expected
    assert parsed.week == week and parsed.skipped == ()
    without_posts = [dataclasses.replace(item, post_url=None) for item in items]
    again = render_digest(week, items_from_import(parsed), output_dir=OUT, language=language)
    assert again == render_digest(week, without_posts, output_dir=OUT, language=language)
