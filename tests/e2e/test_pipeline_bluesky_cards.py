"""The pipeline on Bluesky: link cards for entries without figures, tag facets for hashtags.

The real CLI, a real database, the real atproto SDK against the fake PDS, and a real HTTP
server for the article's page and its preview image. Checked on the records the fake PDS kept.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from tests.conftest import Paperbot
from tests.fakes.fake_bluesky import FakeBluesky
from tests.fakes.http_server import FakeHTTPServer

PASSWORD = "bsky-cards-CANARY"
CONFIG = """\
timezone = "UTC"

[channels]
post_to = ["bluesky"]

[compose]
template = "{sentence}\\n{url}\\n{hashtags}"
hashtags = ["MachineLearning"]

[images]
allow_private_hosts = true
timeout_seconds = 5
"""


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def site() -> Iterator[FakeHTTPServer]:
    with FakeHTTPServer() as server:
        page = (
            '<html><head><meta property="og:title" content="A post">'
            '<meta property="og:image" content="/img/preview.png"></head><body>hi</body></html>'
        )
        server.route("/blog/gnn", (200, {"Content-Type": "text/html"}, page.encode()))
        server.route("/img/preview.png", (200, {"Content-Type": "image/png"}, _png(120, 63)))
        yield server


def _by_url(fake: FakeBluesky) -> dict[str, dict[str, Any]]:
    """Each post's record by the link it carries (its first link facet's uri)."""
    found = {}
    for record in fake.records:
        for facet in record.value.get("facets") or []:
            uri = facet["features"][0].get("uri")
            if uri:
                found[uri] = record.value
                break
    return found


def _tags(record: dict[str, Any]) -> list[tuple[str, str]]:
    text = record["text"].encode()
    return [
        (text[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(), f["features"][0]["tag"])
        for f in record.get("facets") or []
        if f["features"][0]["$type"] == "app.bsky.richtext.facet#tag"
    ]


def test_cards_for_entries_without_figures_and_tags_for_hashtags(
    paperbot: Paperbot, site: FakeHTTPServer
) -> None:
    paperbot.write_config(CONFIG)
    now = datetime.now(UTC).replace(microsecond=0)
    at = (now - timedelta(minutes=5)).isoformat()
    figure = paperbot.workdir / "fig.png"
    figure.write_bytes(_png(64, 48))
    article = site.url("/blog/gnn")
    with FakeBluesky(password=PASSWORD) as fake:
        env = {
            "BLUESKY_HANDLE": fake.handle,
            "BLUESKY_APP_PASSWORD": PASSWORD,
            "BLUESKY_SERVICE": fake.url,
            "PAPERBOT_NOW": now.isoformat(),
        }
        adds = [
            [article, "--title", "Graph nets, explained", "--comment", "Why #GNN models work."],
            ["https://arxiv.org/abs/2009.01835", "--title", "Flow-edge Guided Video Completion",
             "--comment", "Flow edges guide completion. Details follow."],
            ["https://example.org/figured", "--comment", "With a figure.",
             "--image", str(figure), "--alt", "Figure 1: a blue square"],
        ]  # fmt: skip
        for args in adds:
            result = paperbot("add", *args, "--no-fetch", "--at", at, **env)
            assert result.exit_code == 0, result.output
        result = paperbot("run", "--once", **env)
        assert result.exit_code == 0, result.output
        posted = _by_url(fake)
        blobs = fake.blobs

    blog = posted[article]["embed"]
    assert blog["$type"] == "app.bsky.embed.external"
    assert blog["external"]["uri"] == article
    assert blog["external"]["title"] == "Graph nets, explained"
    assert blog["external"]["description"] == "Why #GNN models work."
    mime, data = blobs[blog["external"]["thumb"]["ref"]["$link"]]
    assert mime == "image/png" and Image.open(io.BytesIO(data)).size == (120, 63)
    assert _tags(posted[article]) == [("#GNN", "GNN"), ("#MachineLearning", "MachineLearning")]

    arxiv = posted["https://arxiv.org/abs/2009.01835"]["embed"]["external"]
    assert arxiv["title"] == "Flow-edge Guided Video Completion"
    assert arxiv["description"] == "Flow edges guide completion."
    assert "thumb" not in arxiv  # none for arXiv: its pages are not asked

    figured = posted["https://example.org/figured"]["embed"]
    assert figured["$type"] == "app.bsky.embed.images"  # images, never a card beside them
    assert figured["images"][0]["alt"] == "Figure 1: a blue square"
    assert site.paths() == ["/blog/gnn", "/img/preview.png"]
