"""BlueskyChannel end to end: the real atproto SDK over real HTTP against the fake PDS.

Nothing in bot/ is patched; the only seam is ``service``, the PDS URL. Covered: one login per
process start (the session file is reused and kept fresh), expired tokens, images with alt text
and aspect ratio (shrunk only when over the server's limit), exactly once by record key through
lost answers and duplicate-key 500s, and each failure as the ChannelError kind the worker uses,
never showing a secret.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.channels.base import ChannelError, ErrorKind, MediaItem, Publication, texts_match
from bot.channels.bluesky.channel import BlueskyChannel
from bot.channels.bluesky.connection import BlueskyCredentials
from bot.channels.bluesky.session import TID_ALPHABET, is_tid, new_tid
from tests.fakes.bluesky_model import FaultMode
from tests.fakes.fake_bluesky import FakeBluesky

PASSWORD = "leak-check-app-pass-7731"
TEXT = "Transformers, revisited: a careful ablation.\nhttps://arxiv.org/abs/2401.00001v3"
SINCE = datetime(2020, 1, 1, tzinfo=UTC)

Factory = Callable[..., BlueskyChannel]


@pytest.fixture
def fake() -> Iterator[FakeBluesky]:
    with FakeBluesky(password=PASSWORD) as server:
        yield server


@pytest.fixture
def session_file(tmp_path: Path) -> Path:
    return tmp_path / "paperbot.bluesky-session"


@pytest.fixture
def make(fake: FakeBluesky, session_file: Path) -> Iterator[Factory]:
    made: list[BlueskyChannel] = []

    def factory(password: str = PASSWORD, **options: object) -> BlueskyChannel:
        options.setdefault("timeout", 5.0)
        channel = BlueskyChannel(
            BlueskyCredentials(fake.handle, password),
            session_file=session_file,
            service=fake.url,
            **options,  # type: ignore[arg-type]
        )
        made.append(channel)
        return channel

    yield factory
    for channel in made:
        channel.close()


def _png(width: int, height: int, noise: float = 0.0) -> bytes:
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    if noise:
        image = Image.blend(image, Image.effect_noise((width, height), noise).convert("RGB"), 0.5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _no_secret(error: ChannelError, fake: FakeBluesky) -> None:
    shown = f"{error} {error!r}"
    assert PASSWORD not in shown and "eyJ" not in shown  # nor any JWT


# -- sessions -----------------------------------------------------------------------------------


def test_one_login_then_the_session_file_is_reused_by_the_next_process(
    fake: FakeBluesky, make: Factory, session_file: Path
) -> None:
    first = make()
    posted = first.publish(Publication(TEXT), request_key=first.new_request_key())
    assert fake.logins == 1
    assert stat.S_IMODE(os.stat(session_file).st_mode) == 0o600
    assert PASSWORD not in session_file.read_text()
    first.close()

    second = make()  # as the next `run --once` would
    assert second.whoami() == "@paperbot.test"
    again = second.publish(Publication(TEXT + " 2"), request_key=second.new_request_key())
    assert fake.logins == 1 and len(fake.records) == 2
    assert posted.remote_url.startswith("https://bsky.app/profile/paperbot.test/post/")
    assert again.remote_id.startswith(f"at://{fake.did}/app.bsky.feed.post/")


def test_a_token_the_server_calls_expired_is_refreshed_and_the_file_updated(
    fake: FakeBluesky, make: Factory, session_file: Path
) -> None:
    channel = make()
    channel.whoami()
    before = session_file.read_text()
    fake.expire_access_tokens()
    channel.publish(Publication(TEXT), request_key=channel.new_request_key())
    assert (fake.logins, fake.refreshes, len(fake.records)) == (1, 1, 1)
    assert session_file.read_text() != before
    assert stat.S_IMODE(os.stat(session_file).st_mode) == 0o600
    # The refreshed session serves the next process without a login.
    make().whoami()
    assert fake.logins == 1


def test_dead_refresh_token_means_one_new_login(fake: FakeBluesky, make: Factory) -> None:
    make().whoami()
    fake.expire_access_tokens()
    fake.revoke_refresh_tokens()
    channel = make()
    channel.publish(Publication(TEXT), request_key=channel.new_request_key())
    assert fake.logins == 2 and len(fake.records) == 1


def test_a_damaged_session_file_means_a_login_not_a_crash(
    fake: FakeBluesky, make: Factory, session_file: Path
) -> None:
    session_file.write_text("garbage")
    assert make().whoami() == "@paperbot.test"
    assert fake.logins == 1 and session_file.read_text() != "garbage"


def test_a_session_of_another_account_is_not_used(
    fake: FakeBluesky, make: Factory, session_file: Path
) -> None:
    make().whoami()
    stored = session_file.read_text()
    session_file.write_text(stored.replace("paperbot.test", "someone-else.test", 1))
    assert make().whoami() == "@paperbot.test"
    assert fake.logins == 2


def test_a_session_file_that_cannot_be_written_is_reported_not_fatal(
    fake: FakeBluesky, make: Factory, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    channel = BlueskyChannel(
        BlueskyCredentials(fake.handle, PASSWORD),
        session_file=blocker / "session",
        service=fake.url,
    )
    try:
        channel.publish(Publication(TEXT), request_key=channel.new_request_key())
    finally:
        channel.close()
    assert len(fake.records) == 1
    assert channel.session_problem is not None and "cannot keep" in channel.session_problem


def test_bad_app_password_is_auth_and_shows_no_secret(fake: FakeBluesky, make: Factory) -> None:
    channel = make(password=PASSWORD + "-wrong")
    with pytest.raises(ChannelError) as caught:
        channel.whoami()
    assert caught.value.kind is ErrorKind.AUTH and caught.value.status_code == 401
    assert "Invalid identifier or password" in caught.value.message
    assert "wrong" not in caught.value.message
    _no_secret(caught.value, fake)
    assert "<hidden>" in repr(BlueskyCredentials("a", PASSWORD))


def test_login_rate_limit_is_rate_limited(fake: FakeBluesky, make: Factory) -> None:
    fake.sessions_per_window = 0
    with pytest.raises(ChannelError) as caught:
        make().whoami()
    assert caught.value.kind is ErrorKind.RATE_LIMITED and caught.value.retry_at is not None


# -- images -------------------------------------------------------------------------------------


def test_images_carry_alt_text_and_aspect_ratio_and_small_ones_go_as_they_are(
    fake: FakeBluesky, make: Factory
) -> None:
    small, wide = _png(64, 48), _png(300, 100)
    channel = make()
    published = channel.publish(
        Publication(
            TEXT,
            (MediaItem(small, "image/png", "A small chart"), MediaItem(wide, "image/png", "")),
        ),
        request_key=channel.new_request_key(),
    )
    images = fake.records[0].value["embed"]["images"]
    assert [image["alt"] for image in images] == ["A small chart", ""]
    assert [{k: image["aspectRatio"][k] for k in ("width", "height")} for image in images] == [
        {"width": 64, "height": 48},
        {"width": 300, "height": 100},
    ]
    cids = [image["image"]["ref"]["$link"] for image in images]
    assert [fake.blobs[cid][1] for cid in cids] == [small, wide]  # untouched
    assert list(published.media_ids) == cids


def test_an_image_over_the_limit_is_shrunk_once(fake: FakeBluesky, make: Factory) -> None:
    big = _png(1600, 1200, noise=40)
    assert len(big) > 2_000_000
    channel = make()
    channel.publish(
        Publication(TEXT, (MediaItem(big, "image/png", "Noisy"),)),
        request_key=channel.new_request_key(),
    )
    (image,) = fake.records[0].value["embed"]["images"]
    mime, data = fake.blobs[image["image"]["ref"]["$link"]]
    assert len(data) <= 2_000_000 and data != big
    assert Image.open(io.BytesIO(data)).get_format_mimetype() == mime
    assert (image["aspectRatio"]["width"], image["aspectRatio"]["height"]) == (1600, 1200)
    assert fake.routes_called().count("uploadBlob") == 1


@pytest.mark.parametrize("server_limit", [1_000_000, 700_000])
def test_a_blob_refusal_naming_a_maximum_shrinks_to_it_and_sends_again(
    tmp_path: Path, server_limit: int
) -> None:
    image = _png(1000, 800, noise=40)
    assert 1_000_000 < len(image) <= 2_000_000  # under the lexicon limit: sent as it is first
    with FakeBluesky(password=PASSWORD, blob_limit=server_limit) as old:
        channel = BlueskyChannel(
            BlueskyCredentials(old.handle, PASSWORD),
            session_file=tmp_path / "session",
            service=old.url,
        )
        try:
            channel.publish(
                Publication(TEXT, (MediaItem(image, "image/png", "Noisy"),)),
                request_key=channel.new_request_key(),
            )
        finally:
            channel.close()
        (posted,) = old.records[0].value["embed"]["images"]
        assert len(old.blobs[posted["image"]["ref"]["$link"]][1]) <= server_limit
        assert [c.status for c in old.calls if c.route == "createRecord"] == [400, 200]


def test_a_413_at_upload_shrinks_to_the_older_limit_and_uploads_again(
    fake: FakeBluesky, make: Factory
) -> None:
    image = _png(1000, 800, noise=40)
    fake.upload_limit = len(image) - 1
    channel = make()
    channel.publish(
        Publication(TEXT, (MediaItem(image, "image/png", "Noisy"),)),
        request_key=channel.new_request_key(),
    )
    assert [c.status for c in fake.calls if c.route == "uploadBlob"] == [413, 200]
    (posted,) = fake.records[0].value["embed"]["images"]
    assert len(fake.blobs[posted["image"]["ref"]["$link"]][1]) <= 1_000_000


def test_a_refusal_shrinking_cannot_help_is_invalid_after_one_more_try(
    fake: FakeBluesky, make: Factory
) -> None:
    fake.upload_limit = 1000
    channel = make()
    with pytest.raises(ChannelError) as caught:
        channel.publish(
            Publication(TEXT, (MediaItem(_png(200, 200, noise=40), "image/png", ""),)),
            request_key=channel.new_request_key(),
        )
    assert caught.value.kind is ErrorKind.INVALID and caught.value.status_code == 413
    assert not caught.value.maybe_posted
    assert fake.routes_called().count("uploadBlob") == 2 and not fake.records


# -- exactly once by record key -----------------------------------------------------------------


def test_lost_answer_after_the_server_posted_is_settled_by_key(
    fake: FakeBluesky, make: Factory
) -> None:
    channel = make()
    key = channel.new_request_key()
    channel.whoami()
    fake.fail_next("createRecord", FaultMode.DROP_AFTER)
    with pytest.raises(ChannelError) as caught:
        channel.publish(Publication(TEXT), request_key=key)
    assert caught.value.kind is ErrorKind.TRANSIENT and caught.value.maybe_posted
    found = channel.find_published(key, Publication(TEXT), SINCE)
    assert found is not None and found.remote_id.endswith("/" + key)
    # Sending again with the same key cannot post twice: the 500 is settled to the same post.
    assert channel.publish(Publication(TEXT), request_key=key) == found
    assert len(fake.records) == 1


def test_lost_request_before_the_server_acted_is_safe_to_send_again(
    fake: FakeBluesky, make: Factory
) -> None:
    channel = make()
    key = channel.new_request_key()
    channel.whoami()
    fake.fail_next("createRecord", FaultMode.DROP_BEFORE)
    with pytest.raises(ChannelError) as caught:
        channel.publish(Publication(TEXT), request_key=key)
    assert caught.value.maybe_posted
    assert channel.find_published(key, Publication(TEXT), SINCE) is None
    channel.publish(Publication(TEXT), request_key=key)
    assert [r.rkey for r in fake.records] == [key]


def test_duplicate_key_500_is_settled_with_get_record(fake: FakeBluesky, make: Factory) -> None:
    channel = make()
    key = channel.new_request_key()
    first = channel.publish(Publication(TEXT), request_key=key)
    second = channel.publish(Publication(TEXT), request_key=key)
    assert first.remote_id == second.remote_id and len(fake.records) == 1
    creates = [c.status for c in fake.calls if c.route == "createRecord"]
    assert creates == [200, 500] and fake.routes_called()[-1] == "getRecord"


def test_a_500_that_posted_nothing_stays_unknown_and_the_key_stays_usable(
    fake: FakeBluesky, make: Factory
) -> None:
    channel = make()
    key = channel.new_request_key()
    fake.fail_next("createRecord", FaultMode.SERVER_ERROR)
    with pytest.raises(ChannelError) as caught:
        channel.publish(Publication(TEXT), request_key=key)
    assert caught.value.kind is ErrorKind.TRANSIENT and caught.value.maybe_posted
    assert caught.value.status_code == 500
    assert channel.find_published(key, Publication(TEXT), SINCE) is None
    channel.publish(Publication(TEXT), request_key=key)
    assert len(fake.records) == 1


@pytest.mark.parametrize("status", [502, 503])
def test_gateway_errors_on_create_may_have_posted(
    fake: FakeBluesky, make: Factory, status: int
) -> None:
    channel = make()
    fake.fail_next("createRecord", FaultMode.SERVER_ERROR, status=status)
    with pytest.raises(ChannelError) as caught:
        channel.publish(Publication(TEXT), request_key=channel.new_request_key())
    assert caught.value.kind is ErrorKind.TRANSIENT and caught.value.maybe_posted


def test_a_timeout_on_create_may_have_posted(fake: FakeBluesky, make: Factory) -> None:
    channel = make(timeout=0.3)
    channel.whoami()
    fake.fail_next("createRecord", FaultMode.DELAY, delay=30)  # ended by the server's stop
    with pytest.raises(ChannelError) as caught:
        channel.publish(Publication(TEXT), request_key=channel.new_request_key())
    assert caught.value.kind is ErrorKind.TRANSIENT and caught.value.maybe_posted


def test_lookup_failures_leave_the_outcome_unknown(fake: FakeBluesky, make: Factory) -> None:
    channel = make()
    channel.whoami()
    fake.fail_next("getRecord", FaultMode.SERVER_ERROR)
    with pytest.raises(ChannelError) as caught:
        channel.find_published(channel.new_request_key(), Publication(TEXT), SINCE)
    assert caught.value.kind is ErrorKind.TRANSIENT


def test_rate_limit_gives_retry_at_from_the_reset_header(fake: FakeBluesky, make: Factory) -> None:
    reset = int((datetime.now(UTC) + timedelta(minutes=20)).timestamp())
    channel = make()
    channel.whoami()
    fake.fail_next("createRecord", FaultMode.RATE_LIMITED, reset=reset)
    with pytest.raises(ChannelError) as caught:
        channel.publish(Publication(TEXT), request_key=channel.new_request_key())
    assert caught.value.kind is ErrorKind.RATE_LIMITED and not caught.value.maybe_posted
    assert caught.value.retry_at == datetime.fromtimestamp(reset, UTC)
    assert not fake.records


def test_a_revoked_app_password_is_auth(fake: FakeBluesky, make: Factory) -> None:
    channel = make()
    channel.whoami()
    fake.fail_next("createRecord", FaultMode.UNAUTHORIZED)
    with pytest.raises(ChannelError) as caught:
        channel.publish(Publication(TEXT), request_key=channel.new_request_key())
    assert caught.value.kind is ErrorKind.AUTH
    _no_secret(caught.value, fake)


def test_too_long_text_is_invalid_before_any_request(fake: FakeBluesky, make: Factory) -> None:
    channel = make()
    with pytest.raises(ChannelError) as caught:
        channel.publish(Publication("日" * 301), request_key=channel.new_request_key())
    assert caught.value.kind is ErrorKind.INVALID and fake.calls == []


# -- posts as posted, read back -----------------------------------------------------------------


def test_posted_text_has_the_short_link_a_facet_and_reads_back_whole(
    fake: FakeBluesky, make: Factory
) -> None:
    channel = make()
    channel.publish(Publication(TEXT), request_key=channel.new_request_key())
    value = fake.records[0].value
    assert value["text"].endswith("\narxiv.org/abs/2401.000...")
    (facet,) = value["facets"]
    assert facet["features"][0]["uri"] == "https://arxiv.org/abs/2401.00001v3"
    shown = value["text"].encode()[facet["index"]["byteStart"] : facet["index"]["byteEnd"]]
    assert shown == b"arxiv.org/abs/2401.000..."
    (post,) = channel.recent_posts(SINCE)
    assert post.text == TEXT and texts_match(TEXT, post.text)
    assert channel.recent_posts(datetime.now(UTC) + timedelta(hours=1)) == []


def test_record_keys_are_increasing_tids() -> None:
    assert new_tid(0, 0) == "2222222222222"
    assert new_tid((1 << 53) - 1, 1023) == "b" + "z" * 12  # the top bit stays 0
    keys = [BlueskyChannel.new_request_key(_bare_channel()) for _ in range(200)]
    assert all(is_tid(key) for key in keys) and keys == sorted(set(keys))
    value = 0
    for char in keys[0]:
        value = value * 32 + TID_ALPHABET.index(char)
    micros = value >> 10
    assert abs(micros / 1e6 - datetime.now(UTC).timestamp()) < 3600
    with pytest.raises(ValueError):
        BlueskyChannel.publish(_bare_channel(), Publication(TEXT), request_key="post-1")


def _bare_channel() -> BlueskyChannel:
    return BlueskyChannel(BlueskyCredentials("a.test", "x"), session_file=Path("unused"))


def test_importing_the_channel_module_does_not_import_the_sdk() -> None:
    code = "import sys, bot.channels.bluesky.channel; print('atproto_client' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
