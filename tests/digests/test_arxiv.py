"""The arXiv client against a real HTTP server on 127.0.0.1 serving real-shaped Atom replies.

Time is faked (an injected clock and sleep), so the three-second spacing arXiv asks for and the
backoff between retries are asserted exactly, without waiting.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from bot.digests.arxiv import ArxivClient, ArxivError, ArxivMeta, normalize_id
from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
EMPTY_FEED = (FIXTURES / "arxiv_unknown.xml").read_bytes()


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ArxivServer:
    """Answers /api/query from a script of replies and records when (in fake time) each came."""

    def __init__(self, server: FakeHTTPServer, time: FakeTime) -> None:
        self.server = server
        self.time = time
        self.replies: list[Reply] = []
        self.default = Reply(200, ATOM, EMPTY_FEED)
        self.times: list[float] = []
        server.route("/api/query", self._answer)

    def _answer(self, request: RecordedRequest) -> Reply:
        self.times.append(self.time.now)
        return self.replies.pop(0) if self.replies else self.default

    @property
    def url(self) -> str:
        return self.server.url("/api/query")

    def id_lists(self) -> list[list[str]]:
        return [parse_qs(r.query)["id_list"][0].split(",") for r in self.server.requests]

    def params(self, index: int = 0) -> dict[str, list[str]]:
        return parse_qs(self.server.requests[index].query)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def arxiv(fake_time: FakeTime) -> Iterator[ArxivServer]:
    with FakeHTTPServer() as server:
        yield ArxivServer(server, fake_time)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as client:
        yield client


def make_client(
    http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime, **kwargs: float
) -> ArxivClient:
    return ArxivClient(
        http,
        base_url=arxiv.url,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        min_interval=kwargs.pop("min_interval", 3.0),
        retries=int(kwargs.pop("retries", 3)),
    )


FLOW_EDGE_ABSTRACT = (
    "We present a new flow-based video completion algorithm. Previous flow completion methods "
    "are often unable to retain the sharpness of motion boundaries. Our method first extracts "
    "and completes motion edges, and then uses them to guide piecewise-smooth flow completion "
    "with sharp edges. Existing methods propagate colors among local flow connections between "
    "adjacent frames. However, not all missing regions in a video can be reached in this way "
    "because the motion boundaries form impenetrable barriers. Our method alleviates this "
    "problem by introducing non-local flow connections to temporally distant frames, enabling "
    "propagating video content over motion boundaries. We validate our approach on the DAVIS "
    "dataset. Both visual and quantitative results show that our method compares favorably "
    "against the state-of-the-art algorithms."
)


def test_known_paper(http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime) -> None:
    arxiv.replies.append(Reply(200, ATOM, fixture("arxiv_2009.01835.xml")))
    found = make_client(http, arxiv, fake_time).fetch(["2009.01835"])
    assert found == {
        "2009.01835": ArxivMeta(
            arxiv_id="2009.01835",
            title="Flow-edge Guided Video Completion",
            authors=("Chen Gao", "Ayush Saraf", "Jia-Bin Huang", "Johannes Kopf"),
            abstract=FLOW_EDGE_ABSTRACT,
            published=datetime(2020, 9, 3, 17, 59, 33, tzinfo=UTC),
        )
    }
    assert arxiv.params() == {"id_list": ["2009.01835"], "start": ["0"], "max_results": ["1"]}
    assert fake_time.sleeps == []  # the first request goes out at once


def test_two_ids_in_one_request_keyed_without_version(
    http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime
) -> None:
    arxiv.replies.append(Reply(200, ATOM, fixture("arxiv_two.xml")))
    ids = ["https://arxiv.org/pdf/2009.01835v1.pdf", "arXiv:2005.09973v2", "2009.01835"]
    found = make_client(http, arxiv, fake_time).fetch(ids)
    assert arxiv.id_lists() == [["2009.01835", "2005.09973"]]
    assert arxiv.params()["max_results"] == ["2"]  # arXiv's default of 10 would cut batches
    assert sorted(found) == ["2005.09973", "2009.01835"]
    drn = found["2005.09973"]
    assert drn.title == (
        "Dynamic Refinement Network for Oriented and Densely Packed Object Detection"
    )
    assert drn.authors[0] == "Xingjia Pan" and len(drn.authors) == 8
    assert "\n" not in drn.abstract and "  " not in drn.abstract
    assert drn.abstract.startswith("Object detection has achieved remarkable progress")
    assert drn.published == datetime(2020, 5, 20, 10, 37, 13, tzinfo=UTC)


def test_unknown_id_is_absent(http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime) -> None:
    arxiv.replies.append(Reply(200, ATOM, fixture("arxiv_unknown.xml")))
    assert make_client(http, arxiv, fake_time).fetch(["2009.99999"]) == {}
    assert len(arxiv.server.requests) == 1


def test_malformed_ids_are_never_sent(
    http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime
) -> None:
    client = make_client(http, arxiv, fake_time)
    assert client.fetch(["1234", "2013.01835", "1601.0001", "not an id", ""]) == {}
    assert arxiv.server.requests == []


def test_id_arxiv_calls_malformed_is_dropped_and_the_rest_asked_again(
    http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime
) -> None:
    arxiv.replies += [
        Reply(200, ATOM, fixture("arxiv_error_incorrect_id.xml")),
        Reply(200, ATOM, fixture("arxiv_2009.01835.xml")),
    ]
    found = make_client(http, arxiv, fake_time).fetch(["2009.01835", "2009.99999"])
    assert list(found) == ["2009.01835"]
    assert arxiv.id_lists() == [["2009.01835", "2009.99999"], ["2009.01835"]]
    assert fake_time.sleeps == [3.0]  # the second ask still waits its turn


def test_error_entry_for_the_whole_query_raises(
    http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime
) -> None:
    body = fixture("arxiv_error_incorrect_id.xml").replace(
        b"errors#incorrect_id_format_for_2009.99999", b"errors#malformed_query"
    )
    arxiv.replies.append(Reply(200, ATOM, body))
    with pytest.raises(ArxivError, match=r"incorrect id format for 2009\.99999"):
        make_client(http, arxiv, fake_time).fetch(["2009.01835"])


def test_503_then_success_waits_the_backoff_or_retry_after(
    http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime
) -> None:
    arxiv.replies += [
        Reply(503, {"Retry-After": "10", "Content-Type": "text/plain"}, b"Service Unavailable"),
        Reply(503, {"Content-Type": "text/plain"}, b"Service Unavailable"),
        Reply(200, ATOM, fixture("arxiv_2009.01835.xml")),
    ]
    found = make_client(http, arxiv, fake_time).fetch(["2009.01835"])
    assert list(found) == ["2009.01835"]
    assert len(arxiv.server.requests) == 3
    assert fake_time.sleeps == [10.0, 6.0]  # Retry-After beats the 3 s backoff, then 3 * 2
    assert [t - arxiv.times[0] for t in arxiv.times] == [0.0, 10.0, 16.0]


def test_gives_up_after_the_retries(
    http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime
) -> None:
    arxiv.default = Reply(502, {"Content-Type": "text/plain"}, b"Bad Gateway")
    with pytest.raises(ArxivError, match=r"failed 3 times, last: HTTP 502"):
        make_client(http, arxiv, fake_time, retries=2).fetch(["2009.01835"])
    assert len(arxiv.server.requests) == 3
    assert fake_time.sleeps == [3.0, 6.0]


def test_client_errors_are_not_retried(
    http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime
) -> None:
    arxiv.default = Reply(400, {"Content-Type": "text/plain"}, b"Bad Request")
    with pytest.raises(ArxivError, match="HTTP 400"):
        make_client(http, arxiv, fake_time).fetch(["2009.01835"])
    assert len(arxiv.server.requests) == 1


def test_timeout_is_retried(arxiv: ArxivServer, fake_time: FakeTime) -> None:
    arxiv.replies += [
        Reply(200, ATOM, fixture("arxiv_2009.01835.xml"), delay=3.0),
        Reply(200, ATOM, fixture("arxiv_2009.01835.xml")),
    ]
    with httpx.Client(timeout=0.3) as http:
        found = make_client(http, arxiv, fake_time).fetch(["2009.01835"])
    assert list(found) == ["2009.01835"]
    assert len(arxiv.server.requests) == 2
    assert fake_time.sleeps == [3.0]


def test_requests_are_batched_and_spaced(
    http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime
) -> None:
    ids = [f"2009.{n:05d}" for n in range(1, 251)]
    assert make_client(http, arxiv, fake_time).fetch(ids) == {}
    assert [len(batch) for batch in arxiv.id_lists()] == [100, 100, 50]
    assert [arxiv.params(i)["max_results"] for i in range(3)] == [["100"], ["100"], ["50"]]
    assert [t - arxiv.times[0] for t in arxiv.times] == [0.0, 3.0, 6.0]


def test_spacing_holds_across_fetch_calls(
    http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime
) -> None:
    client = make_client(http, arxiv, fake_time, min_interval=3.0)
    client.fetch(["2009.01835"])
    fake_time.now += 1.0  # the caller did something else for a second
    client.fetch(["2005.09973"])
    assert fake_time.sleeps == [2.0]


def test_dtd_is_refused(http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime) -> None:
    body = fixture("arxiv_2009.01835.xml").replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY lol "lol">]>',
    )
    arxiv.replies.append(Reply(200, ATOM, body))
    with pytest.raises(ArxivError, match="DTD"):
        make_client(http, arxiv, fake_time).fetch(["2009.01835"])


def test_html_instead_of_atom_is_an_error(
    http: httpx.Client, arxiv: ArxivServer, fake_time: FakeTime
) -> None:
    arxiv.replies.append(
        Reply(200, {"Content-Type": "text/html"}, b"<html><body>busy</body></html>")
    )
    with pytest.raises(ArxivError, match="not an Atom feed"):
        make_client(http, arxiv, fake_time).fetch(["2009.01835"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2009.01835", "2009.01835"),
        ("2009.01835v3", "2009.01835"),
        ("https://arxiv.org/abs/0704.0001", "0704.0001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("arXiv:1412.6980", "1412.6980"),
        ("1412.69801", None),  # five digits only from 2015
        ("1501.0001", None),  # four digits only before 2015
        ("2013.01835", None),  # month 13
        ("hep-th/9913001", None),
        ("https://example.com/2009.01835", None),
    ],
)
def test_normalize_id(text: str, expected: str | None) -> None:
    assert normalize_id(text) == expected


def test_importing_the_module_is_cheap() -> None:
    code = "import sys, bot.digests.arxiv; print('httpx' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
