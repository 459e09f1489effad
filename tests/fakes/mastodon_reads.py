"""The fake instance's status reads with counts: what engagement reads ask for.

``GET /api/v1/statuses?id[]=1&id[]=2`` (Mastodon 4.3+; ``batch_reads = False`` makes it 404 as
older servers do) returns the statuses it has, leaving out deleted ones;
``GET /api/v1/statuses/:id`` returns one, or 404 ``Record not found``. Counts are set by tests
(``set_counts``); ``quotes_count`` is there only while ``count_quotes`` is True.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from tests.fakes.http_server import RecordedRequest, Reply
from tests.fakes.mastodon_model import FakeStatus, error, json_reply
from tests.fakes.mastodon_statuses import MastodonStatuses


class MastodonReads(MastodonStatuses):
    """Status reads (with their counts) and the controls tests use."""

    def set_counts(
        self, status_id: str, *, likes: int = 0, reposts: int = 0, replies: int = 0, quotes: int = 0
    ) -> None:
        with self._lock:
            self._counts[status_id] = (likes, reposts, replies, quotes)

    def delete_status(self, status_id: str) -> None:
        with self._lock:
            self._statuses[:] = [s for s in self._statuses if s.id != status_id]

    def _with_counts(self, status: FakeStatus) -> dict[str, object]:
        likes, reposts, replies, quotes = self._counts.get(status.id, self.default_counts)
        view = self._status_json(status)
        view.update(favourites_count=likes, reblogs_count=reposts, replies_count=replies)
        if self.count_quotes:
            view["quotes_count"] = quotes
        return view

    def _get_statuses(self, request: RecordedRequest) -> Reply:
        if not self.batch_reads:
            return error(404, "Record not found")
        ids = parse_qs(request.query).get("id[]", [])
        if not 1 <= len(ids) <= 20:
            return error(422, "Validation failed: id[] must hold 1 to 20 ids")
        with self._lock:
            known = {status.id: status for status in self._statuses}
            body = [self._with_counts(known[i]) for i in ids if i in known]
        return json_reply(200, body)

    def _get_status(self, request: RecordedRequest) -> Reply:
        status_id = request.path.rsplit("/", 1)[-1]
        with self._lock:
            found = next((s for s in self._statuses if s.id == status_id), None)
            if found is None:
                return error(404, "Record not found")
            return json_reply(200, self._with_counts(found))
