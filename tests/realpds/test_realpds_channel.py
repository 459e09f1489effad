"""paperbot's Bluesky channel against the official PDS: what lands in the repository.

Each test has an account of its own; the records are read back from the PDS itself (getRecord,
listRecords, getBlob), never from what paperbot says it sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.channels.base import ChannelError, ErrorKind, MediaItem, Publication
from bot.channels.bluesky.channel import BlueskyChannel
from bot.channels.bluesky.connection import BlueskyCredentials
from tests.realpds.figures import chart, embedded_images, noise_png
from tests.realpds.harness import Account, RealPds

pytestmark = [pytest.mark.realpds, pytest.mark.timeout(2400)]

POST = "app.bsky.feed.post"
CREATE = "com.atproto.repo.createRecord"
SINCE = datetime(2020, 1, 1, tzinfo=UTC)
Factory = Callable[..., BlueskyChannel]


@pytest.fixture
def channel_for(pds: RealPds, tmp_path: Path) -> Iterator[Factory]:
    made: list[BlueskyChannel] = []

    def factory(account: Account, password: str | None = None) -> BlueskyChannel:
        channel = BlueskyChannel(
            BlueskyCredentials(account.handle, password or account.app_password),
            session_file=tmp_path / f"{account.handle}.bluesky-session",
            service=pds.url,
            timeout=120.0,
        )
        made.append(channel)
        return channel

    yield factory
    for channel in made:
        channel.close()


def rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def get_record(pds: RealPds, account: Account, key: str) -> dict[str, object]:
    answer = pds.xrpc("com.atproto.repo.getRecord", repo=account.did, collection=POST, rkey=key)
    value: dict[str, object] = answer["value"]
    return value


def test_figures_land_with_their_alt_text_aspect_ratio_and_bytes(
    pds: RealPds, account: Account, channel_for: Factory
) -> None:
    png, jpeg = chart(640, 360), chart(300, 400, "JPEG")
    publication = Publication(
        "Two figures from the paper.\nhttps://arxiv.org/abs/2401.00001",
        (
            MediaItem(png, "image/png", "Bar chart of accuracy per model; the last is highest."),
            MediaItem(jpeg, "image/jpeg", "Tall bar chart: four bars, the second near the top."),
        ),
    )
    channel = channel_for(account)
    key = channel.new_request_key()
    published = channel.publish(publication, request_key=key)

    assert rkey(published.remote_id) == key
    assert published.remote_id == f"at://{account.did}/{POST}/{key}"
    images = embedded_images(get_record(pds, account, key))
    assert [image["alt"] for image in images] == [item.alt for item in publication.media]
    ratios = [(image["aspectRatio"]["width"], image["aspectRatio"]["height"]) for image in images]
    assert ratios == [(640, 360), (300, 400)]
    assert [image["image"]["mimeType"] for image in images] == ["image/png", "image/jpeg"]
    cids = [image["image"]["ref"]["$link"] for image in images]
    assert list(published.media_ids) == cids
    # The server keeps exactly the bytes paperbot was given (both are far under the limit).
    assert [pds.blob(account, cid) for cid in cids] == [png, jpeg]


def test_link_facets_cover_the_bytes_of_each_link_as_shown(
    pds: RealPds, account: Account, channel_for: Factory
) -> None:
    long_link = "https://example.org/papers/2024/a-rather-long-path/with-details?lang=en"
    text = f"Café, naïve — 😀 résumé: see https://arxiv.org/abs/2401.00001 and {long_link}"
    channel = channel_for(account)
    key = channel.new_request_key()
    channel.publish(Publication(text), request_key=key)

    record = get_record(pds, account, key)
    shown = str(record["text"]).encode("utf-8")
    links = []
    for facet in record["facets"]:  # type: ignore[attr-defined]
        for feature in facet["features"]:
            if feature["$type"] == "app.bsky.richtext.facet#link":
                start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
                links.append((shown[start:end].decode("utf-8"), feature["uri"]))
    assert [uri for _, uri in links] == ["https://arxiv.org/abs/2401.00001", long_link]
    for visible, uri in links:
        # Each facet covers the link as the text shows it: whole, or shortened the app's way
        # (host, the start of the path, "..."), never a byte more or less.
        bare = uri.removeprefix("https://")
        assert visible == bare or (visible.endswith("...") and bare.startswith(visible[:-3]))
        assert visible.startswith("arxiv.org/" if "arxiv" in uri else "example.org/")
    assert links[1][0] != links[1][1].removeprefix("https://")  # the long one was shortened
    assert str(record["text"]).startswith("Café, naïve — 😀 résumé: see ")


def test_a_lost_answer_is_settled_by_get_record_and_the_repo_holds_one_post(
    pds: RealPds, account: Account, channel_for: Factory
) -> None:
    channel = channel_for(account)
    publication = Publication("Lost on the way back.\nhttps://arxiv.org/abs/2401.00002")
    key = channel.new_request_key()
    pds.proxy.lose_answer(CREATE)
    with pytest.raises(ChannelError) as lost:
        channel.publish(publication, request_key=key)
    assert lost.value.kind is ErrorKind.TRANSIENT and lost.value.maybe_posted

    found = channel.find_published(key, publication, SINCE)
    assert found is not None and rkey(found.remote_id) == key
    # Sending the same key again (what a careless retry would do) makes the real server answer
    # 500; the channel looks the record up and reports the one post, not a second.
    again = channel.publish(publication, request_key=key)
    assert again.remote_id == found.remote_id
    assert [rkey(record["uri"]) for record in pds.records(account)] == [key]
    assert [seen.status for seen in pds.proxy.seen(CREATE) if key.encode() in seen.body] == [
        None,
        500,
    ]


def test_a_key_never_sent_is_certainly_not_there(account: Account, channel_for: Factory) -> None:
    channel = channel_for(account)
    key = channel.new_request_key()
    assert channel.find_published(key, Publication("never sent"), SINCE) is None


def test_two_channel_objects_share_one_login_through_the_session_file(
    pds: RealPds, account: Account, channel_for: Factory
) -> None:
    for n in (1, 2):
        channel = channel_for(account)  # as two runs of paperbot would build it
        channel.publish(Publication(f"Run {n}."), request_key=channel.new_request_key())
        channel.close()
    logins = [
        seen
        for seen in pds.proxy.seen("com.atproto.server.createSession")
        if account.handle.encode() in seen.body
    ]
    assert len(logins) == 1
    assert len(pds.records(account)) == 2


def test_a_wrong_app_password_is_an_auth_error_without_the_password(
    account: Account, channel_for: Factory
) -> None:
    channel = channel_for(account, password="wrong-wrong-wrong-1234")
    with pytest.raises(ChannelError) as refused:
        channel.publish(Publication("Never posted."), request_key=channel.new_request_key())
    assert refused.value.kind is ErrorKind.AUTH
    assert "wrong-wrong-wrong-1234" not in f"{refused.value} {refused.value!r}"


def test_figures_up_to_the_current_limit_go_as_they_are_and_larger_ones_shrink(
    pds: RealPds, account: Account, channel_for: Factory
) -> None:
    fits, too_big = noise_png(700), noise_png(900)  # about 1.47 MB and 2.43 MB
    assert 1_000_000 < len(fits) < 2_000_000 < len(too_big)
    channel = channel_for(account)
    key = channel.new_request_key()
    channel.publish(
        Publication(
            "Noise, twice.",
            (MediaItem(fits, "image/png", "Noise"), MediaItem(too_big, "image/png", "More")),
        ),
        request_key=key,
    )
    images = embedded_images(get_record(pds, account, key))
    sizes = [image["image"]["size"] for image in images]
    assert sizes[0] == len(fits)
    assert sizes[1] <= 2_000_000
    assert pds.blob(account, images[0]["image"]["ref"]["$link"]) == fits


def expired_copy(token: str, secret: str) -> str:
    """The same access token, expired a minute ago, signed (HS256) with the PDS's own key."""
    header, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] = int(time.time()) - 60
    claims["iat"] = min(int(claims.get("iat", 0)), claims["exp"] - 60)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    signed = f"{header}.{body}".encode()
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return f"{header}.{body}." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


def test_an_expired_access_token_is_refreshed_without_a_new_login(
    pds: RealPds, account: Account, channel_for: Factory, tmp_path: Path
) -> None:
    first = channel_for(account)
    first.publish(Publication("Before the token expired."), request_key=first.new_request_key())
    first.close()
    session_file = tmp_path / f"{account.handle}.bluesky-session"
    fields = session_file.read_text(encoding="utf-8").split(":::")  # the SDK's session string
    stale = expired_copy(fields[2], pds.jwt_secret)
    session_file.write_text(":::".join([*fields[:2], stale, *fields[3:]]), encoding="utf-8")
    # The PDS itself calls that token expired.
    with httpx.Client(timeout=60) as client:
        refused = client.get(
            f"{pds.direct_url}/xrpc/com.atproto.server.getSession",
            headers={"Authorization": f"Bearer {stale}"},
        )
    assert (refused.status_code, refused.json()["error"]) == (400, "ExpiredToken")
    refreshes = len(pds.proxy.seen("com.atproto.server.refreshSession"))

    second = channel_for(account)  # the next run, reading the stale session
    second.publish(Publication("After the refresh."), request_key=second.new_request_key())

    logins = pds.proxy.seen("com.atproto.server.createSession")
    assert sum(account.handle.encode() in seen.body for seen in logins) == 1
    assert len(pds.proxy.seen("com.atproto.server.refreshSession")) == refreshes + 1
    assert stale not in session_file.read_text(encoding="utf-8")  # the fresh tokens were kept
    assert len(pds.records(account)) == 2
