"""Which account a Mastodon token posts as, remembered beside the database.

Finding a lost post means reading the account's own statuses, which needs the account's id.
Mastodon tells it to a token with the documented scopes (``read:accounts``) through
``verify_credentials``; other servers speaking its API want more there (Takahē the whole
``read`` scope: 403 otherwise). Every status a server returns carries its ``account``, so the
channel learns the id from its own posts too, and keeps it here so that a later process can
look up a post whose answer was lost without asking ``verify_credentials`` at all.

The file holds the instance, a hash of the token (a new token may be another account: then the
record is not used) and the account's id and name; nothing secret. Written atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AccountFile", "account_path"]

_SUFFIX = ".mastodon-account.json"


def account_path(database: Path) -> Path:
    """Where the account of the token used with ``database`` is remembered: right beside it."""
    return database.with_name(database.name + _SUFFIX)


@dataclass(frozen=True)
class AccountFile:
    """The remembered (id, acct) of the account ``token`` posts as on ``instance``."""

    path: Path
    instance: str
    token: str

    def __repr__(self) -> str:
        return f"AccountFile({str(self.path)!r}, <token hidden>)"

    @property
    def _token_hash(self) -> str:
        return hashlib.sha256(self.token.encode()).hexdigest()[:24]

    def load(self) -> tuple[str, str] | None:
        """(id, acct), or None when nothing usable is remembered for this instance and token."""
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
            if record["instance"] != self.instance or record["token_sha256"] != self._token_hash:
                return None
            account_id, acct = record["id"], record["acct"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not (isinstance(account_id, str) and account_id and isinstance(acct, str)):
            return None
        return account_id, acct

    def store(self, account_id: str, acct: str) -> None:
        """Remember the account (best effort: a file that cannot be written is only a loss of
        convenience, never a reason to fail a post)."""
        if self.load() == (account_id, acct):
            return
        record = {
            "instance": self.instance,
            "token_sha256": self._token_hash,
            "id": account_id,
            "acct": acct,
        }
        with contextlib.suppress(OSError):
            handle, temporary = tempfile.mkstemp(
                dir=self.path.parent, prefix=self.path.name, suffix=".tmp"
            )
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as file:
                    json.dump(record, file, sort_keys=True)
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
