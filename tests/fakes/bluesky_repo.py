"""The fake PDS's repository (``com.atproto.repo``): blobs with size limits, posts checked as the
reference PDS checks them (TID rkeys, text, facets, image embeds), reads newest first.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any

import regex

from tests.fakes.bluesky_model import (
    POST,
    TID_ALPHABET,
    TID_PATTERN,
    Answer,
    FakeRecord,
    error,
    json_body,
    query_params,
)
from tests.fakes.bluesky_sessions import BlueskySessions
from tests.fakes.http_server import RecordedRequest


class BlueskyRepo(BlueskySessions):
    """The ``com.atproto.repo`` routes (called with the lock held)."""

    def _uploadBlob(self, request: RecordedRequest) -> Answer:
        denied = self._authorize(request)
        if denied:
            return denied
        if len(request.body) > self.upload_limit:
            return Answer(413, {"error": "PayloadTooLarge"})  # the reference PDS: no message
        mime = request.headers.get("content-type", "application/octet-stream")
        cid = "bafkrei" + hashlib.sha256(request.body).hexdigest()[:52]
        self._blobs[cid] = (mime, request.body)
        blob = {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime}
        blob["size"] = len(request.body)
        return Answer(200, {"blob": blob}, self._rate_headers(4999))

    def _createRecord(self, request: RecordedRequest) -> Answer:
        denied = self._authorize(request)
        if denied:
            return denied
        payload = json_body(request.body)
        if payload.get("repo") not in (self.did, self.handle):
            return error(400, "InvalidRequest", "Could not find repo")
        if payload.get("collection") != POST:
            return error(400, "InvalidRequest", "paperbot's fake only takes posts")
        rkey = payload.get("rkey") or self._next_tid()
        if not isinstance(rkey, str) or not TID_PATTERN.match(rkey):
            return error(400, "InvalidRequest", f"Invalid TID: {rkey}")
        record = payload.get("record")
        problem = self._check_post(record)
        if problem is not None:
            return problem
        if rkey in self._records:
            # The reference PDS fails the repo write on the unique key: a bare 500.
            return error(500, "InternalServerError", "Internal Server Error")
        cid = "bafyrei" + hashlib.sha256(request.body).hexdigest()[:52]
        assert isinstance(record, dict)
        self._records[rkey] = FakeRecord(rkey, cid, record, datetime.now(UTC))
        answer = {"uri": self._uri(rkey), "cid": cid, "validationStatus": "valid"}
        answer["commit"] = {"cid": cid, "rev": self._next_tid()}
        return Answer(200, answer, self._rate_headers(4997))

    def _check_post(self, record: object) -> Answer | None:
        def invalid(why: str) -> Answer:
            return error(400, "InvalidRequest", f"Invalid {POST} record: {why}")

        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            return invalid('Record must have the property "text"')
        text = record["text"]
        if len(regex.findall(r"\X", text)) > 300:
            return invalid("Record/text must not be longer than 300 graphemes")
        size = len(text.encode())
        if size > 3000:
            return invalid("Record/text must not be longer than 3000 characters")
        if not isinstance(record.get("createdAt"), str):
            return invalid('Record must have the property "createdAt"')
        for facet in record.get("facets") or []:
            index = facet.get("index", {})
            if not 0 <= index.get("byteStart", -1) <= index.get("byteEnd", -1) <= size:
                return invalid("Record/facets byte range out of bounds")
            problem = _facet_problem(facet)
            if problem is not None:
                return invalid(problem)
        embed = record.get("embed")
        if embed is not None and embed.get("$type") == "app.bsky.embed.external":
            return self._check_external(embed, invalid)
        if embed is not None:
            return self._check_images(embed, invalid)
        return None

    def _check_external(self, embed: dict[str, Any], invalid: Any) -> Answer | None:
        """A link card as the lexicon wants it: uri, title, description; a thumb blob we hold,
        an image of at most 1,000,000 bytes."""
        external = embed.get("external")
        if not isinstance(external, dict):
            return invalid('Record/embed must have the property "external"')
        for key in ("uri", "title", "description"):
            if not isinstance(external.get(key), str):
                return invalid(f'Record/embed/external must have the property "{key}"')
        if not external["uri"].startswith(("http://", "https://")):
            return invalid("Record/embed/external/uri must be a valid uri")
        thumb = external.get("thumb")
        if thumb is None:
            return None
        cid = (thumb.get("ref") or {}).get("$link")
        if cid not in self._blobs:
            return error(400, "InvalidRequest", f"Could not find blob: {cid}")
        mime, data = self._blobs[cid]
        if len(data) > 1_000_000:
            return invalid(
                f"blob too big (maximum 1000000, got {len(data)}) at $.record.embed.external.thumb"
            )
        if not mime.startswith("image/"):
            return error(400, "InvalidMimeType", f"Wrong type of file. It is {mime}")
        return None

    def _check_images(self, embed: dict[str, Any], invalid: Any) -> Answer | None:
        if embed.get("$type") != "app.bsky.embed.images":
            return invalid("Record/embed must be app.bsky.embed.images in this fake")
        images = embed.get("images") or []
        if not 1 <= len(images) <= 4:
            return invalid("Record/embed/images must not have more than 4 elements")
        for number, image in enumerate(images):
            if not isinstance(image.get("alt"), str):
                return invalid(f'Record/embed/images/{number} must have the property "alt"')
            cid = (image.get("image") or {}).get("ref", {}).get("$link")
            if cid not in self._blobs:
                return error(400, "InvalidRequest", f"Could not find blob: {cid}")
            mime, data = self._blobs[cid]
            if len(data) > self.blob_limit:
                # The reference PDS's lexicon check (FACTS.md, "Seen on real servers").
                return invalid(
                    f"blob too big (maximum {self.blob_limit}, got {len(data)}) at "
                    f"$.record.embed.images[{number}].image"
                )
            if not mime.startswith("image/"):
                return error(400, "InvalidMimeType", f"Wrong type of file. It is {mime}")
        return None

    def _getRecord(self, request: RecordedRequest) -> Answer:
        query = query_params(request)
        rkey = query.get("rkey", "")
        if query.get("repo") not in (self.did, self.handle) or query.get("collection") != POST:
            return error(400, "RecordNotFound", f"Could not locate record: {query}")
        record = self._records.get(rkey)
        if record is None:
            return error(400, "RecordNotFound", f"Could not locate record: {self._uri(rkey)}")
        return Answer(200, self._view(record))

    def _listRecords(self, request: RecordedRequest) -> Answer:
        query = query_params(request)
        if query.get("repo") not in (self.did, self.handle):
            return error(400, "InvalidRequest", "Could not find repo")
        limit = int(query.get("limit", "50"))
        if not 1 <= limit <= 100:
            return error(400, "InvalidRequest", "Error: limit must be between 1 and 100")
        backwards = query.get("reverse") == "true"  # oldest first
        keys = sorted(self._records, reverse=not backwards)  # TIDs sort by time
        cursor = query.get("cursor")
        if cursor:
            keys = [k for k in keys if (k > cursor if backwards else k < cursor)]
        page = keys[:limit]
        body: dict[str, Any] = {"records": [self._view(self._records[k]) for k in page]}
        if len(page) == limit:
            body["cursor"] = page[-1]
        return Answer(200, body)

    def _view(self, record: FakeRecord) -> dict[str, Any]:
        return {"uri": self._uri(record.rkey), "cid": record.cid, "value": record.value}

    def _uri(self, rkey: str) -> str:
        return f"at://{self.did}/{POST}/{rkey}"

    def _next_tid(self) -> str:
        self._counter += 1
        value = (time.time_ns() // 1000) << 10 | (self._counter & 0x3FF)
        return "".join(TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def _facet_problem(facet: dict[str, Any]) -> str | None:
    """What the lexicon refuses in a facet's features: a link without a uri, a tag that is
    empty, starts with "#", or passes 64 graphemes or 640 bytes."""
    for feature in facet.get("features") or []:
        kind = feature.get("$type")
        if kind == "app.bsky.richtext.facet#link" and not isinstance(feature.get("uri"), str):
            return 'Record/facets/features must have the property "uri"'
        if kind == "app.bsky.richtext.facet#tag":
            tag = feature.get("tag")
            if not isinstance(tag, str) or not tag or tag.startswith(("#", "＃")):
                return "Record/facets/features/tag must be a tag without its #"
            if len(regex.findall(r"\X", tag)) > 64 or len(tag.encode()) > 640:
                return "Record/facets/features/tag must not be longer than 64 graphemes"
    return None
