"""Reading CSV and JSON reading lists: good rows, and every bad one named by line and field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.digests.json_digest import parse_json, parse_json_bytes
from bot.digests.records import ImageRef, ImportedEntry, ImportFileError, ParsedImport, Skipped
from bot.digests.tabular import parse_csv, parse_csv_bytes


@pytest.fixture
def base(tmp_path: Path) -> Path:
    (tmp_path / "img").mkdir()
    for name in ("a.png", "b.png"):
        (tmp_path / "img" / name).write_bytes(b"png")
    return tmp_path.resolve()


def csv(text: str, base: Path, week_override: str | None = None) -> ParsedImport:
    return parse_csv(text, base_dir=base, source_name="list.csv", week_override=week_override)


def errors_of(
    excinfo: pytest.ExceptionInfo[ImportFileError],
) -> list[tuple[int | None, str | None]]:
    return [(e.line, e.field) for e in excinfo.value.errors]


# -- CSV -------------------------------------------------------------------------------------

GOOD_CSV = (
    "url,title,comment,image,alt,kind,week,at\n"
    'https://arxiv.org/pdf/2009.01835v1.pdf,Flow-edge Guided Video Completion,"Video completion\n'
    'that keeps motion edges sharp.",img/a.png|img/b.png|https://example.com/c.png,'
    "Figure 1|Figure 2,paper,2020-W37,2020-09-10T09:30\n"
    """\
https://www.wandb.com/podcast/anthony-goldbloom,Interview,,,,ARTICLE,,2020-09-11T18:00:00+02:00

https://phys.org/news/x.html,,,,,application,2020w38,
"""
)


def test_good_csv(base: Path) -> None:
    parsed = csv(GOOD_CSV, base)
    assert parsed.week is None and parsed.skipped == ()
    assert list(parsed.entries) == [
        ImportedEntry(
            kind="paper",
            title="Flow-edge Guided Video Completion",
            url="https://arxiv.org/abs/2009.01835",
            arxiv_id="2009.01835",
            comment="Video completion\nthat keeps motion edges sharp.",
            images=(
                ImageRef(str(base / "img" / "a.png"), "Figure 1"),
                ImageRef(str(base / "img" / "b.png"), "Figure 2"),
                ImageRef("https://example.com/c.png", ""),
            ),
            week="2020-W37",
            at=datetime(2020, 9, 10, 9, 30),  # naive: the caller applies the configured zone
            line=2,
        ),
        ImportedEntry(
            kind="article",
            title="Interview",
            url="https://www.wandb.com/podcast/anthony-goldbloom",
            arxiv_id=None,
            comment="",
            images=(),
            week=None,
            at=datetime(2020, 9, 11, 18, 0, tzinfo=timezone(timedelta(hours=2))),
            line=4,  # physical line: the quoted comment above spans two
        ),
        ImportedEntry(
            kind="application",
            title="",
            url="https://phys.org/news/x.html",
            arxiv_id=None,
            comment="",
            images=(),
            week="2020-W38",
            at=None,
            line=6,  # the blank line 5 is skipped but counted
        ),
    ]


def test_week_override_wins_over_the_rows(base: Path) -> None:
    parsed = csv(GOOD_CSV, base, week_override="2024-W01")
    assert parsed.week == "2024-W01"
    assert {e.week for e in parsed.entries} == {"2024-W01"}


def test_bad_csv_rows_are_all_reported(base: Path) -> None:
    text = """\
url,title,comment,image,alt,kind,week,at
https://example.com/ok,Fine,,,,,,
example.com/no-scheme,No scheme,,,,,,
https://example.com/k,Bad kind,,,,tweet,,
https://example.com/w,"Bad
week",,,,,2021-W53,
https://example.com/t,Bad time,,,,,,2020-09-10
https://example.com/i,Images,,img/missing.png|img/a.png,,,,
https://example.com/a,Alts,,img/a.png,one|two,,,
,No URL,,,,,,
https://example.com/n,Too many images,,img/a.png|img/a.png|img/a.png|img/a.png|img/a.png,,,,
https://example.com/x,Extra cell,,,,,,,surprise
"""
    with pytest.raises(ImportFileError) as caught:
        csv(text, base)
    assert errors_of(caught) == [
        (3, "url"),
        (4, "kind"),
        (5, "week"),
        (7, "at"),
        (8, "image"),
        (9, "alt"),
        (10, "url"),
        (11, "image"),
        (12, None),
    ]
    message = str(caught.value).splitlines()
    assert message[0] == "list.csv: 9 errors, nothing imported"
    assert message[1] == (
        "list.csv:3: field 'url': 'example.com/no-scheme' is not a URL: it needs http:// or https://"
    )
    assert (
        message[2] == "list.csv:4: field 'kind': 'tweet' is not one of paper, article, application"
    )
    assert message[3] == (
        "list.csv:5: field 'week': '2021-W53' is not an ISO week of that year: "
        "2021 has weeks 01 to 52"
    )
    assert "needs a date and a time" in message[4]
    assert "img/missing.png' does not exist" in message[5]
    assert message[6] == "list.csv:9: field 'alt': 2 alt texts for 1 images"
    assert message[8] == "list.csv:11: field 'image': 5 images; X takes at most 4"
    assert message[9] == "list.csv:12: 1 more cell(s) than the header has columns"


def test_unknown_and_missing_columns(base: Path) -> None:
    with pytest.raises(ImportFileError) as caught:
        csv("link,title,coment\nhttps://example.com/a,A,B\n", base)
    assert errors_of(caught) == [(1, "link"), (1, "coment"), (1, "url")]
    assert "unknown column (expected some of: url, title" in str(caught.value)
    with pytest.raises(ImportFileError, match="appears more than once"):
        csv("url,URL\nhttps://example.com/a,x\n", base)


def test_header_is_case_and_space_insensitive_and_columns_optional(base: Path) -> None:
    parsed = csv(" URL , Title \nhttps://example.com/a, A  title \n", base)
    assert [(e.url, e.title, e.kind) for e in parsed.entries] == [
        ("https://example.com/a", "A title", "paper")
    ]


def test_duplicate_url_in_the_same_week_is_skipped(base: Path) -> None:
    text = (
        "url,week\nhttps://arxiv.org/abs/2401.00001,2024-W01\n"
        "https://arxiv.org/pdf/2401.00001v2,2024-W01\nhttps://arxiv.org/abs/2401.00001,2024-W02\n"
    )
    parsed = csv(text, base)
    assert [e.line for e in parsed.entries] == [2, 4]
    assert parsed.skipped == (
        Skipped(3, "", "same URL as line 2 (https://arxiv.org/abs/2401.00001)"),
    )


def test_empty_and_header_only_csv(base: Path) -> None:
    with pytest.raises(ImportFileError, match=r"list\.csv: no entries found"):
        csv("url,title\n", base)
    with pytest.raises(ImportFileError, match=r"list\.csv: no entries found"):
        csv("", base)


def test_broken_quoting(base: Path) -> None:
    with pytest.raises(ImportFileError, match="not valid CSV"):
        csv('url,title\nhttps://example.com/a,"unterminated\n', base)


def test_csv_bytes(base: Path) -> None:
    data = "\ufeffurl,title\nhttps://example.com/a,Café\n".encode()
    assert parse_csv_bytes(data, base_dir=base).entries[0].title == "Café"
    with pytest.raises(
        ImportFileError, match=r"x.csv:2: not UTF-8 text \(byte 0xe9 at offset 35\)"
    ):
        parse_csv_bytes(
            "url,title\nhttps://example.com/a,Café\n".encode("latin-1"),
            base_dir=base,
            source_name="x.csv",
        )


def test_images_outside_base_dir_are_fine_in_a_spreadsheet(
    base: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("figs") / "fig.png"
    elsewhere.write_bytes(b"png")
    parsed = csv(f"url,image\nhttps://example.com/a,{elsewhere}\n", base)
    assert parsed.entries[0].images == (ImageRef(str(elsewhere.resolve()), ""),)


# -- JSON ------------------------------------------------------------------------------------


def json_(value: object, base: Path, week_override: str | None = None) -> ParsedImport:
    text = json.dumps(value)
    return parse_json(text, base_dir=base, source_name="list.json", week_override=week_override)


def test_good_json_list(base: Path) -> None:
    parsed = json_(
        [
            {
                "url": "arXiv:2009.01835",
                "title": "Flow-edge Guided Video Completion",
                "comment": "Sharp motion edges.",
                "images": [
                    {"source": "img/a.png", "alt": "Figure 1"},
                    "https://example.com/b.png",
                ],
                "week": "2020-W37",
                "at": "2020-09-10T09:30:00Z",
            },
            {"url": "https://example.com/x", "kind": "article", "image": "img/a.png|img/b.png"},
            {"url": "https://example.com/y", "image": ["img/b.png"], "alt": ["B"]},
        ],
        base,
    )
    first, second, third = parsed.entries
    assert first == ImportedEntry(
        kind="paper",
        title="Flow-edge Guided Video Completion",
        url="https://arxiv.org/abs/2009.01835",
        arxiv_id="2009.01835",
        comment="Sharp motion edges.",
        images=(
            ImageRef(str(base / "img" / "a.png"), "Figure 1"),
            ImageRef("https://example.com/b.png", ""),
        ),
        week="2020-W37",
        at=datetime(2020, 9, 10, 9, 30, tzinfo=UTC),
        line=1,
    )
    assert (second.kind, second.line, len(second.images)) == ("article", 2, 2)
    assert third.images == (ImageRef(str(base / "img" / "b.png"), "B"),)


def test_json_entries_object_with_a_file_week(base: Path) -> None:
    document = {
        "week": "2020-W37",
        "entries": [
            {"url": "https://example.com/a"},
            {"url": "https://example.com/b", "week": "2020-W38"},
        ],
    }
    parsed = json_(document, base)
    assert parsed.week == "2020-W37"
    assert [e.week for e in parsed.entries] == ["2020-W37", "2020-W38"]
    overridden = json_(document, base, week_override="2024-W05")
    assert [e.week for e in overridden.entries] == ["2024-W05", "2024-W05"]


def test_bad_json_items_are_all_reported(base: Path) -> None:
    items = [
        {"url": "https://example.com/ok"},
        {"url": "nope"},
        {"url": "https://example.com/a", "tags": ["x"]},
        {"url": "https://example.com/b", "week": 37},
        "https://example.com/c",
        {"title": "no url"},
        {"url": "https://example.com/d", "images": [{"src": "img/a.png"}]},
        {"url": "https://example.com/e", "images": ["img/a.png"], "image": "img/b.png"},
        {"url": "https://example.com/f", "kind": "thread", "at": "yesterday"},
    ]
    with pytest.raises(ImportFileError) as caught:
        json_(items, base)
    assert errors_of(caught) == [
        (2, "url"),
        (3, "tags"),
        (4, "week"),
        (5, None),
        (6, "url"),
        (7, "images"),
        (8, "images"),
        (9, "kind"),
        (9, "at"),
    ]
    text = str(caught.value)
    assert "list.json:item 3: field 'tags': unknown key" in text
    assert "list.json:item 4: field 'week': must be a string, got int" in text
    assert "list.json:item 5: expected an object, got str" in text
    assert "list.json:item 6: field 'url': missing (every entry needs a URL)" in text


def test_json_syntax_error_names_the_line(base: Path) -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_json('[\n  {"url": "https://example.com/a"},\n  {"url": }\n]', base_dir=base)
    assert caught.value.line == 3
    assert str(caught.value).startswith("<stdin>:3: not valid JSON: Expecting value")


def test_json_wrong_shape(base: Path) -> None:
    with pytest.raises(ImportFileError, match=r'expected a list of entries or \{"entries"'):
        json_({"items": []}, base)
    with pytest.raises(ImportFileError, match="field 'extra': unknown key"):
        json_({"entries": [{"url": "https://example.com/a"}], "extra": 1}, base)


def test_deeply_nested_json_is_an_error_not_a_crash(base: Path) -> None:
    with pytest.raises(ImportFileError, match="nested too deeply"):
        parse_json("[" * 100_000 + "]" * 100_000, base_dir=base)


def test_json_bytes(base: Path) -> None:
    data = json.dumps([{"url": "https://example.com/a", "title": "日本語"}], ensure_ascii=False)
    assert parse_json_bytes(data.encode(), base_dir=base).entries[0].title == "日本語"
    with pytest.raises(ImportFileError, match="not UTF-8"):
        parse_json_bytes(b'[{"url": "\xff"}]', base_dir=base)
