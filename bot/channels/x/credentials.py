"""The four OAuth 1.0a keys of one X account, apart from the code that uses them.

Both the channel (bot/channels/x/channel.py) and the media uploader (bot/channels/x/media.py)
sign requests with them; keeping the type here lets neither import the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class XCredentials:
    """OAuth 1.0a user-context keys, named as X's developer portal names them.

    The repr hides every value: credentials end up in logs and tracebacks otherwise.
    """

    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    access_token_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return "XCredentials(<hidden>)"

    def values(self) -> tuple[str, ...]:
        """All four values, so messages can be scrubbed of any of them."""
        return (self.api_key, self.api_secret, self.access_token, self.access_token_secret)
