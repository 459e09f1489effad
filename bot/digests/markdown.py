"""Read a weekly Markdown digest (the shape of Akira's ML News) back into entries.

Digests are written by hand, translated by machines and pasted from Medium, so the reader is
lenient about form and strict about meaning:

* ``#`` headings are the title (with the week) and the sections (papers / technical articles /
  application examples, in English, Chinese or Japanese); one ``##`` heading is one entry.
* An entry's link may be a Markdown link, ``<url>``, a bare URL, ``【url``, ``arXiv:ID``, a link
  in the heading, a Medium embed card, or failing all those a link inside the comment.
* A heading without a usable link is reported as skipped, never dropped silently; so is one
  whose links only lead to the digest author's own profiles ("follow me on Twitter").
* Anything that would upload the wrong file (an image outside the digest's folder) or post
  the wrong link (a link line that is not a URL) is an error, and all errors are collected.

Block tokens come from markdown-it-py through ``bot.digests.markdown_blocks``; this module
sorts them into the title, the sections and the entries, and decides the week. What one
entry means (its link, comment and images) is ``bot.digests.markdown_entries``; heading
meanings (sections, weeks) are ``bot.digests.headings``; own profiles
``bot.digests.profiles``. ``bot.digests.writer`` writes digests this module reads back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.digests.headings import classify_section, names_week, week_of
from bot.digests.markdown_blocks import Token, tokenize
from bot.digests.markdown_entries import Context, RawEntry, finish_entry, inline_links, split_body
from bot.digests.markdown_syntax import split_heading
from bot.digests.profiles import author_handles
from bot.digests.records import (
    ErrorList,
    ImportedEntry,
    ParsedImport,
    Skipped,
    check_text_size,
    decode_text,
    drop_duplicates,
)
from bot.schedule.weeks import make_week, parse_week

__all__ = ["parse_markdown", "parse_markdown_bytes"]


@dataclass
class _Outline:
    """The file's shape: its title heading, the text before the first entry, the entries."""

    title: Token | None = None
    preamble: list[Token] = field(default_factory=list)
    raws: list[RawEntry] = field(default_factory=list)


def _levels(tokens: list[Token]) -> tuple[int, int]:
    """(section level, entry level): ``#``/``##`` as in the seed, or ``##``/``###`` when the
    digest puts its sections one level down and has no ``#`` section."""
    headings = [t for t in tokens if t.kind == "heading"]
    if any(t.level == 1 and classify_section(t.text) for t in headings):
        return 1, 2
    if any(t.level == 2 and classify_section(t.text) for t in headings) and any(
        t.level == 3 for t in headings
    ):
        return 2, 3
    return 1, 2


def _outline(tokens: list[Token]) -> _Outline:
    """Sort the tokens: the first top heading before any section or entry is the title, a
    section heading sets the kind of the entries under it, an entry heading starts one."""
    section_level, entry_level = _levels(tokens)
    outline = _Outline()
    kind: str | None = None
    started = False  # past the preamble: a section or an entry has begun
    current: RawEntry | None = None
    for token in tokens:
        if token.kind == "heading" and token.level <= section_level:
            current = None
            section = classify_section(token.text) if token.level == section_level else None
            top = token.level < section_level or names_week(token.text) or section is None
            if outline.title is None and not started and top:
                outline.title = token
            elif token.level == section_level:
                kind, started = section, True
        elif token.kind == "heading" and token.level == entry_level:
            current = RawEntry(token.line, token.text, kind)
            outline.raws.append(current)
            started = True
        elif current is not None:
            current.tokens.append(token)
        elif not started:
            outline.preamble.append(token)
    return outline


def _file_week(
    outline: _Outline, override: str | None, default: str | None, errors: ErrorList
) -> str | None:
    """The user's ``--week``, else the week the title names, else the default."""
    if override is not None or outline.title is None:
        return override or default
    context = "\n".join(t.text for t in outline.preamble)
    found = week_of(outline.title.text, context, int(default[:4]) if default else None)
    if found:
        try:
            return make_week(*found)
        except ValueError as exc:
            line = outline.title.line
            errors.add(line, "week", f"the title names a week that does not exist: {exc}")
    return default


def _read_entries(outline: _Outline, ctx: Context) -> tuple[list[ImportedEntry], list[Skipped]]:
    """Every entry heading as an entry or a skip; the author's handles are guessed from all
    the file's links first, since a profile link may come before the link that gives it away."""
    parts = []
    for raw in outline.raws:
        heading_title, heading_links = split_heading(raw.heading)
        parts.append((raw, split_body(raw.tokens), heading_title, heading_links))
    preamble_urls = [c.raw for t in outline.preamble for c in inline_links(t.text, t.line)]
    all_urls = list(preamble_urls)
    for _, body, _, heading_links in parts:
        all_urls += heading_links + [c.raw for c in (*body.candidates, *body.inline)]
    ctx.authors = author_handles(preamble_urls, all_urls)

    entries: list[ImportedEntry] = []
    skipped: list[Skipped] = []
    for raw, body, heading_title, heading_links in parts:
        result = finish_entry(raw, body, heading_title, heading_links, ctx)
        if isinstance(result, ImportedEntry):
            entries.append(result)
        elif result is not None:
            skipped.append(result)
    return entries, skipped


def parse_markdown(
    text: str,
    *,
    base_dir: Path,
    source_name: str = "<stdin>",
    default_week: str | None = None,
    week_override: str | None = None,
    check_images: bool = True,
) -> ParsedImport:
    """Read a Markdown digest; raise ImportFileError listing every problem in it.

    The week is ``week_override`` when given (the user's explicit ``--week`` beats whatever
    the file says), else the week the title names, else ``default_week``, else None (the
    caller then uses the current week). Relative image paths are resolved against
    ``base_dir`` and must stay inside it; ``check_images=False`` skips checking that they
    exist (for previews and tests), not the confinement.
    """
    errors = ErrorList(source_name)
    check_text_size(text, source_name=source_name)
    override = _checked_week(week_override, errors)
    default = _checked_week(default_week, errors)
    tokens = list(tokenize(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")))
    outline = _outline(tokens)
    week = _file_week(outline, override, default, errors)
    entries, skipped = _read_entries(outline, Context(base_dir, week, check_images, errors))
    kept = drop_duplicates(entries, skipped)
    if not kept and not errors.errors:
        reason = "no entries found (expected '## title' headings with links)"
        if skipped:
            reason += f"; {len(skipped)} heading(s) skipped, the first: {skipped[0].reason}"
        errors.add(None, None, reason)
    errors.raise_if_any()
    skipped.sort(key=lambda s: s.line)
    return ParsedImport(week=week, entries=kept, skipped=tuple(skipped))


def _checked_week(week: str | None, errors: ErrorList) -> str | None:
    if week is None:
        return None
    try:
        return parse_week(week)
    except ValueError as exc:
        errors.add(None, "week", str(exc))
        return None


def parse_markdown_bytes(
    data: bytes,
    *,
    base_dir: Path,
    source_name: str = "<stdin>",
    default_week: str | None = None,
    week_override: str | None = None,
    check_images: bool = True,
) -> ParsedImport:
    """parse_markdown for raw file contents: checks size and UTF-8 before anything else."""
    text = decode_text(data, source_name=source_name)
    return parse_markdown(
        text,
        base_dir=base_dir,
        source_name=source_name,
        default_week=default_week,
        week_override=week_override,
        check_images=check_images,
    )
