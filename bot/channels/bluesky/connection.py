"""One logged-in connection to a Bluesky account: the SDK client, its session, and calls.

Logging in (createSession) is rate limited, so the session is kept in a ``0600`` file
(bot/channels/bluesky/session.py) and refreshed through the SDK's ``on_session_change``; an
access token the server calls expired (400 ExpiredToken, by its clock) is refreshed and the
request tried once more; a refresh token that is dead too means one new login with the app
password. The channel (bot/channels/bluesky/channel.py) makes its calls through here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from bot.channels.base import ChannelError
from bot.channels.bluesky.errors import TOKEN_ERRORS, classify, error_name, status_of
from bot.channels.bluesky.session import SessionFile

__all__ = ["BlueskyConnection", "BlueskyCredentials"]

T = TypeVar("T")


@dataclass(frozen=True)
class BlueskyCredentials:
    """A handle and an app password (Settings → Privacy and security → App passwords)."""

    handle: str
    app_password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"BlueskyCredentials(handle={self.handle!r}, app_password=<hidden>)"


class BlueskyConnection:
    """The SDK client of one account, built (and logged in) on first use."""

    def __init__(
        self,
        credentials: BlueskyCredentials,
        store: SessionFile,
        *,
        service: str,
        timeout: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._credentials = credentials
        self._store = store
        self._service = service
        self._timeout = timeout
        self._clock = clock
        self._client: Any = None
        # Staging uploads run beside posting: one thread at a time logs in or refreshes.
        self._lock = threading.RLock()
        self.did = ""
        self.handle = credentials.handle
        self._tokens: tuple[str, ...] = ()
        self.session_problem: str | None = None  # why the session could not be kept, if so

    def close(self) -> None:
        if self._client is not None:
            self._client.request.close()
            self._client = None

    def call(
        self, request: Callable[[Any], T], *, what: str, creating: bool, raw: bool = False
    ) -> T:
        """Run one SDK call; an access token the server calls expired is refreshed, and the call
        tried once more. ``raw`` lets BadRequestError through, for callers that read it."""
        import httpx
        from atproto_client import exceptions as sdk

        with self._lock:
            client = self._session_client()
        for attempt in (1, 2):
            try:
                return request(client)
            except (sdk.AtProtocolError, httpx.HTTPError) as exc:
                token = error_name(exc) in TOKEN_ERRORS and status_of(exc) == 400
                if token and attempt == 1:
                    with self._lock:
                        client = self._refresh_once(client)
                    continue
                if raw and isinstance(exc, sdk.BadRequestError) and not token:
                    raise
                raise self.error(exc, what, creating) from None
        raise AssertionError("unreachable")

    def error(self, exc: BaseException, what: str, creating: bool) -> ChannelError:
        secrets = (self._credentials.app_password, *self._tokens)
        return classify(exc, what=what, creating=creating, secrets=secrets, now=self._clock())

    def own_post(self, rkey: str) -> Any | None:
        """The account's post record under ``rkey``, from its own server (getRecord), or None
        when the server says ``RecordNotFound``; any other failure raises ChannelError."""
        from atproto_client import exceptions as sdk

        what = "looking up the post"

        def get(client: Any) -> Any:
            return client.app.bsky.feed.post.get(self.did or self.handle, rkey)

        try:
            return self.call(get, what=what, creating=False, raw=True)
        except sdk.BadRequestError as exc:
            if error_name(exc) == "RecordNotFound":
                return None
            raise self.error(exc, what, creating=False) from None

    def _session_client(self) -> Any:
        """The client, from the stored session when there is one (no login), else logged in."""
        if self._client is not None:
            return self._client
        stored = self._store.read()
        if stored:
            client = self._new_client()
            try:
                client.login(session_string=stored, fetch_bsky_profile=False)
            except Exception:  # a damaged session string: start afresh (MarshalX/atproto#580)
                client.request.close()
            else:
                wanted = self._credentials.handle.lower().removeprefix("@")
                if wanted in (self.handle.lower(), self.did):
                    self._client = client
                    return client
                client.request.close()  # another account's session (the handle was changed)
        return self._login()

    def _login(self) -> Any:
        import httpx
        from atproto_client import exceptions as sdk

        self.close()
        client = self._new_client()
        try:
            client.login(
                self._credentials.handle,
                self._credentials.app_password,
                fetch_bsky_profile=False,
            )
        except (sdk.AtProtocolError, httpx.HTTPError) as exc:
            client.request.close()
            raise self.error(exc, "logging in", creating=False) from None
        self._client = client
        return client

    def _refresh_once(self, stale: Any) -> Any:
        """A refreshed client, unless another thread replaced ``stale`` meanwhile."""
        if self._client is not None and self._client is not stale:
            return self._client
        return self._refresh()

    def _refresh(self) -> Any:
        """A refreshed session; a new login when the refresh token is no longer good."""
        import httpx
        from atproto_client import exceptions as sdk

        try:
            self._client._refresh_and_set_session()  # the SDK has no public forced refresh
        except (sdk.AtProtocolError, httpx.HTTPError) as exc:
            if error_name(exc) in TOKEN_ERRORS or isinstance(exc, sdk.UnauthorizedError):
                self._store.clear()
                return self._login()
            raise self.error(exc, "refreshing the session", creating=False) from None
        return self._client

    def _new_client(self) -> Any:
        from atproto_client import Client
        from atproto_client.request import Request

        client = Client(base_url=self._service, request=Request(timeout=self._timeout))
        client.on_session_change(self._session_changed)
        return client

    def _session_changed(self, event: Any, session: Any) -> None:
        self.did, self.handle = str(session.did), str(session.handle)
        self._tokens = (str(session.access_jwt), str(session.refresh_jwt))
        if str(getattr(event, "value", event)).lower() in ("create", "refresh"):
            try:
                self._store.write(session.encode())
            except OSError as exc:
                # Posting still works with the session in memory; the next process will have
                # to log in again, which ``session_problem`` lets ``check`` report.
                self.session_problem = f"cannot keep the Bluesky session in {exc.filename}: "
                self.session_problem += exc.strerror or type(exc).__name__
            else:
                self.session_problem = None
