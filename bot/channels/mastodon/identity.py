"""Which account the channel posts as: asked of ``verify_credentials``, or learned from its posts.

Finding a lost post means reading the account's own statuses, by the account's id. Mastodon
gives it to a token with the documented scopes (``read:accounts``); other servers speaking its
API want more there (Takahē the whole ``read`` scope: 403 otherwise). Every status carries its
``account``, so the id is also learned from the channel's own posts and remembered beside the
database (bot.channels.mastodon.account); only when neither can tell is the lookup refused, with
the scope the server wants named (READ_REFUSED: the operator decides; posting goes on).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.channels.base import ChannelError, ErrorKind
from bot.channels.mastodon.account import AccountFile

__all__ = ["Identity"]


class Identity:
    """The (id, acct) of the token's account, once known."""

    def __init__(self, account_file: AccountFile | None) -> None:
        self._file = account_file
        self.account: tuple[str, str] | None = None

    def resolve(self, verify: Callable[[], object], *, refresh: bool) -> tuple[str, str]:
        """(id, acct): known (unless ``refresh``), from ``verify`` (``verify_credentials``,
        raising ChannelError), or, on its 403, remembered."""
        if self.account is not None and not refresh:
            return self.account
        try:
            answer = verify()
        except ChannelError as error:
            if error.status_code != 403:
                raise
            known = self.account or (self._file.load() if self._file is not None else None)
            if known is None:
                raise ChannelError(
                    ErrorKind.READ_REFUSED,
                    "this server answers verify_credentials (403) only to a token with the "
                    "whole `read` scope, more than the documented ones, so paperbot cannot tell "
                    "whose statuses to read: give the token the `read` scope; otherwise "
                    "paperbot learns the account from its first post on this server",
                    status_code=403,
                ) from None
            self.account = known
            return known
        self.learn(answer)
        if self.account is None:
            raise ChannelError(
                ErrorKind.TRANSIENT, "verify_credentials answered without an account id"
            )
        return self.account

    def learn(self, account: object) -> None:
        """Keep the account a status or ``verify_credentials`` named, and remember it."""
        if not isinstance(account, Mapping) or not account.get("id"):
            return
        acct = account.get("acct") or account.get("username") or ""
        self.account = (str(account["id"]), str(acct))
        if self._file is not None:
            self._file.store(*self.account)
