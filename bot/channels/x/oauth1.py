"""OAuth 1.0a (HMAC-SHA1) request signing for httpx, used for X's v2 media endpoints.

tweepy has no v2 media upload, so those calls go over httpx. authlib's httpx ``OAuth1Auth`` sends
JSON and multipart bodies empty unless told otherwise (authlib issue #543); this small auth class
signs with ``oauthlib`` directly and never touches the body. Per RFC 5849 §3.4.1.3.1 only
``application/x-www-form-urlencoded`` bodies enter the signature; JSON and multipart bodies are
sent as they are and signed over the method, URL and query alone.

The signature covers the URL the request was built for. A transport that later points the request
elsewhere (the test seam in bot.channels.x.channel) does not change what was signed, exactly as a
proxy
would not.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Literal, cast

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_AUTH_HEADER
from oauthlib.oauth1 import Client as OAuthClient

__all__ = ["OAuth1"]

_FORM = "application/x-www-form-urlencoded"
_Method = Literal["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


class OAuth1(httpx.Auth):
    """Signs each request with an OAuth 1.0a user-context ``Authorization`` header."""

    # The body must be read before signing, but only to include form-encoded parameters.
    requires_request_body = True

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
    ) -> None:
        self._client = OAuthClient(
            consumer_key,
            client_secret=consumer_secret,
            resource_owner_key=access_token,
            resource_owner_secret=access_token_secret,
            signature_method=SIGNATURE_HMAC_SHA1,
            signature_type=SIGNATURE_TYPE_AUTH_HEADER,
        )

    def __repr__(self) -> str:
        return "OAuth1(<credentials hidden>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.authorization(request)
        yield request

    def authorization(self, request: httpx.Request) -> str:
        """The ``Authorization`` header value for ``request`` as it stands now."""
        method = cast(_Method, request.method.upper())
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = request.content
        if content_type == _FORM and body:
            _, headers, _ = self._client.sign(
                str(request.url),
                method,
                body=body.decode("utf-8"),
                headers={"Content-Type": _FORM},
            )
        else:
            _, headers, _ = self._client.sign(str(request.url), method)
        return cast(str, headers["Authorization"])
