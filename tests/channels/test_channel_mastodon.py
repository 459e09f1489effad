"""The Mastodon channel: the real Mastodon.py over real HTTP against the fake instance."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.channels.base import ChannelError, ErrorKind, MediaItem, Publication
from bot.channels.mastodon.channel import MastodonChannel
from bot.channels.mastodon.limits import cache_path, cached_limits, load_cached, store
from bot.channels.mastodon.statuses import html_to_text
from tests.fakes.fake_mastodon import FakeMastodon
from tests.fakes.mastodon_model import FaultMode

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
BIG_PNG = PNG * 100
LINK = "https://arxiv.org/abs/2401.00001"


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    with FakeMastodon(large_media_bytes=1024, processing_polls=2) as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def channel(fake: FakeMastodon, sleeps: list[float]) -> Iterator[MastodonChannel]:
    made = MastodonChannel(
        api_base_url=fake.url,
        access_token=fake.access_token,
        timeout=10,
        media_poll_interval=1.5,
        media_poll_tries=5,
        sleep=sleeps.append,
    )
    yield made
    made.close()


def _since(fake: FakeMastodon) -> datetime:
    return fake.now() - timedelta(minutes=5)


def test_importing_the_module_does_not_import_mastodon_py() -> None:
    code = "import sys, bot.channels.mastodon.channel; print('mastodon' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_building_the_channel_asks_the_instance_nothing(fake: FakeMastodon) -> None:
    MastodonChannel(api_base_url=fake.url, access_token=fake.access_token).close()
    assert fake.server.requests == []


def test_whoami(channel: MastodonChannel) -> None:
    assert channel.whoami() == "@paperbot"


def test_instance_limits_from_v2_then_v1(fake: FakeMastodon, channel: MastodonChannel) -> None:
    fake.max_characters, fake.description_limit = 1000, 1200
    limits = channel.instance_limits()
    assert (limits.max_characters, limits.characters_reserved_per_url) == (1000, 23)
    assert (limits.description_limit, limits.max_media_attachments) == (1200, 4)
    fake.serve_v2_instance = False
    assert channel.instance_limits().max_characters == 1000
    assert fake.calls("/api/v1/instance") == 1
    assert not [p for p in fake.server.paths() if p.endswith("/instance/")]


def test_limits_cache_beside_the_database(
    fake: FakeMastodon, channel: MastodonChannel, tmp_path: Path
) -> None:
    path = cache_path(tmp_path / "paperbot.db")
    assert path.name == "paperbot.db.mastodon-instance.json"
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    fetch = channel.instance_limits
    first = cached_limits(path, fetch, instance=fake.url, now=now)
    again = cached_limits(path, fetch, instance=fake.url, now=now + timedelta(hours=23))
    assert first == again and fake.calls("/api/v2/instance") == 1
    cached_limits(path, fetch, instance=fake.url, now=now + timedelta(hours=25))
    assert fake.calls("/api/v2/instance") == 2
    assert load_cached(path, instance="https://other.example", now=now) is None
    path.write_text("{not json", encoding="utf-8")
    assert load_cached(path, instance=fake.url, now=now) is None
    store(path, first, instance=fake.url, now=now)
    assert load_cached(path, instance=fake.url, now=now - timedelta(hours=1)) is None  # future


def test_publish_with_descriptions_waits_out_processing(
    fake: FakeMastodon, channel: MastodonChannel, sleeps: list[float]
) -> None:
    publication = Publication(
        f"A new paper {LINK}",
        (MediaItem(PNG, "image/png", "small figure"), MediaItem(BIG_PNG, "image/png", "big one")),
    )
    published = channel.publish(publication, request_key=channel.new_request_key())
    [status] = fake.statuses
    assert status.text == publication.text
    assert status.descriptions == ("small figure", "big one")
    assert published.remote_id == status.id
    assert published.media_ids == status.media_ids
    assert published.remote_url.endswith(f"/@paperbot/{status.id}")
    assert published.posted_at is not None and published.posted_at.tzinfo is not None
    assert sleeps == [1.5, 1.5, 1.5]  # two 206 answers, then the 200
    assert fake.calls("/api/v2/media") == 2


def test_media_that_never_finishes_posts_nothing(
    fake: FakeMastodon, channel: MastodonChannel, sleeps: list[float]
) -> None:
    fake.processing_polls = 100
    publication = Publication("slow", (MediaItem(BIG_PNG, "image/png", "alt"),))
    with pytest.raises(ChannelError) as caught:
        channel.publish(publication, request_key="k")
    assert caught.value.kind is ErrorKind.TRANSIENT and not caught.value.maybe_posted
    assert len(sleeps) == 5 and fake.statuses == []


def test_lost_answer_resent_with_the_same_key_within_the_hour(
    fake: FakeMastodon, channel: MastodonChannel
) -> None:
    publication = Publication(f"Lost answer {LINK}", (MediaItem(PNG, "image/png", "fig"),))
    key = channel.new_request_key()
    fake.fail_next("create_status", FaultMode.DROP_AFTER)
    with pytest.raises(ChannelError) as caught:
        channel.publish(publication, request_key=key)
    assert caught.value.kind is ErrorKind.TRANSIENT and caught.value.maybe_posted
    fake.advance(timedelta(minutes=50))
    published = channel.publish(publication, request_key=key)
    assert [s.id for s in fake.statuses] == [published.remote_id]


def test_after_the_hour_settled_from_account_statuses_by_link(
    fake: FakeMastodon, channel: MastodonChannel
) -> None:
    since = _since(fake)
    sibling = Publication("Same sentence https://arxiv.org/abs/2401.99999")
    channel.publish(sibling, request_key=channel.new_request_key())
    publication = Publication(f"Same sentence {LINK}", (MediaItem(PNG, "image/png", "f"),))
    key = channel.new_request_key()
    fake.fail_next("create_status", FaultMode.DROP_AFTER)
    with pytest.raises(ChannelError):
        channel.publish(publication, request_key=key)
    fake.advance(timedelta(minutes=61))
    for n in range(90):  # later statuses push it to the third page of 40
        fake.add_status(f"later status {n}")
    found = channel.find_published(key, publication, since)
    lost = fake.statuses[1]
    assert found is not None and found.remote_id == lost.id
    assert found.media_ids == lost.media_ids
    assert len(fake.statuses) == 92
    assert fake.calls(f"/api/v1/accounts/{fake.account_id}/statuses") == 3


def test_not_found_means_safe_to_send_again(fake: FakeMastodon, channel: MastodonChannel) -> None:
    since = _since(fake)
    publication = Publication(f"Never arrived {LINK}")
    key = channel.new_request_key()
    fake.fail_next("create_status", FaultMode.DROP_BEFORE)
    with pytest.raises(ChannelError):
        channel.publish(publication, request_key=key)
    fake.advance(timedelta(minutes=61))
    fake.add_status("Never arrived https://arxiv.org/abs/2401.55555")  # other link: not ours
    assert channel.find_published(key, publication, since) is None
    channel.publish(publication, request_key=key)
    assert [s.text for s in fake.statuses].count(publication.text) == 1


def test_statuses_before_since_are_not_read(fake: FakeMastodon, channel: MastodonChannel) -> None:
    fake.add_status(f"Old {LINK}", created_at=fake.now() - timedelta(days=2))
    assert channel.find_published("k", Publication(f"Old {LINK}"), _since(fake)) is None
    posts = channel.recent_posts(fake.now() - timedelta(days=3))
    assert [p.text for p in posts] == [f"Old {LINK}"]


def test_too_many_statuses_to_be_sure_is_transient(fake: FakeMastodon) -> None:
    for n in range(81):
        fake.add_status(f"status {n}")
    narrow = MastodonChannel(api_base_url=fake.url, access_token=fake.access_token, max_pages=2)
    with pytest.raises(ChannelError) as caught:
        narrow.find_published("k", Publication("missing"), _since(fake))
    assert caught.value.kind is ErrorKind.TRANSIENT
    narrow.close()


def test_401_is_auth_and_never_shows_the_token(
    fake: FakeMastodon, channel: MastodonChannel
) -> None:
    fake.reject_token = True
    for call in (channel.whoami, lambda: channel.publish(Publication("x"), request_key="k")):
        with pytest.raises(ChannelError) as caught:
            call()
        assert caught.value.kind is ErrorKind.AUTH and caught.value.status_code == 401
        assert fake.access_token not in str(caught.value) + repr(caught.value)
    assert fake.access_token not in repr(channel)


def test_422_is_invalid_with_the_server_message(channel: MastodonChannel) -> None:
    with pytest.raises(ChannelError) as caught:
        channel.publish(Publication("a" * 501), request_key="k")
    assert caught.value.kind is ErrorKind.INVALID and not caught.value.maybe_posted
    assert "Text character limit of 500 exceeded" in caught.value.message


def test_429_gives_retry_at_without_retrying_or_sleeping(
    fake: FakeMastodon, channel: MastodonChannel
) -> None:
    reset = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=4)
    fake.fail_next("create_status", FaultMode.RATE_LIMITED, reset=reset)
    with pytest.raises(ChannelError) as caught:
        channel.publish(Publication("x"), request_key="k")
    error = caught.value
    assert error.kind is ErrorKind.RATE_LIMITED and not error.maybe_posted
    assert error.retry_at is not None
    assert abs((error.retry_at - reset).total_seconds()) <= 2  # Date header has 1 s resolution
    assert fake.calls("/api/v1/statuses") == 1  # no retry inside the call
    assert fake.statuses == []


def test_server_errors_and_timeouts_on_create_may_have_posted(
    fake: FakeMastodon, sleeps: list[float]
) -> None:
    quick = MastodonChannel(api_base_url=fake.url, access_token=fake.access_token, timeout=0.5)
    fake.fail_next("create_status", FaultMode.SERVER_ERROR, status=502)
    with pytest.raises(ChannelError) as caught:
        quick.publish(Publication("x"), request_key="k1")
    assert caught.value.kind is ErrorKind.TRANSIENT and caught.value.maybe_posted
    fake.fail_next("create_status", FaultMode.DELAY, delay=30)
    with pytest.raises(ChannelError) as caught:
        quick.publish(Publication("slow"), request_key="k2")
    assert caught.value.kind is ErrorKind.TRANSIENT and caught.value.maybe_posted
    assert "timed out" in caught.value.message
    assert quick.publish(Publication("slow"), request_key="k2").remote_id == fake.statuses[0].id
    fake.fail_next("media_upload", FaultMode.SERVER_ERROR)
    with pytest.raises(ChannelError) as caught:
        quick.publish(Publication("img", (MediaItem(PNG, "image/png", ""),)), request_key="k3")
    assert caught.value.kind is ErrorKind.TRANSIENT and not caught.value.maybe_posted
    assert len(fake.statuses) == 1
    quick.close()


def test_html_to_text_reads_real_mastodon_markup() -> None:
    content = (
        '<p>New: <a href="https://arxiv.org/abs/2401.00001" target="_blank" rel="nofollow '
        'noopener" translate="no"><span class="invisible">https://</span><span class="">'
        'arxiv.org/abs/2401.00001</span><span class="invisible"></span></a> by <span '
        'class="h-card" translate="no"><a href="https://sigmoid.social/@ana" class="u-url '
        'mention">@<span>ana</span></a></span> <a href="https://example.social/tags/ML" '
        'class="mention hashtag" rel="tag">#<span>ML</span></a></p><p>Q&amp;A<br />end</p>'
    )
    assert html_to_text(content) == (
        "New: https://arxiv.org/abs/2401.00001 by @ana #ML\n\nQ&A\nend"
    )


def test_an_unreachable_instance_is_transient_and_provably_not_posted() -> None:
    with FakeMastodon() as gone:
        url, token = gone.url, gone.access_token
    unreachable = MastodonChannel(api_base_url=url, access_token=token, timeout=5)
    with pytest.raises(ChannelError) as caught:
        unreachable.publish(Publication("x"), request_key="k")
    assert caught.value.kind is ErrorKind.TRANSIENT and not caught.value.maybe_posted
    assert "could not connect" in caught.value.message
    unreachable.close()


def test_a_dropped_create_may_have_posted(fake: FakeMastodon, channel: MastodonChannel) -> None:
    fake.fail_next("create_status", FaultMode.DROP_BEFORE)
    with pytest.raises(ChannelError) as caught:
        channel.publish(Publication("x"), request_key="k")
    assert caught.value.kind is ErrorKind.TRANSIENT and caught.value.maybe_posted
    assert fake.statuses == []


def test_too_many_images_fail_before_any_upload(fake: FakeMastodon) -> None:
    narrow = MastodonChannel(api_base_url=fake.url, access_token=fake.access_token, max_media=2)
    images = tuple(MediaItem(PNG, "image/png", f"fig {n}") for n in range(3))
    with pytest.raises(ChannelError) as caught:
        narrow.publish(Publication("three", images), request_key="k")
    assert caught.value.kind is ErrorKind.INVALID
    assert fake.server.requests == []
    narrow.close()
