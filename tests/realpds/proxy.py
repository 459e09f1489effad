"""The front door of the real PDS: an HTTP proxy on 127.0.0.1 that every client request crosses.

The PDS advertises this proxy's URL in its accounts' DID documents, and the atproto SDK moves to
that URL after logging in, so paperbot's every request passes here: the proxy counts them (how
many logins two runs made) and can lose an answer on purpose — the request reaches the PDS and
is carried out, then the connection is closed without a word, as when a network drops the
answer of a post that was made.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["FrontProxy", "Seen"]

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade"}
)
_KEPT_BODY = 64 * 1024  # request bodies kept for the tests (image uploads are larger: not kept)


@dataclass(frozen=True)
class Seen:
    """One request that crossed the proxy, and the status the client got (None: dropped)."""

    method: str
    path: str
    body: bytes
    status: int | None

    @property
    def xrpc(self) -> str:
        """The XRPC method name (``com.atproto.server.createSession``), or ""."""
        path = urlsplit(self.path).path
        return path.removeprefix("/xrpc/") if path.startswith("/xrpc/") else ""


class FrontProxy:
    """A threaded HTTP/1.1 proxy to one upstream (set once the PDS is up)."""

    def __init__(self) -> None:
        self.upstream: tuple[str, int] | None = None
        self._seen: list[Seen] = []
        self._drops: dict[str, int] = {}
        self._lock = threading.Lock()
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def forward_to(self, url: str) -> None:
        parts = urlsplit(url)
        assert parts.hostname and parts.port, url
        self.upstream = (parts.hostname, parts.port)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)

    def lose_answer(self, xrpc: str, times: int = 1) -> None:
        """Carry out the next ``times`` requests to ``xrpc`` but close without answering."""
        with self._lock:
            self._drops[xrpc] = self._drops.get(xrpc, 0) + times

    def reset(self) -> None:
        with self._lock:
            self._drops.clear()

    def seen(self, xrpc: str | None = None) -> list[Seen]:
        with self._lock:
            return [item for item in self._seen if xrpc is None or item.xrpc == xrpc]

    def _take_drop(self, xrpc: str) -> bool:
        with self._lock:
            left = self._drops.get(xrpc, 0)
            if left:
                self._drops[xrpc] = left - 1
            return bool(left)

    def _record(self, item: Seen) -> None:
        with self._lock:
            self._seen.append(item)


class _ProxyHandler(BaseHTTPRequestHandler):
    owner: FrontProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        return

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length"
        }
        assert self.owner.upstream is not None, "the PDS is not up yet"
        upstream = http.client.HTTPConnection(*self.owner.upstream, timeout=300)
        try:
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            answer = upstream.getresponse()
            payload = answer.read()
        finally:
            upstream.close()
        kept = body if len(body) <= _KEPT_BODY else b""
        xrpc = Seen(self.command, self.path, kept, None).xrpc
        if xrpc and self.owner._take_drop(xrpc):
            self.owner._record(Seen(self.command, self.path, kept, None))
            self.close_connection = True  # the PDS acted; the client hears nothing
            return
        self.owner._record(Seen(self.command, self.path, kept, answer.status))
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _relay
