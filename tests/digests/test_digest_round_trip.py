"""digest -> import -> the same entries, for comment and title text that looks like Markdown.

Two readers must agree with the writer: our importer (the entries come back unchanged) and a
CommonMark viewer (the page shows every entry: no comment line may open an HTML block, turn
the line above it into a heading or vanish as a link definition).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.digests.markdown import parse_markdown
from bot.digests.records import KINDS, ParsedImport, normalize_comment, normalize_title
from bot.digests.writer import DigestItem, items_from_import, render_digest

OUT = Path("/nonexistent/paperbot/digests").resolve()  # images are not checked here

# Comment lines that are nothing but a link, in every form the reader accepts as a link line.
LINK_ONLY_LINES = [
    "https://example.com/only",
    "HTTPS://EXAMPLE.COM/ONLY",
    "<https://example.com/only>",
    "[the paper](https://example.com/only)",
    '[the paper](https://example.com/only "a title")',
    "[](https://example.com/only)",
    "[https://example.com/only](https://example.com/only)",
    "[a [nested] text](https://example.com/only)",
    "[x](<https://example.com/with space>)",
    "【https://example.com/only】",
    "【https://example.com/only",
    "arXiv:2401.00001",
    "arxiv: 2401.00001v2",
    "Paper: https://example.com/only",
    "论文：https://example.com/only",
    "Posted: <https://x.com/someone/status/1>",
    "已发布：<https://x.com/someone/status/1>",
    "![a figure](https://example.com/fig.png)",
    "[](https://example.com/card) [## a card title",
    "https://例子.com/路径",
]

# Lines with Markdown's special characters, CJK and emoji.
SPECIAL_LINES = [
    "*emphasis* and **strong** and a lone *",
    "_underscores_ and snake_case_names and __init__",
    "[brackets] and ] alone and [ alone",
    "[a link](https://example.com/inline) inside text",
    "# at the start",
    "#hashtag",
    "### three",
    "1. at the start",
    "1) also a list",
    "2020. A good year",
    "- a dash item",
    "+ a plus item",
    "* a star item",
    "> a quote",
    "`code` and ``double`` backticks",
    "```",
    "~~~",
    "``` python",
    "<b>bold?</b> not HTML here",
    "<!-- would hide the rest of the page",
    "<div>",
    "<3 this paper",
    "a < b > c",
    "===",
    "=",
    "--",
    "-",
    "---",
    "***",
    "[ref]: https://example.com/definition",
    "\\",
    "\\# already escaped",
    "\\alpha and \\[x\\]",
    "这是中文评论。【重点】「引用」",
    "日本語のコメント：面白い！",
    "emoji 🎉🐦‍🔥👩🏽‍💻 and flags 🇯🇵",
    "🎉 at the start",
    "|table|row|",
    "&amp; entities &lt;",
]


def parse(text: str) -> ParsedImport:
    return parse_markdown(text, base_dir=OUT, source_name="digest.md", check_images=False)


def round_trip(items: list[DigestItem]) -> ParsedImport:
    return parse(render_digest("2024-W02", items, output_dir=OUT))


def assert_commonmark_shows_every_entry(text: str, entries: int) -> None:
    """A CommonMark viewer sees the title, the contents, one heading per entry, no HTML."""
    env: dict[str, object] = {}
    tokens = MarkdownIt("commonmark").parse(text, env)
    h2 = [t for t in tokens if t.type == "heading_open" and t.tag == "h2"]
    assert len(h2) == entries + 1  # "## Contents" and the entries
    assert not [t for t in tokens if t.type == "heading_open" and t.tag not in ("h1", "h2")]
    assert not [t for t in tokens if t.type in ("html_block", "hr", "code_block")]
    assert not env.get("references")


@pytest.mark.parametrize("line", LINK_ONLY_LINES)
@pytest.mark.parametrize("where", ["alone", "first", "middle", "last"])
def test_a_comment_line_that_is_only_a_link_survives(line: str, where: str) -> None:
    comment = {
        "alone": line,
        "first": f"{line}\nThe rest.",
        "middle": f"Before.\n{line}\nAfter.",
        "last": f"Before.\n\n{line}",
    }[where]
    urls = ["https://example.com/only", "https://example.com/entry"]
    items = [DigestItem("paper", f"T{n}", url, comment) for n, url in enumerate(urls)]
    parsed = round_trip(items)
    assert [(e.title, e.url, e.comment) for e in parsed.entries] == [
        (item.title, item.url, comment) for item in items
    ]
    assert parsed.skipped == ()


def test_special_characters_survive_in_comments_and_titles() -> None:
    items = [
        DigestItem("article", line, f"https://example.com/{n}", f"{line}\n{line}\n\n{line}")
        for n, line in enumerate(SPECIAL_LINES)
    ]
    text = render_digest("2024-W02", items, output_dir=OUT)
    parsed = parse(text)
    assert [(e.title, e.comment) for e in parsed.entries] == [
        (normalize_title(item.title), item.comment) for item in items
    ]
    assert parsed.skipped == ()
    assert_commonmark_shows_every_entry(text, len(items))


def test_link_lines_and_special_lines_read_well_in_a_viewer() -> None:
    lines = LINK_ONLY_LINES + SPECIAL_LINES
    items = [
        DigestItem("paper", "T", f"https://e.com/{n}", f"Text.\n{s}") for n, s in enumerate(lines)
    ]
    assert_commonmark_shows_every_entry(
        render_digest("2024-W02", items, output_dir=OUT), len(lines)
    )


def test_a_viewer_hides_nothing_after_an_html_comment() -> None:
    """Before the writer escaped it, ``<!--`` in a comment hid every later entry on GitHub."""
    items = [
        DigestItem("paper", "First", "https://e.com/1", "<!-- note to self"),
        DigestItem("paper", "Second", "https://e.com/2", "Still shown."),
    ]
    text = render_digest("2024-W02", items, output_dir=OUT)
    assert "\\<!-- note to self" in text.splitlines()
    assert_commonmark_shows_every_entry(text, 2)
    assert [e.comment for e in parse(text).entries] == ["<!-- note to self", "Still shown."]


# -- the property ----------------------------------------------------------------------------

_pieces = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from("、。「」【】（）！？：；\u3000éü—…"),
    st.sampled_from(["🎉", "🐦‍🔥", "👩🏽‍💻", "🇯🇵", "❤️", "\u200d"]),  # emoji, ZWJ sequences, flags
)
_words = st.lists(_pieces, max_size=24).map("".join)
_starts = st.sampled_from(
    ["", "", "", "#", "# ", "### ", "1. ", "1) ", "- ", "* ", "+ ", "> ", "`", "```", "~~~",
     "<", "<!--", "<div>", "=", "==", "-", "--", "[", "]", "[x]: ", "_", "*", "\\", "|",
     *LINK_ONLY_LINES]
)  # fmt: skip
_lines = st.builds(str.__add__, _starts, _words)
_comments = st.lists(_lines, max_size=5).map("\n".join).map(normalize_comment)
_items = st.builds(
    DigestItem,
    kind=st.sampled_from(KINDS),
    title=st.builds(str.__add__, _starts, _words).map(normalize_title).filter(bool),
    url=st.integers(0, 10**6).map(lambda n: f"https://example.com/p/{n}"),
    comment=_comments,
)


@settings(max_examples=200, deadline=None)
@given(items=st.lists(_items, min_size=1, max_size=5, unique_by=lambda item: item.url))
def test_digest_then_import_gives_the_same_entries(items: list[DigestItem]) -> None:
    text = render_digest("2024-W02", items, output_dir=OUT)
    parsed = parse(text)
    in_digest_order = sorted(items, key=lambda item: KINDS.index(item.kind))
    assert [(e.kind, e.title, e.url, e.comment) for e in parsed.entries] == [
        (item.kind, normalize_title(item.title), item.url, item.comment) for item in in_digest_order
    ]
    assert parsed.skipped == ()
    assert_commonmark_shows_every_entry(text, len(items))
    again = render_digest("2024-W02", items_from_import(parsed), output_dir=OUT)
    assert again == render_digest(
        "2024-W02", [dataclasses.replace(i, post_url=None) for i in items], output_dir=OUT
    )
