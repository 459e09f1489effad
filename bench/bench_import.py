"""Parse speed of the Markdown importer on a 10,000-entry digest shaped like the seed.

The digest mixes every link form the seed uses (Markdown links, bare URLs, full-width
brackets, Medium embed cards), CJK comments and one image per paper, plus skipped headings.
Only parsing is timed (``check_images=False``, no database): the end-to-end target for
``import`` is 2,000 entries/s including the database, so the parser should be far above it.

Usage: .venv/bin/python bench/bench_import.py [--entries 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COMMENT = (
    "这是一个使用 flow 的视频补全的研究。这种方法的关键点是:1)通过检测缺失的边缘并连接它们来"
    "完成流，2)通过使用稍远的帧来获得视频的不可见部分。"
    "Their method beats previous work, e.g. on DAVIS."
)


def make_digest(count: int) -> str:
    """A digest with ``count`` entries: 60% papers, 30% articles, 10% applications."""
    papers, articles = count * 6 // 10, count * 3 // 10
    applications = count - papers - articles
    out = ["# 2020 年第 37 周", "", "> 原文：<https://medium.com/@someone/week-37>", ""]
    out += ["## 内容:", "", "1.  机器学习论文", "2.  技术文章", "3.  机器学习应用的例子", ""]
    out += ["# 1.机器学习论文", ""]
    for i in range(papers):
        link = f"https://arxiv.org/abs/2009.{i:05d}"
        forms = (f"[{link}]({link})", link, f"【{link} ", f"arXiv:2009.{i:05d}v2")
        out += [f"## 论文 {i}: Flow-edge guided video completion", "", forms[i % 4], ""]
        out += [COMMENT, "", f"![](img/{i:08x}.png)", ""]
    out += ["# 2.技术文章", ""]
    for i in range(articles):
        url = f"https://www.example.com/posts/{i}"
        out += [f"## **文章 {i}**", "", COMMENT, ""]
        out += [f"[]({url}) [## 卡片标题 {i}", "", "### 描述…", "", f"www.example.com]({url}) ", ""]
    out += ["# 3.机器学习应用的例子", ""]
    for i in range(applications):
        out += [f"## 应用 {i}", "", COMMENT, "", f"<https://phys.org/news/{i}.html>", ""]
    out += ["## 推特，我贴一句纸评论。", "", "【https://twitter.com/someone ", ""]
    return "\n".join(out)


def main() -> None:
    from bot.digests.markdown import parse_markdown_bytes

    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = make_digest(args.entries).encode("utf-8")
    wall, cpu = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            parsed = parse_markdown_bytes(data, base_dir=Path(tmp), check_images=False)
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    assert len(parsed.entries) == args.entries, len(parsed.entries)
    assert len(parsed.skipped) == 1
    median, median_cpu = statistics.median(wall), statistics.median(cpu)
    print(f"digest: {args.entries} entries, {len(data) / 1e6:.1f} MB, {args.runs} runs")
    print(
        f"parse_markdown_bytes: median {median * 1000:.0f} ms wall, {median_cpu * 1000:.0f} ms CPU"
    )
    print(f"parser entries/s (median wall): {args.entries / median:,.0f}")
    end_to_end(data, args.entries, args.runs)


def end_to_end(data: bytes, count: int, runs: int) -> None:
    """`paperbot import FILE --no-fetch` as a user runs it: process start, parse, one
    transaction into a fresh SQLite file (the issue's target: over 2,000 entries/s)."""
    import os
    import subprocess
    import sys

    paperbot = str(Path(sys.executable).with_name("paperbot"))
    wall = []
    with tempfile.TemporaryDirectory() as tmp:
        digest = Path(tmp) / "week.md"
        digest.write_bytes(data)
        images = Path(tmp) / "img"
        images.mkdir()
        for i in range(count):  # the digest's figures must exist: import checks them
            (images / f"{i:08x}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
        for run in range(runs):
            env = {
                **os.environ,
                "PAPERBOT_DATABASE_URL": f"sqlite:///{tmp}/run{run}.db",
                "PAPERBOT_OFFLINE": "1",
            }
            subprocess.run(
                [paperbot, "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL
            )
            start = time.perf_counter()
            done = subprocess.run(
                [paperbot, "import", str(digest), "--no-fetch"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            wall.append(time.perf_counter() - start)
        assert f"{count} added" in done.stdout, done.stdout
    median = statistics.median(wall)
    print(
        f"paperbot import (end to end, new database): median {median * 1000:.0f} ms, "
        f"{count / median:,.0f} entries/s   (target > 2,000/s)"
    )


if __name__ == "__main__":
    main()
