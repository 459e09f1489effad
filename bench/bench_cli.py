"""Start-up cost of the everyday commands, next to `python -c "import sqlmodel"` in the same run.

A database of 100,000 entries (a few hundred of them posted, with attempts) is filled once;
each command then runs `--runs` times as a fresh process, interleaved with the baselines so that
a busy machine slows all of them alike. Medians are reported, and each command's ratio to the
median `import sqlmodel` of the same run.

Usage: .venv/bin/python bench/bench_cli.py [--entries 100000] [--runs 11] [--store postgres]
Targets (issue 10): read-only commands <= 0.5x import sqlmodel; preview and add <= 1.0x.
Issue 19: the same on PostgreSQL (`--store postgres`: a throwaway database, bench/pg_database.py).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WEEK = "2026-W10"
POSTED = 500  # entries with a post and an attempt (spread over all weeks)


def fill(url: str, count: int) -> int:
    """The database; returns the id of an entry of WEEK that is still queued."""
    from sqlalchemy import insert

    from bot.store.engine import open_database
    from bot.store.models import Attempt, Entry, Post

    engine = open_database({"PAPERBOT_DATABASE_URL": url})
    now = datetime.now(UTC)
    rows = [
        {
            "kind": "paper",
            "title": f"Paper {i}",
            "url": f"https://arxiv.org/abs/2601.{i:05d}",
            "arxiv_id": f"2601.{i:05d}",
            "comment": "A comment about a paper, see arxiv.org/abs/2601.00001. " * 2,
            "images": [],
            "authors": "",
            "abstract": "",
            "week": f"2026-W{1 + i % 52:02d}",
            "position": i + 1,
            "status": "posted" if i < POSTED else "queued",
            "attempts": 1 if i < POSTED else 0,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    posts = [
        {
            "entry_id": i + 1,
            "channel": "x",
            "status": "posted",
            "text": rows[i]["comment"],
            "media_ids": [],
            "remote_id": str(10**18 + i),
            "remote_url": f"https://x.com/u/status/{10**18 + i}",
            "posted_at": now - timedelta(minutes=i),
            "created_at": now,
            "updated_at": now,
        }
        for i in range(POSTED)
    ]
    attempts = [
        {"post_id": i + 1, "started_at": now, "finished_at": now, "outcome": "posted"}
        for i in range(POSTED)
    ]
    with engine.begin() as connection:
        for start in range(0, count, 5000):
            connection.execute(insert(Entry), rows[start : start + 5000])
        connection.execute(insert(Post), posts)
        connection.execute(insert(Attempt), attempts)
    if engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of a bulk load: planner statistics. Without them
        # PostgreSQL may plan the timetable's per-week reads on the status index (seconds).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return next(
        i + 1 for i, row in enumerate(rows) if row["week"] == WEEK and row["status"] == "queued"
    )


def commands(python: str, paperbot: str, entry_id: int) -> dict[str, Callable[[int], list[str]]]:
    """Name -> argv for the n-th run (`add` needs a new URL each time)."""
    fixed = {
        "python -c pass": [python, "-c", "pass"],
        "import sqlmodel": [python, "-c", "import sqlmodel"],
        "--help": [paperbot, "--help"],
        f"list --week {WEEK} --json": [paperbot, "list", "--week", WEEK, "--json"],
        f"show {entry_id}": [paperbot, "show", str(entry_id)],
        "status": [paperbot, "status"],
        f"history --week {WEEK}": [paperbot, "history", "--week", WEEK],
        "schedule": [paperbot, "schedule"],
        f"preview {entry_id}": [paperbot, "preview", str(entry_id)],
    }
    table: dict[str, Callable[[int], list[str]]] = {
        name: (lambda n, argv=argv: argv) for name, argv in fixed.items()
    }
    table["add"] = lambda n: [paperbot, "add", f"https://example.org/bench/{n}", "--no-fetch"]
    return table


def measure(
    table: dict[str, Callable[[int], list[str]]], runs: int, env: dict[str, str]
) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in table}
    for n, name in itertools.product(range(runs), table):  # interleaved: noise hits all alike
        started = time.perf_counter()
        subprocess.run(table[name](n), env=env, check=True, stdout=subprocess.DEVNULL)
        times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def report(results: dict[str, float]) -> None:
    baseline = results["import sqlmodel"]
    print(f"{'command':36s} {'median ms':>9s} {'x sqlmodel':>10s} {'target':>7s}")
    for name, value in results.items():
        target = "" if name.startswith(("python", "import")) else "<= 0.5"
        if name.startswith(("preview", "add")):
            target = "<= 1.0"
        ratio = value / baseline
        verdict = "" if not target else ("met" if ratio <= float(target[3:]) else "MISSED")
        print(f"{name:36s} {value:9.0f} {ratio:10.2f} {target:>7s} {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    python = sys.executable
    paperbot = str(Path(python).with_name("paperbot"))
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        if args.store == "postgres":
            from bench.pg_database import throwaway_database

            url = stack.enter_context(throwaway_database())
        else:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        entry_id = fill(url, args.entries)
        env = {
            **os.environ,
            "PAPERBOT_DATABASE_URL": url,
            "PAPERBOT_CONFIG": str(ROOT / "config" / "paperbot.toml"),
            "PAPERBOT_OFFLINE": "1",
            "TZ": "UTC",
        }
        results = measure(commands(python, paperbot, entry_id), args.runs, env)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.store}: {args.entries:,} entries, {args.runs} runs each, medians; load {load}")
    report(results)


if __name__ == "__main__":
    main()
