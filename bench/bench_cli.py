"""Start-up cost of the everyday commands, next to `python -c "import sqlmodel"` in the same run.

A database of 100,000 entries (a few hundred of them posted, with attempts) is filled once;
each command then runs `--runs` times as a fresh process, interleaved with the baselines so that
a busy machine slows all of them alike. Medians are reported, and each command's ratio to the
median `import sqlmodel` of the same run.

Both stores in one run (default; `--store sqlite` or `--store postgres` for one): the same
100,000 entries in a SQLite file and in a throwaway PostgreSQL database (bench/pg_database.py),
every command run on each, interleaved with the one `import sqlmodel` baseline, and reported
side by side.

Usage: .venv/bin/python bench/bench_cli.py [--entries 100000] [--runs 11] [--store both]
Targets (issue 10): read-only commands <= 0.5x import sqlmodel; preview and add <= 1.0x.
Issue 19: the read-only commands on PostgreSQL <= 0.5x import sqlmodel too.
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
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WEEK = "2026-W10"
POSTED = 500  # entries with a post and an attempt (spread over all weeks)


def fill(url: str, count: int, weeks: int = 52) -> int:
    """The database, its entries spread over the first `weeks` weeks of 2026; returns the id
    of an entry of WEEK that is still queued (0 when WEEK has none)."""
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
            "week": f"2026-W{1 + i % weeks:02d}",
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
        (i + 1 for i, row in enumerate(rows) if row["week"] == WEEK and row["status"] == "queued"),
        0,
    )


BASELINES = ("python -c pass", "import sqlmodel")


def commands(python: str, paperbot: str, entry_id: int) -> dict[str, Callable[[int], list[str]]]:
    """Name -> argv for the n-th run (`add` needs a new URL each time)."""
    fixed = {
        "python -c pass": [python, "-c", "pass"],
        "import sqlmodel": [python, "-c", "import sqlmodel"],
        "--help": [paperbot, "--help"],
        f"list --week {WEEK} --json": [paperbot, "list", "--week", WEEK, "--json"],
        f"list --week {WEEK}": [paperbot, "list", "--week", WEEK],
        f"show {entry_id}": [paperbot, "show", str(entry_id)],
        "status": [paperbot, "status"],
        "status --json": [paperbot, "status", "--json"],
        f"history --week {WEEK}": [paperbot, "history", "--week", WEEK],
        "schedule": [paperbot, "schedule"],
        f"engagement --week {WEEK}": [paperbot, "engagement", "--week", WEEK],
        f"preview {entry_id}": [paperbot, "preview", str(entry_id)],
    }
    table: dict[str, Callable[[int], list[str]]] = {
        name: (lambda n, argv=argv: argv) for name, argv in fixed.items()
    }
    table["add"] = lambda n: [paperbot, "add", f"https://example.org/bench/{n}", "--no-fetch"]
    return table


def measure(
    table: dict[str, Callable[[int], list[str]]], runs: int, envs: dict[str, dict[str, str]]
) -> dict[str, dict[str, float]]:
    """store -> name -> median ms; the baselines (no database) once per round, under "all"."""
    times: dict[tuple[str, str], list[float]] = {}
    for n in range(runs):  # interleaved: noise hits every command and store alike
        for name in table:
            for store, env in envs.items():
                if name in BASELINES and store != next(iter(envs)):
                    continue
                started = time.perf_counter()
                subprocess.run(table[name](n), env=env, check=True, stdout=subprocess.DEVNULL)
                elapsed = (time.perf_counter() - started) * 1000
                times.setdefault((store if name not in BASELINES else "all", name), []).append(
                    elapsed
                )
    results: dict[str, dict[str, float]] = {}
    for (store, name), values in times.items():
        results.setdefault(store, {})[name] = statistics.median(values)
    return results


def report(results: dict[str, dict[str, float]], stores: list[str]) -> None:
    baseline = results["all"]["import sqlmodel"]
    print(f"baselines: python -c pass {results['all']['python -c pass']:.0f} ms,", end=" ")
    print(f"import sqlmodel {baseline:.0f} ms (the 1.00x of the ratios)")
    header = "".join(f" {store + ' ms':>13s} {'x sqlmodel':>10s}" for store in stores)
    print(f"{'command':32s}{header} {'target':>7s}")
    for name in results[stores[0]]:
        target = "<= 1.0" if name.startswith(("preview", "add")) else "<= 0.5"
        cells, verdicts = "", []
        for store in stores:
            value = results[store][name]
            ratio = value / baseline
            cells += f" {value:13.0f} {ratio:10.2f}"
            verdicts.append(("met" if ratio <= float(target[3:]) else "MISSED") + f" ({store})")
        print(f"{name:32s}{cells} {target:>7s} {', '.join(verdicts)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    python = sys.executable
    paperbot = str(Path(python).with_name("paperbot"))
    # Bytecode written first, as pip does for an installed package: in an editable checkout a
    # changed module is otherwise compiled by every run (and never cached where the environment
    # sets PYTHONDONTWRITEBYTECODE, as this machine's does), which times the compiler.
    subprocess.run([python, "-m", "compileall", "-q", str(ROOT / "bot")], check=True)
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        envs: dict[str, dict[str, str]] = {}
        entry_id = 0
        for store in stores:
            if store == "postgres":
                from bench.pg_database import throwaway_database

                url = stack.enter_context(throwaway_database())
            else:
                url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            entry_id = fill(url, args.entries)  # the same rows, so the same id, on both
            envs[store] = {
                **os.environ,
                "PAPERBOT_DATABASE_URL": url,
                "PAPERBOT_CONFIG": str(ROOT / "config" / "paperbot.toml"),
                "PAPERBOT_OFFLINE": "1",
                "TZ": "UTC",
            }
        results = measure(commands(python, paperbot, entry_id), args.runs, envs)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.entries:,} entries, {args.runs} runs each, medians; load at the end {load}")
    report(results, stores)


if __name__ == "__main__":
    main()
