"""A fake X API v2 server that the real tweepy and httpx clients talk to over HTTP.

It checks what X checks and answers the way X answers, so tests exercise our real request
building, OAuth 1.0a signing and error handling rather than a mock of them:

* every request must carry a valid OAuth 1.0a HMAC-SHA1 signature, computed here independently
  of oauthlib from RFC 5849, for the URL the client meant (``https://api.x.com`` or
  ``https://api.twitter.com``: the client's seam rewrites only where the bytes go);
* ``POST /2/tweets`` enforces 280 weighted characters, at most 4 finalized media ids, and
  refuses a text it already has (403, duplicate content);
* the v2 media endpoints (``/2/media/upload/initialize``, ``/{id}/append``, ``/{id}/finalize``,
  STATUS, one-shot ``POST /2/media/upload``, ``POST /2/media/metadata``) check sizes, types,
  segment order and the file's magic bytes;
* texts come back as X shows them (tests/fakes/x_text.py): every link wrapped as a t.co link
  in create and read replies, scheme-less ones included, one more t.co link appended for a
  post's media (its ``entities.urls`` entry has the ``media_key``), ``&<>`` HTML-escaped;
* ``write_only=True`` is an access level that may post but not read posts: the timeline and
  post lookups answer 403 with error code 453, as X does;
* every successful billable request is on ``bill`` (tests/fakes/x_billing.py), at ``prices``;
* ``fail_next`` injects the failures X produces in practice: 5xx, 429 with reset headers, 401,
  403 for a read-only app, 400, slow answers, and connections dropped before or after the post
  was created.

Use it as a context manager; ``url`` goes to ``XChannel(api_base=...)``.

This module serves and routes; the parts, by concern: tests/fakes/x_state.py (account, credentials
and what tests read), x_model.py (messages, fault modes, records, error bodies), x_auth.py (OAuth
1.0a), x_posts.py (posts, timeline, lookups), x_media.py (uploads) and x_faults.py (injection).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.x_auth import XAuth
from tests.fakes.x_billing import XBilling
from tests.fakes.x_faults import XFaults, fault_reply
from tests.fakes.x_media import XMedia
from tests.fakes.x_metrics import XMetrics
from tests.fakes.x_model import (
    READ_ACCESS_MESSAGE,
    ROUTES,
    FaultMode,
    LoggedRequest,
    Reply,
    problem,
)
from tests.fakes.x_posts import XPosts

# -- the server --------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler stuck in a DELAY must not hold up stop()

    def __init__(self, fake: FakeX) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: no stale keep-alive surprises

    def do_GET(self) -> None:
        self.server.fake._handle(self)

    def do_POST(self) -> None:
        self.server.fake._handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: ``FakeX.requests`` is the log."""


class FakeX(XPosts, XMedia, XMetrics, XFaults, XAuth, XBilling):
    """The fake API. Thread-safe; inspect ``posts``, ``media`` and ``requests`` from tests."""

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeX:
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # so stop() returns at once
            name="fake-x",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeX:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeX is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- request handling -----------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        method = handler.command
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        received = datetime.now(UTC)
        target = urlsplit(handler.path)
        route, params = self._match(method, target.path)

        def finish(reply: Reply | None) -> None:
            with self._lock:
                status = None if reply is None else reply.status
                self._requests.append(LoggedRequest(method, target.path, route, status, received))
            if reply is None:
                handler.close_connection = True  # nothing written: the client sees a drop
                return
            self._write(handler, reply)

        if not self._authorized(handler, method, handler.path, body):
            finish(problem(401, "Unauthorized", "Unauthorized"))
            return
        fault = self._take_fault(route)
        if fault is not None and fault.mode is FaultMode.DELAY:
            self._stopping.wait(fault.delay)
            fault = None
        if fault is not None and fault.mode is FaultMode.HOLD:
            with self._lock:
                self._held += 1
            self._released.wait()
            fault = None
        if fault is not None and fault.mode is FaultMode.DROP_BEFORE:
            self._stopping.wait(fault.delay)
            finish(None)
            return
        if fault is not None and fault.mode is not FaultMode.DROP_AFTER:
            finish(fault_reply(fault))
            return
        try:
            reply = self._dispatch(route, params, handler, body, target.query)
        except Exception as exc:  # a bug in the fake must show up as a 500, not a hang
            reply = problem(500, "Internal Error", f"fake X crashed: {exc!r}")
        self._charge(route, reply)  # X bills the work done, whether the answer arrives or not
        if fault is not None:  # DROP_AFTER: the work is done, the answer never comes
            self._stopping.wait(fault.delay)
        finish(None if fault is not None else reply)

    def _match(self, method: str, path: str) -> tuple[str, dict[str, str]]:
        for route_method, pattern, name in ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return name, match.groupdict()
        return "unknown", {}

    def _write(self, handler: _Handler, reply: Reply) -> None:
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        handler.send_response(reply.status)
        headers = {**self._rate_headers(), **reply.headers}
        for name, value in headers.items():
            handler.send_header(name, value)
        if reply.body is not None:
            handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    @staticmethod
    def _rate_headers() -> dict[str, str]:
        return {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "99",
            "x-rate-limit-reset": str(int(time.time()) + 900),
        }

    def _dispatch(
        self, route: str, params: dict[str, str], handler: _Handler, body: bytes, query: str
    ) -> Reply:
        content_type = handler.headers.get("Content-Type", "")
        with self._lock:
            if route == "create_tweet":
                return self._create_tweet(body)
            if route == "get_me":
                return Reply(200, {"data": self._user()})
            if route in ("user_tweets", "tweet_lookup", "tweets_lookup") and self.write_only:
                return Reply(403, {"errors": [{"message": READ_ACCESS_MESSAGE, "code": 453}]})
            if route == "user_tweets":
                return self._user_tweets(params["id"], dict(parse_qsl(query)))
            if route == "tweet_lookup":
                return self._tweet_lookup(params["id"], dict(parse_qsl(query)))
            if route == "tweets_lookup":
                return self._tweets_lookup(dict(parse_qsl(query)))
            if route == "media_initialize":
                return self._media_initialize(content_type, body)
            if route == "media_append":
                return self._media_append(params["id"], content_type, body)
            if route == "media_finalize":
                return self._media_finalize(params["id"])
            if route == "media_status":
                return self._media_status(dict(parse_qsl(query)))
            if route == "media_upload":
                return self._media_upload(content_type, body)
            if route == "media_metadata":
                return self._media_metadata(body)
        return problem(
            404,
            "Not Found Error",
            "Sorry, that page does not exist",
            type_="https://api.twitter.com/2/problems/resource-not-found",
        )
