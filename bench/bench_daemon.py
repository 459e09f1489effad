"""The daemon's punctuality and idle cost: the real `paperbot run` against the fake X API.

1. Lateness: N entries with `--at` times `spacing` seconds apart (jitter 0) are queued while the
   daemon runs; lateness is the fake X's acceptance time minus the entry's `at`.
2. Idle cost: with the queue empty, the daemon's CPU time (psutil `cpu_times`, user + system)
   over an idle period, and its resident memory.

Usage: .venv/bin/python bench/bench_daemon.py [--posts 20] [--spacing 1] [--idle 60]
       [--poll-seconds 2] [--heartbeat-seconds 10] [--with-images]
Targets (issue 5): median lateness < 1 s; idle CPU < 1 %; idle RSS < 80 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no types-psutil in the dev extras

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.fake_x import FakeX  # noqa: E402  (needs ROOT on sys.path)

CONFIG = """\
timezone = "UTC"

[schedule]
slots = ["cron: 0 3 1 1 *"]
jitter_minutes = 0

[daemon]
poll_seconds = {poll}
heartbeat_seconds = {heartbeat}
"""


def start_daemon(workdir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    """`paperbot run` in its own process; returns once it logged that it started."""
    paperbot = str(Path(sys.executable).with_name("paperbot"))
    process = subprocess.Popen(
        [paperbot, "run"],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line.rstrip("\n"))
            if "daemon started" in line:
                started.set()

    threading.Thread(target=read, daemon=True).start()
    if not started.wait(timeout=60):
        process.kill()
        raise SystemExit("the daemon did not start:\n" + "\n".join(lines))
    return process, lines


def queue_entries(
    db: Path, count: int, first: datetime, spacing: float, image: Path | None
) -> list[datetime]:
    """Queue `count` entries through the real queue code, `spacing` seconds apart from `first`."""
    from bot.schedule.weeks import week_of
    from bot.store.engine import open_database, session_scope
    from bot.store.new_entry import NewEntry
    from bot.store.queue import add_entry

    engine = open_database({"PAPERBOT_DATABASE_URL": f"sqlite:///{db}"})
    times = [first + timedelta(seconds=i * spacing) for i in range(count)]
    images = ({"source": str(image), "alt": "A key figure."},) if image else ()
    with session_scope(engine) as session:
        for i, at in enumerate(times):
            new = NewEntry(
                url=f"https://example.org/bench/{i}",
                week=week_of(at, UTC),
                comment=f"Bench post number {i}.",
                images=images,
                at=at,
            )
            add_entry(session=session, new=new)
    engine.dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--spacing", type=float, default=1.0, help="seconds between `at` times")
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle measurement")
    parser.add_argument("--poll-seconds", type=float, default=2.0)
    parser.add_argument("--heartbeat-seconds", type=float, default=10.0)
    parser.add_argument(
        "--with-images", action="store_true", help="attach a PNG (uploaded with alt text) to each"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, FakeX() as fake:
        workdir = Path(tmp)
        db = workdir / "bench.db"
        config = workdir / "paperbot.toml"
        config.write_text(CONFIG.format(poll=args.poll_seconds, heartbeat=args.heartbeat_seconds))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "X_"))}
        env.update(
            {
                "PAPERBOT_DATABASE_URL": f"sqlite:///{db}",
                "PAPERBOT_CONFIG": str(config),
                "PAPERBOT_OFFLINE": "1",
                "PAPERBOT_X_API_BASE": fake.url,
                "X_API_KEY": fake.consumer_key,
                "X_API_SECRET": fake.consumer_secret,
                "X_ACCESS_TOKEN": fake.access_token,
                "X_ACCESS_TOKEN_SECRET": fake.access_token_secret,
            }
        )
        subprocess.run(
            [str(Path(sys.executable).with_name("paperbot")), "db", "upgrade"],
            env=env,
            cwd=workdir,
            check=True,
            capture_output=True,
        )
        launched = time.perf_counter()
        process, lines = start_daemon(workdir, env)
        startup = time.perf_counter() - launched
        daemon = psutil.Process(process.pid)
        rss_started = daemon.memory_info().rss
        try:
            # Queued while the daemon runs; the first `at` leaves the watch job time to notice.
            first = datetime.now(UTC) + timedelta(seconds=args.poll_seconds + 2)
            image = None
            if args.with_images:
                from PIL import Image

                image = workdir / "figure.png"
                Image.new("RGB", (1200, 800), (40, 90, 160)).save(image)
            times = queue_entries(db, args.posts, first, args.spacing, image)
            deadline = time.monotonic() + args.posts * args.spacing + 60
            while len(fake.posts) < args.posts and time.monotonic() < deadline:
                time.sleep(0.1)
            posts = {post.text.rsplit("/", 1)[1]: post for post in fake.posts}
            if len(posts) != args.posts:
                raise SystemExit(f"only {len(posts)} of {args.posts} posted:\n" + "\n".join(lines))
            late = [(posts[str(i)].created_at - at).total_seconds() for i, at in enumerate(times)]

            time.sleep(3)  # let the last tick, its re-plan and the watch settle
            before = daemon.cpu_times()
            wall = time.perf_counter()
            time.sleep(args.idle)
            after = daemon.cpu_times()
            elapsed = time.perf_counter() - wall
            rss_idle = daemon.memory_info().rss
            threads = daemon.num_threads()
        finally:
            process.terminate()
            code = process.wait(timeout=30)

    cpu = (after.user - before.user) + (after.system - before.system)
    cpu_percent = 100 * cpu / elapsed
    median = statistics.median(late)
    mb = 1024 * 1024
    print(f"daemon start-up (spawn to 'daemon started')  {startup:7.2f} s")
    kind = "image posts" if args.with_images else "text posts"
    spacing = f"{args.spacing:g} s apart (poll {args.poll_seconds:g} s)"
    print(f"lateness over {args.posts} {kind}, {spacing}")
    print(f"  median                                     {median:7.3f} s   (target < 1 s)")
    print(f"  max                                        {max(late):7.3f} s")
    print(f"  min                                        {min(late):7.3f} s")
    print(
        f"idle CPU over {elapsed:.0f} s                          {cpu_percent:7.3f} %   "
        f"({cpu * 1000:.0f} ms; target < 1 %)"
    )
    print(f"RSS after start-up                           {rss_started / mb:7.1f} MB")
    print(
        f"RSS idle after {args.posts} posts                    {rss_idle / mb:7.1f} MB   "
        "(target < 80 MB)"
    )
    print(f"threads                                      {threads:7d}")
    print(f"exit code after SIGTERM                      {code:7d}")
    met = median < 1 and cpu_percent < 1 and rss_idle < 80 * mb
    print("targets " + ("met" if met else "MISSED"))


if __name__ == "__main__":
    main()
