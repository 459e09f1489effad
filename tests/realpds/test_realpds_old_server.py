"""An older official PDS (the last 0.4.x): images up to 1,000,000 bytes, not 2,000,000.

Servers not yet updated still run this line. A figure between the two limits is uploaded fine
and refused when the post is created, in the server's own words (FACTS.md, "Seen on real
servers"); the contract (DESIGN.md, Bluesky blob limits) is to shrink it to the maximum the
refusal names and send again, once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.channels.base import MediaItem, Publication
from bot.channels.bluesky.channel import BlueskyChannel
from bot.channels.bluesky.connection import BlueskyCredentials
from tests.realpds.figures import chart, embedded_images, noise_png
from tests.realpds.harness import OLD_PDS_VERSION, Account, RealPds

pytestmark = [pytest.mark.realpds, pytest.mark.timeout(2400)]

POST = "app.bsky.feed.post"
CREATE = "com.atproto.repo.createRecord"


@pytest.fixture
def old_account(old_pds: RealPds) -> Iterator[Account]:
    yield old_pds.create_account()
    old_pds.proxy.reset()


@pytest.fixture
def channel(old_pds: RealPds, old_account: Account, tmp_path: Path) -> Iterator[BlueskyChannel]:
    channel = BlueskyChannel(
        BlueskyCredentials(old_account.handle, old_account.app_password),
        session_file=tmp_path / "paperbot.db.bluesky-session",
        service=old_pds.url,
        timeout=120.0,
    )
    yield channel
    channel.close()


def test_the_server_is_the_old_line(old_pds: RealPds) -> None:
    assert old_pds.running_version == OLD_PDS_VERSION
    assert OLD_PDS_VERSION.startswith("0.4.")


def test_an_over_limit_figure_is_refused_at_create_in_the_servers_words(
    old_pds: RealPds, old_account: Account
) -> None:
    figure = noise_png(700)
    assert 1_000_000 < len(figure) < 2_000_000
    with httpx.Client(base_url=old_pds.direct_url, timeout=120) as client:
        session = client.post(
            "/xrpc/com.atproto.server.createSession",
            json={"identifier": old_account.handle, "password": old_account.app_password},
        ).json()
        auth = {"Authorization": f"Bearer {session['accessJwt']}"}
        uploaded = client.post(
            "/xrpc/com.atproto.repo.uploadBlob",
            content=figure,
            headers={**auth, "Content-Type": "image/png"},
        )
        assert uploaded.status_code == 200  # the upload limit (5 MB by default) is not the one
        record = {
            "$type": POST,
            "text": "Too big for this server.",
            "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "embed": {
                "$type": "app.bsky.embed.images",
                "images": [{"alt": "noise", "image": uploaded.json()["blob"]}],
            },
        }
        refused = client.post(
            "/xrpc/com.atproto.repo.createRecord",
            json={"repo": old_account.did, "collection": POST, "record": record},
            headers=auth,
        )
    assert refused.status_code == 400
    body = refused.json()
    assert body["error"] == "InvalidRequest"
    assert re.search(rf"blob too big \(maximum 1000000, got {len(figure)}\)", body["message"])
    assert "BlobTooLarge" not in refused.text


def test_a_figure_within_the_old_limit_posts(
    old_pds: RealPds, old_account: Account, channel: BlueskyChannel
) -> None:
    figure = chart(400, 300)
    key = channel.new_request_key()
    channel.publish(
        Publication("A small figure.", (MediaItem(figure, "image/png", "Bars"),)), request_key=key
    )
    [record] = old_pds.records(old_account)
    assert record["uri"].endswith(key)
    [image] = embedded_images(record["value"])
    assert image["image"]["size"] == len(figure) and image["alt"] == "Bars"


def test_an_over_limit_figure_is_shrunk_to_the_named_maximum_and_sent_again(
    old_pds: RealPds, old_account: Account, channel: BlueskyChannel
) -> None:
    figure = noise_png(700)
    key = channel.new_request_key()
    publication = Publication("Noise for an old server.", (MediaItem(figure, "image/png", "N"),))
    channel.publish(publication, request_key=key)

    [record] = old_pds.records(old_account)
    [image] = embedded_images(record["value"])
    assert image["image"]["size"] <= 1_000_000 and image["alt"] == "N"
    creates = [seen.status for seen in old_pds.proxy.seen(CREATE) if key.encode() in seen.body]
    assert creates[-1] == 200 and len(creates) <= 2  # sent again once at most
