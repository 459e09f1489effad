"""Throughput of the whole posting pipeline, and the memory it needs.

N entries (default 200) are queued with `at` in the past and one PNG figure each (with alt text),
then ONE `paperbot run --once` process posts them all to the fake X server (tests/fakes/fake_x.py,
real HTTP on 127.0.0.1, OAuth 1.0a checked): compose, image load, chunked v2 media upload, alt
text, create, record. No faults, no sleeps. Printed:

* posts per second over the run's wall time (process start-up included), and with the start-up
  of an empty `run --once` subtracted;
* the peak RSS of the `run --once` process (``RUSAGE_CHILDREN``: it is the only child spawned
  before the reading, so the figure is its own).

Each post costs five requests to the fake (initialize, append, finalize, metadata, create); the
fake runs in this process, so the figures are a floor for what the pipeline itself can do.

Usage: .venv/bin/python bench/bench_pipeline.py [--entries 200] [--image-px 1200x800]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CREDS = {
    "X_API_KEY": "bench-consumer-key",
    "X_API_SECRET": "bench-consumer-secret",
    "X_ACCESS_TOKEN": "1000-bench-access-token",
    "X_ACCESS_TOKEN_SECRET": "bench-access-token-secret",
}
CONFIG = """\
timezone = "UTC"

[x]
timeout_seconds = 10
"""


def figure(width: int, height: int, seed: int) -> bytes:
    """A plot-like PNG: a gradient with a few lines, so it compresses like a real figure."""
    from PIL import Image, ImageDraw

    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for k in range(8):
        y = (seed * 37 + k * height // 8) % height
        draw.line(
            [(0, y), (width, (y + seed * 11) % height)], fill=(200, 40 * k % 255, 90), width=3
        )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def queue_entries(db: Path, workdir: Path, count: int, size: tuple[int, int]) -> int:
    """Queue ``count`` due entries through bot.store.queue (the rules `add` uses); returns image
    bytes."""
    from bot.schedule.weeks import week_of
    from bot.store.engine import open_database, session_scope
    from bot.store.new_entry import NewEntry
    from bot.store.queue import add_entry

    engine = open_database({"PAPERBOT_DATABASE_URL": f"sqlite:///{db}"})
    now = datetime.now(UTC)
    total = 0
    with session_scope(engine) as session:
        for i in range(count):
            path = workdir / f"fig{i}.png"
            data = figure(*size, seed=i)
            path.write_bytes(data)
            total += len(data)
            add_entry(
                session=session,
                new=NewEntry(
                    url=f"https://arxiv.org/abs/2601.{i:05d}",
                    arxiv_id=f"2601.{i:05d}",
                    week=week_of(now, UTC),
                    title=f"Paper {i}",
                    comment=f"Result {i} holds across every benchmark we tried. More below.",
                    images=({"source": str(path), "alt": f"Figure 1 of paper {i}"},),
                    at=now - timedelta(hours=2) + timedelta(seconds=i),
                ),
            )
    engine.dispose()
    return total


def run_once(paperbot: str, env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [paperbot, "run", "--once"], env=env, cwd=cwd, check=True, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--image-px", default="1200x800", help="figure size, WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(v) for v in args.image_px.split("x"))
    paperbot = str(Path(sys.executable).with_name("paperbot"))

    from tests.fakes.fake_x import FakeX

    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeX(
            consumer_key=CREDS["X_API_KEY"],
            consumer_secret=CREDS["X_API_SECRET"],
            access_token=CREDS["X_ACCESS_TOKEN"],
            access_token_secret=CREDS["X_ACCESS_TOKEN_SECRET"],
        ) as fake,
    ):
        workdir = Path(tmp)
        db = workdir / "bench.db"
        config = workdir / "paperbot.toml"
        config.write_text(CONFIG, encoding="utf-8")
        image_bytes = queue_entries(db, workdir, args.entries, (width, height))
        env = {
            **os.environ,
            **CREDS,
            "PAPERBOT_DATABASE_URL": f"sqlite:///{db}",
            "PAPERBOT_CONFIG": str(config),
            "PAPERBOT_X_API_BASE": fake.url,
            "PAPERBOT_OFFLINE": "1",
        }
        elapsed = run_once(paperbot, env, workdir)
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
        posted = len(fake.posts)
        if posted != args.entries or any(len(p.media_ids) != 1 for p in fake.posts):
            raise SystemExit(f"expected {args.entries} posts with one image, got {posted}")
        startup = min(run_once(paperbot, env, workdir) for _ in range(3))  # empty queue now

    print(
        f"entries                      {args.entries} (one {width}x{height} PNG each, "
        f"{image_bytes / args.entries / 1024:.0f} KiB average)"
    )
    print(f"requests to the fake         {len(fake.requests)}")
    print(f"run --once wall time         {elapsed:7.2f} s")
    print(f"posts per second (wall)      {posted / elapsed:7.1f}")
    print(f"empty run --once (start-up)  {startup:7.2f} s")
    print(f"posts per second (no start)  {posted / max(elapsed - startup, 1e-9):7.1f}")
    print(f"peak RSS of run --once       {peak_kb / 1024:7.1f} MiB")


if __name__ == "__main__":
    main()
