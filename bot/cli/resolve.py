"""`paperbot resolve`: settle by hand a post whose outcome paperbot cannot look up."""

from __future__ import annotations

import click

from bot.cli.context import App, BadInput, pass_app, translate_errors


@click.command()
@click.argument("entry_id", type=int)
@click.option(
    "--channel",
    help="The post's channel (x, bluesky, mastodon); needed only when several posts await a "
    "decision.",
)
@click.option(
    "--posted",
    metavar="URL_OR_ID",
    help="The post is on the account: record it as posted, with this link (X: x.com link or "
    "id; Bluesky: bsky.app link or at:// URI; Mastodon: status link or id).",
)
@click.option("--not-posted", is_flag=True, help="The post is not on the account: queue it again.")
@pass_app
@translate_errors
def resolve(
    app: App, entry_id: int, channel: str | None, posted: str | None, not_posted: bool
) -> None:
    """Settle by hand a post whose outcome is unknown and cannot be looked up.

    When the answer to a post is lost, paperbot looks the post up on the platform before it
    sends anything again. When it cannot (X will not show the account's posts to an access
    level that cannot read them, error 453, or a platform keeps failing to answer), the entry
    waits under "needs a decision" in `paperbot status`, the rest of the queue goes on, and
    paperbot looks again by itself now and then. Look at the account, then say what you saw;
    on any channel. History shows the post was resolved by hand.

    \b
    Examples:
      paperbot resolve 12 --posted https://x.com/me/status/1861000000000000000
      paperbot resolve 12 --channel bluesky --posted https://bsky.app/profile/me.bsky.social/post/3lbq2xv7k4s2c
      paperbot resolve 12 --channel mastodon --posted https://mastodon.social/@me/113512345678901234
      paperbot resolve 12 --not-posted
    """
    from bot.posting.decisions import awaiting_decision, resolve_not_posted, resolve_posted
    from bot.posting.x_costs import x_cost_policy
    from bot.posting.x_ledger import book_create
    from bot.store.engine import session_scope

    if (posted is None) == (not not_posted):
        raise BadInput("give either --posted URL_OR_ID or --not-posted")
    if channel is not None and channel not in ("x", "bluesky", "mastodon"):
        raise BadInput(f"unknown channel {channel!r}: x, bluesky or mastodon")
    with session_scope(app.engine, write=False) as session:
        waiting = awaiting_decision(session=session, entry_id=entry_id, channel=channel).channel
    reference = _reference(waiting, posted, app.environ) if posted is not None else None
    now = app.now()
    with session_scope(app.engine) as session:
        if reference is not None:
            remote_id, remote_url = reference
            post = resolve_posted(
                session=session,
                entry_id=entry_id,
                channel=waiting,
                remote_id=remote_id,
                remote_url=remote_url,
                now=now,
            )
            # X billed the post's create when it made it: the ledger books it now.
            book_create(session, x_cost_policy(app.settings.x).prices, post, remote_id, now)
            done = f"entry {entry_id} recorded as posted on {post.channel}: {remote_url}"
        else:
            post = resolve_not_posted(session=session, entry_id=entry_id, channel=waiting, now=now)
            done = (
                f"entry {entry_id} is queued again on {post.channel} and will be posted "
                "(`paperbot schedule` shows when)"
            )
    click.echo(done)


def _reference(channel: str, posted: str, environ: dict[str, str]) -> tuple[str, str]:
    """(remote id, link) of the post the operator named, in the shape ``channel`` uses."""
    try:
        if channel == "bluesky":
            from bot.channels.bluesky.links import parse_post_reference as bluesky

            return bluesky(posted)
        if channel == "mastodon":
            from bot.channels.mastodon.links import parse_status_reference

            return parse_status_reference(posted, environ.get("MASTODON_BASE_URL"))
        from bot.channels.x.posts import parse_post_reference

        return parse_post_reference(posted)
    except ValueError as exc:
        raise BadInput(f"{exc} (the post awaiting a decision is on {channel})") from None
