"""Bluesky link cards and tag facets, through the real atproto SDK against the fake PDS.

The fake keeps each record as sent and checks embeds and facets as the lexicon does (a card's
uri, title and description; a thumb blob it holds, at most 1,000,000 bytes; tags without "#"
of at most 64 graphemes), so these tests read what Bluesky would have stored.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from bot.channels.base import LinkCard, MediaItem, Publication
from bot.channels.bluesky.channel import BlueskyChannel
from bot.channels.bluesky.connection import BlueskyCredentials
from tests.fakes.fake_bluesky import FakeBluesky

PASSWORD = "cards-app-pass-5521"
CARD = LinkCard(
    "https://example.org/blog/attention",
    "Attention, explained",
    "A walk through the transformer's attention.",
)


@pytest.fixture
def fake() -> Iterator[FakeBluesky]:
    with FakeBluesky(password=PASSWORD) as server:
        yield server


@pytest.fixture
def channel(fake: FakeBluesky, tmp_path: Path) -> Iterator[BlueskyChannel]:
    made = BlueskyChannel(
        BlueskyCredentials(fake.handle, PASSWORD),
        session_file=tmp_path / "session",
        service=fake.url,
        timeout=10.0,
    )
    yield made
    made.close()


def _noisy_png(width: int, height: int) -> bytes:
    image = Image.effect_noise((width, height), 120).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_post_without_images_carries_the_link_card(
    fake: FakeBluesky, channel: BlueskyChannel
) -> None:
    channel.publish(
        Publication("Attention, explained.\nhttps://example.org/blog/attention", card=CARD),
        request_key=channel.new_request_key(),
    )
    (record,) = fake.records
    embed = record.value["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    assert embed["external"] == {
        "$type": "app.bsky.embed.external#external",
        "uri": CARD.uri,
        "title": CARD.title,
        "description": CARD.description,
    }


def test_the_thumbnail_is_shrunk_within_the_card_limit_and_uploaded(
    fake: FakeBluesky, channel: BlueskyChannel
) -> None:
    big = _noisy_png(900, 700)
    assert len(big) > 1_000_000
    card = LinkCard(CARD.uri, CARD.title, CARD.description, MediaItem(big, "image/png", ""))
    channel.publish(
        Publication("See https://example.org/blog/attention", card=card),
        request_key=channel.new_request_key(),
    )
    (record,) = fake.records
    thumb = record.value["embed"]["external"]["thumb"]
    mime, data = fake.blobs[thumb["ref"]["$link"]]
    assert mime.startswith("image/") and len(data) <= 1_000_000
    assert Image.open(io.BytesIO(data)).size[0] > 0


def test_a_thumbnail_that_is_no_image_leaves_a_card_without_one(
    fake: FakeBluesky, channel: BlueskyChannel
) -> None:
    card = LinkCard(CARD.uri, CARD.title, CARD.description, MediaItem(b"<html>", "image/png", ""))
    channel.publish(
        Publication("See https://example.org/blog/attention", card=card),
        request_key=channel.new_request_key(),
    )
    (record,) = fake.records
    assert "thumb" not in record.value["embed"]["external"]
    assert fake.blobs == {}


def test_images_win_over_a_card(fake: FakeBluesky, channel: BlueskyChannel) -> None:
    figure = MediaItem(_noisy_png(40, 30), "image/png", "Figure 1: the model")
    channel.publish(
        Publication("Figure attached https://example.org/p", (figure,), card=CARD),
        request_key=channel.new_request_key(),
    )
    (record,) = fake.records
    assert record.value["embed"]["$type"] == "app.bsky.embed.images"
    assert "external" not in record.value["embed"]


def test_hashtags_get_tag_facets_beside_the_link_facets(
    fake: FakeBluesky, channel: BlueskyChannel
) -> None:
    text = "Graphs für alle #GNN, 論文 ＃深層学習\nhttps://example.org/a-rather-long-path/x #AI"
    channel.publish(Publication(text), request_key=channel.new_request_key())
    (record,) = fake.records
    sent = record.value["text"].encode()
    found = []
    for facet in record.value["facets"]:
        (feature,) = facet["features"]
        piece = sent[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode()
        found.append((feature["$type"].rsplit("#", 1)[1], piece, feature.get("tag")))
    assert found == [
        ("tag", "#GNN", "GNN"),
        ("tag", "＃深層学習", "深層学習"),
        ("link", "example.org/a-rather-lon...", None),
        ("tag", "#AI", "AI"),
    ]
