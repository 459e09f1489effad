"""A fake Bluesky PDS (XRPC over HTTP on 127.0.0.1) that the real atproto SDK talks to.

It answers as the reference PDS does where paperbot depends on it:

* sessions: ``createSession`` (app password; a limited number per window, then 429),
  ``refreshSession`` (refresh tokens rotate), ``getSession``; access tokens are JWTs with ``exp``
  (the SDK reads it) and, once expired on the server, answer **400 ExpiredToken**;
* ``uploadBlob`` with a body size limit (``413 {"error": "PayloadTooLarge"}``), and
  ``createRecord`` refusing a post whose image blob is over ``blob_limit`` (2,000,000 as current
  servers, 1,000,000 as 0.4.x) as the reference PDS does: ``400 InvalidRequest "Invalid
  app.bsky.feed.post record: blob too big (maximum 1000000, got N) at
  $.record.embed.images[0].image"``;
* ``createRecord`` checks the rkey is a TID and answers **HTTP 500** when it already exists,
  checks the text (300 graphemes, 3,000 bytes), facets and image embeds;
* ``getRecord`` (400 ``RecordNotFound``), ``listRecords`` newest first;
* ``app.bsky.feed.getPosts`` (as the PDS proxies it to the AppView): up to 25 URIs, counts set
  by tests, deleted or not-yet-indexed posts silently left out (tests/fakes/bluesky_feed.py);
* ``RateLimit-*`` headers on writes; ``fail_next`` injects 5xx, 429, 401, expired tokens, delays
  and connections dropped before or after the server acted.

``logins`` counts successful createSession calls, so tests can assert how often a process
logged in. Use as a context manager; ``url`` goes to the channel's ``service``.

This module serves the routes; the parts, by concern: tests/fakes/bluesky_state.py (account,
tokens, inspection, faults), bluesky_model.py (routes, records, errors), bluesky_sessions.py
(``com.atproto.server``) and bluesky_repo.py (``com.atproto.repo``).
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.bluesky_feed import BlueskyFeed
from tests.fakes.bluesky_model import NSID, ROUTES, FaultMode
from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, Reply


class FakeBluesky(BlueskyFeed):
    """The fake PDS. Thread-safe; inspect ``records``, ``blobs``, ``calls`` and ``logins``."""

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeBluesky:
        self._http.start()
        for name, method in ROUTES.items():
            self._http.route(f"/xrpc/{NSID[name]}", self._handler(name), method)
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> FakeBluesky:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def server(self) -> FakeHTTPServer:
        """The HTTP server: every request it received (``requests``), with its arrival."""
        return self._http

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.port}"

    # -- plumbing -------------------------------------------------------------------------------

    def _handler(self, route: str) -> Any:
        def handle(request: RecordedRequest) -> Reply:
            fault = self._take_fault(route)
            mode = fault.mode if fault is not None else None
            delay = fault.delay if fault is not None else 0.0
            if mode is FaultMode.DROP_BEFORE:
                self._log(route, None)
                return Reply(drop=True, delay=delay)
            if fault is not None and mode not in (FaultMode.DROP_AFTER, FaultMode.DELAY):
                answer = self._fault_answer(fault)
            else:
                with self._lock:
                    answer = getattr(self, "_" + route)(request)
            if fault is not None and fault.mode is FaultMode.DROP_AFTER:
                self._log(route, None)
                return Reply(drop=True, delay=fault.delay)
            self._log(route, answer.status)
            headers = {"Content-Type": "application/json; charset=utf-8", **answer.headers}
            body = json.dumps(answer.body).encode() if answer.body is not None else b""
            return Reply(answer.status, headers, body, delay=delay)

        return handle
