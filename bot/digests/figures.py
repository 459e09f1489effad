"""The paper's own figure: taken from arXiv's HTML edition, with its caption as alt text.

An arXiv entry without an image gets the paper's figure (the first one with a raster image,
or the one it numbers N); an image without alt text is compared with the paper's figures by a
perceptual hash, and a match gives that figure's caption. An alt text the curator wrote is
never replaced. Nothing here is ever in the way: whatever fails (no HTML edition, no raster
figure, a page or image that is broken, slow or too big) leaves the entry as it was, with one
line saying why, and the entry is queued all the same.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.images.types import ImageError
from bot.text.alt_text import alt_limit, fit_alt_text

if TYPE_CHECKING:
    from bot.config.settings import ArxivSettings
    from bot.digests.figure_pages import FetchedPage, PageFetcher
    from bot.digests.latexml import PaperFigure
    from bot.images.phash import PictureHash
    from bot.images.types import ImagePolicy

__all__ = ["FigureJob", "FigureOutcome", "find_figures", "parse_choice", "wants_figures"]

#: Figure images downloaded at most per paper while looking for a match (each is a request).
MAX_MATCH_DOWNLOADS = 24

Image = tuple[str, str]  # (source, alt)


@dataclass(frozen=True)
class FigureJob:
    """One entry's question: ``choice`` is "first", "none" or the number of a figure."""

    arxiv_id: str
    images: tuple[Image, ...]
    channels: tuple[str, ...]
    choice: str = "first"
    base_dir: Path = Path()


@dataclass(frozen=True)
class FigureOutcome:
    """The entry's images afterwards; ``notes`` say what was taken, ``warnings`` why not."""

    images: tuple[Image, ...]
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def parse_choice(text: str) -> str:
    """ "first", "none" or a figure number as the paper writes it ("3", "A.1"); ValueError
    for anything else."""
    value = text.strip()
    if value.lower() in ("first", "none"):
        return value.lower()
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)*|[A-Z](?:\.[0-9]+)+", value) and value != "0":
        return value
    raise ValueError(f"--figure {text!r}: give the figure's number (e.g. 2) or none")


def wants_figures(job: FigureJob) -> bool:
    """Whether the entry needs the paper's page at all (no request is made otherwise)."""
    if job.choice == "none":
        return False
    return not job.images or any(not alt.strip() for _, alt in job.images)


def find_figures(
    jobs: Sequence[FigureJob],
    arxiv: ArxivSettings,
    policy: ImagePolicy,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[FigureOutcome]:
    """One outcome per job, in order; jobs that want nothing cost no request."""
    if not any(wants_figures(job) for job in jobs):
        return [FigureOutcome(job.images) for job in jobs]
    import httpx

    from bot.digests.figure_pages import PageFetcher

    outcomes: list[FigureOutcome] = []
    with httpx.Client(timeout=policy.timeout, follow_redirects=False) as client:
        fetcher = PageFetcher(
            client,
            html_urls=arxiv.html_urls,
            policy=policy,
            min_interval=arxiv.min_interval_seconds,
            clock=clock,
            sleep=sleep,
        )
        for job in jobs:
            outcome = _Entry(job, fetcher).run() if wants_figures(job) else None
            outcomes.append(outcome or FigureOutcome(job.images))
    return outcomes


@dataclass(frozen=True)
class _Entry:
    """One entry's figure work against the run's fetcher."""

    job: FigureJob
    fetcher: PageFetcher

    def _say(self, text: str) -> str:
        return f"arXiv {self.job.arxiv_id}: {text}"

    def run(self) -> FigureOutcome:
        page = self.fetcher.page(self.job.arxiv_id)
        if isinstance(page, str):
            return self._failed(page)
        if not self.job.images:
            return self._take(page)
        return self._match(page)

    def _failed(self, why: str) -> FigureOutcome:
        what = "queued without a figure" if not self.job.images else "alt text left empty"
        return FigureOutcome(self.job.images, warnings=(self._say(f"{why}; {what}"),))

    def _alt(self, figure: PaperFigure) -> str:
        return fit_alt_text(figure.caption, alt_limit(self.job.channels))

    def _choose(self, page: FetchedPage) -> PaperFigure | str:
        figures = page.figures
        if self.job.choice == "first":
            found = next((f for f in figures if f.images), None)
            return found or f"the HTML edition ({page.url}) has no raster figure"
        wanted = next((f for f in figures if f.number == self.job.choice), None)
        if wanted is None:
            numbers = ", ".join(f.number for f in figures) or "none"
            return f"the paper has no figure {self.job.choice} (its figures: {numbers})"
        if not wanted.images:
            return f"figure {wanted.number} has no raster image (a vector drawing)"
        return wanted

    def _take(self, page: FetchedPage) -> FigureOutcome:
        figure = self._choose(page)
        if isinstance(figure, str):
            return self._failed(figure)
        for source in figure.images:
            try:
                self.fetcher.image(source, self.job.base_dir)
            except ImageError as exc:
                return self._failed(f"figure {figure.number}: {exc}")
        alt = self._alt(figure)
        images = tuple((source, alt) for source in figure.images)
        count = f" ({len(images)} panels)" if len(images) > 1 else ""
        note = self._say(f"took figure {figure.number}{count} from {page.url}, caption as alt text")
        return FigureOutcome(images, notes=(note,))

    def _match(self, page: FetchedPage) -> FigureOutcome:
        images = list(self.job.images)
        warnings: list[str] = []
        pending: dict[int, PictureHash] = {}
        for index, (source, alt) in enumerate(images):
            if alt.strip():
                continue  # the curator's alt text is never replaced
            try:
                pending[index] = self.fetcher.picture_hash(source, self.job.base_dir)
            except ImageError as exc:
                warnings.append(self._say(f"{exc}; its alt text is left empty"))
        matched, checked = self._compare(page, pending)
        notes = []
        for index, figure in matched.items():
            images[index] = (images[index][0], self._alt(figure))
            notes.append(self._say(f"image {index + 1} is figure {figure.number}: caption as alt"))
        for index in sorted(set(pending) - set(matched)):
            warnings.append(
                self._say(
                    f"image {images[index][0]} matches none of the paper's figures "
                    f"({checked} images compared); its alt text is left empty"
                )
            )
        return FigureOutcome(tuple(images), tuple(notes), tuple(warnings))

    def _compare(
        self, page: FetchedPage, pending: dict[int, PictureHash]
    ) -> tuple[dict[int, PaperFigure], int]:
        """Figure images downloaded in order (at most MAX_MATCH_DOWNLOADS) until every pending
        image has its match; returns the matches and how many images were compared."""
        matched: dict[int, PaperFigure] = {}
        checked = 0
        for figure in page.figures:
            for source in figure.images:
                if len(matched) == len(pending) or checked == MAX_MATCH_DOWNLOADS:
                    return matched, checked
                checked += 1
                try:
                    found = self.fetcher.picture_hash(source, self.job.base_dir)
                except ImageError:
                    continue  # another figure may still match
                for index, wanted in pending.items():
                    if index not in matched and wanted.same_picture(found):
                        matched[index] = figure
        return matched, checked
