"""A week's entries compiled back into a Markdown digest (what `paperbot digest` prints).

Posted entries carry their post links; local images outside the output's folder are copied into
its `img/` so the digest imports again. Importing the result into an empty database gives the
same entries (tests check the round trip).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.digests.records import ImageRef

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.digests.writer import Language


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


def compile_digest(
    engine: Engine, week: str, *, output: Path | None, language: Language
) -> tuple[str, int]:
    """The digest text of `week` and how many entries it holds; `output` is where it will be
    written (None: stdout), so image paths are made relative to it."""
    from bot.digests.writer import DigestItem, render_digest
    from bot.schedule.weeks import parse_week
    from bot.store.engine import session_scope
    from bot.store.queue import list_entries, posts_for

    the_week = parse_week(week)
    with session_scope(engine, write=False) as session:
        entries = [e for e in list_entries(session=session, week=the_week) if e.status != "skipped"]
        posts = posts_for(session=session, entry_ids=[e.id for e in entries if e.id])
    if not entries:
        raise ValueError(f"no entries in {the_week} (see `paperbot list --week {the_week}`)")
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
    return render_digest(the_week, items, output_dir=out_dir, language=language), len(items)
