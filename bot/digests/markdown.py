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

``bot.digests.writer`` writes digests with the escaping rules of ``bot.digests.markdown_syntax``
(re-exported here), so that a rendered digest reads back to the same entries. Block tokens come
from ``bot.digests.markdown_blocks``, heading meanings (sections, weeks) from
``bot.digests.headings`` and own-profile detection from ``bot.digests.profiles``; this module
turns tokens into entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.digests.headings import classify_section, is_toc, names_week, week_of
from bot.digests.markdown_blocks import Token, tokenize
from bot.digests.markdown_syntax import (
    HR,
    HR_STARTS,
    IMAGE_LINE,
    IMAGE_RE,
    INLINE,
    escape_alt,
    escape_comment_line,
    escape_title,
    is_posted_line,
    link_dest,
    link_line,
    split_heading,
    trim_url,
    unescape,
    unescape_comment_line,
)
from bot.digests.profiles import author_handles, is_own_profile
from bot.digests.records import (
    MAX_IMAGES,
    ErrorList,
    ImageRef,
    ImportedEntry,
    ParsedImport,
    Skipped,
    check_text_size,
    decode_text,
    drop_duplicates,
    make_week,
    normalize_comment,
    normalize_title,
    parse_week,
    resolve_image,
)
from bot.text.urls import InvalidURL, canonicalize

# The escaping helpers live in bot.digests.markdown_syntax; bot.digests.writer and older callers
# still
# import them from here.
__all__ = [
    "classify_section",
    "escape_alt",
    "escape_comment_line",
    "escape_title",
    "parse_markdown",
    "parse_markdown_bytes",
]

# -- entries ---------------------------------------------------------------------------------


@dataclass
class _Candidate:
    raw: str
    line: int
    strict: bool  # a link line or heading link: a bad URL there is an error, not just ignored
    url: str = ""
    arxiv_id: str | None = None


@dataclass
class _RawEntry:
    line: int
    heading: str
    kind: str | None
    tokens: list[Token] = field(default_factory=list)


@dataclass
class _Body:
    """An entry's body split into its parts; ``items`` are comment lines, "" for a break."""

    items: list[str] = field(default_factory=list)
    link_items: dict[int, _Candidate] = field(default_factory=dict)
    candidates: list[_Candidate] = field(default_factory=list)
    inline: list[_Candidate] = field(default_factory=list)
    images: list[tuple[int, str, str]] = field(default_factory=list)


def _inline_links(text: str, line: int) -> Iterator[_Candidate]:
    if "[" not in text and "<" not in text and "://" not in text and ":" not in text:
        return
    for match in INLINE.finditer(text):
        if match.group("img"):
            continue
        if match.group("md"):
            if not match.group("mddest"):
                continue
            raw = link_dest(match.group("mddest"))
        elif match.group("bare"):
            raw = trim_url(match.group("bare"))
        else:
            raw = match.group("auto") or match.group("tag")
        yield _Candidate(raw, line, strict=False)


def _split_body(tokens: list[Token]) -> _Body:
    body = _Body()
    for token in tokens:
        if token.kind == "blank":
            body.items.append("")
        elif token.kind == "embed":
            body.candidates.append(_Candidate(token.url, token.line, strict=True))
            body.items.append("")
        elif token.kind == "code":
            body.items.append(token.text)
        elif token.kind == "heading":  # "###" and deeper: part of the comment
            body.items.append(token.text and f"{'#' * token.level} {token.text}")
        else:
            _split_text_line(token, body)
    return body


def _split_text_line(token: Token, body: _Body) -> None:
    text = token.text
    if (text[:1] in HR_STARTS and HR.match(text)) or is_posted_line(text):
        body.items.append("")
        return
    if text.startswith("\\"):
        unescaped = unescape_comment_line(text)
        if unescaped != text:
            body.items.append(unescaped)
            body.inline.extend(_inline_links(unescaped, token.line))
            return
    if text.startswith("![") and IMAGE_LINE.match(text):
        for match in IMAGE_RE.finditer(text):
            body.images.append(
                (token.line, link_dest(match.group("src") or ""), unescape(match.group("alt")))
            )
        return
    target = link_line(text)
    if target is not None:
        candidate = _Candidate(target, token.line, strict=True)
        body.candidates.append(candidate)
        body.link_items[len(body.items)] = candidate
        body.items.append(text)
        return
    body.items.append(text)
    body.inline.extend(_inline_links(text, token.line))


def _canonical(candidate: _Candidate, errors: ErrorList) -> bool:
    try:
        canonical = canonicalize(candidate.raw)
    except InvalidURL as exc:
        if candidate.strict:
            errors.add(candidate.line, "url", str(exc))
        return False
    candidate.url, candidate.arxiv_id = canonical.url, canonical.arxiv_id
    return True


@dataclass
class _Context:
    base_dir: Path
    week: str | None
    check_images: bool
    errors: ErrorList
    authors: frozenset[str] = frozenset()


def _finish_entry(
    raw: _RawEntry, body: _Body, title: str, heading_links: list[str], ctx: _Context
) -> ImportedEntry | Skipped | None:
    """Pick the entry's link and comment, resolve its images; None when it is not an entry.

    The link is the first usable one of: links in the heading, link lines and embed cards
    (in order), links inside the comment. An empty title is allowed, as in CSV: the caller
    fills it from arXiv.
    """
    candidates = [_Candidate(link, raw.line, strict=True) for link in heading_links]
    candidates += body.candidates + body.inline
    usable = [c for c in candidates if _canonical(c, ctx.errors)]
    if not candidates and is_toc(title):
        return None
    chosen = next((c for c in usable if not is_own_profile(c.url, ctx.authors)), None)
    if chosen is None:
        if usable:
            shown = usable[0].url.split("://", 1)[-1]
            return Skipped(raw.line, title, f"links only to the author's own profile ({shown})")
        if candidates:
            return Skipped(raw.line, title, "no usable link (only non-http(s) links)")
        if not title:
            return None
        return Skipped(raw.line, title, "no link (expected a URL or arXiv:ID under the heading)")
    items = [
        "" if (c := body.link_items.get(index)) is not None and c.url == chosen.url else text
        for index, text in enumerate(body.items)
    ]
    images: list[ImageRef] = []
    for line, source, alt in body.images:
        try:
            resolved = resolve_image(
                source, base_dir=ctx.base_dir, confine=True, check=ctx.check_images
            )
        except ValueError as exc:
            ctx.errors.add(line, "image", str(exc))
            continue
        images.append(ImageRef(resolved, normalize_title(alt)))
    if len(body.images) > MAX_IMAGES:
        ctx.errors.add(raw.line, "images", f"{len(body.images)} images; X takes at most 4")
    kind = raw.kind or ("paper" if chosen.arxiv_id else "article")
    return ImportedEntry(
        kind=kind,
        title=title,
        url=chosen.url,
        arxiv_id=chosen.arxiv_id,
        comment=normalize_comment("\n".join(items)),
        images=tuple(images),
        week=ctx.week,
        at=None,
        line=raw.line,
    )


# -- the whole file --------------------------------------------------------------------------


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
    section_level, entry_level = _levels(tokens)

    title: Token | None = None
    kind: str | None = None
    started = False  # past the preamble: a section or an entry has begun
    current: _RawEntry | None = None
    raws: list[_RawEntry] = []
    preamble: list[Token] = []
    for token in tokens:
        if token.kind == "heading" and token.level <= section_level:
            current = None
            section = classify_section(token.text) if token.level == section_level else None
            top = token.level < section_level or names_week(token.text) or section is None
            if title is None and not started and top:
                title = token
            elif token.level == section_level:
                kind, started = section, True
        elif token.kind == "heading" and token.level == entry_level:
            current = _RawEntry(token.line, token.text, kind)
            raws.append(current)
            started = True
        elif current is not None:
            current.tokens.append(token)
        elif not started:
            preamble.append(token)

    week = override
    if week is None and title is not None:
        context = "\n".join(t.text for t in preamble)
        default_year = int(default[:4]) if default else None
        found = week_of(title.text, context, default_year)
        if found:
            try:
                week = make_week(*found)
            except ValueError as exc:
                errors.add(title.line, "week", f"the title names a week that does not exist: {exc}")
    week = week or default

    ctx = _Context(base_dir, week, check_images, errors)
    parts = []
    for raw in raws:
        heading_title, heading_links = split_heading(raw.heading)
        parts.append((raw, _split_body(raw.tokens), heading_title, heading_links))
    preamble_urls = [c.raw for t in preamble for c in _inline_links(t.text, t.line)]
    all_urls = list(preamble_urls)
    for _, body, _, heading_links in parts:
        all_urls += heading_links + [c.raw for c in (*body.candidates, *body.inline)]
    ctx.authors = author_handles(preamble_urls, all_urls)

    entries: list[ImportedEntry] = []
    skipped: list[Skipped] = []
    for raw, body, heading_title, heading_links in parts:
        result = _finish_entry(raw, body, heading_title, heading_links, ctx)
        if isinstance(result, ImportedEntry):
            entries.append(result)
        elif result is not None:
            skipped.append(result)
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
