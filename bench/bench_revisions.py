"""The same commands with another revision's code and with this checkout's, interleaved, in one run.

The other revision (`--rev`, default `main`) is unpacked with `git archive` into a temp dir and
put first on PYTHONPATH; this checkout runs the same way, with the same Python and packages, so
only paperbot's own code differs. Measured:

* `paperbot import week.md --no-fetch` of a --digest-entry digest (bench/bench_import.py's) into
  a new database at head, on SQLite and on PostgreSQL: entries/s;
* the read-only commands on PostgreSQL over --entries entries (bench/bench_cli.py's queue),
  next to `python -c "import sqlmodel"`: median ms.

Usage: .venv/bin/python bench/bench_revisions.py [--rev main] [--entries 100000] [--digest 10000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run(argv: list[str], tree: Path, url: str, cwd: Path) -> float:
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "PAPERBOT_DATABASE_URL": url,
        "PAPERBOT_OFFLINE": "1",
        "PAPERBOT_CONFIG": str(ROOT / "config" / "paperbot.toml"),
        "TZ": "UTC",
    }
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    from bench.bench_cli import fill
    from bench.bench_import import make_digest
    from tests.pgcluster import Cluster, Databases

    parser = argparse.ArgumentParser()
    parser.add_argument("--rev", default="main")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--digest", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bot = [sys.executable, "-m", "bot"]
    cluster = Cluster()
    databases = Databases(cluster.start())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            old = work / "rev"
            old.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.rev, "bot", "migrations"],
                check=True,
                capture_output=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            trees = {args.rev: old, "this checkout": ROOT}
            (work / "week.md").write_text(make_digest(args.digest), encoding="utf-8")
            (work / "img").mkdir()
            for i in range(args.digest):
                (work / "img" / f"{i:08x}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
            counter = iter(range(1_000_000))
            imports: dict[tuple[str, str], list[float]] = {}
            for store in ("sqlite", "postgres"):
                for _ in range(max(1, args.runs // 2)):
                    for name, tree in trees.items():
                        url = (
                            f"sqlite:///{work}/db{next(counter)}.db"
                            if store == "sqlite"
                            else databases.create(migrated=False)
                        )
                        run([*bot, "db", "upgrade"], tree, url, work)
                        took = run([*bot, "import", "week.md", "--no-fetch"], tree, url, work)
                        imports.setdefault((store, name), []).append(took)
            url = databases.create(migrated=False)
            entry_id = fill(url, args.entries)
            commands = {
                "list --week 2026-W10 --json": ["list", "--week", "2026-W10", "--json"],
                f"show {entry_id}": ["show", str(entry_id)],
                "status": ["status"],
                "history --week 2026-W10": ["history", "--week", "2026-W10"],
                "schedule": ["schedule"],
            }
            reads: dict[tuple[str, str], list[float]] = {}
            for _ in range(args.runs):
                sqlmodel = run([sys.executable, "-c", "import sqlmodel"], ROOT, url, work)
                reads.setdefault(("import sqlmodel", ""), []).append(sqlmodel)
                for command, argv in commands.items():
                    for name, tree in trees.items():
                        reads.setdefault((command, name), []).append(
                            run([*bot, *argv], tree, url, work)
                        )
    finally:
        databases.close()
        cluster.stop()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.rev} vs this checkout; load at the end {load}")
    for store in ("sqlite", "postgres"):
        rates = "  ".join(
            f"{name}: {args.digest / statistics.median(imports[(store, name)]):,.0f}/s"
            for name in trees
        )
        print(f"import of {args.digest:,} entries on {store:8s} {rates}")
    baseline = statistics.median(reads[("import sqlmodel", "")]) * 1000
    print(f"PostgreSQL, {args.entries:,} entries: import sqlmodel {baseline:.0f} ms")
    for command in commands:
        cells = "  ".join(
            f"{name}: {statistics.median(reads[(command, name)]) * 1000:5.0f} ms "
            f"({statistics.median(reads[(command, name)]) * 1000 / baseline:.2f}x)"
            for name in trees
        )
        print(f"  {command:28s} {cells}")


if __name__ == "__main__":
    main()
