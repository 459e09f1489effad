"""Start-up cost of the CLI: `paperbot --help` and `paperbot list --week W --json` on a database
of 100,000 entries, next to `python -c pass` and `python -c "import sqlmodel"` in the same run.

Usage: .venv/bin/python bench/bench_cli.py [--entries 100000] [--runs 15]
Targets (issue 2): --help within 150 ms; list within 1.3x the bare `import sqlmodel`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def fill(db: Path, count: int) -> None:
    from sqlalchemy import insert

    from bot.store.engine import open_database
    from bot.store.models import Entry

    engine = open_database({"PAPERBOT_DATABASE_URL": f"sqlite:///{db}"})
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        week = f"2026-W{1 + i % 52:02d}"
        rows.append(
            {
                "kind": "paper",
                "title": f"Paper {i}",
                "url": f"https://arxiv.org/abs/2601.{i:05d}",
                "arxiv_id": f"2601.{i:05d}",
                "comment": "A comment. " * 5,
                "images": [],
                "authors": "",
                "abstract": "",
                "week": week,
                "position": i + 1,
                "status": "queued",
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    with engine.begin() as connection:
        for start in range(0, count, 5000):
            connection.execute(insert(Entry), rows[start : start + 5000])


def median_ms(argv: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    python = sys.executable
    paperbot = str(Path(python).with_name("paperbot"))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        fill(db, args.entries)
        env = {
            **os.environ,
            "PAPERBOT_DATABASE_URL": f"sqlite:///{db}",
            "PAPERBOT_CONFIG": str(ROOT / "config" / "paperbot.toml"),
            "TZ": "UTC",
        }
        results = {
            "python -c pass": median_ms([python, "-c", "pass"], args.runs, env),
            "python -c 'import sqlmodel'": median_ms(
                [python, "-c", "import sqlmodel"], args.runs, env
            ),
            "paperbot --help": median_ms([paperbot, "--help"], args.runs, env),
            "paperbot list --week 2026-W10 --json": median_ms(
                [paperbot, "list", "--week", "2026-W10", "--json"], args.runs, env
            ),
        }
    for name, value in results.items():
        print(f"{name:45s} {value:7.1f} ms")
    ratio = results["paperbot list --week 2026-W10 --json"] / results["python -c 'import sqlmodel'"]
    print(f"{'list / import sqlmodel':45s} {ratio:7.2f} x   (target <= 1.3)")
    print(f"{'--help target':45s} {'met' if results['paperbot --help'] <= 150 else 'MISSED'}")


if __name__ == "__main__":
    main()
