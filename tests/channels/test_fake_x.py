"""The fake X server must itself be trustworthy: it checks signatures and X's posting rules.

Requests here are signed with oauthlib directly (not through bot code), so a bug in the channel
cannot hide a bug in the fake or the other way round.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest
from oauthlib.oauth1 import Client as OAuthClient
from PIL import Image

from tests.fakes.fake_x import FakeX
from tests.fakes.x_auth import oauth_signature, signature_base_string
from tests.fakes.x_model import DUPLICATE_MESSAGE, READ_ACCESS_MESSAGE, TOO_LONG_MESSAGE, FaultMode
from tests.fakes.x_text import link_spans, weighted_length
from tests.waiting import wait_until

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def fake() -> Iterator[FakeX]:
    with FakeX() as server:
        yield server


def send(
    fake: FakeX,
    method: str,
    path: str,
    *,
    json_body: object = None,
    form: dict[str, str] | None = None,
    origin: str = "https://api.x.com",
    consumer_secret: str | None = None,
    tamper: bool = False,
    authorization: str | None = None,
) -> httpx.Response:
    """Sign for ``origin + path`` with oauthlib, then send the bytes to the fake."""
    signer = OAuthClient(
        fake.consumer_key,
        client_secret=consumer_secret or fake.consumer_secret,
        resource_owner_key=fake.access_token,
        resource_owner_secret=fake.access_token_secret,
    )
    headers: dict[str, str] = {}
    content: bytes | None = None
    if form is not None:
        body = str(httpx.QueryParams(form))
        _, signed, _ = signer.sign(
            origin + path, cast(Any, method), body=body, headers={"Content-Type": FORM}
        )
        headers["Content-Type"] = FORM
        content = (body + ("&extra=1" if tamper else "")).encode()
    else:
        _, signed, _ = signer.sign(origin + path, cast(Any, method))
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(json_body).encode()
    headers["Authorization"] = (
        authorization if authorization is not None else signed["Authorization"]
    )
    return httpx.request(method, fake.url + path, headers=headers, content=content, timeout=5)


def post_text(fake: FakeX, text: str) -> httpx.Response:
    return send(fake, "POST", "/2/tweets", json_body={"text": text})


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, "PNG")
    return buffer.getvalue()


# -- signatures ---------------------------------------------------------------------------------


def test_correct_signature_is_accepted(fake: FakeX) -> None:
    response = send(fake, "GET", "/2/users/me")
    assert response.status_code == 200
    assert response.json()["data"]["username"] == "paperbot_test"


def test_signature_for_api_twitter_com_is_accepted_too(fake: FakeX) -> None:
    # tweepy signs for api.twitter.com, our httpx code for api.x.com: X answers both.
    assert send(fake, "GET", "/2/users/me", origin="https://api.twitter.com").status_code == 200


def test_wrong_secret_is_rejected_like_x(fake: FakeX) -> None:
    response = send(fake, "GET", "/2/users/me", consumer_secret="not-the-secret")
    assert response.status_code == 401
    assert response.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }


def test_missing_authorization_is_rejected(fake: FakeX) -> None:
    assert send(fake, "GET", "/2/users/me", authorization="").status_code == 401


def test_signature_for_another_host_is_rejected(fake: FakeX) -> None:
    response = send(fake, "GET", "/2/users/me", origin="https://example.com")
    assert response.status_code == 401


def test_query_parameters_are_signed(fake: FakeX) -> None:
    signed_for = "/2/users/1000/tweets?max_results=5"
    good = send(fake, "GET", signed_for)
    assert good.status_code == 200
    signer = OAuthClient(
        fake.consumer_key,
        client_secret=fake.consumer_secret,
        resource_owner_key=fake.access_token,
        resource_owner_secret=fake.access_token_secret,
    )
    _, headers, _ = signer.sign("https://api.x.com" + signed_for)
    tampered = httpx.get(
        fake.url + "/2/users/1000/tweets?max_results=6",
        headers={"Authorization": headers["Authorization"]},
    )
    assert tampered.status_code == 401


def test_form_body_enters_the_signature(fake: FakeX) -> None:
    form = {"media_type": "image/png", "total_bytes": "100", "media_category": "tweet_image"}
    assert send(fake, "POST", "/2/media/upload/initialize", form=form).status_code == 200
    tampered = send(fake, "POST", "/2/media/upload/initialize", form=form, tamper=True)
    assert tampered.status_code == 401


def test_replayed_request_is_rejected(fake: FakeX) -> None:
    signer = OAuthClient(
        fake.consumer_key,
        client_secret=fake.consumer_secret,
        resource_owner_key=fake.access_token,
        resource_owner_secret=fake.access_token_secret,
    )
    _, headers, _ = signer.sign("https://api.x.com/2/users/me")
    first = httpx.get(fake.url + "/2/users/me", headers=headers)
    second = httpx.get(fake.url + "/2/users/me", headers=headers)
    assert (first.status_code, second.status_code) == (200, 401)


def test_reject_credentials_switch(fake: FakeX) -> None:
    fake.reject_credentials = True
    assert send(fake, "GET", "/2/users/me").status_code == 401


def test_independent_signature_matches_rfc5849_example() -> None:
    # RFC 5849 §3.4.1.1 / the classic Twitter documentation example.
    params = [
        ("include_entities", "true"),
        ("status", "Hello Ladies + Gentlemen, a signed OAuth request!"),
        ("oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"),
        ("oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "1318622958"),
        ("oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"),
        ("oauth_version", "1.0"),
    ]
    base = signature_base_string("POST", "https://api.twitter.com/1.1/statuses/update.json", params)
    signature = oauth_signature(
        base,
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    )
    assert signature == "hCtSmYh+iHYCEqBWrE7C7hYmtUk="


# -- posting rules ------------------------------------------------------------------------------


def test_post_is_created_and_recorded(fake: FakeX) -> None:
    response = post_text(fake, "A paper worth reading https://arxiv.org/abs/2401.00001")
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["id"].isdigit()
    assert data["text"].startswith("A paper worth reading https://t.co/")
    assert response.headers["x-rate-limit-remaining"]
    assert [p.id for p in fake.posts] == [data["id"]]


def test_length_limit_is_weighted(fake: FakeX) -> None:
    assert post_text(fake, "a" * 280).status_code == 201
    too_long = post_text(fake, "b" * 281)
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["message"] == TOO_LONG_MESSAGE
    assert post_text(fake, "論" * 140).status_code == 201
    assert post_text(fake, "文" * 141).status_code == 400
    # A URL counts 23 however long it is.
    url = "https://example.org/" + "x" * 300
    assert post_text(fake, "c" * 256 + " " + url).status_code == 201
    assert fake.posts[-1].text.endswith("x" * 300)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("日本語", 6),
        ("e\u0301", 1),  # NFC makes it one character
        ("👍", 2),
        ("👍🏽", 2),
        ("👩‍👩‍👧", 2),
        ("see https://arxiv.org/abs/2401.00001 now", 4 + 23 + 4),
    ],
)
def test_weighted_length(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


def test_duplicate_text_is_refused_like_x(fake: FakeX) -> None:
    assert post_text(fake, "same words").status_code == 201
    duplicate = post_text(fake, "same words")
    assert duplicate.status_code == 403
    assert duplicate.json() == {
        "detail": DUPLICATE_MESSAGE,
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
    }
    assert len(fake.posts) == 1


def test_unknown_or_unfinished_media_is_refused(fake: FakeX) -> None:
    unknown = send(
        fake, "POST", "/2/tweets", json_body={"text": "x", "media": {"media_ids": ["1"]}}
    )
    assert unknown.status_code == 400
    init = send(
        fake,
        "POST",
        "/2/media/upload/initialize",
        json_body={"media_type": "image/png", "total_bytes": 10, "media_category": "tweet_image"},
    )
    media_id = init.json()["data"]["id"]
    unfinished = send(
        fake, "POST", "/2/tweets", json_body={"text": "y", "media": {"media_ids": [media_id]}}
    )
    assert unfinished.status_code == 400


def test_media_checks_size_type_and_content(fake: FakeX) -> None:
    too_big = {"media_type": "image/png", "total_bytes": 6 * 1024 * 1024}
    assert send(fake, "POST", "/2/media/upload/initialize", json_body=too_big).status_code == 400
    wrong_type = {"media_type": "video/mp4", "total_bytes": 10}
    assert send(fake, "POST", "/2/media/upload/initialize", json_body=wrong_type).status_code == 400
    # Finalizing bytes that are not a PNG fails, as X's media processing would.
    init = send(
        fake,
        "POST",
        "/2/media/upload/initialize",
        json_body={"media_type": "image/png", "total_bytes": 4},
    )
    media_id = init.json()["data"]["id"]
    signer = OAuthClient(
        fake.consumer_key,
        client_secret=fake.consumer_secret,
        resource_owner_key=fake.access_token,
        resource_owner_secret=fake.access_token_secret,
    )
    path = f"/2/media/upload/{media_id}/append"
    _, headers, _ = signer.sign("https://api.x.com" + path, "POST")
    appended = httpx.post(
        fake.url + path,
        headers=headers,
        data={"segment_index": "0"},
        files={"media": ("blob", b"nope", "application/octet-stream")},
    )
    assert appended.status_code == 200
    finalized = send(fake, "POST", f"/2/media/upload/{media_id}/finalize")
    assert finalized.status_code == 400


def test_one_shot_upload_and_alt_text_limit(fake: FakeX) -> None:
    signer = OAuthClient(
        fake.consumer_key,
        client_secret=fake.consumer_secret,
        resource_owner_key=fake.access_token,
        resource_owner_secret=fake.access_token_secret,
    )
    _, headers, _ = signer.sign("https://api.x.com/2/media/upload", "POST")
    uploaded = httpx.post(
        fake.url + "/2/media/upload",
        headers=headers,
        data={"media_category": "tweet_image"},
        files={"media": ("figure.png", png_bytes(), "image/png")},
    )
    assert uploaded.status_code == 200
    media_id = uploaded.json()["data"]["id"]
    assert fake.media[media_id].data == png_bytes()
    too_long = {"id": media_id, "metadata": {"alt_text": {"text": "a" * 1001}}}
    assert send(fake, "POST", "/2/media/metadata", json_body=too_long).status_code == 400
    fine = {"id": media_id, "metadata": {"alt_text": {"text": "a" * 1000}}}
    assert send(fake, "POST", "/2/media/metadata", json_body=fine).status_code == 200
    assert fake.media[media_id].alt_text == "a" * 1000


# -- texts as X shows them ----------------------------------------------------------------------


def upload_png(fake: FakeX, color: str = "blue") -> str:
    signer = OAuthClient(
        fake.consumer_key,
        client_secret=fake.consumer_secret,
        resource_owner_key=fake.access_token,
        resource_owner_secret=fake.access_token_secret,
    )
    _, headers, _ = signer.sign("https://api.x.com/2/media/upload", "POST")
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(buffer, "PNG")
    uploaded = httpx.post(
        fake.url + "/2/media/upload",
        headers=headers,
        data={"media_category": "tweet_image"},
        files={"media": ("figure.png", buffer.getvalue(), "image/png")},
    )
    assert uploaded.status_code == 200
    return str(uploaded.json()["data"]["id"])


def timeline(fake: FakeX, fields: str = "created_at,entities,attachments") -> list[Any]:
    response = send(fake, "GET", f"/2/users/{fake.user_id}/tweets?tweet.fields={fields}")
    assert response.status_code == 200, response.text
    return list(response.json().get("data", []))


TCO = r"https://t\.co/[0-9A-Za-z]{10}"


def test_every_link_comes_back_wrapped_scheme_less_ones_too(fake: FakeX) -> None:
    text = "Q&A: see example.com/x, www.example.org and https://arxiv.org/abs/2401.00001."
    created = post_text(fake, text).json()["data"]
    assert re.fullmatch(f"Q&A: see {TCO}, {TCO} and {TCO}\\.", created["text"]), created
    [item] = timeline(fake)
    assert item["text"] == created["text"].replace("&", "&amp;")
    urls = item["entities"]["urls"]
    assert [(u["expanded_url"], u["display_url"]) for u in urls] == [
        ("http://example.com/x", "example.com/x"),
        ("http://www.example.org", "example.org"),
        ("https://arxiv.org/abs/2401.00001", "arxiv.org/abs/2401.00001"),
    ]
    for url in urls:  # positions point into the text as returned (escaped)
        assert item["text"][url["start"] : url["end"]] == url["url"]
    assert "attachments" not in item
    assert [p.text for p in fake.posts] == [text]  # what was sent, for the tests' own checks


def test_t_co_links_differ_for_every_link_and_post(fake: FakeX) -> None:
    post_text(fake, "one https://example.org/a")
    post_text(fake, "two https://example.org/a")
    slugs = [u["url"] for item in timeline(fake) for u in item["entities"]["urls"]]
    assert len(set(slugs)) == 2


@pytest.mark.parametrize("images", [1, 2, 4])
def test_a_post_with_media_gets_one_more_link_for_all_of_it(fake: FakeX, images: int) -> None:
    media_ids = [upload_png(fake, color) for color in ("red", "green", "blue", "white")[:images]]
    body = {
        "text": "Figure 2 says it all 🎉 https://example.org/p",
        "media": {"media_ids": media_ids},
    }
    created = send(fake, "POST", "/2/tweets", json_body=body).json()["data"]
    assert re.fullmatch(f"Figure 2 says it all 🎉 {TCO} {TCO}", created["text"]), created
    [item] = timeline(fake)
    assert item["text"] == created["text"]
    link, media = item["entities"]["urls"]
    assert "media_key" not in link and link["expanded_url"] == "https://example.org/p"
    assert media["media_key"] == f"3_{media_ids[0]}"
    assert media["expanded_url"] == f"https://x.com/{fake.username}/status/{item['id']}/photo/1"
    assert media["display_url"].startswith("pic.x.com/")
    assert item["text"].endswith(" " + media["url"])
    assert item["attachments"] == {"media_keys": [f"3_{m}" for m in media_ids]}


def test_a_post_of_media_alone_is_just_the_media_link(fake: FakeX) -> None:
    body = {"media": {"media_ids": [upload_png(fake)]}}
    created = send(fake, "POST", "/2/tweets", json_body=body).json()["data"]
    assert re.fullmatch(TCO, created["text"])
    added = fake.add_post("Earlier, with two figures", images=2)
    assert re.fullmatch(f"Earlier, with two figures {TCO}", added.shown)


def test_write_only_access_level_cannot_read_posts(fake: FakeX) -> None:
    created = post_text(fake, "posting still works").json()["data"]
    fake.write_only = True
    assert post_text(fake, "and again").status_code == 201
    assert send(fake, "GET", "/2/users/me").status_code == 200  # so does asking who we are
    for path in (f"/2/users/{fake.user_id}/tweets", f"/2/tweets/{created['id']}"):
        refused = send(fake, "GET", path)
        assert refused.status_code == 403
        assert refused.json() == {"errors": [{"message": READ_ACCESS_MESSAGE, "code": 453}]}
    fake.write_only = False
    found = send(fake, "GET", f"/2/tweets/{created['id']}").json()["data"]
    assert found["text"] == "posting still works"


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("see example.com/x.", ["example.com/x"]),
        (
            "(see https://en.wikipedia.org/wiki/Foo_(bar))",
            ["https://en.wikipedia.org/wiki/Foo_(bar)"],
        ),
        ("e.g. 3.5x on ImageNet et al.", []),
        ("这是example.com/路径", ["example.com/"]),
        ("mail me@example.com", []),
        ("a.b.example.net/p?q=1&r=2!", ["a.b.example.net/p?q=1&r=2"]),
    ],
)
def test_link_rules_agree_with_x_on_common_cases(text: str, links: list[str]) -> None:
    assert [text[a:b] for a, b in link_spans(text)] == links


# -- fault injection ----------------------------------------------------------------------------


def test_drop_after_creates_the_post_but_sends_no_answer(fake: FakeX) -> None:
    fake.fail_next("create_tweet", FaultMode.DROP_AFTER)
    with pytest.raises(httpx.RemoteProtocolError):
        post_text(fake, "lost answer")
    assert [p.text for p in fake.posts] == ["lost answer"]
    assert fake.requests[-1].status is None


def test_drop_before_creates_nothing(fake: FakeX) -> None:
    fake.fail_next("create_tweet", FaultMode.DROP_BEFORE)
    with pytest.raises(httpx.RemoteProtocolError):
        post_text(fake, "never made")
    assert fake.posts == []


def test_hold_keeps_the_request_until_released_then_does_the_work(fake: FakeX) -> None:
    fake.fail_next("create_tweet", FaultMode.HOLD)
    with pytest.raises(httpx.ReadTimeout):  # the client gives up; the fake still holds it
        send_with_timeout = httpx.Timeout(5, read=0.2)
        signer = OAuthClient(
            fake.consumer_key,
            client_secret=fake.consumer_secret,
            resource_owner_key=fake.access_token,
            resource_owner_secret=fake.access_token_secret,
        )
        _, headers, _ = signer.sign("https://api.x.com/2/tweets", "POST")
        httpx.post(
            fake.url + "/2/tweets",
            headers={**headers, "Content-Type": "application/json"},
            content=json.dumps({"text": "held"}).encode(),
            timeout=send_with_timeout,
        )
    assert fake.held == 1 and fake.posts == []
    fake.release()
    wait_until(lambda: fake.posts, "the held request to go on")
    assert [p.text for p in fake.posts] == ["held"]


def test_faults_are_consumed_in_order(fake: FakeX) -> None:
    fake.fail_next("create_tweet", FaultMode.SERVER_ERROR, status=503, times=2)
    assert post_text(fake, "one").status_code == 503
    assert post_text(fake, "two").status_code == 503
    assert post_text(fake, "three").status_code == 201
    assert [r.status for r in fake.requests] == [503, 503, 201]


def test_rate_limit_fault_sends_reset_headers(fake: FakeX) -> None:
    fake.fail_next("*", "rate_limited", reset=1_900_000_000, user_reset=1_900_086_400)
    response = send(fake, "GET", "/2/users/me")
    assert response.status_code == 429
    assert response.headers["x-rate-limit-reset"] == "1900000000"
    assert response.headers["x-user-limit-24hour-remaining"] == "0"
    assert response.headers["x-user-limit-24hour-reset"] == "1900086400"


def test_daily_post_limit(fake: FakeX) -> None:
    fake.daily_post_limit = 1
    assert post_text(fake, "first").status_code == 201
    refused = post_text(fake, "second")
    assert refused.status_code == 429
    assert refused.headers["x-user-limit-24hour-remaining"] == "0"


def test_unknown_route_in_fail_next_is_a_test_bug(fake: FakeX) -> None:
    with pytest.raises(ValueError, match="unknown route"):
        fake.fail_next("create_post", FaultMode.INVALID)
