"""Bluesky and Mastodon for the chaos run (bench/chaos.py ``--channels x,bluesky,mastodon``).

The two fakes run beside the chaos X; a thread keeps arming random faults on the requests that
create posts (5xx, connections dropped before or after the post was made) and on image uploads,
at the run's fault rate, until the faults are called off. At the end each platform must hold
exactly one post per entry (matched by the entry's link) and paperbot's history the same remote
ids; Bluesky logins are counted (the session is kept beside the database, so a daemon start
logs in at most once). The Mastodon fake answers as the server profile asked for (e.g.
``ignores-idempotency-key``: a resend without a lookup is a second status). On the simulated
clock (bench/chaos_sim.py) there is no timer: each pass arms its faults before it starts.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.fakes.bluesky_model import FaultMode as BlueskyFault
from tests.fakes.fake_bluesky import FakeBluesky
from tests.fakes.fake_mastodon import FakeMastodon
from tests.fakes.http_server import RecordedRequest, Reply
from tests.fakes.mastodon_model import FaultMode as MastodonFault

PASSWORD = "chaos-app-password"
TOKEN = "chaos-mastodon-token"
TICK = 0.05  # seconds between two chances to arm a fault


@dataclass
class ChannelCheck:
    """One platform's result: posts made, duplicates (a link posted twice), entries missing."""

    posts: int = 0
    duplicates: int = 0
    lost: list[int] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)

    def ok(self, entries: int) -> bool:
        return (
            self.posts == entries and not self.duplicates and not self.lost and not self.mismatches
        )


class ChaosMastodon(FakeMastodon):
    """The fake Mastodon, counting status creations still being handled: on the simulated clock
    the next hour starts only when none is (a request sent in one hour is stamped in it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._creating = 0
        self._creating_lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        with self._creating_lock:
            return self._creating

    def _handler(
        self, route: str, action: Callable[[RecordedRequest], Reply], *, auth: bool = True
    ) -> Callable[[RecordedRequest], Reply]:
        handle = super()._handler(route, action, auth=auth)
        if route != "create_status":
            return handle

        def counted(request: RecordedRequest) -> Reply:
            with self._creating_lock:
                self._creating += 1
            try:
                return handle(request)
            finally:
                with self._creating_lock:
                    self._creating -= 1

        return counted


class OtherPlatforms:
    """The fake Bluesky PDS and Mastodon instance, with random faults while `armed`."""

    def __init__(
        self,
        channels: tuple[str, ...],
        fault_rate: float,
        seed: int,
        *,
        mastodon_profile: str = "mastodon4",
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.channels = channels
        self.bluesky = FakeBluesky(password=PASSWORD) if "bluesky" in channels else None
        self.mastodon = (
            ChaosMastodon(access_token=TOKEN, profile=mastodon_profile, now=now)
            if "mastodon" in channels
            else None
        )
        self.fault_rate = fault_rate
        self.rng = random.Random(seed + 7)
        self.injected: Counter[str] = Counter()
        self._calm = threading.Event()
        self._thread = threading.Thread(target=self._arm_faults, daemon=True)

    def start(self, *, timer: bool = True) -> None:
        """Start the fakes, and (`timer`) the thread that arms faults every TICK."""
        for fake in (self.bluesky, self.mastodon):
            if fake is not None:
                fake.start()
        if timer:
            self._thread.start()

    def arm_pass(self, requests: int) -> None:
        """Faults for one pass that makes about `requests` posts per platform: each may fail."""
        if self._calm.is_set():
            return
        for _ in range(requests):
            self._arm(self.fault_rate)

    def calm(self) -> None:
        """No new faults from now on (those armed may still fire once)."""
        self._calm.set()

    def stop(self) -> None:
        self._calm.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for fake in (self.bluesky, self.mastodon):
            if fake is not None:
                fake.stop()

    def env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        if self.bluesky is not None:
            env |= {
                "BLUESKY_HANDLE": self.bluesky.handle,
                "BLUESKY_APP_PASSWORD": PASSWORD,
                "BLUESKY_SERVICE": self.bluesky.url,
            }
        if self.mastodon is not None:
            env |= {"MASTODON_BASE_URL": self.mastodon.url, "MASTODON_ACCESS_TOKEN": TOKEN}
        return env

    @property
    def in_flight(self) -> int:
        """Status creations the fake Mastodon is still handling (Bluesky stamps nothing: the
        client names a record's time and key)."""
        return self.mastodon.in_flight if self.mastodon is not None else 0

    @property
    def logins(self) -> int:
        return self.bluesky.logins if self.bluesky is not None else 0

    def _arm_faults(self) -> None:
        while not self._calm.wait(TICK):
            self._arm(self.fault_rate / 4)

    def _arm(self, rate: float) -> None:
        """On each platform, with probability `rate`, one fault on its next post or upload."""
        if self.bluesky is not None and self.rng.random() < rate:
            route = self.rng.choice(["createRecord", "createRecord", "uploadBlob"])
            mode = self.rng.choice(
                [BlueskyFault.SERVER_ERROR, BlueskyFault.DROP_AFTER, BlueskyFault.DROP_BEFORE]
            )
            if route == "uploadBlob":
                mode = BlueskyFault.SERVER_ERROR
            self.bluesky.fail_next(route, mode)
            self.injected[f"bluesky {route} {mode.value}"] += 1
        if self.mastodon is not None and self.rng.random() < rate:
            route = self.rng.choice(["create_status", "create_status", "media_upload"])
            fault = self.rng.choice(
                [
                    MastodonFault.SERVER_ERROR,
                    MastodonFault.DROP_AFTER,
                    MastodonFault.DROP_BEFORE,
                ]
            )
            if route == "media_upload":
                fault = MastodonFault.SERVER_ERROR
            self.mastodon.fail_next(route, fault)
            self.injected[f"mastodon {route} {fault.value}"] += 1

    def check(
        self, entries: list[dict[str, Any]], history: list[dict[str, Any]]
    ) -> dict[str, ChannelCheck]:
        """Per platform: one post per entry's link, and history naming that post."""
        results: dict[str, ChannelCheck] = {}
        if self.bluesky is not None:
            links = {record.rkey: _facet_links(record.value) for record in self.bluesky.records}
            results["bluesky"] = _check_links(
                entries, history, "bluesky", links, lambda remote: remote.rsplit("/", 1)[-1]
            )
        if self.mastodon is not None:
            links = {status.id: _text_links(status.text) for status in self.mastodon.statuses}
            results["mastodon"] = _check_links(entries, history, "mastodon", links, str)
        return results


def _facet_links(record: dict[str, Any]) -> list[str]:
    return [
        feature.get("uri", "")
        for facet in record.get("facets") or []
        for feature in facet.get("features") or []
    ]


def _text_links(text: str) -> list[str]:
    return [word for word in text.split() if word.startswith(("http://", "https://"))]


def _check_links(
    entries: list[dict[str, Any]],
    history: list[dict[str, Any]],
    channel: str,
    links: dict[str, list[str]],
    key_of: Any,
) -> ChannelCheck:
    check = ChannelCheck(posts=len(links))
    by_url: dict[str, list[str]] = {}
    for remote_id, urls in links.items():
        for url in set(urls):
            by_url.setdefault(url, []).append(remote_id)
    recorded = {
        item["entry_id"]: item
        for item in history
        if item["channel"] == channel and item["status"] == "posted"
    }
    for entry in entries:
        made = by_url.get(entry["url"], [])
        check.duplicates += max(0, len(made) - 1)
        item = recorded.get(entry["id"])
        if not made or item is None:
            check.lost.append(entry["id"])
        elif key_of(item["remote_id"]) not in made:
            check.mismatches.append(
                f"entry {entry['id']}: history has {item['remote_id']} on {channel}, "
                f"the platform {made}"
            )
    return check
