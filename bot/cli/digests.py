"""Digest commands: `import` a weekly digest (Markdown, CSV, JSON) and compile one with `digest`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bot.cli.context import App, BadInput, emit_json, pass_app, translate_errors

PROGRESS_FROM = 500  # entries; smaller imports finish before a bar is worth drawing


def _read_input(source: str) -> tuple[bytes, Path, str]:
    """The file's bytes (size-capped before reading), its folder, and a name for messages."""
    from bot.digests.records import MAX_IMPORT_BYTES, read_limited

    if source == "-":
        return read_limited(sys.stdin.buffer, source_name="<stdin>"), Path.cwd(), "<stdin>"
    path = Path(source)
    if not path.is_file():
        raise BadInput(f"{source}: no such file")
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:  # refuse before reading a byte of it
        raise BadInput(
            f"{source}: {size / 1e6:.1f} MB is over the {MAX_IMPORT_BYTES // 2**20} MB import "
            "limit (split the file)"
        )
    with path.open("rb") as handle:
        return read_limited(handle, source_name=source), path.resolve().parent, source


def _detect_format(name: str, data: bytes, chosen: str) -> str:
    if chosen != "auto":
        return chosen
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".json"):
        return suffix[1:]
    if suffix in (".md", ".markdown", ".txt"):
        return "markdown"
    head = data.lstrip()[:200]
    if head.startswith((b"[", b"{")):
        return "json"
    first_line = head.split(b"\n", 1)[0].lower()
    if first_line.startswith(b"url,") or b",url," in first_line:
        return "csv"
    return "markdown"


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
@click.option("--no-fetch", is_flag=True, help="Do not ask arXiv for missing titles/comments.")
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
    from bot.digests.records import ImportFileError
    from bot.schedule.weeks import parse_week, week_of

    week_override = parse_week(week) if week else None
    data, base_dir, name = _read_input(source)
    kind = _detect_format(name, data, fmt)
    try:
        parsed = _parse(kind, data, base_dir, name, week_override)
    except ImportFileError as exc:
        raise BadInput(str(exc)) from None
    entries = list(parsed.entries)
    default_week = week_of(app.now(), app.tz)
    warnings: list[str] = []
    if not no_fetch and not app.offline:
        entries, warnings = _enrich(app, entries)
    from bot.digests.importer import import_entries

    progress: Any = None
    bar: Any = None
    if len(entries) >= PROGRESS_FROM and not as_json and sys.stderr.isatty():
        from rich.progress import Progress

        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task("importing", total=len(entries))

        def progress(done: int) -> None:
            bar.update(task, completed=done)

    try:
        report = import_entries(
            app.engine,
            entries,
            file_week=week_override or parsed.week,
            default_week=default_week,
            tz=app.tz,
            dry_run=dry_run,
            progress=progress,
            channels=app.settings.channels.post_to,
        )
    finally:
        if bar is not None:
            bar.stop()
    report.skipped = [(s.line, s.title, s.reason) for s in parsed.skipped]
    report.warnings = warnings
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


def _bring_image(source: str, out_dir: Path, *, copy: bool) -> str:
    """A local image outside the digest's folder is copied into its `img/`, so the digest is
    self-contained and imports again (the importer refuses paths that leave the folder)."""
    import hashlib
    import shutil

    path = Path(source)
    if not path.is_absolute() or not copy or not path.is_file():
        return source
    if path.resolve().is_relative_to(out_dir):
        return source
    target = out_dir / "img" / path.name
    if target.exists() and target.read_bytes() != path.read_bytes():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
        target = out_dir / "img" / f"{path.stem}-{digest}{path.suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(path, target)
    return str(target)


def _parse(kind: str, data: bytes, base_dir: Path, name: str, week: str | None) -> Any:
    from bot.digests.markdown import parse_markdown_bytes
    from bot.digests.tabular import parse_csv_bytes, parse_json_bytes

    parse = {
        "markdown": parse_markdown_bytes,
        "csv": parse_csv_bytes,
        "json": parse_json_bytes,
    }[kind]
    return parse(data, base_dir=base_dir, source_name=name, week_override=week)


def _enrich(app: App, entries: list[Any]) -> tuple[list[Any], list[str]]:
    from bot.digests.enrich import fetch_metadata, fill, needs_metadata
    from bot.text.sentences import first_sentence

    wanted = [e.arxiv_id for e in entries if needs_metadata(e.arxiv_id, e.title, e.comment)]
    if not wanted:
        return entries, []
    found, warnings = fetch_metadata(app.engine, wanted, app.settings.arxiv)
    filled = [
        fill(e, found.get(e.arxiv_id), first_sentence)
        if needs_metadata(e.arxiv_id, e.title, e.comment)
        else e
        for e in entries
    ]
    return filled, warnings


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
    from bot.digests.records import ImageRef
    from bot.digests.writer import DigestItem, render_digest
    from bot.schedule.weeks import parse_week
    from bot.store.engine import session_scope
    from bot.store.queue import list_entries, posts_for

    the_week = parse_week(week)
    with session_scope(app.engine, write=False) as session:
        entries = [e for e in list_entries(session=session, week=the_week) if e.status != "skipped"]
        posts = posts_for(session=session, entry_ids=[e.id for e in entries if e.id])
    if not entries:
        raise BadInput(f"no entries in {the_week} (see `paperbot list --week {the_week}`)")
    out_dir = output.resolve().parent if output else Path.cwd()
    items = []
    for entry in entries:
        real = [
            p
            for p in posts.get(entry.id or 0, [])
            if p.status == "posted" and p.channel != "dry-run"
        ]
        images = tuple(
            ImageRef(
                _bring_image(i.get("source", ""), out_dir, copy=output is not None),
                i.get("alt", ""),
            )
            for i in entry.images
        )
        items.append(
            DigestItem(
                kind=entry.kind,
                title=entry.title,
                url=entry.url,
                comment=entry.comment,
                images=images,
                post_url=real[0].remote_url if real else None,
            )
        )
    text = render_digest(the_week, items, output_dir=out_dir, language=language)  # type: ignore[arg-type]  # click.Choice checked it
    if output is None:
        sys.stdout.write(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output} ({len(items)} entries)")
