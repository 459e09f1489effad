"""The settings themselves: one immutable record per TOML table, and the error every bad value
raises. Reading them is bot/config/loading.py; checking them is bot/config/validation.py.

The records are NamedTuples rather than frozen dataclasses: every command, `paperbot list` too,
makes these ten classes at start, and on Python 3.11 a frozen dataclass costs ~1 ms to make (it
compiles six methods), a NamedTuple a tenth of that. Both are immutable, compare by value and
read the same (`settings.x.max_attempts`); `_replace` is the NamedTuple's `dataclasses.replace`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo


class ConfigError(ValueError):
    """Invalid configuration: the message names the file, the key and the reason."""


class ScheduleSettings(NamedTuple):
    slots: tuple[str, ...] = ("Mon-Fri 09:00", "Mon-Fri 13:00", "Mon-Fri 18:00")
    jitter_minutes: int = 10
    posts_per_day: int = 3
    quiet_days: tuple[str, ...] = ()
    catch_up: str = "spread"
    catch_up_spacing_minutes: int = 10


class XCosts(NamedTuple):
    """`[x.costs]`: X's pay-per-use prices in USD (X changes them; the user updates them)."""

    post: float = 0.015
    post_with_link: float = 0.20
    post_read: float = 0.005
    media_metadata: float = 0.005


class XSettings(NamedTuple):
    daily_post_limit: int | None = None
    api_base: str | None = None
    max_attempts: int = 5
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 3600.0
    timeout_seconds: float = 30.0
    # USD per calendar month (UTC); None: no budget. See DESIGN.md "Costs".
    monthly_budget: float | None = None
    # "url" (default) or "arxiv-id": cite an arXiv entry as `arXiv:ID`, which X bills as a post
    # without a link.
    link_style: str = "url"
    costs: XCosts = XCosts()


class ComposeConfig(NamedTuple):
    template: str = "{sentence}\n{url}"
    hashtags: tuple[str, ...] = ()
    emoji: str = ""


class ImageSettings(NamedTuple):
    shrink_oversized: bool = False
    allow_private_hosts: bool = False
    max_download_mb: float = 20.0
    timeout_seconds: float = 20.0


class ArxivSettings(NamedTuple):
    api_url: str = "https://export.arxiv.org/api/query"
    fetch: bool = True
    min_interval_seconds: float = 3.0
    timeout_seconds: float = 15.0
    figure: str = "first"  # the paper's figure for an entry without an image: "first" or "none"
    html_urls: tuple[str, ...] = (
        "https://arxiv.org/html/{id}",
        "https://ar5iv.labs.arxiv.org/html/{id}",
    )


class DaemonSettings(NamedTuple):
    poll_seconds: float = 2.0
    heartbeat_seconds: float = 10.0
    stale_after_seconds: float = 60.0
    # How long before a post's slot its figures are uploaded (bot/posting/staging_job.py); 0: at
    # the slot. Bluesky keeps an unused upload only minutes: keep this well under fifteen.
    stage_minutes: float = 5.0


class EngagementSettings(NamedTuple):
    """`[engagement]`: the post ages at which the daemon reads a post's counts (`at = []`: off).

    `poll_seconds` is how often the daemon looks for reads that became due (cheap: one query).
    """

    at: tuple[timedelta, ...] = (timedelta(hours=1), timedelta(hours=24), timedelta(days=7))
    poll_seconds: float = 60.0


class ChannelSettings(NamedTuple):
    """`[channels] post_to`: where new entries go unless `add --channel` says otherwise."""

    post_to: tuple[str, ...] = ("x",)


class Settings(NamedTuple):
    timezone: str
    config_path: Path | None
    schedule: ScheduleSettings = ScheduleSettings()
    x: XSettings = XSettings()
    compose: ComposeConfig = ComposeConfig()
    images: ImageSettings = ImageSettings()
    arxiv: ArxivSettings = ArxivSettings()
    daemon: DaemonSettings = DaemonSettings()
    channels: ChannelSettings = ChannelSettings()
    engagement: EngagementSettings = EngagementSettings()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
