"""Chaos on three channels (bench/chaos.py --channels x,bluesky,mastodon, smaller): the real
daemon SIGKILLed at random while X, Bluesky and Mastodon each fail at random; every entry ends
posted exactly once on every platform, history agrees with each, and the Bluesky session kept
beside the database means at most one login per daemon start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.chaos import ChaosConfig, run_chaos

pytestmark = pytest.mark.chaos


@pytest.mark.timeout(300)
def test_three_channels_under_faults_and_kills_post_every_entry_once_on_each(
    tmp_path: Path, store: str, database_url: str
) -> None:
    report = run_chaos(
        ChaosConfig(
            entries=16,
            kills=5,
            seed=int(os.environ.get("PAPERBOT_CHAOS_SEED", "13")),
            fault_rate=0.35,
            pace=0.4,
            max_life=2.5,
            deadline=240,
            workdir=tmp_path,
            database_url=None if store == "sqlite" else database_url,
            channels=("x", "bluesky", "mastodon"),
        )
    )
    print(report.summary())
    assert report.kills == 5
    assert report.lost == [] and report.duplicates == 0, report.summary()
    for name in ("bluesky", "mastodon"):
        check = report.others[name]
        assert check.ok(16), (name, report.summary())
    assert report.logins <= report.runs, report.summary()
    assert report.ok(), report.summary()
