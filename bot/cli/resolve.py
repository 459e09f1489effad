"""`paperbot resolve`: settle by hand a post whose outcome paperbot cannot look up."""

from __future__ import annotations

import click

from bot.cli.context import App, BadInput, pass_app, translate_errors


@click.command()
@click.argument("entry_id", type=int)
@click.option(
    "--channel", help="The post's channel; needed only when several posts await a decision."
)
@click.option(
    "--posted",
    metavar="URL_OR_ID",
    help="The post is on the account: record it as posted, with this link (or id).",
)
@click.option("--not-posted", is_flag=True, help="The post is not on the account: queue it again.")
@pass_app
@translate_errors
def resolve(
    app: App, entry_id: int, channel: str | None, posted: str | None, not_posted: bool
) -> None:
    """Settle by hand a post whose outcome is unknown and cannot be looked up.

    When the answer to a post is lost, paperbot looks for the post on the account before it
    sends anything again. When X will not show the account's posts (an access level that
    cannot read them: error 453) or keeps failing to, the entry waits under "needs a decision"
    in `paperbot status`, and the rest of the queue goes on. Look at the account, then say
    what you saw. History shows the post was resolved by hand.

    \b
    Examples:
      paperbot resolve 12 --posted https://x.com/me/status/1861000000000000000
      paperbot resolve 12 --not-posted
    """
    from bot.channels.x.posts import parse_post_reference
    from bot.posting.decisions import resolve_not_posted, resolve_posted
    from bot.posting.x_costs import x_cost_policy
    from bot.posting.x_ledger import book_create
    from bot.store.engine import session_scope

    if (posted is None) == (not not_posted):
        raise BadInput("give either --posted URL_OR_ID or --not-posted")
    if channel is not None and channel != "x":
        raise BadInput(f"no post awaits a decision on {channel!r}: only X posts can need one")
    reference = parse_post_reference(posted) if posted is not None else None
    now = app.now()
    with session_scope(app.engine) as session:
        if reference is not None:
            remote_id, remote_url = reference
            post = resolve_posted(
                session=session,
                entry_id=entry_id,
                channel=channel,
                remote_id=remote_id,
                remote_url=remote_url,
                now=now,
            )
            # X billed the post's create when it made it: the ledger books it now.
            book_create(session, x_cost_policy(app.settings.x).prices, post, remote_id, now)
            done = f"entry {entry_id} recorded as posted on {post.channel}: {remote_url}"
        else:
            post = resolve_not_posted(session=session, entry_id=entry_id, channel=channel, now=now)
            done = (
                f"entry {entry_id} is queued again on {post.channel} and will be posted "
                "(`paperbot schedule` shows when)"
            )
    click.echo(done)
