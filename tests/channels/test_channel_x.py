"""XChannel end to end: the real tweepy and httpx clients against the fake X server.

Nothing in bot/ is patched; the only seam is ``api_base``, which sends the (already signed)
requests to the fake. Each X failure must come out as the ChannelError kind the worker relies on,
and no error may ever show a credential.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from bot.channels.base import (
    ChannelError,
    ErrorKind,
    MediaItem,
    Publication,
    texts_match,
)
from bot.channels.dryrun import DryRunChannel
from bot.channels.x.channel import XChannel
from bot.channels.x.credentials import XCredentials
from bot.channels.x.errors import classify_http_error, retry_time
from bot.channels.x.oauth1 import OAuth1
from tests.fakes.fake_x import FakeX
from tests.fakes.x_model import FaultMode

# Distinctive, so a leak anywhere in a message or repr is easy to find.
SECRETS = XCredentials(
    api_key="APIKEY-zz91-leak-check",
    api_secret="APISECRET-qq72-leak-check",
    access_token="1000-TOKEN-ww53-leak-check",
    access_token_secret="TOKENSECRET-pp14-leak-check",
)
TEXT = "Transformers, revisited: a careful ablation. https://arxiv.org/abs/2401.00001"


@pytest.fixture
def fake() -> Iterator[FakeX]:
    with FakeX(
        consumer_key=SECRETS.api_key,
        consumer_secret=SECRETS.api_secret,
        access_token=SECRETS.access_token,
        access_token_secret=SECRETS.access_token_secret,
    ) as server:
        yield server


@pytest.fixture
def channel(fake: FakeX) -> Iterator[XChannel]:
    x = XChannel(SECRETS, api_base=fake.url, timeout=2.0)
    yield x
    x.close()


def png(size: tuple[int, int] = (8, 8), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(color: str = "green") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), color).save(buffer, "JPEG")
    return buffer.getvalue()


def big_png() -> bytes:
    """Noise does not compress: about 1.4 MB, so it needs two 1 MiB APPEND chunks."""
    image = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    data = buffer.getvalue()
    assert len(data) > 1_048_576
    return data


def publish_error(channel: XChannel, text: str = TEXT, *media: MediaItem) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        channel.publish(Publication(text, tuple(media)))
    return caught.value


def assert_no_secrets(*things: object) -> None:
    for thing in things:
        for rendered in (str(thing), repr(thing)):
            for secret in SECRETS.values():
                assert secret not in rendered, f"secret leaked in {rendered!r}"


# -- publishing ---------------------------------------------------------------------------------


def test_post_text_only(fake: FakeX, channel: XChannel) -> None:
    published = channel.publish(Publication(TEXT))
    assert [p.text for p in fake.posts] == [TEXT]
    assert published.remote_id == fake.posts[0].id
    assert published.remote_url == f"https://x.com/i/status/{published.remote_id}"
    assert published.media_ids == ()
    assert published.posted_at is not None and published.posted_at.tzinfo is not None
    assert fake.routes_called() == ["create_tweet"]


def test_post_with_one_image_and_alt_text(fake: FakeX, channel: XChannel) -> None:
    image = png()
    published = channel.publish(Publication(TEXT, (MediaItem(image, "image/png", "Figure 1"),)))
    (post,) = fake.posts
    assert post.media_ids == published.media_ids
    assert post.alt_texts == ("Figure 1",)
    assert fake.media[published.media_ids[0]].data == image
    assert fake.routes_called() == [
        "media_initialize",
        "media_append",
        "media_finalize",
        "media_metadata",
        "create_tweet",
    ]


def test_post_with_four_images_one_chunked(fake: FakeX, channel: XChannel) -> None:
    images = (
        MediaItem(big_png(), "image/png", "Noise: the architecture diagram stand-in"),
        MediaItem(jpeg(), "image/jpeg", "Green square"),
        MediaItem(png(color="blue"), "image/png", "Blue square, 日本語の説明"),
        MediaItem(jpeg("yellow"), "image/jpeg", ""),
    )
    published = channel.publish(Publication(TEXT, images))
    (post,) = fake.posts
    assert len(published.media_ids) == 4
    assert all(isinstance(media_id, str) for media_id in published.media_ids)
    assert post.media_ids == published.media_ids
    # Alt texts arrived in order; an empty one is simply not sent.
    assert post.alt_texts == (
        "Noise: the architecture diagram stand-in",
        "Green square",
        "Blue square, 日本語の説明",
        None,
    )
    for item, media_id in zip(images, published.media_ids, strict=True):
        assert fake.media[media_id].data == item.data  # the chunks were reassembled intact
    assert fake.routes_called().count("media_append") == 5  # 2 for the big one, 1 each after
    assert fake.routes_called().count("media_metadata") == 3


def test_small_chunk_size_splits_every_image(fake: FakeX) -> None:
    channel = XChannel(SECRETS, api_base=fake.url, timeout=2.0, chunk_size=100)
    try:
        image = png((32, 32))
        published = channel.publish(Publication(TEXT, (MediaItem(image, "image/png", "x"),)))
    finally:
        channel.close()
    assert fake.media[published.media_ids[0]].data == image
    assert fake.routes_called().count("media_append") == -(-len(image) // 100)


def test_media_processing_is_awaited(fake: FakeX, channel: XChannel) -> None:
    fake.media_processing_polls = 2
    published = channel.publish(Publication(TEXT, (MediaItem(png(), "image/png", "alt"),)))
    assert fake.routes_called().count("media_status") == 2
    assert fake.posts[0].media_ids == published.media_ids


def test_failed_media_processing_is_invalid(fake: FakeX, channel: XChannel) -> None:
    fake.media_processing_polls = 1
    fake.fail_media_processing = True
    error = publish_error(channel, TEXT, MediaItem(png(), "image/png", "alt"))
    assert error.kind is ErrorKind.INVALID
    assert "Unsupported image" in error.message
    assert not error.maybe_posted
    assert fake.posts == []


def test_more_than_four_images_is_refused_before_any_request(
    fake: FakeX, channel: XChannel
) -> None:
    media = tuple(MediaItem(png(), "image/png", str(i)) for i in range(5))
    error = publish_error(channel, TEXT, *media)
    assert error.kind is ErrorKind.INVALID
    assert fake.requests == []


def test_overlong_alt_text_is_refused_before_upload(fake: FakeX, channel: XChannel) -> None:
    error = publish_error(channel, TEXT, MediaItem(png(), "image/png", "a" * 1001))
    assert error.kind is ErrorKind.INVALID
    assert "1000" in error.message
    assert fake.requests == []


# -- error classes ------------------------------------------------------------------------------


def test_server_error_on_create_may_have_posted(fake: FakeX, channel: XChannel) -> None:
    fake.fail_next("create_tweet", FaultMode.SERVER_ERROR, status=500)
    error = publish_error(channel)
    assert error.kind is ErrorKind.TRANSIENT
    assert error.maybe_posted
    assert error.status_code == 500


def test_server_error_during_upload_has_not_posted(fake: FakeX, channel: XChannel) -> None:
    fake.fail_next("media_append", FaultMode.SERVER_ERROR, status=503)
    error = publish_error(channel, TEXT, MediaItem(png(), "image/png", "alt"))
    assert error.kind is ErrorKind.TRANSIENT
    assert not error.maybe_posted
    assert error.status_code == 503
    assert "image 1" in error.message
    assert "create_tweet" not in fake.routes_called()


def test_rate_limited_uses_the_reset_header(fake: FakeX, channel: XChannel) -> None:
    reset = int(time.time()) + 600
    fake.fail_next("create_tweet", FaultMode.RATE_LIMITED, reset=reset)
    error = publish_error(channel)
    assert error.kind is ErrorKind.RATE_LIMITED
    assert error.retry_at == datetime.fromtimestamp(reset, UTC)
    assert not error.maybe_posted


def test_rate_limited_daily_quota_waits_for_the_24_hour_reset(
    fake: FakeX, channel: XChannel
) -> None:
    reset = int(time.time()) + 600
    daily = int(time.time()) + 20 * 3600
    fake.fail_next("create_tweet", FaultMode.RATE_LIMITED, reset=reset, user_reset=daily)
    error = publish_error(channel)
    assert error.retry_at == datetime.fromtimestamp(daily, UTC)


def test_rate_limited_with_past_reset_waits_15_minutes(fake: FakeX, channel: XChannel) -> None:
    fake.fail_next("create_tweet", FaultMode.RATE_LIMITED, reset=int(time.time()) - 60)
    before = datetime.now(UTC)
    error = publish_error(channel)
    assert error.retry_at is not None
    assert before + timedelta(minutes=14) < error.retry_at < before + timedelta(minutes=16)


def test_rate_limited_media_upload(fake: FakeX, channel: XChannel) -> None:
    reset = int(time.time()) + 300
    fake.fail_next("media_initialize", FaultMode.RATE_LIMITED, reset=reset)
    error = publish_error(channel, TEXT, MediaItem(png(), "image/png", "alt"))
    assert error.kind is ErrorKind.RATE_LIMITED
    assert error.retry_at == datetime.fromtimestamp(reset, UTC)


def test_unauthorized_is_auth(fake: FakeX, channel: XChannel) -> None:
    fake.fail_next("create_tweet", FaultMode.UNAUTHORIZED)
    error = publish_error(channel)
    assert error.kind is ErrorKind.AUTH
    assert error.status_code == 401
    assert "X_API_KEY" in error.message


def test_wrong_secret_is_auth_for_tweepy_and_httpx_paths(fake: FakeX) -> None:
    wrong = XCredentials(
        SECRETS.api_key, "WRONG-secret-xx11", SECRETS.access_token, SECRETS.access_token_secret
    )
    channel = XChannel(wrong, api_base=fake.url, timeout=2.0)
    try:
        text_error = publish_error(channel)  # tweepy → requests-oauthlib
        media_error = publish_error(  # httpx → bot.channels.x.oauth1
            channel, TEXT, MediaItem(png(), "image/png", "alt")
        )
        with pytest.raises(ChannelError) as whoami_error:
            channel.whoami()
    finally:
        channel.close()
    for error in (text_error, media_error, whoami_error.value):
        assert error.kind is ErrorKind.AUTH
        assert "WRONG-secret-xx11" not in repr(error)


def test_forbidden_permissions_is_auth(fake: FakeX, channel: XChannel) -> None:
    fake.fail_next("create_tweet", FaultMode.FORBIDDEN_PERMISSIONS)
    error = publish_error(channel)
    assert error.kind is ErrorKind.AUTH
    assert error.status_code == 403
    assert "Read and write" in error.message


def test_not_permitted_wording_is_auth(fake: FakeX, channel: XChannel) -> None:
    fake.fail_next(
        "create_tweet",
        FaultMode.FORBIDDEN_PERMISSIONS,
        message="You are not permitted to perform this action.",
    )
    assert publish_error(channel).kind is ErrorKind.AUTH


def test_duplicate_is_duplicate(fake: FakeX, channel: XChannel) -> None:
    channel.publish(Publication(TEXT))
    error = publish_error(channel)
    assert error.kind is ErrorKind.DUPLICATE
    assert "duplicate content" in error.message
    assert len(fake.posts) == 1


def test_bad_request_is_invalid_with_xs_message(fake: FakeX, channel: XChannel) -> None:
    fake.fail_next("create_tweet", FaultMode.INVALID, message="The reply_settings are invalid.")
    error = publish_error(channel)
    assert error.kind is ErrorKind.INVALID
    assert error.status_code == 400
    assert "The reply_settings are invalid." in error.message


def test_too_long_text_is_invalid(channel: XChannel) -> None:
    error = publish_error(channel, "x" * 281)
    assert error.kind is ErrorKind.INVALID
    assert "too long" in error.message


def test_drop_before_is_transient_and_maybe_posted(fake: FakeX, channel: XChannel) -> None:
    fake.fail_next("create_tweet", FaultMode.DROP_BEFORE)
    error = publish_error(channel)
    assert error.kind is ErrorKind.TRANSIENT
    assert error.maybe_posted  # the client cannot tell the two drops apart
    assert fake.posts == []
    assert channel.recent_posts(datetime.now(UTC) - timedelta(minutes=5)) == []


def test_drop_after_is_settled_from_the_timeline(fake: FakeX, channel: XChannel) -> None:
    started = datetime.now(UTC) - timedelta(seconds=5)
    fake.fail_next("create_tweet", FaultMode.DROP_AFTER)
    error = publish_error(channel)
    assert error.kind is ErrorKind.TRANSIENT
    assert error.maybe_posted
    assert [p.text for p in fake.posts] == [TEXT]
    (remote,) = channel.recent_posts(started)
    assert remote.remote_id == fake.posts[0].id
    assert remote.text == TEXT  # X shows t.co links; the channel expands them (entities.urls)
    assert texts_match(TEXT, remote.text)
    assert remote.remote_url == f"https://x.com/paperbot_test/status/{remote.remote_id}"
    assert remote.created_at is not None and remote.created_at.tzinfo is not None


@pytest.mark.parametrize("images", [1, 2, 4])
def test_lost_post_with_figures_reads_back_as_posted(
    fake: FakeX, channel: XChannel, images: int
) -> None:
    """X appends a t.co link for the media; read back, the text is the one we sent."""
    started = datetime.now(UTC) - timedelta(seconds=5)
    text = "Figure 3: 训练曲线 🎉 code at github.com/foo/bar. " + TEXT
    media = tuple(MediaItem(png(color=c), "image/png", c) for c in ("red", "blue", "teal", "tan"))
    fake.fail_next("create_tweet", FaultMode.DROP_AFTER)
    assert publish_error(channel, text, *media[:images]).maybe_posted
    [post] = fake.posts
    assert post.shown.count("https://t.co/") == 3  # two links and the media
    (remote,) = channel.recent_posts(started)
    assert remote.text == text.replace("github.com", "http://github.com")
    assert texts_match(text, remote.text)


def test_a_write_only_access_level_refuses_reads_but_not_posts(
    fake: FakeX, channel: XChannel
) -> None:
    fake.write_only = True
    channel.publish(Publication(TEXT))
    assert channel.whoami() == "@paperbot_test"
    with pytest.raises(ChannelError) as caught:
        channel.recent_posts(datetime.now(UTC) - timedelta(minutes=5))
    error = caught.value
    assert error.kind is ErrorKind.READ_REFUSED  # not AUTH: nothing to pause
    assert error.status_code == 403 and "error 453" in error.message
    assert not error.maybe_posted


def test_error_453_while_posting_is_an_access_level_problem() -> None:
    body = {"errors": [{"message": "You currently have access to a subset of ...", "code": 453}]}
    posting = classify_http_error(403, {}, body, what="posting", creating=True)
    assert posting.kind is ErrorKind.AUTH and "access level" in posting.message
    reading = classify_http_error(403, {}, body, what="reading", creating=False, reading=True)
    assert reading.kind is ErrorKind.READ_REFUSED and "access level" in reading.message


def test_slow_answer_times_out_as_maybe_posted(fake: FakeX) -> None:
    channel = XChannel(SECRETS, api_base=fake.url, timeout=0.3)
    fake.fail_next("create_tweet", FaultMode.DELAY, delay=1.0)
    try:
        error = publish_error(channel)
    finally:
        channel.close()
    assert error.kind is ErrorKind.TRANSIENT
    assert error.maybe_posted
    assert "timed out" in error.message


def test_connection_refused_has_not_posted() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = XChannel(SECRETS, api_base=f"http://127.0.0.1:{port}", timeout=1.0)
    try:
        error = publish_error(channel)
        media_error = publish_error(channel, TEXT, MediaItem(png(), "image/png", "alt"))
    finally:
        channel.close()
    assert error.kind is ErrorKind.TRANSIENT
    assert not error.maybe_posted
    assert media_error.kind is ErrorKind.TRANSIENT
    assert not media_error.maybe_posted


def test_media_connection_drop_is_transient(fake: FakeX, channel: XChannel) -> None:
    fake.fail_next("media_finalize", FaultMode.DROP_AFTER)
    error = publish_error(channel, TEXT, MediaItem(png(), "image/png", "alt"))
    assert error.kind is ErrorKind.TRANSIENT
    assert not error.maybe_posted
    assert fake.posts == []


# -- secrets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "mode"),
    [
        ("create_tweet", FaultMode.SERVER_ERROR),
        ("create_tweet", FaultMode.RATE_LIMITED),
        ("create_tweet", FaultMode.UNAUTHORIZED),
        ("create_tweet", FaultMode.FORBIDDEN_PERMISSIONS),
        ("create_tweet", FaultMode.INVALID),
        ("create_tweet", FaultMode.DROP_BEFORE),
        ("create_tweet", FaultMode.DROP_AFTER),
        ("media_initialize", FaultMode.SERVER_ERROR),
        ("media_append", FaultMode.UNAUTHORIZED),
        ("media_finalize", FaultMode.DROP_BEFORE),
        ("media_metadata", FaultMode.INVALID),
    ],
)
def test_no_error_shows_a_secret(
    fake: FakeX, channel: XChannel, route: str, mode: FaultMode
) -> None:
    fake.fail_next(route, mode)
    error = publish_error(channel, TEXT, MediaItem(png(), "image/png", "alt"))
    assert_no_secrets(error, error.message, error.__cause__, error.__context__)


def test_reprs_hide_secrets(channel: XChannel) -> None:
    auth = OAuth1(*SECRETS.values())
    assert_no_secrets(SECRETS, channel, auth)
    assert "hidden" in repr(SECRETS)


def test_secret_echoed_by_x_is_scrubbed() -> None:
    body = {"detail": f'bad key {SECRETS.api_key} with oauth_signature="abc%3D"'}
    error = classify_http_error(
        400, {}, body, what="posting", creating=True, secrets=SECRETS.values()
    )
    assert_no_secrets(error)
    assert "abc%3D" not in error.message


# -- the rest of the protocol -------------------------------------------------------------------


def test_whoami(fake: FakeX, channel: XChannel) -> None:
    assert channel.whoami() == "@paperbot_test"
    assert fake.routes_called() == ["get_me"]


def test_recent_posts_pages_and_caches_the_account(fake: FakeX, channel: XChannel) -> None:
    now = datetime.now(UTC)
    fake.add_post("too old", created_at=now - timedelta(days=2))
    for i in range(150):
        fake.add_post(f"post {i}", created_at=now - timedelta(minutes=150 - i))
    posts = channel.recent_posts(now - timedelta(days=1))
    assert len(posts) == 150
    assert posts[0].text == "post 149"  # newest first
    channel.recent_posts(now - timedelta(hours=1))
    assert fake.routes_called().count("get_me") == 1
    # X bills each post a read returns: a small first page, so a narrow window reads little;
    # then full pages (150 posts: 10 + 100 + 40; the last hour's 60: 10 + 50).
    assert fake.routes_called().count("user_tweets") == 3 + 2


def test_recent_posts_reads_only_the_window_and_logs_what_x_bills(
    fake: FakeX, channel: XChannel
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    for i in range(30):
        fake.add_post(f"post {i}", created_at=now - timedelta(minutes=30 - i))
    posts = channel.recent_posts(now - timedelta(minutes=10), now - timedelta(minutes=5))
    assert [p.text for p in posts] == [f"post {i}" for i in range(25, 19, -1)]
    [read] = channel.charges.drain()
    assert read.kind == "post_read" and read.amount == 5_000
    assert sorted(read.remote_ids) == sorted(p.remote_id for p in posts)
    assert [line.kind for line in fake.bill] == ["post_read"] * 6
    assert channel.charges.drain() == []


def test_recent_posts_read_only_the_window_without_replies_or_reposts(
    fake: FakeX, channel: XChannel
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    sent = now - timedelta(hours=3)
    fake.add_post("before", created_at=sent - timedelta(minutes=20))
    fake.add_post("ours", created_at=sent + timedelta(seconds=2))
    fake.add_post("a reply", created_at=sent + timedelta(seconds=3), kind="reply")
    fake.add_post("a repost", created_at=sent + timedelta(seconds=4), kind="repost")
    for i in range(250):  # a busy account since: newer than the window, never read
        fake.add_post(f"later {i}", created_at=sent + timedelta(minutes=30, seconds=i))
    posts = channel.recent_posts(sent - timedelta(minutes=10), sent + timedelta(minutes=10))
    assert [p.text for p in posts] == ["ours"]
    assert fake.routes_called().count("user_tweets") == 1


def test_recent_posts_that_cannot_cover_the_window_never_pass_for_not_posted(
    fake: FakeX, channel: XChannel
) -> None:
    now = datetime.now(UTC)
    for i in range(3201):  # more than X serves of a timeline
        fake.add_post(f"post {i}", created_at=now - timedelta(seconds=3300 - i))
    with pytest.raises(ChannelError) as caught:
        channel.recent_posts(now - timedelta(hours=1))
    assert caught.value.kind is ErrorKind.TRANSIENT
    assert "could not be read to the end of that window" in caught.value.message
    assert fake.routes_called().count("user_tweets") == 1 + 32


def test_importing_the_module_does_not_import_tweepy() -> None:
    code = (
        "import sys, bot.channels.x.channel; "
        "assert 'tweepy' not in sys.modules and 'httpx' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


# -- pure helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "remote", "expected"),
    [
        (TEXT, "Transformers, revisited: a careful ablation. https://t.co/abc123", True),
        ("Q&A <3 https://a.example/x", "Q&amp;A &lt;3 https://t.co/x", True),
        ("  spaced\n\nout  ", "spaced out", True),
        ("caf\u0065\u0301", "caf\u00e9", True),
        ("one text", "another text", False),
        ("see https://a.example/1 and https://a.example/2", "see https://t.co/1", False),
    ],
)
def test_texts_match(local: str, remote: str, expected: bool) -> None:
    assert texts_match(local, remote) is expected


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (500, None, ErrorKind.TRANSIENT),
        (502, "not json", ErrorKind.TRANSIENT),
        (401, {"title": "Unauthorized"}, ErrorKind.AUTH),
        (
            403,
            {"detail": "You are not allowed to create a Tweet with duplicate content."},
            ErrorKind.DUPLICATE,
        ),
        (403, {"type": "https://api.twitter.com/2/problems/oauth1-permissions"}, ErrorKind.AUTH),
        (403, {"detail": "You are not permitted to perform this action."}, ErrorKind.AUTH),
        (403, {"detail": "You cannot reply to this post."}, ErrorKind.INVALID),
        (400, {"errors": [{"message": "Your media IDs are invalid."}]}, ErrorKind.INVALID),
        (404, None, ErrorKind.INVALID),
        (429, None, ErrorKind.RATE_LIMITED),
    ],
)
def test_classify_http_error(status: int, body: object, kind: ErrorKind) -> None:
    error = classify_http_error(status, {}, body, what="posting", creating=True)
    assert error.kind is kind
    assert error.maybe_posted is (status >= 500)
    assert error.status_code == status


def test_retry_time_prefers_the_exhausted_daily_quota() -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    window = int((now + timedelta(minutes=10)).timestamp())
    daily = int((now + timedelta(hours=9)).timestamp())
    headers = {
        "x-rate-limit-reset": str(window),
        "x-user-limit-24hour-remaining": "0",
        "x-user-limit-24hour-reset": str(daily),
    }
    assert retry_time(headers, now=now) == datetime.fromtimestamp(daily, UTC)
    headers["x-user-limit-24hour-remaining"] = "3"
    assert retry_time(headers, now=now) == datetime.fromtimestamp(window, UTC)
    assert retry_time({}, now=now) == now + timedelta(minutes=15)


def test_dry_run_channel_records_without_network() -> None:
    channel = DryRunChannel()
    first = channel.publish(Publication(TEXT, (MediaItem(png(), "image/png", "alt"),)))
    again = channel.publish(Publication(TEXT))
    assert first.remote_id == again.remote_id
    assert first.remote_id.startswith("dry-run-") and len(first.remote_id) == len("dry-run-") + 12
    assert first.remote_url == f"dry-run://{first.remote_id}"
    assert [p.text for p in channel.publications] == [TEXT, TEXT]
    assert len(channel.recent_posts(datetime.now(UTC) - timedelta(minutes=1))) == 2
    assert channel.whoami() == "@dry-run"
    assert channel.name == "dry-run"
