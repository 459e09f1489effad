"""The daemon's heap at start and after ticks (bot/posting/daemon_parts.py): every channel's SDK
loaded and what lives then frozen out of the collector's sight, so a full collection walks only
what was made since; no collection while another channel's post is on its way."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
from pathlib import Path

from bot.posting.daemon_parts import release_memory

PROBE = """
import gc, json, sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from bot.channels.bluesky.channel import BlueskyChannel
from bot.channels.bluesky.connection import BlueskyCredentials
from bot.posting.daemon_parts import settle_heap

channel = BlueskyChannel(
    BlueskyCredentials("paperbot.test", "app-password"),
    session_file=Path(sys.argv[1]),
    service="http://127.0.0.1:9",
)
before = {"sdk": "atproto_client" in sys.modules, "tracked": len(gc.get_objects())}
settle_heap([SimpleNamespace(channel=channel)], datetime(2026, 12, 7, tzinfo=UTC))
after = {"sdk": "atproto_client" in sys.modules, "tracked": len(gc.get_objects()),
         "frozen": gc.get_freeze_count()}
print(json.dumps([before, after]))
"""


def test_the_sdks_load_at_start_and_a_full_collection_then_walks_only_the_new(
    tmp_path: Path,
) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "session.json")],
        capture_output=True,
        text=True,
        check=True,
    )
    before, after = json.loads(probe.stdout)
    assert not before["sdk"] and after["sdk"]  # atproto loads at start, not at the first post
    assert after["frozen"] > 100_000  # the SDKs' models among them
    assert after["tracked"] < 1_000  # what a collection still walks


def test_no_collection_while_another_channels_post_is_on_its_way() -> None:
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            collections.append(1)

    posting = threading.Lock()
    gc.callbacks.append(count)
    try:
        with posting:
            release_memory(busy=[posting])
            assert collections == []
        release_memory(busy=[posting])
        assert collections == [1]
    finally:
        gc.callbacks.remove(count)
