"""The page fetcher's pace: every request to arXiv waits `min_interval` after the one before.

Time is faked (an injected clock and sleep that only moves when slept), so the spacing is
asserted exactly without waiting; the requests cross real sockets to the fake on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from bot.digests.figure_pages import FetchedPage, PageFetcher
from bot.images.types import ImagePolicy
from tests.fakes.fake_arxiv_html import FakeArxivHtml
from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, Reply
from tests.fakes.latexml_pages import Figure, figure_png


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_pages_and_images_are_spaced_like_the_api_requests() -> None:
    time = FakeTime()
    with FakeHTTPServer() as server, httpx.Client() as client:
        fake = FakeArxivHtml(server)
        fake.paper("2401.00001", [Figure(1, "One.", ("x1.png",))], {"x1.png": figure_png(1)})
        seen: list[float] = []

        def page(request: RecordedRequest) -> Reply:
            seen.append(time.now)
            return Reply(404)

        server.route("/html/2401.00009", page)
        fetcher = PageFetcher(
            client,
            html_urls=fake.html_urls,
            policy=ImagePolicy(allow_private_hosts=True),
            min_interval=3.0,
            clock=time.clock,
            sleep=time.sleep,
        )
        found = fetcher.page("2401.00001")
        assert isinstance(found, FetchedPage)
        time.now += 1.0  # some work between two requests counts toward the pause
        fetcher.image(found.figures[0].images[0], Path.cwd())
        missing = fetcher.page("2401.00009")
    assert time.sleeps == [2.0, 3.0, 3.0]
    assert seen == [1006.0]  # 1000 page, 1003 image, 1006 the next page, 1009 ar5iv
    assert isinstance(missing, str) and missing.startswith("no HTML edition: ")
    assert missing.count("404 Not Found") == 2
    accept = server.requests[0].headers["accept"]
    assert accept.startswith("text/html")
