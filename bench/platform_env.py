"""The environment that points paperbot at the three fakes (X, Bluesky, Mastodon): one place
for the benches that run all three channels (bench_engagement, bench_memory, bench_staging)."""

from __future__ import annotations

from typing import Any

# The daemon on all three channels, with no slot of its own (entries come with `at`).
DAEMON_CONFIG = """\
timezone = "UTC"

[channels]
post_to = ["x", "bluesky", "mastodon"]

[schedule]
slots = ["cron: 0 3 1 1 *"]
jitter_minutes = 0
"""

PASSWORD = "bench-app-password"  # the fake PDS's app password
TOKEN = "bench-mastodon-token"  # the fake Mastodon's access token


def platform_env(x: Any, bluesky: Any, mastodon: Any) -> dict[str, str]:
    """Credentials and addresses of FakeX, FakeBluesky(password=PASSWORD) and
    FakeMastodon(access_token=TOKEN), as paperbot reads them from the environment."""
    return {
        "PAPERBOT_X_API_BASE": x.url,
        "X_API_KEY": x.consumer_key,
        "X_API_SECRET": x.consumer_secret,
        "X_ACCESS_TOKEN": x.access_token,
        "X_ACCESS_TOKEN_SECRET": x.access_token_secret,
        "BLUESKY_HANDLE": bluesky.handle,
        "BLUESKY_APP_PASSWORD": PASSWORD,
        "BLUESKY_SERVICE": bluesky.url,
        "MASTODON_BASE_URL": mastodon.url,
        "MASTODON_ACCESS_TOKEN": TOKEN,
    }
