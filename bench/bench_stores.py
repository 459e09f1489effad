"""The same three user-facing timings on SQLite and on PostgreSQL, in one run.

* `paperbot list --week 2026-W10 --json` on a queue of 100,000 entries (median of --runs), next
  to `sqlite-utils query` of the same rows on the same SQLite file (the issue's baseline; from
  the `bench` extra, left out when not installed), runs interleaved so load hits both alike;
* `paperbot import week.md --no-fetch` of a 10,000-entry digest into a new database at head;
* `paperbot run --once` posting --posts due entries (one PNG each) to the fake X server
  (tests/fakes/fake_x.py, real HTTP on 127.0.0.1): posts per second, process start included.

Each figure is a whole `paperbot` process, as a user or a cron job runs it. PostgreSQL is a
throwaway local server (tests/pgcluster.py: fsync off, so its writes are a floor for a managed
server, where every commit also crosses the network), or `PAPERBOT_TEST_POSTGRES_URL`.

Usage: .venv/bin/python bench/bench_stores.py [--entries 100000] [--digest 10000] [--posts 200]
           [--skip run]   (any of list, import, run)
Targets (issue 19): list <= 0.5x sqlite-utils on SQLite, PostgreSQL list <= 1.5x SQLite's;
import >= 5,000 entries/s on both stores.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAPERBOT = str(Path(sys.executable).with_name("paperbot"))


def fill(url: str, count: int) -> None:
    """`count` entries spread over 52 weeks, inserted in bulk (what is timed is the listing)."""
    from sqlalchemy import insert

    from bot.store.engine import open_database
    from bot.store.models import Entry

    engine = open_database({"PAPERBOT_DATABASE_URL": url})
    now = datetime.now(UTC)
    rows = [
        {
            "kind": "paper",
            "title": f"Paper {i}",
            "url": f"https://arxiv.org/abs/2601.{i:05d}",
            "arxiv_id": f"2601.{i:05d}",
            "comment": "A comment. " * 5,
            "images": [],
            "authors": "",
            "abstract": "",
            "week": f"2026-W{1 + i % 52:02d}",
            "position": i + 1,
            "status": "queued",
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    with engine.begin() as connection:
        for start in range(0, count, 5000):
            connection.execute(insert(Entry), rows[start : start + 5000])
    if engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of a bulk load: planner statistics.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


SQLITE_UTILS = Path(sys.executable).with_name("sqlite-utils")
SAME_ROWS = "SELECT * FROM entry WHERE week = :week ORDER BY position"


def bench_list(new_db: Callable[[], str], work: Path, entries: int, runs: int) -> dict[str, float]:
    """Median ms of `list` and, on SQLite, of `sqlite-utils query` of the same rows."""
    url = new_db()
    fill(url, entries)
    env = {**os.environ, "PAPERBOT_DATABASE_URL": url, "PAPERBOT_CONFIG": "", "TZ": "UTC"}
    argvs = {"list": [PAPERBOT, "list", "--week", "2026-W10", "--json"]}
    if url.startswith("sqlite:///") and SQLITE_UTILS.exists():
        db = url[len("sqlite:///") :]
        argvs["sqlite-utils"] = [
            str(SQLITE_UTILS),
            "query",
            db,
            SAME_ROWS,
            "-p",
            "week",
            "2026-W10",
        ]
    times: dict[str, list[float]] = {name: [] for name in argvs}
    for argv in argvs.values():
        timed(argv, env, work)  # warm the page cache / the server's buffers once
    for _ in range(runs):
        for name, argv in argvs.items():
            times[name].append(timed(argv, env, work) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def bench_import(new_db: Callable[[], str], digest: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        env = {**os.environ, "PAPERBOT_DATABASE_URL": new_db(), "PAPERBOT_OFFLINE": "1"}
        subprocess.run([PAPERBOT, "db", "upgrade"], env=env, check=True, capture_output=True)
        times.append(timed([PAPERBOT, "import", str(digest), "--no-fetch"], env, digest.parent))
    return statistics.median(times)


def bench_run_once(new_db: Callable[[], str], work: Path, posts: int) -> float:
    from bench.bench_pipeline import CONFIG, CREDS, figure
    from bot.schedule.weeks import week_of
    from bot.store.engine import open_database, session_scope
    from bot.store.queue import NewEntry, add_entry
    from tests.fakes.fake_x import FakeX

    url, now = new_db(), datetime.now(UTC)
    engine = open_database({"PAPERBOT_DATABASE_URL": url})
    with session_scope(engine) as session:
        for i in range(posts):
            path = work / f"fig{i}.png"
            path.write_bytes(figure(600, 400, seed=i))
            add_entry(
                session=session,
                new=NewEntry(
                    url=f"https://arxiv.org/abs/2601.{i:05d}",
                    week=week_of(now, UTC),
                    comment=f"Result {i} holds across every benchmark we tried. More below.",
                    images=({"source": str(path), "alt": f"Figure {i}"},),
                    at=now - timedelta(hours=2) + timedelta(seconds=i),
                ),
            )
    engine.dispose()
    config = work / "paperbot.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with FakeX(
        consumer_key=CREDS["X_API_KEY"],
        consumer_secret=CREDS["X_API_SECRET"],
        access_token=CREDS["X_ACCESS_TOKEN"],
        access_token_secret=CREDS["X_ACCESS_TOKEN_SECRET"],
    ) as fake:
        env = {
            **os.environ,
            **CREDS,
            "PAPERBOT_DATABASE_URL": url,
            "PAPERBOT_CONFIG": str(config),
            "PAPERBOT_X_API_BASE": fake.url,
            "PAPERBOT_OFFLINE": "1",
        }
        elapsed = timed([PAPERBOT, "run", "--once"], env, work)
        if len(fake.posts) != posts:
            raise SystemExit(f"expected {posts} posts, got {len(fake.posts)}")
    return posts / elapsed


def main() -> None:
    from bench.bench_import import make_digest
    from tests.pgcluster import Cluster, Databases

    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--digest", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip", action="append", default=[], choices=["list", "import", "run"])
    args = parser.parse_args()
    cluster = None if os.environ.get("PAPERBOT_TEST_POSTGRES_URL") else Cluster()
    admin = os.environ.get("PAPERBOT_TEST_POSTGRES_URL") or Cluster.start(cluster)  # type: ignore[arg-type]
    databases = Databases(admin)
    results: dict[str, dict[str, float]] = {}
    version = databases.version()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            digest = work / "week.md"
            digest.write_text(make_digest(args.digest), encoding="utf-8")
            (work / "img").mkdir()
            for i in range(args.digest):  # the digest's figures must exist: import checks them
                (work / "img" / f"{i:08x}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
            counter = iter(range(1_000_000))
            stores: dict[str, Callable[[], str]] = {
                "sqlite": lambda: f"sqlite:///{work}/db{next(counter)}.db",
                "postgres": lambda: databases.create(migrated=False),
            }
            for store, new_db in stores.items():
                results[store] = {"list": 0.0, "sqlite-utils": 0.0, "import": 0.0, "run": 0.0}
                if "list" not in args.skip:
                    results[store].update(bench_list(new_db, work, args.entries, args.runs))
                if "import" not in args.skip:
                    results[store]["import"] = bench_import(new_db, digest, args.runs)
                if "run" not in args.skip:
                    results[store]["run"] = bench_run_once(new_db, work, args.posts)
    finally:
        databases.close()
        if cluster is not None:
            cluster.stop()
    sq, pg = results["sqlite"], results["postgres"]
    rate = {k: args.digest / v["import"] if v["import"] else 0.0 for k, v in results.items()}
    print(version)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'':46s} {'SQLite':>10s} {'PostgreSQL':>10s}")
    rows = [
        (f"list --week --json, {args.entries:,} entries (ms)", sq["list"], pg["list"], ".0f"),
        (f"import of a {args.digest:,}-entry digest (entries/s)", *rate.values(), ",.0f"),
        (f"run --once, {args.posts} posts to fake X (posts/s)", sq["run"], pg["run"], ".1f"),
    ]
    for (name, left, right, form), part in zip(rows, ("list", "import", "run"), strict=True):
        if part not in args.skip:
            print(f"{name:46s} {left:>10{form}} {right:>10{form}}")
    if sq["sqlite-utils"] and pg["list"]:
        print(f"sqlite-utils query of the same rows (ms)       {sq['sqlite-utils']:>10.0f}")
        for what, value, baseline, target in (
            ("SQLite list / sqlite-utils query", sq["list"], sq["sqlite-utils"], 0.5),
            ("PostgreSQL list / SQLite list", pg["list"], sq["list"], 1.5),
        ):
            ratio = value / baseline
            verdict = "met" if ratio <= target else "MISSED"
            print(
                f"{what:34s} {value:6.0f} / {baseline:6.0f} ms = {ratio:.2f}x"
                f" (target <= {target}x: {verdict})"
            )


if __name__ == "__main__":
    main()
