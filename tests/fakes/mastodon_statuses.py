"""Statuses on the fake Mastodon: creating one (length, media, idempotency keys), the account's
timeline (newest first, paged with ``Link`` headers) and ``add_status`` for tests.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs

from tests.fakes.http_server import RecordedRequest, Reply
from tests.fakes.mastodon_instance import MastodonInstance
from tests.fakes.mastodon_media import MastodonMedia
from tests.fakes.mastodon_model import (
    IDEMPOTENCY_TTL,
    NOT_READY,
    TOO_LONG,
    FakeStatus,
    error,
    form_params,
    iso,
    json_reply,
)
from tests.fakes.mastodon_text import render_content, status_length


class MastodonStatuses(MastodonMedia, MastodonInstance):
    """The status routes."""

    def add_status(self, text: str, *, created_at: datetime | None = None) -> FakeStatus:
        """A status made earlier (or from another app), straight onto the account."""
        with self._lock:
            return self._new_status(text, (), None, created_at or self._now() + self._offset)

    def _create_status(self, request: RecordedRequest) -> Reply:
        params = form_params(request)
        key = request.headers.get("idempotency-key") or None
        text = params.get("status", [""])[0]
        media_ids = tuple(params.get("media_ids[]", []) or params.get("media_ids", []))
        with self._lock:
            now = self._now() + self._offset
            if "ignores-idempotency-key" in self.quirks:
                key = None  # as Takahē, Pixelfed and GoToSocial: every request makes a status
            if key is not None:
                remembered = self._keys.get(key)
                if remembered is not None and now - remembered[1] < IDEMPOTENCY_TTL:
                    existing = next(s for s in self._statuses if s.id == remembered[0])
                    return json_reply(200, self._status_json(existing))
            problem = self._refusal(text, media_ids)
            if problem is not None:
                return error(422, problem)
            status = self._new_status(text, media_ids, key, now)
            if key is not None:
                self._keys[key] = (status.id, now)
            return json_reply(200, self._status_json(status))

    def _refusal(self, text: str, media_ids: tuple[str, ...]) -> str | None:
        if not text.strip() and not media_ids:
            return "Validation failed: Text can't be blank"
        full = "full-length-links" in self.quirks  # advertises url_length, counts raw text
        if status_length(text, None if full else self.url_length) > self.max_characters:
            return TOO_LONG.format(max=self.max_characters)
        if len(media_ids) > 4:
            return "Cannot attach more than 4 files"
        items = [self._media.get(media_id) for media_id in media_ids]
        missing = [m for m, item in zip(media_ids, items, strict=True) if item is None]
        if missing or any(item is not None and item.status_id for item in items):
            return f"Media with IDs {', '.join(missing) or 'given'} not found or already attached"
        if any(item is not None and item.polls_left > 0 for item in items):
            return NOT_READY
        return None

    def _new_status(
        self, text: str, media_ids: tuple[str, ...], key: str | None, now: datetime
    ) -> FakeStatus:
        """With the lock held. Ids are snowflakes of ``created_at``, as Mastodon's are."""
        self._sequence += 1
        snowflake = (int(now.timestamp() * 1000) << 16) + (self._sequence & 0xFFFF)
        descriptions = tuple(self._media[m].description for m in media_ids)
        status = FakeStatus(str(snowflake), text, media_ids, now, key, None, descriptions)
        for media_id in media_ids:
            self._media[media_id].status_id = status.id
        self._statuses.append(status)
        return status

    def _status_json(self, status: FakeStatus) -> dict[str, object]:
        return {
            "id": status.id,
            "created_at": iso(status.created_at),
            "in_reply_to_id": status.in_reply_to_id,
            "visibility": "public",
            "uri": f"https://{self.host}/users/{self.username}/statuses/{status.id}",
            "url": f"https://{self.host}/@{self.username}/{status.id}",
            "content": render_content(status.text, self.host),
            "reblog": None,
            "account": self._account(),
            "media_attachments": [self._media_view(self._media[m]) for m in status.media_ids],
            "mentions": [],
            "tags": [],
        }

    def _account_statuses(self, request: RecordedRequest) -> Reply:
        query = parse_qs(request.query)
        try:
            limit = min(int(query.get("limit", ["20"])[0]), 40)
            max_id = int(query["max_id"][0]) if "max_id" in query else None
            since_id = int(query["since_id"][0]) if "since_id" in query else None
        except ValueError:
            return error(422, "Invalid pagination parameter")
        truthy = {"1", "true", "True"}
        no_replies = query.get("exclude_replies", ["0"])[0] in truthy
        with self._lock:
            ordered = sorted(self._statuses, key=lambda s: int(s.id), reverse=True)
            chosen = [
                s
                for s in ordered
                if (max_id is None or int(s.id) < max_id)
                and (since_id is None or int(s.id) > since_id)
                and not (no_replies and s.in_reply_to_id)
            ][:limit]
            body = [self._status_json(s) for s in chosen]
        headers: dict[str, str] = {}
        if chosen:
            base = f"{self.url}/api/v1/accounts/{self.account_id}/statuses"
            rest = "&exclude_replies=true" if no_replies else ""
            links = [f'<{base}?limit={limit}{rest}&min_id={chosen[0].id}>; rel="prev"']
            if len(chosen) == limit:
                links.insert(0, f'<{base}?limit={limit}{rest}&max_id={chosen[-1].id}>; rel="next"')
            headers["Link"] = ", ".join(links)
        return json_reply(200, body, headers)
