"""Engagement reads for many posts across three channels: requests made, time, and X's bill.

N entries (default 334, so about 1,000 posts) are queued for X, Bluesky and Mastodon and posted
by one `paperbot run --once` against the fakes (tests/fakes: real HTTP on 127.0.0.1, the real
SDKs). Every post is given counts on its fake. Then `paperbot engagement --refresh` reads them
all, and is timed. Printed: posts read per channel, the read requests each fake saw (X: 100 ids
a request, Bluesky: 25 URIs, Mastodon: 20 ids), the wall time of the refresh, and what X
billed for the reads (the ledger, checked against the fake's own bill). A second refresh the
same UTC day shows that X bills nothing for posts it already returned that day.

Usage: .venv/bin/python bench/bench_engagement.py [--entries 334]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.platform_env import PASSWORD, TOKEN, platform_env  # noqa: E402  (needs ROOT)

CONFIG = """\
timezone = "UTC"

[channels]
post_to = ["x", "bluesky", "mastodon"]

[x]
timeout_seconds = 30
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=334)
    args = parser.parse_args()

    from click.testing import CliRunner

    from bot.cli import cli
    from tests.fakes.fake_bluesky import FakeBluesky
    from tests.fakes.fake_mastodon import FakeMastodon
    from tests.fakes.fake_x import FakeX

    work = Path(tempfile.mkdtemp(prefix="paperbot-bench-engagement-"))
    os.chdir(work)
    (work / "paperbot.toml").write_text(CONFIG, encoding="utf-8")
    now = datetime.now(UTC).replace(microsecond=0)
    with (
        FakeX() as x,
        FakeBluesky(password=PASSWORD, sessions_per_window=10_000) as bluesky,
        FakeMastodon(access_token=TOKEN) as mastodon,
    ):
        env = {
            "PAPERBOT_DATABASE_URL": f"sqlite:///{work / 'paperbot.db'}",
            "PAPERBOT_CONFIG": str(work / "paperbot.toml"),
            "PAPERBOT_OFFLINE": "1",
            **platform_env(x, bluesky, mastodon),
            "PAPERBOT_NOW": now.isoformat(),
        }
        runner = CliRunner()

        def run(*argv: str) -> str:
            result = runner.invoke(cli, list(argv), env=env, catch_exceptions=False)
            if result.exit_code != 0:
                raise SystemExit(f"{argv}: {result.output}{result.stderr}")
            return result.stdout

        lines = "\n".join(
            json.dumps(
                {
                    "url": f"https://example.org/papers/{n}",
                    "title": f"Paper {n}",
                    "comment": f"Finding number {n} holds up well.",
                    "at": (now - timedelta(minutes=5)).isoformat(),
                }
            )
            for n in range(args.entries)
        )
        (work / "week.json").write_text("[" + lines.replace("\n", ",") + "]", encoding="utf-8")
        run("import", str(work / "week.json"))
        started = time.perf_counter()
        run("run", "--once")
        took = time.perf_counter() - started
        print(f"posted {args.entries} entries on three channels in {took:.1f} s")
        x.default_metrics = {"like_count": 3, "retweet_count": 1}
        bluesky.default_counts = {"likeCount": 2}
        mastodon.default_counts = (1, 1, 0, 0)
        week = json.loads(run("list", "--json"))[0]["week"]

        requests_before = _requests(x, bluesky, mastodon)
        started = time.perf_counter()
        run("engagement", "--week", week, "--refresh")
        elapsed = time.perf_counter() - started
        made = {k: v - requests_before[k] for k, v in _requests(x, bluesky, mastodon).items()}
        document = json.loads(run("engagement", "--week", week, "--json"))
        read = {"x": 0, "bluesky": 0, "mastodon": 0}
        for entry in document["entries"]:
            for post in entry["posts"]:
                read[post["channel"]] += post["engagement"] is not None
        from bot.store.engine import open_database

        engine = open_database({"PAPERBOT_DATABASE_URL": env["PAPERBOT_DATABASE_URL"]})
        with engine.connect() as connection:
            from sqlalchemy import text

            ledger = connection.execute(
                text("SELECT coalesce(sum(amount), 0) FROM x_ledger WHERE kind = 'post_read'")
            ).scalar_one()
        fake_reads = sum(line.amount for line in x.bill if line.kind == "post_read")
        print(f"posts read: {read} ({sum(read.values())} in all)")
        print(f"read requests: {made}")
        print(f"refresh wall time: {elapsed:.2f} s")
        print(f"X billed for the reads: ${ledger / 1e6:.3f} (the fake's: ${fake_reads / 1e6:.3f})")
        run("engagement", "--week", week, "--refresh")
        with engine.connect() as connection:
            again = connection.execute(
                text("SELECT coalesce(sum(amount), 0) FROM x_ledger WHERE kind = 'post_read'")
            ).scalar_one()
        print(f"a second refresh the same UTC day added ${(again - ledger) / 1e6:.3f} on X")


def _requests(x: object, bluesky: object, mastodon: object) -> dict[str, int]:
    return {
        "x": x.routes_called().count("tweets_lookup"),  # type: ignore[attr-defined]
        "bluesky": sum(1 for c in bluesky.calls if c.route == "getPosts"),  # type: ignore[attr-defined]
        "mastodon": sum(
            1
            for r in mastodon.server.requests  # type: ignore[attr-defined]
            if r.method == "GET" and r.path.startswith("/api/v1/statuses")
        ),
    }


if __name__ == "__main__":
    main()
