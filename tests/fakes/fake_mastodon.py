"""A fake Mastodon instance on 127.0.0.1 that the real Mastodon.py client talks to over HTTP.

Served by tests/fakes/http_server.py; it answers as Mastodon 4.x does (behaviour read in
mastodon/mastodon: ``Api::V1::StatusesController``, ``PostStatusService``,
``StatusLengthValidator``, ``Api::V2::MediaController``, the Rack::Attack rate-limit headers):

* ``/api/v1/instance`` and ``/api/v2/instance`` (public) with the ``configuration`` limits;
* a Bearer token on everything else, 401 ``The access token is invalid`` otherwise;
* ``POST /api/v2/media``: 200 with a ``url`` for small files, 202 with ``url: null`` for files of
  ``large_media_bytes`` or more, processed after ``processing_polls`` reads of
  ``GET /api/v1/media/:id`` (206 until then); description and size limits as 422;
* ``POST /api/v1/statuses``: 422 for a text over ``max_characters`` (counted here, independently
  of bot.text.mastodon: links 23, ``@user@domain`` as ``@user``, graphemes), for unprocessed or
  unknown media and for more than 4; an ``Idempotency-Key`` seen in the last hour (on the fake's
  clock, ``advance`` moves it) answers with the status it made, and is forgotten after the hour;
* ``GET /api/v1/accounts/:id/statuses``: newest first, ``limit`` ≤ 40, ``max_id``/``since_id``,
  ``exclude_replies``/``exclude_reblogs``, a ``Link`` header with ``rel="next"`` on full pages;
  ``content`` is HTML with shortened link text, as Mastodon renders it;
* ``profile`` (tests/fakes/mastodon_model.py ``PROFILES``) makes it answer as servers that
  speak the Mastodon API but are not Mastodon did (Takahē; Pixelfed and GoToSocial for the
  key): ``ignores-idempotency-key``, ``full-length-links`` (advertises 23 per link, counts the
  raw length), ``read-scope-verify`` (``verify_credentials`` wants the whole ``read`` scope:
  403 otherwise), ``plaintext-400-auth`` (a bad token: ``400 text/html "Invalid Bearer
  token"``), ``instance-404`` (the trailing-slash instance endpoints 404); ``takahe`` is all of
  them; status URLs are ``https://`` whatever the fake is served over;
* ``fail_next`` injects 5xx, 429 (with ``X-RateLimit-*``), drops before or after the server
  acted, and delays.

This module registers the routes; the parts, by concern: tests/fakes/mastodon_state.py (settings,
clock, inspection, faults, plumbing), mastodon_model.py (messages, records, bodies),
mastodon_text.py (counting, rendering), mastodon_instance.py, mastodon_media.py and
mastodon_statuses.py (the routes).
"""

from __future__ import annotations

from tests.fakes.mastodon_reads import MastodonReads


class FakeMastodon(MastodonReads):
    """The fake instance. Thread-safe; inspect ``statuses``, ``media`` and ``server.requests``."""

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeMastodon:
        self.server.start()
        slash = "instance-404" not in self.quirks  # that server 404s the trailing-slash forms
        for path in ("/api/v1/instance", "/api/v1/instance/"):
            if slash or not path.endswith("/"):
                self.server.route(path, self._handler("instance", self._instance_v1, auth=False))
        for path in ("/api/v2/instance", "/api/v2/instance/"):
            if slash or not path.endswith("/"):
                self.server.route(path, self._handler("instance", self._instance_v2, auth=False))
        self.server.route(
            "/api/v1/accounts/verify_credentials",
            self._handler("verify_credentials", self._verify_credentials),
        )
        self.server.route("/api/v2/media", self._handler("media_upload", self._upload), "POST")
        self.server.route(
            "/api/v1/statuses", self._handler("create_status", self._create_status), "POST"
        )
        self.server.route(
            f"/api/v1/accounts/{self.account_id}/statuses",
            self._handler("statuses", self._account_statuses),
        )
        self.server.route("/api/v1/statuses", self._handler("read_statuses", self._get_statuses))
        self.server.route("/api/v1/statuses/*", self._handler("read_status", self._get_status))
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> FakeMastodon:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
