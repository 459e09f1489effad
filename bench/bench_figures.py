"""The paper's own figure: 100 papers through `paperbot import` against a fake arXiv HTML edition,
the HTML parsing time per MB, and the memory it adds.

1. ``import`` end to end (a fresh process, a fresh SQLite file) of a seed-shaped digest of
   ``--papers`` arXiv entries against tests/fakes/fake_arxiv_html.py on 127.0.0.1, with the
   polite pause set to 0 (arXiv's own 3 s would make it 100 papers x 3 s and measure nothing but
   the pause): half the entries have no image (the first figure is taken: redirect, page,
   image), half have a resized JPEG of the paper's figure 2 without alt text (page, figure 1,
   figure 2 compared by perceptual hash); half the papers live on "ar5iv" only (a 404 first).
   The same import with ``--no-fetch`` is the baseline for time and peak RSS.
2. Parsing: ``read_figures`` (selectolax/lexbor) on generated LaTeXML pages of 1, 5 and 20 MB,
   beside lxml.html (if installed) and the standard library's html.parser doing the least any
   reader must (seeing every tag), to show why the parser was chosen.
3. Memory: peak RSS added by parsing the 20 MB page, in a fresh process.

Usage: .venv/bin/python bench/bench_figures.py [--papers 100] [--sizes 1,5,20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.fake_arxiv_html import FakeArxivHtml  # noqa: E402
from tests.fakes.http_server import FakeHTTPServer  # noqa: E402
from tests.fakes.latexml_pages import (  # noqa: E402
    Figure,
    Table,
    as_resized_jpeg,
    figure_png,
    latexml_page,
    math,
)


def arxiv_id(i: int) -> str:
    return f"2402.{i:05d}"


def serve(fake: FakeArxivHtml, papers: int) -> None:
    for i in range(papers):
        blocks: list[Figure | Table] = [Table(1, "Scores.")]
        blocks += [
            Figure(n, f"Figure {n} of paper {i} with {math('k=' + str(n))}.", (f"x{n}.png",))
            for n in (1, 2, 3)
        ]
        images = {f"x{n}.png": figure_png(i * 10 + n) for n in (1, 2, 3)}
        fake.paper(arxiv_id(i), blocks, images, site="arxiv" if i % 4 < 2 else "ar5iv")


def write_digest(folder: Path, papers: int) -> Path:
    (folder / "img").mkdir(parents=True)
    lines = ["# 2026 年第 8 周", "", "> 原文：<https://example.org/w8>", "", "# 1.机器学习论文", ""]
    for i in range(papers):
        link = f"https://arxiv.org/abs/{arxiv_id(i)}"
        lines += [f"## 论文 {i}", "", f"[{link}]({link})", "", "这是一个研究。", ""]
        if i % 2:
            (folder / f"img/{i}.jpg").write_bytes(as_resized_jpeg(figure_png(i * 10 + 2)))
            lines += [f"![](img/{i}.jpg)", ""]
    path = folder / "week.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# The CLI in a process that reports its own peak RSS (VmHWM: per process image, unlike
# ru_maxrss, which Linux carries over from the parent across fork and exec).
PEAK = (
    "import atexit, sys\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    print('peak-kb', status.split('VmHWM:')[1].split()[0], file=sys.stderr)\n"
    "atexit.register(peak)\n"
    "from bot.cli import main\n"
    "sys.argv = ['paperbot', *sys.argv[1:]]\n"
    "main()\n"
)


def peak_mb(stderr: str) -> int:
    return int(stderr.rsplit("peak-kb ", 1)[1].split()[0]) // 1024


def run_import(digest: Path, env: dict[str, str], *args: str) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MB, stderr) of one import in a fresh process."""
    paperbot = str(Path(sys.executable).with_name("paperbot"))
    subprocess.run([paperbot, "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, "import", str(digest), *args],
        env=env,
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    stderr = done.stderr.decode()
    return wall, peak_mb(stderr), stderr.rsplit("peak-kb ", 1)[0]


def bench_import(papers: int) -> None:
    with FakeHTTPServer() as server, tempfile.TemporaryDirectory() as tmp:
        fake = FakeArxivHtml(server)
        serve(fake, papers)
        digest = write_digest(Path(tmp) / "week", papers)
        config = Path(tmp) / "paperbot.toml"
        config.write_text(fake.config(), encoding="utf-8")
        env = {**os.environ, "PAPERBOT_CONFIG": str(config), "PAPERBOT_OFFLINE": ""}
        base_env = {**env, "PAPERBOT_DATABASE_URL": f"sqlite:///{tmp}/base.db"}
        base_wall, base_rss, _ = run_import(digest, base_env, "--no-fetch")
        server.clear()
        fig_env = {**env, "PAPERBOT_DATABASE_URL": f"sqlite:///{tmp}/fig.db"}
        wall, rss, stderr = run_import(digest, fig_env)
        requests = len(server.requests)
    assert "warning" not in stderr, stderr
    print(f"import of {papers} arXiv entries (fresh process, fresh SQLite, pause 0):")
    print(f"  --no-fetch: {base_wall:.2f} s, peak RSS {base_rss} MB")
    print(
        f"  figures:    {wall:.2f} s ({(wall - base_wall) / papers * 1000:.0f} ms per paper "
        f"added), {requests} requests, peak RSS {rss} MB (+{rss - base_rss} MB)"
    )


def median_time(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def parsers(page: bytes) -> dict[str, Callable[[], object]]:
    """The readers compared: ours, and the least the alternatives would have to do."""
    from html.parser import HTMLParser

    from bot.digests.latexml import read_figures

    def tokenize() -> None:
        parser = HTMLParser()
        parser.feed(page.decode())
        parser.close()

    rows: dict[str, Callable[[], object]] = {
        "read_figures (selectolax/lexbor)": lambda: read_figures(page, "https://a/b/")
    }
    try:
        import lxml.html

        rows["lxml.html.fromstring (tree only)"] = lambda: lxml.html.fromstring(page)
    except ImportError:
        pass
    rows["stdlib html.parser (tokens only)"] = tokenize
    return rows


def bench_parsers(sizes: list[int]) -> None:
    blocks = [Figure(n, f"Caption {n}.", (f"x{n}.png",)) for n in range(1, 9)]
    print("HTML parsing, median of 3 (MB/s; higher is better):")
    for size in sizes:
        page = latexml_page(blocks, pad_to=size * 1_000_000)
        mb = len(page) / 1e6
        for name, work in parsers(page).items():
            seconds = median_time(3, work)
            print(f"  {mb:5.1f} MB  {name:34s} {seconds * 1000:7.0f} ms  {mb / seconds:6.1f} MB/s")


def bench_memory(size: int) -> None:
    """Peak RSS added by parsing one page, measured in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.html"
        path.write_bytes(latexml_page([Figure(1, "C.", ("x1.png",))], pad_to=size * 1_000_000))
        code = (
            "import sys; from pathlib import Path\n"
            "from bot.digests.latexml import read_figures\n"
            "import selectolax.lexbor\n"
            "def hwm():\n"
            "    return int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])\n"
            "page = Path(sys.argv[1]).read_bytes()\n"
            "before = hwm()\n"
            "read_figures(page, 'https://a/b/')\n"
            "print((hwm() - before) // 1024)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
        )
    print(f"peak RSS added by read_figures on a {size} MB page: {out.stdout.strip()} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=100)
    parser.add_argument("--sizes", default="1,5,20")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    bench_import(args.papers)
    bench_parsers(sizes)
    bench_memory(max(sizes))


if __name__ == "__main__":
    main()
