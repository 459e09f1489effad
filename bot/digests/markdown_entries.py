"""One entry of a Markdown digest: its body split into comment, links and images, then the
link chosen and the images resolved.

Split from `bot.digests.markdown` (which finds the entries in a file) because these are the
domain rules for a single entry: which of its links is the one to post (a link line beats a
link inside the comment; the author's own profiles never count), what is comment text, and
which images may be attached.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.digests.headings import is_toc
from bot.digests.markdown_blocks import Token
from bot.digests.markdown_escape import unescape_comment_line
from bot.digests.markdown_syntax import (
    HR,
    HR_STARTS,
    IMAGE_LINE,
    IMAGE_RE,
    INLINE,
    is_posted_line,
    link_dest,
    link_line,
    trim_url,
    unescape,
)
from bot.digests.profiles import is_own_profile
from bot.digests.records import (
    MAX_IMAGES,
    ErrorList,
    ImageRef,
    ImportedEntry,
    Skipped,
    normalize_comment,
    normalize_title,
    resolve_image,
)
from bot.text.urls import InvalidURL, canonicalize

__all__ = ["Body", "Candidate", "Context", "RawEntry", "finish_entry", "inline_links", "split_body"]


@dataclass
class Candidate:
    raw: str
    line: int
    strict: bool  # a link line or heading link: a bad URL there is an error, not just ignored
    url: str = ""
    arxiv_id: str | None = None


@dataclass
class RawEntry:
    """An entry heading and the block tokens under it, before any rule is applied."""

    line: int
    heading: str
    kind: str | None
    tokens: list[Token] = field(default_factory=list)


@dataclass
class Body:
    """An entry's body split into its parts; ``items`` are comment lines, "" for a break."""

    items: list[str] = field(default_factory=list)
    link_items: dict[int, Candidate] = field(default_factory=dict)
    candidates: list[Candidate] = field(default_factory=list)
    inline: list[Candidate] = field(default_factory=list)
    images: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class Context:
    """What every entry of one file shares."""

    base_dir: Path
    week: str | None
    check_images: bool
    errors: ErrorList
    authors: frozenset[str] = frozenset()


def inline_links(text: str, line: int) -> Iterator[Candidate]:
    """Links inside running text: Markdown links, ``<url>``, bare URLs and ``arXiv:ID``."""
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
        yield Candidate(raw, line, strict=False)


def split_body(tokens: list[Token]) -> Body:
    body = Body()
    for token in tokens:
        if token.kind == "blank":
            body.items.append("")
        elif token.kind == "embed":
            body.candidates.append(Candidate(token.url, token.line, strict=True))
            body.items.append("")
        elif token.kind == "code":
            body.items.append(token.text)
        elif token.kind == "heading":  # "###" and deeper: part of the comment
            body.items.append(token.text and f"{'#' * token.level} {token.text}")
        else:
            _split_text_line(token, body)
    return body


def _split_text_line(token: Token, body: Body) -> None:
    text = token.text
    if (text[:1] in HR_STARTS and HR.match(text)) or is_posted_line(text):
        body.items.append("")
        return
    if text.startswith("\\") or text[:1].isdigit():
        unescaped = unescape_comment_line(text)
        if unescaped != text:
            body.items.append(unescaped)
            body.inline.extend(inline_links(unescaped, token.line))
            return
    if text.startswith("![") and IMAGE_LINE.match(text):
        for match in IMAGE_RE.finditer(text):
            body.images.append(
                (token.line, link_dest(match.group("src") or ""), unescape(match.group("alt")))
            )
        return
    target = link_line(text)
    if target is not None:
        candidate = Candidate(target, token.line, strict=True)
        body.candidates.append(candidate)
        body.link_items[len(body.items)] = candidate
        body.items.append(text)
        return
    body.items.append(text)
    body.inline.extend(inline_links(text, token.line))


def _canonical(candidate: Candidate, errors: ErrorList) -> bool:
    try:
        canonical = canonicalize(candidate.raw)
    except InvalidURL as exc:
        if candidate.strict:
            errors.add(candidate.line, "url", str(exc))
        return False
    candidate.url, candidate.arxiv_id = canonical.url, canonical.arxiv_id
    return True


def finish_entry(
    raw: RawEntry, body: Body, title: str, heading_links: list[str], ctx: Context
) -> ImportedEntry | Skipped | None:
    """Pick the entry's link and comment, resolve its images; None when it is not an entry.

    The link is the first usable one of: links in the heading, link lines and embed cards
    (in order), links inside the comment. An empty title is allowed, as in CSV: the caller
    fills it from arXiv.
    """
    candidates = [Candidate(link, raw.line, strict=True) for link in heading_links]
    candidates += body.candidates + body.inline
    usable = [c for c in candidates if _canonical(c, ctx.errors)]
    if not candidates and is_toc(title):
        return None
    chosen = next((c for c in usable if not is_own_profile(c.url, ctx.authors)), None)
    if chosen is None:
        return _why_skipped(raw.line, title, usable, candidates)
    items = [
        "" if (c := body.link_items.get(index)) is not None and c.url == chosen.url else text
        for index, text in enumerate(body.items)
    ]
    images = _images(body, ctx)
    if len(body.images) > MAX_IMAGES:
        ctx.errors.add(raw.line, "images", f"{len(body.images)} images; X takes at most 4")
    return ImportedEntry(
        kind=raw.kind or ("paper" if chosen.arxiv_id else "article"),
        title=title,
        url=chosen.url,
        arxiv_id=chosen.arxiv_id,
        comment=normalize_comment("\n".join(items)),
        images=images,
        week=ctx.week,
        at=None,
        line=raw.line,
    )


def _why_skipped(
    line: int, title: str, usable: list[Candidate], candidates: list[Candidate]
) -> Skipped | None:
    """The reason a heading with no postable link is skipped; None for a bare heading
    without a title (not an entry at all)."""
    if usable:
        shown = usable[0].url.split("://", 1)[-1]
        return Skipped(line, title, f"links only to the author's own profile ({shown})")
    if candidates:
        return Skipped(line, title, "no usable link (only non-http(s) links)")
    if not title:
        return None
    return Skipped(line, title, "no link (expected a URL or arXiv:ID under the heading)")


def _images(body: Body, ctx: Context) -> tuple[ImageRef, ...]:
    """The entry's images, resolved and confined to the digest's folder; errors collected."""
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
    return tuple(images)
