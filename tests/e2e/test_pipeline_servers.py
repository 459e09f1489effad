"""The pipeline on servers that are not the project's kind fakes: the real CLI and database, the
fakes playing what real servers did (FACTS.md, "Seen on real servers"): Mastodon-API servers
that answer a bad token 400 in plain text, want the whole ``read`` scope for
``verify_credentials``, count links at full length or 404 the trailing-slash instance endpoints,
and PDSes with the older 1,000,000-byte blob limit. Images are checked per channel.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e import test_pipeline_channels as pipeline
from tests.e2e.test_pipeline_channels import (
    MASTODON_TOKEN,
    Platforms,
    Servers,
    assert_once_per_channel,
)
from tests.fakes.mastodon_model import FaultMode as MastodonFault

platforms = pipeline.platforms  # the fixture: the CLI, a database and the fakes on one clock


def _on(mastodon: str = "mastodon4", blob_limit: int = 2_000_000) -> pytest.MarkDecorator:
    servers = Servers(mastodon, blob_limit)
    return pytest.mark.parametrize("platforms", [servers], indirect=True, ids=str)


def noisy_png(path: Path, width: int, height: int) -> int:
    """A PNG that hardly compresses (a gradient half drowned in random pixels), as a detailed
    figure: well over 2 bytes a pixel as PNG, far less as JPEG."""
    noise = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    Image.blend(gradient, noise, 0.5).save(path, "PNG")
    return path.stat().st_size


def add_long(p: Platforms, n: int, comment: str, *images: Path) -> int:
    args = ["add", "https://example.org/" + "a-long-path/" * 6 + str(n), "--no-fetch"]
    args += ["--title", f"Paper {n}", "--comment", comment]
    args += ["--at", p.now.isoformat()]
    for image in images:
        args += ["--image", str(image), "--alt", f"Figure of paper {n}"]
    return int(p.cli(*args)[1].strip())


@_on("plaintext-400-auth")
def test_a_bad_token_answered_400_in_plain_text_pauses_mastodon(platforms: Platforms) -> None:
    p = platforms
    p.configure(("mastodon",))
    ids = [p.add(n) for n in (1, 2)]
    p.mastodon.access_token = "the-server-forgot-it"
    _, _, err = p.run_once(code=1)
    assert "Invalid Bearer token" in err and "check the access token" in err
    assert MASTODON_TOKEN not in err
    assert {entry["status"] for entry in p.entries().values()} == {"queued"}
    assert p.json("status")["channels"]["mastodon"]["paused_reason"]
    p.mastodon.access_token = p.mastodon_token = "mastodon-CANARY-token-new"
    p.step(60)
    p.run_once()
    assert_once_per_channel(p, ids, ("mastodon",))


@_on("read-scope-verify")
def test_documented_scopes_are_enough_where_verify_credentials_wants_read(
    platforms: Platforms,
) -> None:
    p = platforms
    p.configure(("mastodon",))
    _, out, _ = p.cli("check")
    assert "mastodon: the token is accepted, but" in out and "the whole `read` scope" in out
    first = p.add(1)
    p.run_once()  # the first post shows the account; it is remembered beside the database
    second = p.add(2)
    p.mastodon.fail_next("create_status", MastodonFault.DROP_AFTER)
    p.run_once()
    p.step(2 * 3600)  # the key is forgotten: only the account's statuses can tell
    p.run_once()
    assert_once_per_channel(p, [first, second], ("mastodon",))
    [post] = p.json("show", str(second))["posts"]
    assert post["attempts"][-1]["outcome"] == "settled"
    assert "posting as @paperbot" in p.cli("check")[1]
    assert not p.json("status")["channels"]["mastodon"]["paused_reason"]


@_on("full-length-links")
def test_a_server_counting_links_in_full_gets_the_post_composed_again(
    platforms: Platforms,
) -> None:
    p = platforms
    p.configure(("mastodon",))
    comment = "We measure how attention spreads across " + "many long layers " * 40 + "."
    entry_id = add_long(p, 1, comment)
    p.run_once()
    assert p.mastodon.statuses == [] and p.entries()[entry_id]["status"] == "queued"
    p.step(60)
    p.run_once()
    assert_once_per_channel(p, [entry_id], ("mastodon",))
    [status] = p.mastodon.statuses
    assert len(status.text) <= 500  # counted as that server counts: links in full
    assert "links count at full length" in p.cli("check")[1]
    [item] = p.json("preview", str(add_long(p, 2, comment)))
    assert len(item["text"]) <= 500


@_on("instance-404")
def test_limits_read_without_the_slash_and_defaults_said_and_cached(
    platforms: Platforms,
) -> None:
    p = platforms
    p.configure(("mastodon",))
    p.mastodon.max_characters = 1000
    assert "the instance allows 1000 characters" in p.cli("check")[1]
    assert not [path for path in p.mastodon.server.paths() if path.endswith("/instance/")]
    (p.paperbot.workdir / "paperbot.db.mastodon-instance.json").unlink(missing_ok=True)
    p.mastodon.serve_v2_instance = False
    p.mastodon.server.route("/api/v1/instance", (404, {}, b""))
    _, out, _ = p.cli("check")
    assert "using the stock defaults, 500 characters" in out and "could not be read" in out
    asked = p.mastodon.calls("/api/v1/instance")
    p.cli("check")
    assert p.mastodon.calls("/api/v1/instance") == asked  # not asked again on every run


@_on("mastodon4")
def test_a_7_mb_figure_goes_to_mastodon_and_bluesky_but_not_x(platforms: Platforms) -> None:
    p = platforms
    figure = p.paperbot.workdir / "big.png"
    size = noisy_png(figure, 1600, 1500)
    assert 5 * 1024 * 1024 < size < 16 * 1024 * 1024
    entry_id = add_long(p, 1, "A figure too big for X alone.", figure)
    warnings = {item["channel"]: item["warnings"] for item in p.json("preview", str(entry_id))}
    assert any("X accepts at most 5 MB" in w for w in warnings["x"])
    assert any("shrunk to fit" in w for w in warnings["bluesky"])
    assert not any("image" in w and "MB" in w for w in warnings["mastodon"])
    p.run_once(code=None)
    posts = {post["channel"]: post for post in p.json("show", str(entry_id))["posts"]}
    assert posts["mastodon"]["status"] == "posted" and posts["bluesky"]["status"] == "posted"
    assert posts["x"]["status"] == "failed" and "X accepts at most 5 MB" in str(
        posts["x"]["attempts"]
    )
    [media] = p.mastodon.media.values()
    assert len(media.data) == size


@pytest.mark.parametrize(
    "platforms", [Servers(blob_limit=1_000_000), Servers()], indirect=True, ids=str
)
def test_figures_fit_the_pds_blob_limit_of_either_age(platforms: Platforms) -> None:
    p = platforms
    p.configure(("bluesky",))
    figure = p.paperbot.workdir / "fig.png"
    assert 1_000_000 < noisy_png(figure, 900, 700) < 2_000_000
    ids = [add_long(p, n, "A figure near the limits.", figure) for n in (1, 2)]
    p.run_once()
    assert_once_per_channel(p, ids, ("bluesky",))
    limit = p.bluesky.blob_limit
    for record in p.bluesky.records:
        (image,) = record.value["embed"]["images"]
        assert len(p.bluesky.blobs[image["image"]["ref"]["$link"]][1]) <= limit
    refused = [c.status for c in p.bluesky.calls if c.route == "createRecord"].count(400)
    assert refused == (1 if limit == 1_000_000 else 0)  # learned once, then shrunk before sending
