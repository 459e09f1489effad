"""What `paperbot check` asks the channel: who the credentials post as, and whether the app's
access level may read the account's own posts (without it, a post whose answer is lost cannot
be looked up and waits for `paperbot resolve`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.channels.base import Channel


@dataclass(frozen=True)
class AccountCheck:
    """What was learnt; `refused` is set when the channel rejected the credentials."""

    name: str | None = None
    read_access: str | None = None
    refused: str | None = None


def check_account(
    channel: Channel, now: datetime, ledger: Callable[[], Engine] | None = None
) -> AccountCheck:
    """Ask `channel` (closed afterwards) who it posts as and what it may read. X bills the
    read: what it billed goes into the ledger of `ledger()` (opened only then)."""
    from bot.channels.base import ChannelError
    from bot.posting.x_ledger import charge_log, record_charges

    name: str | None = None
    try:
        name = channel.whoami()
        return AccountCheck(name=name, read_access=read_access(channel, now))
    except ChannelError as exc:
        return AccountCheck(name=name, refused=exc.message)
    finally:
        channel.close()
        log = charge_log(channel)
        if ledger is not None and log is not None and log.pending():
            record_charges(ledger(), channel, None, now)


def read_access(channel: Channel, now: datetime) -> str:
    """Whether the access level can read the account's own posts, and what that means."""
    from bot.channels.base import ChannelError, ErrorKind

    try:
        channel.recent_posts(now - timedelta(minutes=5))
    except ChannelError as exc:
        if exc.kind is ErrorKind.READ_REFUSED:
            return (
                "reading the account's posts: not allowed by this app's access level (X error "
                "453). Posting works, but when the answer to a post is lost paperbot cannot "
                'look the post up: it waits under "needs a decision" in `paperbot status` '
                "until you `paperbot resolve` it"
            )
        if exc.kind is ErrorKind.AUTH:
            raise
        return f"reading the account's posts: could not tell now ({exc.message})"
    return (
        "reading the account's posts: allowed; a post whose answer is lost is looked up on "
        "the account and settled without you"
    )
