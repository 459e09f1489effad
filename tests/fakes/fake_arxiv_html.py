"""A fake of arXiv's HTML edition and of ar5iv on 127.0.0.1, serving pages written for the tests.

Laid out as the real ones are (FACTS.md): ``/html/<id>`` redirects to the versioned
``/html/<id>vN/``, whose images are relative (``x1.png``); ar5iv (``/ar5iv/html/<id>``) keeps
its images under ``/ar5iv/html/<id>/assets/`` and links them from the site root, or, with
``absolute``, by their full URL. Unknown papers answer 404, as a failed conversion does.
Every request is recorded by the underlying FakeHTTPServer, so tests count them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from tests.fakes.http_server import FakeHTTPServer, Reply
from tests.fakes.latexml_pages import Figure, Table, latexml_page, paragraph

HTML = {"Content-Type": "text/html; charset=utf-8"}


class FakeArxivHtml:
    """Papers served from one FakeHTTPServer; ``html_urls`` is what `[arxiv] html_urls` takes."""

    def __init__(self, server: FakeHTTPServer) -> None:
        self.server = server

    @property
    def html_urls(self) -> list[str]:
        return [self.server.url("/html/{id}"), self.server.url("/ar5iv/html/{id}")]

    def config(self, extra: str = "", *, private: bool = True, images: str = "") -> str:
        """A paperbot.toml pointing `[arxiv]` here, without the polite pause (tests only) and
        without the metadata API (the tests give titles and comments)."""
        urls = ", ".join(f'"{u}"' for u in self.html_urls)
        images = "[images]\n" + ("allow_private_hosts = true\n" if private else "") + images
        return (
            f'timezone = "UTC"\n[arxiv]\nfetch = false\nhtml_urls = [{urls}]\n'
            "min_interval_seconds = 0\n"
            f"{extra}\n{images}"
        )

    def paper(
        self,
        arxiv_id: str,
        blocks: Sequence[Figure | Table],
        images: dict[str, bytes],
        *,
        site: str = "arxiv",
        version: int = 2,
        absolute: bool = False,
        page: bytes | None = None,
    ) -> None:
        """Serve the paper's page (``page`` instead of the rendered blocks if given) and its
        images (name -> bytes; figures name their images by these names)."""
        if site == "arxiv":
            folder = f"/html/{arxiv_id}v{version}/"
            self.server.redirect(f"/html/{arxiv_id}", folder, status=301)
            prefix = ""  # relative to the versioned page, as arXiv writes them
        else:
            folder = f"/ar5iv/html/{arxiv_id}/assets/"
            prefix = (self.server.url("").rstrip("/") if absolute else "") + folder

        def src(name: str) -> str:
            return prefix + name

        rendered = [
            replace(b, images=tuple(src(n) for n in b.images))
            if isinstance(b, Figure)
            else replace(b, image=src(b.image) if b.image else "")
            for b in blocks
        ]
        body = page if page is not None else latexml_page(rendered, seed=len(arxiv_id))
        path = folder if site == "arxiv" else f"/ar5iv/html/{arxiv_id}"
        self.server.route(path, Reply(200, HTML, body))
        for name, data in images.items():
            kind = "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"
            self.server.route(f"{folder}{name}", Reply(200, {"Content-Type": kind}, data))

    def huge(self, arxiv_id: str, megabytes: int, *, declared: bool = False) -> None:
        """A page of ``megabytes`` MB, streamed (with or without a Content-Length)."""
        size = megabytes * 1_000_000
        head = latexml_page([Figure(1, "A figure.", (f"/html/{arxiv_id}/x1.png",))])
        self.server.route(
            f"/html/{arxiv_id}",
            Reply(200, HTML, _filler(head, size), content_length=size if declared else False),
        )

    def count(self) -> int:
        return len(self.server.requests)

    def pages(self) -> list[str]:
        return [p for p in self.server.paths() if not p.endswith((".png", ".jpg"))]


def _filler(head: bytes, size: int) -> Iterator[bytes]:
    """``size`` bytes: the page's head, then prose in 64 kB chunks."""
    import random

    yield head[: size - 1]
    rng = random.Random(1)
    chunk = "".join(paragraph(rng, i) for i in range(60)).encode()[:65536]
    sent = min(len(head), size - 1)
    while sent < size:
        part = chunk[: size - sent]
        sent += len(part)
        yield part
