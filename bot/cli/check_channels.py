"""`paperbot check` for Bluesky and Mastodon: who the credentials post as, and what the
instance allows (Mastodon's limits, read from the instance and cached beside the database)."""

from __future__ import annotations

from bot.cli.channel_wiring import build_bluesky, build_mastodon
from bot.cli.context import App, Failure


def check_bluesky(app: App) -> list[str]:
    from bot.channels.base import ChannelError

    built = build_bluesky(app)
    try:
        name = built.channel.whoami()
    except ChannelError as exc:
        raise Failure(f"Bluesky refused the credentials: {exc.message}") from None
    finally:
        built.channel.close()
    return [
        f"bluesky: posting as {name}",
        "bluesky: a post whose answer is lost is looked up by its record key and settled "
        "without you; the session is kept beside the database (one login, then refreshes)",
    ]


def check_mastodon(app: App) -> list[str]:
    from bot.channels.base import ChannelError

    built = build_mastodon(app)
    options = built.compose_options
    try:
        name = built.channel.whoami()
    except ChannelError as exc:
        raise Failure(f"Mastodon refused the access token: {exc.message}") from None
    finally:
        built.channel.close()
    return [
        f"mastodon: posting as {name}",
        f"mastodon: the instance allows {options['mastodon_limit']} characters (links count "
        f"{options['mastodon_url_length']}), {options['mastodon_max_images']} images, alt text "
        f"up to {options['mastodon_alt_max']} characters",
    ]
