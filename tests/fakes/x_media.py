"""Media on the fake X: the v2 chunked upload (initialize, append, finalize, STATUS), the
one-shot upload and alt text, checking sizes, types, segment order and magic bytes.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qsl

from tests.fakes.x_model import FakeMedia, Reply, invalid, json_body
from tests.fakes.x_state import XState

_MAX_IMAGE_BYTES = {"tweet_image": 5 * 1024 * 1024, "tweet_gif": 15 * 1024 * 1024}
_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
_MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


# -- multipart, without the deprecated cgi module ----------------------------------------------


def _parse_multipart(content_type: str, body: bytes) -> dict[str, bytes] | None:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return None
    boundary = b"--" + match.group(1).encode()
    fields: dict[str, bytes] = {}
    for part in body.split(boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            return None
        name = re.search(rb'name="([^"]*)"', head)
        if name is None:
            return None
        fields[name.group(1).decode()] = content.removesuffix(b"\r\n")
    return fields


class XMedia(XState):
    """The media routes (called with the lock held)."""

    def _media_initialize(self, content_type: str, body: bytes) -> Reply:
        if content_type.startswith("application/json"):
            payload = json_body(body)
        else:
            payload = dict(parse_qsl(body.decode(errors="replace")))
        if not isinstance(payload, dict):
            return invalid("Request body is not valid JSON.")
        media_type = str(payload.get("media_type", ""))
        category = str(payload.get("media_category", "tweet_image"))
        try:
            total = int(payload.get("total_bytes", -1))
        except (TypeError, ValueError):
            total = -1
        problem = self._check_media(media_type, category, total)
        if problem is not None:
            return problem
        item = FakeMedia(self._new_id(), media_type, category, total)
        self._media[item.id] = item
        return Reply(
            200,
            {"data": {"id": item.id, "media_key": f"3_{item.id}", "expires_after_secs": 86400}},
        )

    @staticmethod
    def _check_media(media_type: str, category: str, total: int) -> Reply | None:
        if category not in _MAX_IMAGE_BYTES:
            return invalid(f"Unsupported media_category: {category}", "media_category")
        if media_type not in _IMAGE_TYPES:
            return invalid(f"Unsupported media_type: {media_type}", "media_type")
        if total <= 0:
            return invalid("total_bytes must be a positive integer.", "total_bytes")
        if total > _MAX_IMAGE_BYTES[category]:
            return invalid(f"File size exceeds {_MAX_IMAGE_BYTES[category]} bytes.", "total_bytes")
        return None

    def _media_append(self, media_id: str, content_type: str, body: bytes) -> Reply:
        item = self._media.get(media_id)
        if item is None:
            return invalid(f"Media id {media_id} not found.", "id")
        if item.state != "uploading":
            return invalid("Media is already finalized.", "id")
        fields = _parse_multipart(content_type, body) if "multipart" in content_type else None
        if fields is None or "media" not in fields or "segment_index" not in fields:
            return invalid("Expected multipart form data with media and segment_index.")
        try:
            index = int(fields["segment_index"])
        except ValueError:
            return invalid("segment_index must be an integer.", "segment_index")
        if not 0 <= index <= 999:
            return invalid("segment_index must be between 0 and 999.", "segment_index")
        item.segments[index] = fields["media"]
        received = sum(len(chunk) for chunk in item.segments.values())
        if received > item.total_bytes:
            return invalid("Segments exceed the declared total_bytes.", "media")
        return Reply(200, {"data": {"expires_at": int(time.time()) + 86400}})

    def _media_finalize(self, media_id: str) -> Reply:
        item = self._media.get(media_id)
        if item is None:
            return invalid(f"Media id {media_id} not found.", "id")
        if item.state != "uploading":
            return invalid("Media is already finalized.", "id")
        indexes = sorted(item.segments)
        if indexes != list(range(len(indexes))):
            return invalid(f"Segments are missing: received {indexes}.", "id")
        data = b"".join(item.segments[i] for i in indexes)
        if len(data) != item.total_bytes:
            return invalid("Segments do not add up to provided total file size.", "id")
        return self._finish_media(item, data)

    def _finish_media(self, item: FakeMedia, data: bytes) -> Reply:
        if not _looks_like(item.media_type, data):
            item.state = "failed"
            return invalid(f"Media is not a valid {item.media_type} file.", "media")
        item.data = data
        item.segments.clear()
        if self.media_processing_polls > 0:
            item.state = "pending"
            item.polls_left = self.media_processing_polls
        else:
            item.state = "failed" if self.fail_media_processing else "succeeded"
        return Reply(200, {"data": self._media_view(item)})

    def _media_view(self, item: FakeMedia) -> dict[str, object]:
        view: dict[str, object] = {
            "id": item.id,
            "media_key": f"3_{item.id}",
            "size": item.total_bytes,
            "expires_after_secs": 86400,
        }
        if item.state in ("pending", "in_progress"):
            view["processing_info"] = {
                "state": item.state,
                "check_after_secs": self.media_check_after_secs,
                "progress_percent": 50,
            }
        elif item.state == "failed":
            view["processing_info"] = {
                "state": "failed",
                "progress_percent": 100,
                "error": {"code": 1, "name": "InvalidMedia", "message": "Unsupported image"},
            }
        elif self.media_processing_polls > 0:
            view["processing_info"] = {"state": "succeeded", "progress_percent": 100}
        return view

    def _media_status(self, query: dict[str, str]) -> Reply:
        if query.get("command") != "STATUS":
            return invalid("command must be STATUS.", "command")
        item = self._media.get(query.get("media_id", ""))
        if item is None or item.state == "uploading":
            return invalid("Media id not found or not finalized.", "media_id")
        if item.state in ("pending", "in_progress"):
            item.polls_left -= 1
            if item.polls_left <= 0:
                item.state = "failed" if self.fail_media_processing else "succeeded"
            else:
                item.state = "in_progress"
        return Reply(200, {"data": self._media_view(item)})

    def _media_upload(self, content_type: str, body: bytes) -> Reply:
        """The one-shot upload: multipart ``media`` (+ ``media_category``, ``media_type``)."""
        fields = _parse_multipart(content_type, body) if "multipart" in content_type else None
        if fields is None or "media" not in fields:
            return invalid("Expected multipart form data with media.", "media")
        data = fields["media"]
        category = fields.get("media_category", b"tweet_image").decode()
        media_type = fields.get("media_type", b"").decode() or _sniff(data)
        problem = self._check_media(media_type, category, len(data))
        if problem is not None:
            return problem
        item = FakeMedia(self._new_id(), media_type, category, len(data))
        self._media[item.id] = item
        return self._finish_media(item, data)

    def _media_metadata(self, body: bytes) -> Reply:
        payload = json_body(body)
        if not isinstance(payload, dict):
            return invalid("Request body is not valid JSON.")
        item = self._media.get(str(payload.get("id", "")))
        if item is None:
            return invalid("Media id not found.", "id")
        metadata = payload.get("metadata")
        alt = metadata.get("alt_text") if isinstance(metadata, dict) else None
        text = alt.get("text") if isinstance(alt, dict) else None
        if not isinstance(text, str):
            return invalid("metadata.alt_text.text is required.", "metadata")
        if len(text) > 1000:
            return invalid("metadata.alt_text.text must be at most 1000 characters.", "metadata")
        item.alt_text = text
        return Reply(
            200, {"data": {"id": item.id, "associated_metadata": {"alt_text": {"text": text}}}}
        )


def _looks_like(media_type: str, data: bytes) -> bool:
    if media_type == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return any(data.startswith(magic) for magic in _MAGIC.get(media_type, ()))


def _sniff(data: bytes) -> str:
    for media_type in ("image/jpeg", "image/png", "image/gif", "image/webp"):
        if _looks_like(media_type, data):
            return media_type
    return "application/octet-stream"
