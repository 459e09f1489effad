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
    from bot.channels.base import ChannelError, ErrorKind

    built = build_mastodon(app)
    options, limits = built.compose_options, built.limits
    lines: list[str] = []
    try:
        lines.append(f"mastodon: posting as {built.channel.whoami()}")
    except ChannelError as exc:
        if exc.kind is not ErrorKind.READ_REFUSED:
            raise Failure(f"Mastodon refused the access token: {exc.message}") from None
        lines.append(f"mastodon: the token is accepted, but {exc.message}")
    finally:
        built.channel.close()
    links = "at full length" if limits.links_in_full else str(options["mastodon_url_length"])
    allows = (
        f"{options['mastodon_limit']} characters (links count {links}), "
        f"{options['mastodon_max_images']} images of up to {limits.image_size_limit:,} bytes, "
        f"alt text up to {options['mastodon_alt_max']} characters"
    )
    if limits.unread:
        lines.append(
            f"mastodon: using the stock defaults, {allows}: the instance's own limits could not "
            f"be read ({limits.unread}); asked again within the hour"
        )
    else:
        lines.append(f"mastodon: the instance allows {allows}")
    return lines
