"""Media on the fake Mastodon: ``POST /api/v2/media`` (size, type and description limits; large
files processed after a few reads of ``GET /api/v1/media/:id``).
"""

from __future__ import annotations

from tests.fakes.http_server import RecordedRequest, Reply
from tests.fakes.mastodon_model import FakeMedia, error, json_reply, parse_multipart
from tests.fakes.mastodon_state import MastodonState


class MastodonMedia(MastodonState):
    """The media routes."""

    def _upload(self, request: RecordedRequest) -> Reply:
        fields = parse_multipart(request.headers.get("content-type", ""), request.body)
        if fields is None or "file" not in fields:
            return error(422, "Validation failed: File can't be blank")
        data, mime_type = fields["file"]
        description = fields["description"][0].decode() if "description" in fields else None
        if mime_type not in ("image/jpeg", "image/png", "image/gif", "image/webp"):
            return error(422, "Validation failed: File content type is invalid, File is invalid")
        if len(data) > self.image_size_limit:
            limit = self.image_size_limit // (1024 * 1024)
            return error(422, f"Validation failed: File file size must be less than {limit} MB")
        if description is not None and len(description) > self.description_limit:
            return error(
                422,
                "Validation failed: Description is too long (maximum is "
                f"{self.description_limit} characters)",
            )
        with self._lock:
            self._sequence += 1
            media_id = str(110_000_000_000_000_000 + self._sequence)
            polls = self.processing_polls if len(data) >= self.large_media_bytes else 0
            item = FakeMedia(media_id, data, mime_type, description, polls)
            self._media[media_id] = item
            view = self._media_view(item)
        self.server.route(f"/api/v1/media/{media_id}", self._handler("media_get", self._media_get))
        return json_reply(202 if item.polls_left else 200, view)

    def _media_get(self, request: RecordedRequest) -> Reply:
        media_id = request.path.rsplit("/", 1)[-1]
        with self._lock:
            item = self._media.get(media_id)
            if item is None or item.status_id is not None:
                return error(404, "Record not found")
            if item.polls_left > 0:
                item.polls_left -= 1
                return json_reply(206, self._media_view(item, processing=True))
            return json_reply(200, self._media_view(item))

    def _media_view(self, item: FakeMedia, *, processing: bool | None = None) -> dict[str, object]:
        waiting = item.polls_left > 0 if processing is None else processing
        url = None if waiting else f"https://files.{self.host}/media/{item.id}.png"
        return {
            "id": item.id,
            "type": "image",
            "url": url,
            "preview_url": url,
            "remote_url": None,
            "description": item.description,
            "blurhash": None,
        }
