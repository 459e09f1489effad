"""Digest commands: `import` a weekly digest (Markdown, CSV, JSON) and compile one with `digest`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bot.cli.context import App, pass_app, translate_errors
from bot.cli.output import emit_json

PROGRESS_FROM = 500  # entries; smaller imports finish before a bar is worth drawing


class _ProgressBar:
    """A transient bar on a terminal's stderr, drawn only for imports worth waiting on."""

    def __init__(self, *, enabled: bool) -> None:
        self._enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    def update(self, done: int, total: int) -> None:
        if self._bar is None and self._enabled and total >= PROGRESS_FROM:
            from rich.progress import Progress

            self._bar = Progress(transient=True)
            self._bar.start()
            self._task = self._bar.add_task("importing", total=total)
        if self._bar is not None:
            self._bar.update(self._task, completed=done)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


@click.command(name="import")
@click.argument("source", metavar="FILE|-")
@click.option("--week", help="Put every entry in this ISO week (wins over the digest's title).")
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "markdown", "csv", "json"]),
    default="auto",
    show_default=True,
    help="Input format.",
)
@click.option(
    "--no-fetch", is_flag=True, help="Do not ask arXiv for anything (titles, comments, figures)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
@translate_errors
def import_(
    app: App, source: str, week: str | None, dry_run: bool, fmt: str, no_fetch: bool, as_json: bool
) -> None:
    """Import a weekly digest (Markdown like the bundled example, CSV or JSON).

    All or nothing: any bad row (all of them are listed) means nothing is written. URLs already
    queued for that week are reported and skipped. CSV/JSON columns:
    url,title,comment,image,alt,kind,week,at (several images: separate with |).

    \b
    Example:
      paperbot import examples/2020-W37.md
      paperbot import week.csv --week 2026-W48 --dry-run
    """
    from bot.cli.wiring import image_policy
    from bot.digests.import_digest import ImportRequest, import_digest

    request = ImportRequest(source, week, fmt, dry_run, fetch_metadata=not no_fetch)
    bar = _ProgressBar(enabled=not as_json and sys.stderr.isatty())
    try:
        report, name = import_digest(
            lambda: app.engine,
            request,
            environ=app.environ,
            now=app.now(),
            tz=app.tz,
            arxiv=None if app.offline else app.settings.arxiv,
            progress=bar.update,
            channels=app.settings.channels.post_to,
            image_policy=None if app.offline else image_policy(app),
        )
    finally:
        bar.stop()
    warnings = report.warnings
    if as_json:
        emit_json(
            {
                "dry_run": dry_run,
                "added": [{"id": i, "url": u} for i, u in report.added],
                "already_queued": [
                    {"line": ln, "url": u, "reason": r} for ln, u, r in report.duplicates
                ],
                "skipped": [{"line": ln, "title": t, "reason": r} for ln, t, r in report.skipped],
                "warnings": warnings,
            }
        )
        return
    for line, url, reason in report.duplicates:
        click.echo(f"{name}:{line}: {url}: {reason}", err=True)
    for line, title, reason in report.skipped:
        click.echo(f"{name}:{line}: skipped {title!r}: {reason}", err=True)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    prefix = "dry run: would have " if dry_run else ""
    click.echo(prefix + report.summary())


@click.command()
@click.option("--week", required=True, help="The ISO week to compile (YYYY-Www).")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (image paths become relative to it); default stdout.",
)
@click.option(
    "--language",
    type=click.Choice(["en", "zh", "ja"]),
    default="en",
    show_default=True,
    help="Language of the section headings.",
)
@pass_app
@translate_errors
def digest(app: App, week: str, output: Path | None, language: str) -> None:
    """Compile a week's entries (posted ones with their post links) into a Markdown digest.

    Importing the digest into an empty database gives the same entries.

    \b
    Example:
      paperbot digest --week 2026-W48 --output digests/2026-W48.md
    """
    from bot.digests.compile import compile_digest

    text, count = compile_digest(
        app.engine,
        week,
        output=output,
        language=language,  # type: ignore[arg-type]  # click.Choice checked it
    )
    if output is None:
        sys.stdout.write(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output} ({count} entries)")
