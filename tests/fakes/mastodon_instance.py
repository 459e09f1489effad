"""The fake Mastodon's public instance documents (v1 and v2, with the configured limits) and the
account the token belongs to.
"""

from __future__ import annotations

from tests.fakes.http_server import RecordedRequest, Reply
from tests.fakes.mastodon_model import OUT_OF_SCOPE, error, json_reply
from tests.fakes.mastodon_state import MastodonState


class MastodonInstance(MastodonState):
    """``/api/v1/instance``, ``/api/v2/instance`` and ``verify_credentials`` (scope-checked)."""

    def _configuration(self) -> dict[str, object]:
        return {
            "urls": {"streaming": f"ws://{self.host}"},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": self.max_characters,
                "max_media_attachments": 4,
                "characters_reserved_per_url": self.url_length,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
                "description_limit": self.description_limit,
                "image_size_limit": self.image_size_limit,
                "image_matrix_limit": 33_177_600,
                "video_size_limit": 103_809_024,
            },
            "polls": {"max_options": 4, "max_characters_per_option": 50},
        }

    def _instance_v1(self, _: RecordedRequest) -> Reply:
        return json_reply(
            200,
            {
                "uri": self.host,
                "title": "Fake Mastodon",
                "version": "4.3.0",
                "configuration": self._configuration(),
            },
        )

    def _instance_v2(self, _: RecordedRequest) -> Reply:
        if not self.serve_v2_instance:
            return error(404, "Record not found")
        return json_reply(
            200,
            {
                "domain": self.host,
                "title": "Fake Mastodon",
                "version": "4.3.0",
                "api_versions": {"mastodon": 2},
                "configuration": self._configuration(),
            },
        )

    def _verify_credentials(self, _: RecordedRequest) -> Reply:
        # Mastodon takes ``read:accounts`` (or ``profile``); Takahē only the whole ``read``.
        wanted = {"read"} if "read-scope-verify" in self.quirks else {"read", "read:accounts"}
        if not wanted & self.scopes:
            return error(403, OUT_OF_SCOPE)
        return json_reply(200, self._account())

    def _account(self) -> dict[str, object]:
        return {
            "id": self.account_id,
            "username": self.username,
            "acct": self.username,
            "display_name": "Paperbot",
            "url": f"https://{self.host}/@{self.username}",
            "created_at": "2024-01-01T00:00:00.000Z",
            "locked": False,
            "bot": True,
        }
