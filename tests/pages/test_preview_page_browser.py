"""`paperbot preview --html` in a real browser: headless Chromium (Debian's package) opens the
written page with the network off and a small probe reports what it rendered.

The probe is a script added to a copy of the page (the page itself has none, and its
Content-Security-Policy forbids scripts, so the copy allows inline ones). It runs on ``load``,
writes its findings as JSON into the DOM, and ``chromium --dump-dom`` prints that DOM. Skipped
where Chromium is missing, except in CI (``CI`` or ``PAPERBOT_REQUIRE_CHROMIUM`` set), where it
fails: `.ci/run` installs it.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import Paperbot
from tests.fakes.http_server import FakeHTTPServer

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    # The network off: every host resolves to nothing, and any proxy use goes nowhere.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--virtual-time-budget=10000",
]
CONFIG = """\
timezone = "UTC"

[channels]
post_to = ["x", "bluesky", "mastodon"]

[compose]
template = "{sentence}\\n{url}\\n{hashtags}"
hashtags = ["MachineLearning"]

[images]
allow_private_hosts = true
timeout_seconds = 5
"""
WEEK = "2026-W50"
PROBE = """
<script>
window.addEventListener("load", () => {
  const result = {articles: [], resources: performance.getEntriesByType("resource").length};
  for (const article of document.querySelectorAll("article")) {
    const figures = [...article.querySelectorAll("figure.figure")].map((figure) => {
      const img = figure.querySelector("img");
      const caption = figure.querySelector(".alt-text");
      const hidden = getComputedStyle(caption).display;
      figure.focus();
      const focused = getComputedStyle(caption).display;
      figure.blur();
      return {alt: img.getAttribute("alt"), caption: caption.textContent.trim(),
              hidden, focused, complete: img.complete,
              natural: [img.naturalWidth, img.naturalHeight],
              shown: [img.clientWidth, img.clientHeight]};
    });
    const card = article.querySelector(".card");
    const thumb = card && card.querySelector("img");
    result.articles.push({
      entry: article.dataset.entry, channel: article.dataset.channel,
      text: article.querySelector(".text").textContent,
      links: [...article.querySelectorAll(".text a")].map((a) => [a.textContent, a.href]),
      elementsInText: article.querySelectorAll(".text *:not(a):not(.tag)").length,
      figures,
      card: card && {title: card.querySelector(".title").textContent,
                     description: (card.querySelector(".description") || {}).textContent || "",
                     thumb: thumb && [thumb.naturalWidth, thumb.naturalHeight]},
      meter: article.querySelector(".meter").textContent,
      planned: article.querySelector(".planned").textContent,
      price: (article.querySelector(".price") || {}).textContent || null,
      warnings: [...article.querySelectorAll(".warnings li")].map((li) => li.textContent),
    });
  }
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>
"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") or os.environ.get("PAPERBOT_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium package)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def site() -> Iterator[FakeHTTPServer]:
    with FakeHTTPServer() as server:
        page = '<html><head><meta property="og:image" content="/og.png"></head></html>'
        server.route("/blog/post", (200, {"Content-Type": "text/html"}, page.encode()))
        server.route("/og.png", (200, {"Content-Type": "image/png"}, _png(240, 126, (9, 9, 9))))
        server.route("/remote.png", (200, {"Content-Type": "image/png"}, _png(160, 90, (1, 2, 3))))
        yield server


def probe(browser: str, page: Path, profile: Path) -> dict[str, Any]:
    """What Chromium rendered of ``page``: the probe's findings."""
    source = page.read_text(encoding="utf-8")
    source = source.replace(
        "default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';"
    )
    probed = page.with_name("probed.html")
    probed.write_text(source.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", probed.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no probe result (exit {done.returncode}): {done.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_every_post_card_image_and_alt_text_renders_offline(
    paperbot: Paperbot, site: FakeHTTPServer, tmp_path: Path
) -> None:
    browser = chromium()
    paperbot.write_config(CONFIG)
    wide, tall = tmp_path / "wide.png", tmp_path / "tall.png"
    wide.write_bytes(_png(1200, 400, (200, 40, 90)))
    tall.write_bytes(_png(300, 600, (40, 90, 200)))
    adds = [
        ["https://arxiv.org/abs/2009.01835", "--title", "Two figures",
         "--comment", "Flow edges guide completion <b>not bold</b> & more. Second sentence.",
         "--image", str(wide), "--alt", "Figure 1: a wide red bar",
         "--image", str(tall), "--alt", 'Figure 2: a tall "blue" bar'],
        ["https://example.org/remote", "--title", "Remote figure", "--comment", "Remote one.",
         "--image", site.url("/remote.png")],
        [site.url("/blog/post"), "--title", "A blog post",
         "--comment", "Why #GNN models work. More later."],
    ]  # fmt: skip
    for args in adds:
        result = paperbot("add", *args, "--week", WEEK, "--no-fetch")
        assert result.exit_code == 0, result.output
    items = paperbot.json("preview", "--week", WEEK, "--json")

    page = tmp_path / "week.html"
    result = paperbot("preview", "--week", WEEK, "--html", str(page))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(page.resolve())
    seen = probe(browser, page, tmp_path / "chromium-profile")

    assert seen["resources"] == 0  # nothing fetched: every image is inside the page
    articles = {(a["entry"], a["channel"]): a for a in seen["articles"]}
    assert sorted(articles) == sorted((str(i["id"]), i["channel"]) for i in items)
    assert len(articles) == 9
    for (entry, channel), article in articles.items():
        item = next(i for i in items if str(i["id"]) == entry and i["channel"] == channel)
        assert article["meter"] == f"{item['weighted_length']}/{item['limit']}"
        assert article["planned"].startswith("planned ")
        # X posts carry their price (what X will bill, as `preview --json` says); others none.
        assert article["price"] == (_usd(item["cost"]) if channel == "x" else None)
        assert [f["alt"] for f in article["figures"]] == [i["alt"] for i in item["images"]]
        for figure in article["figures"]:
            assert figure["complete"] and figure["natural"][0] > 0, (entry, channel, figure)
            assert figure["caption"] == figure["alt"]
            assert (figure["hidden"], figure["focused"]) == ("none", "block")
            natural, shown = figure["natural"], figure["shown"]
            assert abs(shown[0] / shown[1] - natural[0] / natural[1]) < 0.05  # aspect kept

    first = articles[("1", "x")]
    assert "<b>not bold</b> & more." in first["text"] and first["elementsInText"] == 0
    assert [f["natural"][0] > f["natural"][1] for f in first["figures"]] == [True, False]
    assert first["links"] == [["arxiv.org/abs/2009.01835", "https://arxiv.org/abs/2009.01835"]]
    assert articles[("2", "mastodon")]["figures"][0]["natural"] == [160, 90]

    card = articles[("3", "bluesky")]["card"]
    assert card == {"title": "A blog post", "description": "Why #GNN models work.",
                    "thumb": [240, 126]}  # fmt: skip
    assert articles[("3", "x")]["card"] is None  # X and Mastodon build their own
    assert articles[("1", "bluesky")]["card"] is None  # images, never both
    assert "#GNN" in articles[("3", "bluesky")]["text"]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_page_that_cannot_be_written_is_bad_input_and_nothing_is_written(
    paperbot: Paperbot, tmp_path: Path
) -> None:
    paperbot.write_config(CONFIG)
    assert paperbot("add", "https://example.org/x", "--no-fetch", "--comment", "Hi.").exit_code == 0
    missing = tmp_path / "no-such-folder" / "page.html"
    result = paperbot("preview", "--html", str(missing))
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert not missing.parent.exists()
    result = paperbot("preview", "--html", str(tmp_path / "p.html"), "--json")
    assert result.exit_code == 2 and not (tmp_path / "p.html").exists()


def test_the_price_slot_shows_a_price_only_where_the_post_has_one(tmp_path: Path) -> None:
    browser = chromium()
    from bot.pages.preview_page import PreviewPost, render_preview_page

    posts = [
        PreviewPost(7, "Priced", "https://example.org/a", "x", "Text https://example.org/a",
                    30, 280, "weighted characters", price=0.2, planned="Mon 07 Dec 2026 09:00 UTC"),
        PreviewPost(7, "Priced", "https://example.org/a", "mastodon",
                    "Text https://example.org/a", 28, 500, "characters"),
    ]  # fmt: skip
    page = tmp_path / "priced.html"
    page.write_text(
        render_preview_page(posts, heading="h", load_image=lambda _source: b""), encoding="utf-8"
    )
    seen = {a["channel"]: a for a in probe(browser, page, tmp_path / "profile")["articles"]}
    assert seen["x"]["price"] == "$0.200" and seen["mastodon"]["price"] is None
    assert seen["x"]["planned"] == "planned Mon 07 Dec 2026 09:00 UTC"
    assert seen["mastodon"]["planned"] == "not planned yet"


def _usd(amount: object) -> str:
    """How the page prints a price: dollars with three decimals."""
    return f"${float(str(amount)):.3f}"
