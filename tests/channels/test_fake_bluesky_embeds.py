"""The fake PDS checks link cards and tag facets as the lexicon does, over plain httpx (no SDK),
so the card and tag tests rest on a fake that refuses what Bluesky would refuse."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.fake_bluesky import FakeBluesky

PASSWORD = "embed-fake-pass-1234"
POST = "app.bsky.feed.post"
EXTERNAL = "app.bsky.embed.external"


@pytest.fixture
def session() -> Iterator[tuple[FakeBluesky, httpx.Client]]:
    with (
        FakeBluesky(password=PASSWORD) as fake,
        httpx.Client(base_url=fake.url + "/xrpc/", timeout=5.0) as http,
    ):
        body = {"identifier": fake.handle, "password": PASSWORD}
        token = http.post("com.atproto.server.createSession", json=body).json()["accessJwt"]
        http.headers["Authorization"] = f"Bearer {token}"
        yield fake, http


def _create(fake: FakeBluesky, http: httpx.Client, **fields: Any) -> httpx.Response:
    record = {"$type": POST, "text": "hello #tag", "createdAt": "2026-11-29T12:00:00.000Z"}
    body = {"repo": fake.did, "collection": POST, "record": {**record, **fields}}
    return http.post("com.atproto.repo.createRecord", json=body)


def _upload(http: httpx.Client, size: int) -> dict[str, Any]:
    data = b"\x89PNG\r\n\x1a\n" + bytes(size - 8)
    answer = http.post(
        "com.atproto.repo.uploadBlob", content=data, headers={"Content-Type": "image/png"}
    )
    blob: dict[str, Any] = answer.json()["blob"]
    return blob


def _tag(tag: str) -> list[dict[str, Any]]:
    feature = {"$type": "app.bsky.richtext.facet#tag", "tag": tag}
    return [{"index": {"byteStart": 6, "byteEnd": 10}, "features": [feature]}]


def _card(**external: Any) -> dict[str, Any]:
    return {"$type": EXTERNAL, "external": {"uri": "https://e.org", "title": "T", **external}}


def test_a_card_and_tags_the_lexicon_takes_are_kept(
    session: tuple[FakeBluesky, httpx.Client],
) -> None:
    fake, http = session
    thumb = _upload(http, 900_000)
    card = _card(description="D", thumb=thumb)
    assert _create(fake, http, facets=_tag("tag"), embed=card).status_code == 200
    (record,) = fake.records
    assert record.value["embed"] == card and record.value["facets"] == _tag("tag")


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"facets": _tag("#tag")}, "tag without its #"),
        ({"facets": _tag("")}, "tag without its #"),
        ({"facets": _tag("t" * 65)}, "64 graphemes"),
        ({"embed": _card()}, 'property "description"'),
        ({"embed": _card(description="D", uri="e.org")}, "valid uri"),
        ({"embed": {"$type": EXTERNAL}}, 'property "external"'),
    ],
)
def test_what_the_lexicon_refuses_is_refused(
    session: tuple[FakeBluesky, httpx.Client], fields: dict[str, Any], why: str
) -> None:
    fake, http = session
    answer = _create(fake, http, **fields)
    assert answer.status_code == 400 and why in answer.json()["message"]
    assert fake.records == []


def test_a_thumb_over_a_million_bytes_is_refused(
    session: tuple[FakeBluesky, httpx.Client],
) -> None:
    fake, http = session
    answer = _create(fake, http, embed=_card(description="D", thumb=_upload(http, 1_000_001)))
    assert answer.status_code == 400
    assert "blob too big (maximum 1000000, got 1000001)" in answer.json()["message"]
