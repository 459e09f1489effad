"""OAuth 1.0a as X checks it, from RFC 5849 (deliberately not oauthlib: an independent check of
the signatures tweepy and our client make).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from tests.fakes.x_state import XState

_ORIGINS = ("https://api.x.com", "https://api.twitter.com")
_TIMESTAMP_SKEW = 300  # seconds; X refuses signatures this far from its clock


# -- OAuth 1.0a, from RFC 5849 (deliberately not oauthlib: an independent check) --------------


def _percent(value: str) -> str:
    return quote(value, safe="-._~")


def signature_base_string(method: str, url: str, params: list[tuple[str, str]]) -> str:
    """RFC 5849 §3.4.1: method, base string URI and the sorted, encoded parameters."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host if port is None or port == default else f"{host}:{port}"
    base_uri = f"{parts.scheme.lower()}://{netloc}{parts.path or '/'}"
    encoded = sorted((_percent(k), _percent(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in encoded)
    return "&".join((method.upper(), _percent(base_uri), _percent(normalized)))


def oauth_signature(base_string: str, consumer_secret: str, token_secret: str) -> str:
    key = f"{_percent(consumer_secret)}&{_percent(token_secret)}".encode()
    digest = hmac.new(key, base_string.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _parse_authorization(header: str) -> dict[str, str] | None:
    if not header.startswith("OAuth "):
        return None
    return {k: unquote(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', header[6:])}


class XAuth(XState):
    """The fake's signature check: consumer key, token, timestamp, nonce and HMAC-SHA1."""

    def _authorized(
        self, handler: BaseHTTPRequestHandler, method: str, target: str, body: bytes
    ) -> bool:
        if self.reject_credentials:
            return False
        oauth = _parse_authorization(handler.headers.get("Authorization", ""))
        if oauth is None:
            return False
        if (
            oauth.get("oauth_signature_method") != "HMAC-SHA1"
            or oauth.get("oauth_consumer_key") != self.consumer_key
            or oauth.get("oauth_token") != self.access_token
            or oauth.get("oauth_version", "1.0") != "1.0"
        ):
            return False
        try:
            if abs(time.time() - int(oauth.get("oauth_timestamp", ""))) > _TIMESTAMP_SKEW:
                return False
        except ValueError:
            return False
        params = [(k, v) for k, v in oauth.items() if k not in ("oauth_signature", "realm")]
        params += parse_qsl(urlsplit(target).query, keep_blank_values=True)
        content_type = handler.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/x-www-form-urlencoded" and body:
            params += parse_qsl(body.decode(), keep_blank_values=True)
        given = oauth.get("oauth_signature", "")
        for origin in _ORIGINS:
            base = signature_base_string(method, origin + target, params)
            expected = oauth_signature(base, self.consumer_secret, self.access_token_secret)
            if hmac.compare_digest(expected, given):
                with self._lock:
                    nonce = oauth.get("oauth_nonce", "")
                    if not nonce or nonce in self._nonces:
                        return False  # replayed request
                    self._nonces.add(nonce)
                return True
        return False
