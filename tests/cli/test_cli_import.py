"""`paperbot import` and `paperbot digest` through the real CLI, database and arXiv client."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import Paperbot
from tests.fakes.http_server import FakeHTTPServer, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SEED_EXPECTED = [
    ("paper", "流动边缘引导的视频完成", "https://arxiv.org/abs/2009.01835"),
    ("paper", "用于定向和密集包装对象检测的动态细化网络", "https://arxiv.org/abs/2005.09973"),
    ("paper", "具有最大不变预测器的分布外推广", "https://arxiv.org/abs/2008.01883"),
    ("paper", "GAN 瘦身:通过统一的优化框架实现一体化 GAN 压缩", "https://arxiv.org/abs/2008.11062"),
    ("paper", "在空间和时间上对齐视频", "https://arxiv.org/abs/2007.04515"),
    (
        "paper",
        "SliceOut:训练变压器和 CNN 更快，同时使用更少的内存",
        "https://arxiv.org/abs/2007.10909",
    ),
    (
        "article",
        "卡格尔创始人安东尼·戈德布卢姆访谈",
        "https://www.wandb.com/podcast/anthony-goldbloom",
    ),
    (
        "application",
        "用人工智能助手寻找太空中的磁喷发",
        "https://phys.org/news/2020-09-magnetic-eruptions-space-ai.html",
    ),
]


@pytest.fixture
def example_week(paperbot: Paperbot) -> Path:
    target = paperbot.workdir / "week"
    shutil.copytree(EXAMPLES, target)
    return target / "2020-W37.md"


def test_seed_digest_imports_into_the_expected_entries(
    paperbot: Paperbot, example_week: Path
) -> None:
    result = paperbot("import", str(example_week))
    assert result.exit_code == 0, result.stderr
    assert "8 added, 0 already queued, 3 skipped" in result.stdout
    assert "新冠肺炎时间序列预测模型" in result.stderr  # reported, not silently dropped
    entries = paperbot.json("list", "--json")
    assert [(e["kind"], e["title"], e["url"]) for e in entries] == SEED_EXPECTED
    assert {e["week"] for e in entries} == {"2020-W37"}
    assert entries[0]["arxiv_id"] == "2009.01835"
    assert entries[0]["comment"].startswith("这是一个使用 flow 的视频补全的研究。")
    assert entries[0]["images"] == [
        {"source": str(example_week.parent / "img/d744d44c739ca0dc49040596b2ee43ad.png"), "alt": ""}
    ]


def test_reimport_changes_nothing(paperbot: Paperbot, example_week: Path) -> None:
    assert paperbot("import", str(example_week)).exit_code == 0
    before = paperbot.dump()
    result = paperbot("import", str(example_week))
    assert result.exit_code == 0
    assert "0 added, 8 already queued" in result.stdout
    assert paperbot.dump() == before


def test_digest_round_trip_is_stable(paperbot: Paperbot, example_week: Path) -> None:
    assert paperbot("import", str(example_week)).exit_code == 0
    out = paperbot.workdir / "out" / "2020-W37.md"
    assert paperbot("digest", "--week", "2020-W37", "--output", str(out)).exit_code == 0
    first = out.read_text(encoding="utf-8")
    original = paperbot.json("list", "--json")

    other = paperbot.workdir / "other.db"
    env = {"PAPERBOT_DATABASE_URL": f"sqlite:///{other}"}
    assert paperbot("import", str(out), **env).exit_code == 0
    reimported = json.loads(paperbot("list", "--json", **env).stdout)
    keys = ("kind", "title", "url", "arxiv_id", "comment", "week")
    assert [{k: e[k] for k in keys} for e in reimported] == [
        {k: e[k] for k in keys} for e in original
    ]
    # Images outside the digest's folder are copied next to it: same files, same alt texts.
    for new, old in zip(reimported, original, strict=True):
        assert [(Path(i["source"]).read_bytes(), i["alt"]) for i in new["images"]] == [
            (Path(i["source"]).read_bytes(), i["alt"]) for i in old["images"]
        ]
        assert all(Path(i["source"]).parent == out.parent / "img" for i in new["images"])
    again = paperbot.workdir / "out" / "again.md"
    assert paperbot("digest", "--week", "2020-W37", "--output", str(again), **env).exit_code == 0
    assert again.read_text(encoding="utf-8") == first


def test_bad_rows_write_nothing_and_name_line_and_field(paperbot: Paperbot) -> None:
    paperbot("add", "https://example.org/existing")
    before = paperbot.dump()
    csv_file = paperbot.workdir / "week.csv"
    csv_file.write_text(
        "url,title,comment,image,alt,kind,week,at\n"
        "https://example.org/a,A,Fine.,,,paper,2026-W48,\n"
        "ftp://example.org/b,B,Bad url.,,,paper,2026-W48,\n"
        "https://example.org/c,C,Bad week.,,,paper,2026-W99,\n"
        "https://example.org/d,D,Missing image.,nothere.png,,paper,2026-W48,\n",
        encoding="utf-8",
    )
    result = paperbot("import", str(csv_file))
    assert result.exit_code == 2
    for fragment in (":3", "url", ":4", "week", ":5", "image"):
        assert fragment in result.stderr
    assert paperbot.dump() == before


def test_csv_and_json_with_at_in_configured_zone(paperbot: Paperbot) -> None:
    data = [
        {
            "url": "arXiv:2009.01835",
            "title": "Flow",
            "comment": "Good.",
            "kind": "paper",
            "week": "2026-W48",
            "at": "2026-11-30T09:00",
        }
    ]
    path = paperbot.workdir / "week.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = paperbot("import", str(path))
    assert result.exit_code == 0, result.stderr
    [entry] = paperbot.json("list", "--json")
    assert entry["url"] == "https://arxiv.org/abs/2009.01835"
    assert entry["at"] == "2026-11-30T09:00:00+00:00"


def test_import_dry_run_writes_nothing(paperbot: Paperbot, example_week: Path) -> None:
    paperbot("list")
    before = paperbot.dump()
    result = paperbot("import", str(example_week), "--dry-run")
    assert result.exit_code == 0
    assert "would have 8 added" in result.stdout
    assert paperbot.dump() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"# Week\n\nno entries here\n", "no entries"),
        (b"\xff\xfe\x00garbage", "UTF-8"),
    ],
)
def test_broken_files_exit_2(paperbot: Paperbot, content: bytes, message: str) -> None:
    path = paperbot.workdir / "broken.md"
    path.write_bytes(content)
    result = paperbot("import", str(path))
    assert result.exit_code == 2
    assert message in result.stderr


def test_oversized_file_fails_fast(paperbot: Paperbot) -> None:
    path = paperbot.workdir / "huge.md"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = paperbot("import", str(path))
    assert result.exit_code == 2
    assert "10 MB" in result.stderr


def test_missing_titles_and_comments_come_from_arxiv_and_are_cached(paperbot: Paperbot) -> None:
    atom = (FIXTURES / "arxiv_2009.01835.xml").read_bytes()
    with FakeHTTPServer() as server:
        server.route("/api/query", Reply(200, {"Content-Type": "application/atom+xml"}, atom))
        paperbot.write_config(
            'timezone = "UTC"\n[arxiv]\nfigure = "none"\n'  # no HTML edition here
            f'api_url = "{server.url("/api/query")}"\nmin_interval_seconds = 0\n'
        )
        env = {"PAPERBOT_OFFLINE": ""}
        result = paperbot("add", "https://arxiv.org/abs/2009.01835v1", **env)
        assert result.exit_code == 0, result.stderr
        entry = paperbot.json("show", result.stdout.strip(), "--json")
        assert entry["title"] == "Flow-edge Guided Video Completion"
        assert entry["comment"] and entry["comment"].endswith(".")
        assert len(server.requests) == 1
        result = paperbot("add", "arXiv:2009.01835", "--week", "2020-W01", **env)
        assert result.exit_code == 0
        assert len(server.requests) == 1  # served from the cache


def test_failed_arxiv_fetch_warns_and_keeps_entry(paperbot: Paperbot) -> None:
    with FakeHTTPServer() as server:
        server.route("/api/query", Reply(404, {}, b"nope"))
        paperbot.write_config(
            f'timezone = "UTC"\n[arxiv]\napi_url = "{server.url("/api/query")}"\n'
            'min_interval_seconds = 0\nfigure = "none"\n'
        )
        result = paperbot("add", "arXiv:2009.01835", "--comment", "Mine.", PAPERBOT_OFFLINE="")
        assert result.exit_code == 0
        assert "warning" in result.stderr
        [entry] = paperbot.json("list", "--json")
        assert (entry["title"], entry["comment"]) == ("", "Mine.")
