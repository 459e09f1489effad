"""Asking arXiv's HTML edition for a paper's page and its figure images, politely and safely.

arXiv asks robots to space their requests as for its API, so every request of a run (pages and
images alike) waits its turn behind ``min_interval`` seconds; clock and sleep are injected so
tests check the spacing without waiting. Every request goes through the image fetcher
(bot/images/fetch.py): the `[images]` size cap and timeout, and its refusal of private,
loopback and link-local addresses, hold for pages as for pictures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.images.types import ImageError

if TYPE_CHECKING:
    import httpx

    from bot.digests.latexml import PaperFigure
    from bot.images.phash import PictureHash
    from bot.images.types import ImagePolicy

__all__ = ["FetchedPage", "PageFetcher"]

HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"


@dataclass(frozen=True)
class FetchedPage:
    """A paper's page read: where it finally came from and its figures in order."""

    url: str
    figures: tuple[PaperFigure, ...]


class PageFetcher:
    """Pages and images for one run of `add` or `import`, one request at a time.

    ``html_urls`` are templates with ``{id}``, asked in order until one answers with a page.
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        html_urls: Sequence[str],
        policy: ImagePolicy,
        min_interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._html_urls = tuple(html_urls)
        self._policy = policy
        self._min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._last: float | None = None

    def _wait_turn(self) -> None:
        if self._last is not None:
            delay = self._last + self._min_interval - self._clock()
            if delay > 0:
                self._sleep(delay)
        self._last = self._clock()

    def page(self, arxiv_id: str) -> FetchedPage | str:
        """The first page ``html_urls`` give for the paper, or why none could be read."""
        from bot.digests.latexml import read_figures
        from bot.images.fetch import download_from

        reasons: list[str] = []
        for template in self._html_urls:
            url = template.replace("{id}", arxiv_id)
            self._wait_turn()
            try:
                final_url, body = download_from(url, self._policy, self._client, accept=HTML_ACCEPT)
            except ImageError as exc:
                reasons.append(f"{url} {_short(exc)}")
                continue
            try:
                figures = read_figures(body, final_url)
            except Exception as exc:  # the C parser's errors have no common type of ours
                reasons.append(f"{final_url} could not be read as HTML ({exc})")
                continue
            return FetchedPage(final_url, tuple(figures))
        return "no HTML edition: " + "; ".join(reasons)

    def image(self, source: str, base_dir: Path) -> bytes:
        """An image checked as posting will check it (type, size, pixels); ImageError if not.

        Remote images wait their turn; local files (a digest's ``img/...``) are simply read.
        """
        from bot.images.load import is_remote, load_image

        if is_remote(source):
            self._wait_turn()
        return load_image(source, base_dir=base_dir, policy=self._policy, client=self._client).data

    def picture_hash(self, source: str, base_dir: Path) -> PictureHash:
        from bot.images.phash import picture_hash

        return picture_hash(source, self.image(source, base_dir))


def _short(exc: ImageError) -> str:
    """The problem without the image-specific advice after the dash."""
    return exc.problem.split(" — ")[0]
