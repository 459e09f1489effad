"""Punctuality of posts with figures when uploads are slow: staged ahead of the slot, or not.

The real `paperbot run` daemon posts N entries with figures (`at` times `--spacing` seconds
apart, jitter 0) to X, Bluesky and Mastodon, against the fakes (tests/fakes: real HTTP on
127.0.0.1, the real SDKs), each fake adding `--upload-delay` seconds to every image upload (X:
to each upload's FINALIZE; Bluesky: uploadBlob; Mastodon: POST /api/v2/media). Lateness is the
platform's acceptance time of the post minus the entry's `at`, per post.

Two runs, side by side, each with a fresh database and fakes:
- baseline: `[daemon] stage_minutes = 0`: the figures are fetched, uploaded and described inside
  the slot (as before issue 19);
- staged: `stage_minutes = --stage-minutes`: the staging job uploads them before the slot.
Target (issue 19): max lateness <= 100 ms over 20 posts with figures on three channels, the
fakes adding 0.5 s to every upload.

Usage: .venv/bin/python bench/bench_staging.py [--posts 20] [--spacing 6] [--upload-delay 0.5]
       [--stage-minutes 1] [--only staged|baseline]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_daemon import start_daemon  # noqa: E402  (needs ROOT on sys.path)
from bench.platform_env import (  # noqa: E402  (needs ROOT)
    DAEMON_CONFIG,
    PASSWORD,
    TOKEN,
    platform_env,
)

CONFIG = (
    DAEMON_CONFIG
    + """
[engagement]
at = []

[daemon]
poll_seconds = 1
stage_minutes = {stage_minutes}
"""
)
CHANNELS = ("x", "bluesky", "mastodon")
NUMBER = re.compile(r"example\.org/bench/(\d+)")


def figure(path: Path, seed: int) -> None:
    """A chart-like JPEG of about 150 KB: what an arXiv figure weighs."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1400, 900), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for k in range(0, 1400, 7):
        draw.line((k, 900, k + seed % 50, (k * 37 + seed * 11) % 900), fill=(k % 255, 60, 160))
    image.save(path, "JPEG", quality=90)


def queue(db: Path, figures: list[Path], first: datetime, spacing: float) -> list[datetime]:
    from bot.schedule.weeks import week_of
    from bot.store.engine import open_database, session_scope
    from bot.store.new_entry import NewEntry
    from bot.store.queue import add_entry

    engine = open_database({"PAPERBOT_DATABASE_URL": f"sqlite:///{db}"})
    times = [first + timedelta(seconds=i * spacing) for i in range(len(figures))]
    with session_scope(engine) as session:
        for i, (at, path) in enumerate(zip(times, figures, strict=True)):
            new = NewEntry(
                url=f"https://example.org/bench/{i}",
                week=week_of(at, UTC),
                comment=f"Bench post number {i} with its figure.",
                images=({"source": str(path), "alt": f"Figure of bench post {i}."},),
                at=at,
                channels=CHANNELS,
            )
            add_entry(session=session, new=new)
    engine.dispose()
    return times


def one_run(args: argparse.Namespace, stage_minutes: float) -> dict[str, list[float]]:
    """Lateness in seconds per channel, one value per post."""
    from tests.fakes.fake_bluesky import FakeBluesky
    from tests.fakes.fake_mastodon import FakeMastodon
    from tests.fakes.fake_x import FakeX

    forever = 1_000_000
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeX() as x,
        FakeBluesky(password=PASSWORD, sessions_per_window=10_000) as bluesky,
        # Mastodon processes images as they are uploaded (200; only video and audio answer
        # 202 and are processed later: MediaAttachment#larger_media_format?); the fake's
        # default (202 from 64 KB on) plays the slower servers the tests need.
        FakeMastodon(access_token=TOKEN, large_media_bytes=64 * 1024 * 1024) as mastodon,
    ):
        x.fail_next("media_finalize", "delay", times=forever, delay=args.upload_delay)
        bluesky.fail_next("uploadBlob", "delay", times=forever, delay=args.upload_delay)
        mastodon.fail_next("media_upload", "delay", times=forever, delay=args.upload_delay)
        work = Path(tmp)
        db = work / "bench.db"
        (work / "paperbot.toml").write_text(CONFIG.format(stage_minutes=stage_minutes))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "X_"))}
        env.update(
            {
                "PAPERBOT_DATABASE_URL": f"sqlite:///{db}",
                "PAPERBOT_CONFIG": str(work / "paperbot.toml"),
                "PAPERBOT_OFFLINE": "1",
                **platform_env(x, bluesky, mastodon),
            }
        )
        paperbot = str(Path(sys.executable).with_name("paperbot"))
        subprocess.run([paperbot, "db", "upgrade"], env=env, cwd=work, check=True)
        figures = [work / f"figure-{i}.jpg" for i in range(args.posts)]
        for i, path in enumerate(figures):
            figure(path, i)
        process, lines = start_daemon(work, env)
        try:
            # Staged: the first slot leaves the staging job its lead; baseline: a few seconds.
            lead = stage_minutes * 60 + 10 if stage_minutes else 5
            times = queue(db, figures, datetime.now(UTC) + timedelta(seconds=lead), args.spacing)
            print("  first at " + times[0].isoformat(timespec="milliseconds"))
            deadline = time.monotonic() + lead + args.posts * args.spacing + 120
            while time.monotonic() < deadline:
                done = (len(x.posts), len(bluesky.records), len(mastodon.statuses))
                if min(done) >= args.posts:
                    break
                time.sleep(0.2)
            accepted = arrivals(x, bluesky, mastodon)
        finally:
            process.terminate()
            process.wait(timeout=60)
        late: dict[str, list[float]] = {}
        for channel, posts in accepted.items():
            if len(posts) != args.posts:
                tail = "\n".join(lines[-30:])
                raise SystemExit(f"{channel}: {len(posts)} of {args.posts} posted\n{tail}")
            late[channel] = [0.0] * len(times)
            for number, received in posts:
                late[channel][number] = (received - times[number]).total_seconds()
        if args.log:
            Path(args.log).write_text("\n".join(lines) + "\n", encoding="utf-8")
        staged = sum(1 for line in lines if "staged " in line and " images of entry " in line)
        print(f"  ({'staged' if stage_minutes else 'baseline'}: {staged} stagings logged)")
        return late


def arrivals(x: Any, bluesky: Any, mastodon: Any) -> dict[str, list[tuple[int, datetime]]]:
    """Per platform: (entry number, when the request that created its post arrived) for each
    post made. Arrival, not the end of the fake's own work: the fakes share one process with
    the benchmark, and their CPU time is not the daemon's lateness."""
    x_creates = [r for r in x.requests if r.route == "create_tweet" and r.status == 201]
    found: dict[str, list[tuple[int, datetime]]] = {
        "x": [(number(p.text), r.received) for p, r in zip(x.posts, x_creates, strict=True)]
    }
    paths = {"bluesky": "/xrpc/com.atproto.repo.createRecord", "mastodon": "/api/v1/statuses"}
    for name, fake in (("bluesky", bluesky), ("mastodon", mastodon)):
        found[name] = [
            (number(unquote_plus(r.body.decode())), r.received)
            for r in fake.server.requests
            if r.path == paths[name] and r.method == "POST"
        ]
    return found


def number(text: str) -> int:
    match = NUMBER.search(text)
    assert match is not None, text
    return int(match.group(1))


def report(name: str, late: dict[str, list[float]]) -> float:
    every = [value for values in late.values() for value in values]
    print(f"{name}:")
    for channel, values in late.items():
        print(
            f"  {channel:9s} median {statistics.median(values) * 1000:8.1f} ms   "
            f"max {max(values) * 1000:8.1f} ms"
        )
    print(
        f"  all       median {statistics.median(every) * 1000:8.1f} ms   "
        f"max {max(every) * 1000:8.1f} ms"
    )
    worst = sorted(((v, c, k) for c, vs in late.items() for k, v in enumerate(vs)), reverse=True)
    print("  latest: " + ", ".join(f"{c} #{k} {v * 1000:.0f} ms" for v, c, k in worst[:6]))
    return max(every)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--spacing", type=float, default=6.0, help="seconds between `at` times")
    parser.add_argument("--upload-delay", type=float, default=0.5)
    parser.add_argument("--stage-minutes", type=float, default=1.0)
    parser.add_argument("--only", choices=("staged", "baseline"))
    parser.add_argument("--log", help="write the (last run's) daemon log here")
    args = parser.parse_args()
    print(
        f"{args.posts} entries with a figure each on {', '.join(CHANNELS)}, "
        f"{args.spacing:g} s apart; every upload +{args.upload_delay:g} s; "
        f"load {os.getloadavg()[0]:.2f}"
    )
    results = {}
    if args.only != "staged":
        results["baseline (stage_minutes = 0)"] = one_run(args, 0)
    if args.only != "baseline":
        results[f"staged (stage_minutes = {args.stage_minutes:g})"] = one_run(
            args, args.stage_minutes
        )
    worst = {name: report(name, late) for name, late in results.items()}
    print(f"load after: {os.getloadavg()[0]:.2f}")
    for name, value in worst.items():
        if name.startswith("staged"):
            met = value <= 0.1
            print(f"target max <= 100 ms: {'met' if met else 'MISSED'} ({value * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
