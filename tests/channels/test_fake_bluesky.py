"""The fake PDS answers as the reference server does, checked over plain httpx (no SDK), so
the channel tests rest on a fake whose behaviour is itself tested."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.bluesky_model import FaultMode
from tests.fakes.fake_bluesky import FakeBluesky

PASSWORD = "abcd-efgh-ijkl-mnop"
POST = "app.bsky.feed.post"


@pytest.fixture
def fake() -> Iterator[FakeBluesky]:
    with FakeBluesky(password=PASSWORD) as server:
        yield server


@pytest.fixture
def http(fake: FakeBluesky) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url + "/xrpc/", timeout=5.0) as client:
        yield client


def _login(http: httpx.Client, password: str = PASSWORD) -> httpx.Response:
    body = {"identifier": "paperbot.test", "password": password}
    return http.post("com.atproto.server.createSession", json=body)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _create(http: httpx.Client, token: str, did: str, **extra: Any) -> httpx.Response:
    record = {"$type": POST, "text": "hello", "createdAt": "2026-11-29T12:00:00.000Z"}
    body = {"repo": did, "collection": POST, "record": record, **extra}
    return http.post("com.atproto.repo.createRecord", json=body, headers=_auth(token))


def _error(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]


def test_sessions_tokens_and_their_expiry(fake: FakeBluesky, http: httpx.Client) -> None:
    assert _error(_login(http, "wrong")) == (401, "AuthenticationRequired")
    session = _login(http).json()
    assert fake.logins == 1 and session["did"] == fake.did
    payload = session["accessJwt"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["exp"] > time.time() + 3600  # the SDK reads exp to refresh ahead of time
    me = http.get("com.atproto.server.getSession", headers=_auth(session["accessJwt"]))
    assert me.json()["handle"] == "paperbot.test"
    assert _error(http.get("com.atproto.server.getSession")) == (401, "AuthMissing")
    fake.expire_access_tokens()
    expired = http.get("com.atproto.server.getSession", headers=_auth(session["accessJwt"]))
    assert _error(expired) == (400, "ExpiredToken")  # 400, not 401
    refreshed = http.post("com.atproto.server.refreshSession", headers=_auth(session["refreshJwt"]))
    assert refreshed.status_code == 200 and fake.refreshes == 1
    again = http.post("com.atproto.server.refreshSession", headers=_auth(session["refreshJwt"]))
    assert _error(again) == (400, "ExpiredToken")  # refresh tokens rotate
    fresh = refreshed.json()["accessJwt"]
    assert http.get("com.atproto.server.getSession", headers=_auth(fresh)).status_code == 200


def test_create_session_is_limited(fake: FakeBluesky, http: httpx.Client) -> None:
    fake.sessions_per_window = 2
    assert [_login(http).status_code for _ in range(3)] == [200, 200, 429]
    limited = _login(http)
    assert limited.headers["RateLimit-Remaining"] == "0"
    assert int(limited.headers["RateLimit-Reset"]) > time.time()
    assert fake.logins == 2


def test_records_by_tid_key_duplicate_is_500_and_lookups(
    fake: FakeBluesky, http: httpx.Client
) -> None:
    session = _login(http).json()
    token, did = session["accessJwt"], session["did"]
    assert _error(_create(http, token, did, rkey="not-a-tid")) == (400, "InvalidRequest")
    created = _create(http, token, did, rkey="3kabcdefghijk")
    assert created.status_code == 200
    assert created.json()["uri"] == f"at://{did}/{POST}/3kabcdefghijk"
    assert "RateLimit-Remaining" in created.headers
    assert _create(http, token, did, rkey="3kabcdefghijk").status_code == 500
    query = {"repo": did, "collection": POST}
    found = http.get("com.atproto.repo.getRecord", params={**query, "rkey": "3kabcdefghijk"})
    assert found.json()["value"]["text"] == "hello"
    missing = http.get("com.atproto.repo.getRecord", params={**query, "rkey": "3kabcdefghijz"})
    assert _error(missing) == (400, "RecordNotFound")
    _create(http, token, did, rkey="3kabcdefghijz")
    _create(http, token, did)  # a key of the server's choosing: a TID of now
    page = http.get("com.atproto.repo.listRecords", params={**query, "limit": 2}).json()
    keys = [record["uri"].rsplit("/", 1)[1] for record in page["records"]]
    assert keys[1:] == ["3kabcdefghijz"] and keys[0] > keys[1]  # newest first
    rest = http.get("com.atproto.repo.listRecords", params={**query, "cursor": page["cursor"]})
    assert [r["uri"][-13:] for r in rest.json()["records"]] == ["3kabcdefghijk"]
    assert len(fake.records) == 3


def test_text_and_blob_limits(fake: FakeBluesky, http: httpx.Client) -> None:
    fake.upload_limit, fake.blob_limit = 5000, 1000
    session = _login(http).json()
    token, did = session["accessJwt"], session["did"]
    upload = {**_auth(token), "Content-Type": "image/png"}
    too_big = http.post("com.atproto.repo.uploadBlob", content=b"x" * 5001, headers=upload)
    assert _error(too_big) == (413, "PayloadTooLarge") and too_big.json() == {
        "error": "PayloadTooLarge"
    }
    blob = http.post("com.atproto.repo.uploadBlob", content=b"x" * 2000, headers=upload).json()
    assert blob["blob"]["size"] == 2000
    record = {"$type": POST, "text": "a" * 301, "createdAt": "2026-11-29T12:00:00.000Z"}
    body = {"repo": did, "collection": POST, "record": record}
    long = http.post("com.atproto.repo.createRecord", json=body, headers=_auth(token))
    assert _error(long) == (400, "InvalidRequest")
    record["text"] = "ok"
    record["embed"] = {
        "$type": "app.bsky.embed.images",
        "images": [{"alt": "", "image": blob["blob"]}],
    }
    large = http.post("com.atproto.repo.createRecord", json=body, headers=_auth(token))
    assert large.status_code == 400 and large.json() == {
        "error": "InvalidRequest",
        "message": "Invalid app.bsky.feed.post record: blob too big (maximum 1000, got 2000) "
        "at $.record.embed.images[0].image",
    }
    assert not fake.records


@pytest.mark.parametrize(
    ("mode", "posted"), [(FaultMode.DROP_BEFORE, 0), (FaultMode.DROP_AFTER, 1)]
)
def test_dropped_connections_before_and_after_acting(
    fake: FakeBluesky, http: httpx.Client, mode: FaultMode, posted: int
) -> None:
    session = _login(http).json()
    fake.fail_next("createRecord", mode)
    with pytest.raises(httpx.RemoteProtocolError):
        _create(http, session["accessJwt"], session["did"], rkey="3kabcdefghijk")
    assert len(fake.records) == posted
    assert fake.calls[-1].status is None


def test_injected_errors(fake: FakeBluesky, http: httpx.Client) -> None:
    session = _login(http).json()
    token, did = session["accessJwt"], session["did"]
    fake.fail_next("createRecord", FaultMode.RATE_LIMITED, reset=2_000_000_000)
    limited = _create(http, token, did)
    assert _error(limited) == (429, "RateLimitExceeded")
    assert limited.headers["RateLimit-Reset"] == "2000000000"
    fake.fail_next("*", FaultMode.SERVER_ERROR, status=502, times=2)
    assert _create(http, token, did).status_code == 502
    assert http.get("com.atproto.server.getSession", headers=_auth(token)).status_code == 502
    fake.fail_next("getSession", FaultMode.EXPIRED_TOKEN)
    expired = http.get("com.atproto.server.getSession", headers=_auth(token))
    assert _error(expired) == (400, "ExpiredToken")
    assert not fake.records
    with pytest.raises(ValueError):
        fake.fail_next("nope", FaultMode.DELAY)
