"""`add`'s side of the paper's own figure: the --figure option and the call into the core.

The work is bot/digests/figures.py's; this module only decides whether to ask (an arXiv link,
no --no-fetch, not offline, a figure wanted) and prints its one-line notes and warnings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.context import App, BadInput

if TYPE_CHECKING:
    from bot.store.new_entry import NewEntry

figure_option = click.option(
    "--figure",
    metavar="N|none",
    help="The paper's figure to attach when no --image is given: the one it numbers N, or "
    "none (default: [arxiv] figure, the first).",
)


def figure_choice(
    app: App, figure: str | None, *, arxiv_id: str | None, images: int, no_fetch: bool
) -> str:
    """The figure wanted ("first", "none" or a number), refusing contradictions (exit 2)."""
    if figure is None:
        return app.settings.arxiv.figure
    from bot.digests.figures import parse_choice

    try:
        choice = parse_choice(figure)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if choice != "none":
        if arxiv_id is None:
            raise BadInput("--figure takes a figure of an arXiv paper; this link is not one")
        if images:
            raise BadInput("--figure takes the paper's figure as the image: drop --image")
        if no_fetch:
            raise BadInput("--figure needs arXiv's page, which --no-fetch forbids")
    return choice


def add_figure(app: App, new: NewEntry, choice: str) -> NewEntry:
    """``new`` with the paper's figure (or captions for its images without alt text)."""
    from dataclasses import replace

    from bot.cli.wiring import image_policy
    from bot.digests.figures import FigureJob, find_figures, wants_figures

    assert new.arxiv_id is not None
    job = FigureJob(
        arxiv_id=new.arxiv_id,
        images=tuple((i["source"], i.get("alt", "")) for i in new.images),
        channels=new.channels,
        choice=choice,
        base_dir=Path.cwd(),
    )
    if not wants_figures(job):
        return new
    [outcome] = find_figures([job], app.settings.arxiv, image_policy(app))
    for note in outcome.notes:
        click.echo(note, err=True)
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}", err=True)
    images = tuple({"source": source, "alt": alt} for source, alt in outcome.images)
    return replace(new, images=images)
