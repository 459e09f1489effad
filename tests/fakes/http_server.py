"""A real HTTP server on 127.0.0.1 for tests: the network is faked at the socket, not in our code.

Why a real server and not ``httpx.MockTransport``: redirects, timeouts, bodies without a
Content-Length, connections dropped mid-answer and the ``Host`` header only behave as in
production when bytes really cross a socket. Any suite (images, arXiv, ...) can reuse it::

    with FakeHTTPServer() as server:
        server.route("/fig.png", (200, {"Content-Type": "image/png"}, png_bytes))
        server.redirect("/old", "/fig.png")
        server.route("/api", lambda request: Reply(200, body=request.query.encode()))
        httpx.get(server.url("/fig.png"))
        assert server.paths() == ["/fig.png"]

Unknown paths answer 404. Every request is recorded (before any delay or drop), so a test can
assert that a client never connected at all.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    """One answer. ``body`` may be bytes or an iterable of chunks (streamed as produced).

    ``content_length``: ``True`` sends the real length (bytes bodies only), ``False`` sends none
    (the body then ends when the connection closes), an int sends that number, even a lie.
    ``chunked`` uses Transfer-Encoding: chunked instead. ``delay`` waits before the status
    line, ``chunk_delay`` between chunks; ``drop`` closes the connection without answering.
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    content_length: bool | int = True
    chunked: bool = False
    delay: float = 0.0
    chunk_delay: float = 0.0
    drop: bool = False


@dataclass(frozen=True)
class RecordedRequest:
    """What the server received; header names are lower-cased."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    # When the request had arrived whole (before any delay): when the platform "got" it.
    received: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> str:
        return urlsplit(self.target).query


Handler = Callable[[RecordedRequest], "Reply | tuple[int, Mapping[str, str], bytes]"]
RouteSpec = Reply | tuple[int, Mapping[str, str], bytes] | Handler


def _as_reply(value: Reply | tuple[int, Mapping[str, str], bytes]) -> Reply:
    if isinstance(value, Reply):
        return value
    status, headers, body = value
    return Reply(status, dict(headers), body)


class FakeHTTPServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 at a free port; use it as a context manager."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], RouteSpec] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeHTTPServer:
        fake = self

        class _Handler(_RequestHandler):
            owner = fake

        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False  # a handler stuck on a slow client must not hang a test
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # ends delays and endless bodies still being served
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeHTTPServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- configuration ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        """The URL of ``path`` on this server; ``host`` may be e.g. ``localhost`` instead."""
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, reply: RouteSpec, method: str = "GET") -> None:
        """Answer ``method path`` with a Reply, a ``(status, headers, body)`` tuple or a callable
        taking the RecordedRequest. ``path`` may include a query string for an exact match;
        otherwise the query is ignored when matching. A path ending in ``/*`` answers any one
        last segment there (``/api/v1/statuses/*``) that has no exact route."""
        with self._lock:
            self._routes[(method.upper(), path)] = reply

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.route(path, Reply(status, {"Location": location}))

    # -- inspection ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def stopping(self) -> bool:
        return self._stopping.is_set()

    # -- used by the handler ---------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _reply_for(self, request: RecordedRequest) -> Reply:
        with self._lock:
            spec = self._routes.get((request.method, request.target))
            if spec is None:
                spec = self._routes.get((request.method, request.path))
            if spec is None:  # "/api/v1/statuses/*" answers "/api/v1/statuses/123"
                parent = request.path.rsplit("/", 1)[0]
                spec = self._routes.get((request.method, parent + "/*"))
        if spec is None:
            return Reply(404, {"Content-Type": "text/plain"}, b"not found")
        if isinstance(spec, Reply | tuple):
            return _as_reply(spec)
        return _as_reply(spec(request))

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


class _RequestHandler(BaseHTTPRequestHandler):
    owner: FakeHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = 10  # idle keep-alive connections give up eventually

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log; tests read ``requests`` instead."""

    def handle(self) -> None:
        # The client going away between requests is normal for tests that abort a download.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
            super().handle()

    def _serve(self) -> None:
        request = RecordedRequest(
            method=self.command,
            target=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self._read_body(),
        )
        self.owner._record(request)
        reply = self.owner._reply_for(request)
        self.owner._sleep(reply.delay)
        if reply.drop or self.owner.stopping():
            self.close_connection = True
            return
        try:
            self._write(reply, head_only=self.command == "HEAD")
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client hung up, e.g. after reading enough

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _write(self, reply: Reply, *, head_only: bool) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        body = reply.body
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif reply.content_length is True and isinstance(body, bytes):
            self.send_header("Content-Length", str(len(body)))
        elif reply.content_length is not False and not isinstance(reply.content_length, bool):
            self.send_header("Content-Length", str(reply.content_length))
        else:
            self.send_header("Connection", "close")  # the body ends when the socket closes
            self.close_connection = True
        self.end_headers()
        if head_only:
            return
        for chunk in _chunks(body):
            if self.owner.stopping():
                break
            if reply.chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            else:
                self.wfile.write(chunk)
            self.wfile.flush()
            self.owner._sleep(reply.chunk_delay)
        if reply.chunked:
            self.wfile.write(b"0\r\n\r\n")
        if reply.content_length is not True and not reply.chunked:
            self.close_connection = True  # a lying or missing length leaves the stream unusable


def _chunks(body: bytes | Iterable[bytes]) -> Iterator[bytes]:
    if isinstance(body, bytes):
        if body:
            yield body
        return
    for chunk in body:
        if chunk:
            yield chunk
