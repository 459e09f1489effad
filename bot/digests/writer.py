"""Compile a week's entries into a Markdown digest in the seed's structure.

The digest is both the curator's weekly write-up and an import file: ``paperbot import`` on it
yields the same entries, and it reads well in any CommonMark viewer. That is why it is rendered
with the escaping rules of ``bot.digests.markdown_escape`` (the reader and the writer must
agree on every character) and why titles and comments are normalised the same way the
importers normalise them. Pure: no I/O.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.digests.markdown_escape import escape_alt, escape_comment, escape_title
from bot.digests.records import KINDS, ImageRef, ParsedImport, normalize_comment
from bot.schedule.weeks import parse_week

Language = Literal["en", "zh", "ja"]


@dataclass(frozen=True)
class DigestItem:
    """One entry as the digest shows it; ``post_url`` links to the post on X, if any."""

    kind: str
    title: str
    url: str
    comment: str
    images: tuple[ImageRef, ...] = ()
    post_url: str | None = None


@dataclass(frozen=True)
class _Words:
    title: str  # format fields: year, week
    intro: str  # format fields: year, week, iso
    contents: str
    sections: dict[str, str]
    posted: str


_WORDS: dict[str, _Words] = {
    "en": _Words(
        title="Week {week}, {year}",
        intro="Papers and articles I read in week {week} of {year} ({iso}) and found interesting.",
        contents="Contents",
        sections={
            "paper": "Papers",
            "article": "Technical articles",
            "application": "Application examples",
        },
        posted="Posted",
    ),
    "zh": _Words(
        title="{year} 年第 {week} 周",
        intro="以下是我在 {year} 年第 {week} 周({iso})读到的一些我觉得特别有趣的论文和文章。",
        contents="内容",
        sections={"paper": "论文", "article": "技术文章", "application": "应用的例子"},
        posted="已发布",
    ),
    "ja": _Words(
        title="{year}年第{week}週",
        intro="{year}年第{week}週({iso})に読んだ論文と記事から、特に面白かったものを紹介します。",
        contents="目次",
        sections={"paper": "論文", "article": "技術記事", "application": "応用例"},
        posted="投稿",
    ),
}

_PLAIN_URL = re.compile(r"[^\s()\[\]<>\\]+")


def _link(url: str) -> str:
    """The link line: ``[url](url)`` as in the seed, or ``<url>`` when brackets would clash."""
    if _PLAIN_URL.fullmatch(url):
        return f"[{url}]({url})"
    return "<" + url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20") + ">"


def _image_path(source: str, output_dir: Path | None) -> str:
    """Where the digest points for an image: relative to the digest's folder when local.

    An image outside that folder gets a ``../`` path, which the importer refuses (it would let
    a digest reach any file); keep a week's images next to its digest to import it again.
    """
    if source.lower().startswith(("http://", "https://")) or output_dir is None:
        return source
    return Path(os.path.relpath(source, output_dir)).as_posix()


def _image(image: ImageRef, output_dir: Path | None) -> str:
    path = _image_path(image.source, output_dir)
    if re.search(r"[\s()<>]", path):
        path = "<" + path.replace("<", "%3C").replace(">", "%3E") + ">"
    return f"![{escape_alt(image.alt)}]({path})"


def render_digest(
    week: str,
    entries: Sequence[DigestItem],
    *,
    output_dir: Path | None,
    language: Language = "en",
) -> str:
    """The digest for ``week`` with ``entries`` grouped by kind, in the order given.

    ``output_dir`` is the folder the digest will be written to: local image paths are made
    relative to it, so the digest and its images can move together. ``None`` leaves image
    paths as stored (absolute); pass ``Path.cwd()`` when printing to stdout. Headings are in
    ``language``; the importer understands all three.
    """
    iso = parse_week(week)
    year, number = int(iso[:4]), int(iso[6:])
    words = _WORDS[language]
    groups = {kind: [e for e in entries if e.kind == kind] for kind in KINDS}
    unknown = sorted({e.kind for e in entries} - set(KINDS))
    if unknown:
        raise ValueError(f"unknown entry kind(s): {', '.join(unknown)}")
    present = [kind for kind in KINDS if groups[kind]]

    out = [f"# {words.title.format(year=year, week=number)}", ""]
    out += [words.intro.format(year=year, week=number, iso=iso), ""]
    if present:
        out += [f"## {words.contents}", ""]
        out += [f"{i}. {words.sections[kind]}" for i, kind in enumerate(present, 1)]
        out.append("")
    for i, kind in enumerate(present, 1):
        out += [f"# {i}. {words.sections[kind]}", ""]
        for item in groups[kind]:
            out += _render_item(item, output_dir, words)
    return "\n".join(out).rstrip("\n") + "\n"


def _render_item(item: DigestItem, output_dir: Path | None, words: _Words) -> list[str]:
    out = [f"## {escape_title(item.title)}", "", _link(item.url), ""]
    comment = normalize_comment(item.comment)
    if comment:
        out += escape_comment(comment)
        out.append("")
    if item.images:
        out += [_image(image, output_dir) for image in item.images]
        out.append("")
    if item.post_url:
        out += [f"{words.posted}: <{item.post_url}>", ""]
    return out


def items_from_import(parsed: ParsedImport) -> list[DigestItem]:
    """Imported entries as digest items (without post links), e.g. to re-render a digest."""
    return [DigestItem(e.kind, e.title, e.url, e.comment, e.images, None) for e in parsed.entries]
