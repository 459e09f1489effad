"""The Mastodon channel on servers that speak Mastodon's API but are not Mastodon.

Each fake profile (tests/fakes/mastodon_model.py ``PROFILES``) answers as a real server did
(FACTS.md, "Seen on real servers"); the real Mastodon.py talks to it over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.channels.base import ChannelError, ErrorKind, Publication
from bot.channels.mastodon.account import AccountFile, account_path
from bot.channels.mastodon.channel import MastodonChannel
from bot.channels.mastodon.limits import (
    FAILED_MAX_AGE,
    cache_path,
    cached_limits,
    learned_links_in_full,
    remember_links_in_full,
)
from bot.text.compose import ComposeInput
from bot.text.mastodon import LINKS_IN_FULL
from bot.text.per_channel import compose_for
from tests.fakes.fake_mastodon import FakeMastodon
from tests.fakes.http_server import FakeHTTPServer
from tests.fakes.mastodon_model import PROFILES, FaultMode
from tests.fakes.mastodon_text import status_length

LINK = "https://arxiv.org/abs/2401.00001"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _channel(fake: FakeMastodon, tmp_path: Path, **options: object) -> MastodonChannel:
    token = str(options.pop("token", fake.access_token))
    return MastodonChannel(
        api_base_url=fake.url,
        access_token=token,
        timeout=10,
        media_poll_tries=3,
        sleep=lambda _: None,
        account_file=AccountFile(account_path(tmp_path / "paperbot.db"), fake.url, token),
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(params=sorted(PROFILES))
def profile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fake(profile: str) -> Iterator[FakeMastodon]:
    with FakeMastodon(profile=profile) as server:
        yield server


def test_posting_and_finding_the_post_again_on_every_profile(
    fake: FakeMastodon, tmp_path: Path
) -> None:
    publication = Publication(f"A short note on attention.\n{LINK}")
    channel = _channel(fake, tmp_path)
    try:
        published = channel.publish(publication, request_key="key-1")
        assert published.remote_url.startswith("https://")
    finally:
        channel.close()
    # A later process, no memory but the file beside the database, finds it by its link.
    later = _channel(fake, tmp_path)
    try:
        found = later.find_published("key-1", publication, fake.now() - timedelta(minutes=5))
    finally:
        later.close()
    assert found is not None and found.remote_id == published.remote_id
    assert fake.calls("/api/v1/statuses", "POST") == 1


def test_limits_are_read_without_the_trailing_slash_on_every_profile(
    fake: FakeMastodon, tmp_path: Path
) -> None:
    fake.max_characters = 1000
    channel = _channel(fake, tmp_path)
    try:
        assert channel.instance_limits().max_characters == 1000
    finally:
        channel.close()
    assert fake.server.paths() == ["/api/v2/instance"]


@pytest.mark.parametrize("profile", ["mastodon4", "plaintext-400-auth"])
def test_a_bad_token_in_any_shape_is_auth_with_the_fix(fake: FakeMastodon, tmp_path: Path) -> None:
    channel = _channel(fake, tmp_path, token="not-the-token")
    try:
        for call in (
            channel.whoami,
            lambda: channel.publish(Publication("Hello"), request_key="k"),
            lambda: channel.find_published("k", Publication("Hello"), fake.now()),
        ):
            with pytest.raises(ChannelError) as caught:
                call()
            assert caught.value.kind is ErrorKind.AUTH, caught.value
            assert "check the access token" in caught.value.message
            assert "not-the-token" not in caught.value.message
    finally:
        channel.close()
    if fake.profile == "plaintext-400-auth":
        assert "400: Invalid Bearer token" in caught.value.message
    assert not fake.statuses


def test_a_400_that_is_not_about_the_token_stays_a_refusal(tmp_path: Path) -> None:
    with FakeMastodon(profile="plaintext-400-auth") as fake:
        fake.fail_next("create_status", FaultMode.SERVER_ERROR, status=400)
        channel = _channel(fake, tmp_path)
        try:
            with pytest.raises(ChannelError) as caught:
                channel.publish(Publication("Hello"), request_key="k")
        finally:
            channel.close()
    assert caught.value.kind is ErrorKind.INVALID and caught.value.status_code == 400


@pytest.mark.parametrize("profile", ["read-scope-verify"])
def test_verify_credentials_wanting_read_names_the_scope_and_never_pauses(
    fake: FakeMastodon, tmp_path: Path
) -> None:
    channel = _channel(fake, tmp_path)
    try:
        with pytest.raises(ChannelError) as who:
            channel.whoami()
        with pytest.raises(ChannelError) as lookup:
            channel.find_published("k", Publication("Hello"), fake.now())
    finally:
        channel.close()
    for caught in (who, lookup):
        assert caught.value.kind is ErrorKind.READ_REFUSED  # a decision, not a paused channel
        assert "the whole `read` scope" in caught.value.message
    # Once a post has shown the account, the next process knows it without verify_credentials.
    poster = _channel(fake, tmp_path)
    try:
        poster.publish(Publication(f"Note.\n{LINK}"), request_key="k2")
    finally:
        poster.close()
    later = _channel(fake, tmp_path)
    try:
        assert later.whoami() == "@paperbot"
        assert later.find_published("k2", Publication(f"Note.\n{LINK}"), NOW - timedelta(days=9))
    finally:
        later.close()
    # Another token may be another account: what was learned for this one is not used.
    fake.access_token = "another-token"
    other = _channel(fake, tmp_path, token="another-token")
    try:
        with pytest.raises(ChannelError) as caught:
            other.whoami()
    finally:
        other.close()
    assert caught.value.kind is ErrorKind.READ_REFUSED


@pytest.mark.parametrize("profile", ["read-scope-verify"])
def test_a_token_with_the_read_scope_is_asked_directly(fake: FakeMastodon, tmp_path: Path) -> None:
    fake.scopes = frozenset({"read", "write"})
    channel = _channel(fake, tmp_path)
    try:
        assert channel.whoami() == "@paperbot"
    finally:
        channel.close()


def _entry(comment: str) -> ComposeInput:
    return ComposeInput(url="https://example.org/" + "p" * 70, comment=comment, title="")


@pytest.mark.parametrize("profile", ["full-length-links"])
def test_too_long_with_links_in_full_composes_again_once(
    fake: FakeMastodon, tmp_path: Path
) -> None:
    entry = _entry("We measure attention across " + "many long layers " * 40)
    draft = compose_for("mastodon", entry)
    assert draft.length <= 500 < status_length(draft.composed, None)  # fits only at 23 a link
    learned: list[bool] = []
    channel = _channel(fake, tmp_path, on_links_in_full=lambda: learned.append(True))
    try:
        with pytest.raises(ChannelError) as first:
            channel.publish(Publication(draft.composed), request_key="k")
        assert first.value.kind is ErrorKind.TRANSIENT and not first.value.maybe_posted
        assert learned == [True] and "links at full length" in first.value.message
        # Still too long after that: a refusal for good, and nothing learned twice.
        with pytest.raises(ChannelError) as second:
            channel.publish(Publication(draft.composed), request_key="k")
        assert second.value.kind is ErrorKind.INVALID and learned == [True]
        again = compose_for("mastodon", entry, mastodon_url_length=LINKS_IN_FULL)
        assert status_length(again.composed, None) <= 500
        channel.publish(Publication(again.composed), request_key="k")
    finally:
        channel.close()
    assert [s.text for s in fake.statuses] == [again.composed]


@pytest.mark.parametrize("profile", ["mastodon4"])
def test_too_long_without_links_to_blame_fails_at_once(fake: FakeMastodon, tmp_path: Path) -> None:
    learned: list[bool] = []
    channel = _channel(fake, tmp_path, on_links_in_full=lambda: learned.append(True))
    try:
        with pytest.raises(ChannelError) as caught:
            channel.publish(Publication("a" * 501), request_key="k")
    finally:
        channel.close()
    assert caught.value.kind is ErrorKind.INVALID and not learned


def test_links_in_full_is_remembered_across_refreshes_of_the_limits(tmp_path: Path) -> None:
    path = cache_path(tmp_path / "paperbot.db")
    with FakeMastodon(profile="full-length-links") as fake:
        channel = _channel(fake, tmp_path)
        try:
            first = cached_limits(path, channel.instance_limits, instance=fake.url, now=NOW)
            assert not first.links_in_full
            remember_links_in_full(path, instance=fake.url, now=NOW)
            later = NOW + timedelta(days=2)  # stale: read again, and what was learned stays
            again = cached_limits(path, channel.instance_limits, instance=fake.url, now=later)
        finally:
            channel.close()
        instance = fake.url
    assert again.links_in_full and learned_links_in_full(path, instance=instance)
    assert not learned_links_in_full(path, instance="https://other.example")


def test_unreadable_limits_are_defaults_cached_for_an_hour(tmp_path: Path) -> None:
    path = cache_path(tmp_path / "paperbot.db")
    with FakeHTTPServer() as nothing:  # answers 404 everywhere
        channel = MastodonChannel(api_base_url=nothing.url(""), access_token="t", timeout=5)
        try:
            read = [
                cached_limits(path, channel.instance_limits, instance="i", now=NOW + after)
                for after in (timedelta(0), timedelta(minutes=30), FAILED_MAX_AGE * 2)
            ]
        finally:
            channel.close()
        asked = nothing.paths()
    assert all(limits.max_characters == 500 and limits.unread for limits in read)
    assert "neither /api/v2/instance nor /api/v1/instance" in read[0].unread
    assert asked == ["/api/v2/instance", "/api/v1/instance"] * 2  # not at 30 minutes
