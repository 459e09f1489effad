"""Building the posting side: channel, worker, timetable. Only the CLI calls these."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.context import App, BadInput

if TYPE_CHECKING:
    from bot.channels.base import Channel
    from bot.posting.engagement_job import ReadSchedule
    from bot.posting.publisher import Worker


def build_channel(app: App, *, dry_run: bool) -> tuple[Channel, str | None]:
    """The channel to post on and the credentials' fingerprint (None for dry runs)."""
    if dry_run:
        from bot.channels.dryrun import DryRunChannel

        return DryRunChannel(clock=app.now), None
    secrets = app.secrets()
    if secrets is None:
        raise BadInput(
            "no X credentials: set X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN and "
            "X_ACCESS_TOKEN_SECRET in the environment or .env (see .env.example), "
            "or add --dry-run"
        )
    from bot.channels.x.channel import XChannel
    from bot.channels.x.credentials import XCredentials
    from bot.posting.x_costs import x_cost_policy

    credentials = XCredentials(
        api_key=secrets.api_key,
        api_secret=secrets.api_secret,
        access_token=secrets.access_token,
        access_token_secret=secrets.access_token_secret,
    )
    channel = XChannel(
        credentials,
        api_base=app.settings.x.api_base,
        timeout=app.settings.x.timeout_seconds,
        prices=x_cost_policy(app.settings.x).prices,
    )
    _hide_secrets_in_logs(secrets.values())
    return channel, secrets.fingerprint()


def image_policy(app: App) -> Any:
    from bot.images.types import ImagePolicy

    images = app.settings.images
    return ImagePolicy(
        max_download_bytes=int(images.max_download_mb * 1024 * 1024),
        timeout=images.timeout_seconds,
        allow_private_hosts=images.allow_private_hosts,
        shrink_oversized=images.shrink_oversized,
    )


def build_worker(app: App, *, dry_run: bool) -> Worker:
    """The one worker of a dry run (or of X alone): see build_workers."""
    return build_workers(app, dry_run=dry_run)[0]


def build_workers(app: App, *, dry_run: bool, only: str | None = None) -> list[Worker]:
    """One worker per enabled channel (`[channels] post_to`), or the dry-run channel alone.

    An enabled channel without credentials refuses the whole command (BadInput), so nothing is
    half-configured. `only` builds just that channel (e.g. `post ID` for one entry).
    """
    from bot.cli.channel_wiring import BuiltChannel, build_bluesky, build_mastodon

    _skip_httpx_cli()
    if dry_run:
        channel, fingerprint = build_channel(app, dry_run=True)
        return [_worker(app, BuiltChannel(channel, fingerprint))]
    names = [n for n in app.settings.channels.post_to if only is None or n == only]
    built: list[BuiltChannel] = []
    for name in names:
        if name == "x":
            channel, fingerprint = build_channel(app, dry_run=False)
            built.append(BuiltChannel(channel, fingerprint))
        else:
            built.append(build_bluesky(app) if name == "bluesky" else build_mastodon(app))
            _hide_secrets_in_logs(built[-1].secrets)
    return [_worker(app, one) for one in built]


def _skip_httpx_cli() -> None:
    """Keep httpx's command-line client out of a poster's memory. Importing httpx imports its
    CLI whenever click and rich are installed (they are: ours), which brings rich and pygments:
    about 3.5 MB resident in a daemon that never runs it. A module marked absent in
    ``sys.modules`` raises ImportError on import, which httpx expects (its stub ``main`` tells
    a user to install ``httpx[cli]``). No effect once httpx is imported."""
    import sys

    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def read_schedule(app: App) -> ReadSchedule:
    """`[engagement]` for the daemon: when to read posts' counts (and how X reads are paid)."""
    from bot.posting.engagement_job import ReadSchedule
    from bot.posting.x_costs import x_cost_policy

    engagement = app.settings.engagement
    return ReadSchedule(
        ages=engagement.at,
        poll_seconds=engagement.poll_seconds,
        x_costs=x_cost_policy(app.settings.x),
    )


def _worker(app: App, built: Any) -> Worker:
    from datetime import timedelta

    from bot.config.pure_views import checked_compose_settings
    from bot.images.limits import X_LIMIT, load_policy
    from bot.posting.outcome import RetryPolicy
    from bot.posting.publisher import Worker
    from bot.posting.x_costs import x_cost_policy

    x = app.settings.x
    return Worker(
        engine=app.engine,
        channel=built.channel,
        compose_settings=checked_compose_settings(app.settings),
        image_policy=load_policy(image_policy(app), built.image_limit or X_LIMIT),
        retry=RetryPolicy(x.max_attempts, x.retry_base_seconds, x.retry_max_seconds),
        credentials_fingerprint=built.fingerprint,
        settle_grace=timedelta(seconds=2 * x.timeout_seconds),
        image_base_dir=Path.cwd(),
        compose_options=built.compose_options,
        x_costs=x_cost_policy(x),
    )


class _Redact(logging.Filter):
    """Belt and braces: no log record may carry a secret, whatever a library puts in it."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if len(s) >= 4)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "<redacted>")
            record.msg, record.args = message, None
        return True


def _hide_secrets_in_logs(secrets: tuple[str, ...]) -> None:
    redact = _Redact(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    logging.getLogger().addFilter(redact)


def configure_logging(fmt: str, verbose: bool = False) -> None:
    """One line per decision: human by default, JSON lines with --log-format json."""
    import json
    import sys

    class JsonFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return json.dumps(
                {
                    "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                    "level": record.levelname.lower(),
                    "message": record.getMessage(),
                },
                ensure_ascii=False,
            )

    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("paperbot").setLevel(logging.DEBUG if verbose else logging.INFO)
