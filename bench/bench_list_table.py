"""`paperbot list --week W` as a table (not --json), on a week of ~2,000 and of ~20,000 entries.

The human table is what people type most; rich's Table laid it out at ~1 ms a row. Each size
gets a SQLite file of its own (bench_cli.fill, every entry in one week, 500 of them posted with
a link), and the command runs as a fresh process into a pipe and into a pseudo-terminal (what a
person sees: styles on), at 80 and 120 columns (COLUMNS), interleaved. Medians are reported, with
the load average.

Usage: .venv/bin/python bench/bench_list_table.py [--sizes 2000,20000] [--runs 5]
Target: well under 0.5 s for 2,000 rows, and linear in the rows.
"""

from __future__ import annotations

import argparse
import os
import pty
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WEEK = "2026-W01"  # bench_cli.fill(weeks=1) puts every entry here


def run_once(argv: list[str], env: dict[str, str], terminal: bool) -> float:
    """Seconds for one run, stdout a pipe or a pseudo-terminal (drained as a terminal would)."""
    if not terminal:
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.PIPE)
        return time.perf_counter() - started
    leader, follower = pty.openpty()

    def drain() -> None:
        try:
            while os.read(leader, 1 << 16):
                pass
        except OSError:  # EIO once the child and our copy of the follower are closed
            pass

    reader = threading.Thread(target=drain)
    reader.start()
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=follower)
    elapsed = time.perf_counter() - started
    os.close(follower)
    reader.join()
    os.close(leader)
    return elapsed


def main() -> None:
    from bench.bench_cli import fill

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    paperbot = str(Path(sys.executable).with_name("paperbot"))
    sizes = [int(size) for size in args.sizes.split(",")]
    times: dict[tuple[int, str, int], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        envs = {}
        for size in sizes:
            url = f"sqlite:///{Path(tmp) / f'bench-{size}.db'}"
            fill(url, size, weeks=1)
            envs[size] = {
                **os.environ,
                "PAPERBOT_DATABASE_URL": url,
                "PAPERBOT_CONFIG": str(ROOT / "config" / "paperbot.toml"),
                "PAPERBOT_OFFLINE": "1",
                "TZ": "UTC",
            }
        for _ in range(args.runs):  # interleaved: noise hits every case alike
            for size in sizes:
                for mode in ("pipe", "terminal"):
                    for columns in (80, 120):
                        env = {**envs[size], "COLUMNS": str(columns)}
                        argv = [paperbot, "list", "--week", WEEK]
                        elapsed = run_once(argv, env, terminal=mode == "terminal")
                        times.setdefault((size, mode, columns), []).append(elapsed)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"`paperbot list --week {WEEK}`, {args.runs} runs each, medians; load at the end {load}")
    print(f"{'rows':>7s} {'stdout':>9s} {'columns':>7s} {'seconds':>8s} {'us/row':>7s}")
    for (size, mode, columns), values in times.items():
        median = statistics.median(values)
        per_row = median / size * 1e6
        print(f"{size:7d} {mode:>9s} {columns:7d} {median:8.3f} {per_row:7.0f}")


if __name__ == "__main__":
    main()
