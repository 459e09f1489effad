"""Chaos on three channels (bench/chaos.py --channels x,bluesky,mastodon, smaller): the real
daemon SIGKILLed at random while X, Bluesky and Mastodon each fail at random; every entry ends
posted exactly once on every platform, history agrees with each, and the Bluesky session kept
beside the database means at most one login per daemon start.

Each run is on Mastodon 4 and on a server that ignores ``Idempotency-Key``; the second test
runs on a simulated clock (bench/chaos_sim.py): slots an hour apart, one `run --once` each,
some SIGKILLed mid-pass, so every lost answer is looked up (and any resend made) an hour or more
later, when no key would help any more.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.chaos import ChaosConfig, run_chaos

pytestmark = pytest.mark.chaos

PROFILES = ("mastodon4", "ignores-idempotency-key")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("profile", PROFILES)
def test_three_channels_under_faults_and_kills_post_every_entry_once_on_each(
    tmp_path: Path, store: str, database_url: str, profile: str
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
            mastodon_profile=profile,
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


@pytest.mark.timeout(400)
def test_slots_an_hour_apart_with_a_server_ignoring_the_key_post_every_entry_once(
    tmp_path: Path, store: str, database_url: str
) -> None:
    report = run_chaos(
        ChaosConfig(
            entries=24,
            kills=5,
            seed=int(os.environ.get("PAPERBOT_CHAOS_SEED", "17")),
            fault_rate=0.35,
            pace=0.4,
            deadline=330,
            workdir=tmp_path,
            database_url=None if store == "sqlite" else database_url,
            channels=("x", "bluesky", "mastodon"),
            mastodon_profile="ignores-idempotency-key",
            clock="simulated",
            per_slot=4,
        )
    )
    print(report.summary())
    assert report.kills == 5
    assert report.passes >= 24 // 4 + 1, report.summary()  # every slot came, an hour apart
    assert sum(n for k, n in report.faults.items() if k.startswith("mastodon create_status"))
    assert report.lost == [] and report.duplicates == 0, report.summary()
    for name in ("bluesky", "mastodon"):
        assert report.others[name].ok(24), (name, report.summary())
    assert report.ok(), report.summary()
