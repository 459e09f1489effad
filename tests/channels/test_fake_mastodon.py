"""The fake Mastodon instance answers as Mastodon does, checked with plain HTTP (httpx)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.channels.mastodon.statuses import html_to_text, links_of
from tests.fakes.fake_mastodon import FakeMastodon
from tests.fakes.mastodon_model import NOT_READY, FaultMode
from tests.fakes.mastodon_text import render_content

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    with FakeMastodon(large_media_bytes=1024, processing_polls=2) as server:
        yield server


@pytest.fixture
def client(fake: FakeMastodon) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {fake.access_token}"}
    with httpx.Client(base_url=fake.url, headers=headers, timeout=10) as http:
        yield http


def _post(
    client: httpx.Client, text: str, key: str | None = None, **extra: object
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/statuses", data={"status": text, **extra}, headers=headers)


def test_instance_v1_and_v2_carry_the_configuration_without_a_token(fake: FakeMastodon) -> None:
    for path in ("/api/v2/instance", "/api/v2/instance/", "/api/v1/instance"):
        answer = httpx.get(fake.url + path, timeout=10)
        assert answer.status_code == 200
        statuses = answer.json()["configuration"]["statuses"]
        assert statuses == {
            "max_characters": 500,
            "max_media_attachments": 4,
            "characters_reserved_per_url": 23,
        }
    fake.serve_v2_instance = False
    assert httpx.get(fake.url + "/api/v2/instance", timeout=10).status_code == 404


def test_a_bad_token_is_401(fake: FakeMastodon) -> None:
    answer = httpx.get(
        fake.url + "/api/v1/accounts/verify_credentials",
        headers={"Authorization": "Bearer nope"},
        timeout=10,
    )
    assert answer.status_code == 401
    assert answer.json() == {"error": "The access token is invalid"}


def test_verify_credentials_and_rate_limit_headers(client: httpx.Client) -> None:
    answer = client.get("/api/v1/accounts/verify_credentials")
    assert answer.json()["acct"] == "paperbot"
    assert answer.headers["X-RateLimit-Limit"] == "300"
    reset = datetime.fromisoformat(answer.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    assert reset > datetime.now(UTC)


def test_small_media_is_ready_large_media_is_processed_first(
    fake: FakeMastodon, client: httpx.Client
) -> None:
    small = client.post("/api/v2/media", files={"file": ("a.png", PNG, "image/png")})
    assert small.status_code == 200 and small.json()["url"]
    big = client.post(
        "/api/v2/media",
        files={"file": ("b.png", PNG * 100, "image/png")},
        data={"description": "a loss curve"},
    )
    assert big.status_code == 202 and big.json()["url"] is None
    media_id = big.json()["id"]
    refused = _post(client, "with a figure", **{"media_ids[]": [media_id]})
    assert refused.status_code == 422 and refused.json() == {"error": NOT_READY}
    polls = [client.get(f"/api/v1/media/{media_id}") for _ in range(3)]
    assert [p.status_code for p in polls] == [206, 206, 200]
    assert polls[-1].json()["url"] and polls[-1].json()["description"] == "a loss curve"
    posted = _post(client, "with a figure", **{"media_ids[]": [media_id]})
    assert posted.status_code == 200
    assert fake.statuses[0].descriptions == ("a loss curve",)


def test_media_limits_are_422(client: httpx.Client) -> None:
    long_alt = client.post(
        "/api/v2/media",
        files={"file": ("a.png", PNG, "image/png")},
        data={"description": "x" * 1501},
    )
    assert long_alt.status_code == 422
    wrong_type = client.post("/api/v2/media", files={"file": ("a.txt", b"hi", "text/plain")})
    assert wrong_type.status_code == 422


def test_too_long_text_is_422_counted_by_the_instance_rules(client: httpx.Client) -> None:
    link = "https://arxiv.org/abs/" + "9" * 200
    fits = "a" * (500 - 24) + " " + link  # the link counts 23 however long
    assert _post(client, fits).status_code == 200
    too_long = _post(client, "a" + fits)
    assert too_long.status_code == 422
    assert too_long.json()["error"] == "Validation failed: Text character limit of 500 exceeded"


def test_idempotency_key_replays_within_the_hour_and_is_forgotten_after(
    fake: FakeMastodon, client: httpx.Client
) -> None:
    first = _post(client, "hello", key="k1").json()
    again = _post(client, "hello", key="k1").json()
    assert again["id"] == first["id"] and len(fake.statuses) == 1
    fake.advance(timedelta(minutes=59))
    assert _post(client, "hello", key="k1").json()["id"] == first["id"]
    fake.advance(timedelta(minutes=2))
    later = _post(client, "hello", key="k1").json()
    assert later["id"] != first["id"] and len(fake.statuses) == 2


def test_account_statuses_paginate_newest_first_with_link_headers(
    fake: FakeMastodon, client: httpx.Client
) -> None:
    start = fake.now() - timedelta(hours=2)
    for n in range(45):
        fake.add_status(f"status {n}", created_at=start + timedelta(minutes=n))
    path = f"/api/v1/accounts/{fake.account_id}/statuses"
    first = client.get(path, params={"limit": 40, "exclude_replies": "1"})
    assert [s["content"] for s in first.json()[:2]] == ["<p>status 44</p>", "<p>status 43</p>"]
    assert len(first.json()) == 40
    next_url = first.links["next"]["url"]
    assert "max_id=" in next_url
    second = client.get(next_url)
    assert [html_to_text(s["content"]) for s in second.json()] == [
        f"status {n}" for n in range(4, -1, -1)
    ]
    assert "next" not in second.links  # a short page is the last


def test_content_is_rendered_as_mastodon_renders_it() -> None:
    text = "Loss & gain <3\n\nby @ana@sigmoid.social https://arxiv.org/abs/2401.00001v2 #ML"
    content = render_content(text, "example.social")
    assert "&amp;" in content and "<br />" not in content and content.count("<p>") == 2
    assert links_of(content) == ["https://arxiv.org/abs/2401.00001v2"]
    assert html_to_text(content).split() == text.replace("@sigmoid.social", "").split()


def test_faults_drop_before_and_after_the_server_acted(
    fake: FakeMastodon, client: httpx.Client
) -> None:
    fake.fail_next("create_status", FaultMode.DROP_BEFORE)
    with pytest.raises(httpx.TransportError):
        _post(client, "one")
    assert fake.statuses == []
    fake.fail_next("create_status", FaultMode.DROP_AFTER)
    with pytest.raises(httpx.TransportError):
        _post(client, "two")
    assert [s.text for s in fake.statuses] == ["two"]


def test_faults_server_error_and_rate_limit(fake: FakeMastodon, client: httpx.Client) -> None:
    fake.fail_next("create_status", FaultMode.SERVER_ERROR, status=503)
    assert _post(client, "x").status_code == 503
    reset = datetime(2030, 1, 1, tzinfo=UTC)
    fake.fail_next("*", FaultMode.RATE_LIMITED, reset=reset)
    limited = client.get("/api/v1/accounts/verify_credentials")
    assert limited.status_code == 429
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Reset"].startswith("2030-01-01T00:00:00")
    assert fake.statuses == []
    with pytest.raises(ValueError):
        fake.fail_next("nowhere", FaultMode.DELAY)


# -- profiles: servers that speak the Mastodon API but are not Mastodon -------------------------


def _profile(profile: str, **options: object) -> FakeMastodon:
    return FakeMastodon(profile=profile, **options)  # type: ignore[arg-type]


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown profile 'pleroma'"):
        FakeMastodon(profile="pleroma")


def test_ignores_idempotency_key_makes_a_status_per_request() -> None:
    with _profile("ignores-idempotency-key") as fake:
        headers = {"Authorization": f"Bearer {fake.access_token}"}
        with httpx.Client(base_url=fake.url, headers=headers, timeout=10) as http:
            first, second = (_post(http, "Same text", key="k1") for _ in range(2))
        assert first.status_code == second.status_code == 200
        assert first.json()["id"] != second.json()["id"] and len(fake.statuses) == 2


def test_full_length_links_counts_the_raw_text_but_advertises_23() -> None:
    link = "https://example.org/" + "a" * 60  # 80 characters
    text = "x" * 430 + " " + link  # 454 with links at 23, 511 at full length
    with _profile("full-length-links") as fake:
        configuration = httpx.get(fake.url + "/api/v2/instance", timeout=10).json()
        assert configuration["configuration"]["statuses"]["characters_reserved_per_url"] == 23
        headers = {"Authorization": f"Bearer {fake.access_token}"}
        with httpx.Client(base_url=fake.url, headers=headers, timeout=10) as http:
            refused = _post(http, text)
            assert refused.status_code == 422 and "character limit of 500" in refused.text
            assert _post(http, "x" * 400 + " " + link).status_code == 200
    with FakeMastodon() as stock:
        headers = {"Authorization": f"Bearer {stock.access_token}"}
        with httpx.Client(base_url=stock.url, headers=headers, timeout=10) as http:
            assert _post(http, text).status_code == 200


@pytest.mark.parametrize(
    ("profile", "scopes", "status"),
    [
        ("mastodon4", ("read:accounts",), 200),
        ("mastodon4", ("write:statuses",), 403),
        ("read-scope-verify", ("write:statuses", "read:accounts", "read:statuses"), 403),
        ("read-scope-verify", ("read", "write"), 200),
    ],
)
def test_verify_credentials_scopes(profile: str, scopes: tuple[str, ...], status: int) -> None:
    with _profile(profile, scopes=scopes) as fake:
        answer = httpx.get(
            fake.url + "/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {fake.access_token}"},
            timeout=10,
        )
    assert answer.status_code == status
    if status == 403:
        assert answer.json() == {"error": "This action is outside the authorized scopes"}


def test_plaintext_400_auth_answers_a_bad_token_in_html() -> None:
    with _profile("plaintext-400-auth") as fake:
        answer = httpx.post(
            fake.url + "/api/v1/statuses",
            data={"status": "hi"},
            headers={"Authorization": "Bearer nope"},
            timeout=10,
        )
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.text == "Invalid Bearer token"


def test_instance_404_serves_the_instance_only_without_a_trailing_slash() -> None:
    with _profile("instance-404") as fake:
        codes = {
            path: httpx.get(fake.url + path, timeout=10).status_code
            for path in ("/api/v2/instance", "/api/v2/instance/", "/api/v1/instance/")
        }
    assert codes == {"/api/v2/instance": 200, "/api/v2/instance/": 404, "/api/v1/instance/": 404}


def test_status_urls_are_https_whatever_the_fake_is_served_over(
    fake: FakeMastodon, client: httpx.Client
) -> None:
    assert fake.url.startswith("http://")
    status = _post(client, "Hello").json()
    assert status["url"].startswith("https://") and status["uri"].startswith("https://")
