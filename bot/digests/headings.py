"""What a digest's ``#`` headings say: which kind of entry a section holds, and the week.

Split from `bot.digests.markdown` because these are language rules rather than Markdown rules:
section names and week numbers are written in English, Chinese or Japanese ("Papers", "论文",
"2020 年第 37 周", "第37週", "Week 37"), and the list grows as new digests turn up.
"""

from __future__ import annotations

import re

__all__ = ["classify_section", "is_toc", "names_week", "week_of"]


_SECTION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("application", ("application", "use case", "应用", "應用", "応用", "活用事例", "事例")),
    ("article", ("article", "blog", "文章", "記事", "ブログ", "博客")),
    ("paper", ("paper", "research", "publication", "论文", "論文", "研究")),
)
_TOC_WORDS = frozenset(
    ("contents", "table of contents", "toc", "内容", "目录", "目錄", "目次", "もくじ", "索引")
)


def classify_section(heading: str) -> str | None:
    """The entry kind a section heading names, in English, Chinese or Japanese, else None."""
    text = heading.lower()
    for kind, words in _SECTION_WORDS:
        if any(word in text for word in words):
            return kind
    return None


def is_toc(title: str) -> bool:
    text = re.sub(r"^[\d.\s]+|[\s:：]+$", "", title.lower())
    return text in _TOC_WORDS


_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_WEEK_WITH_YEAR = (
    re.compile(r"(?<!\d)(\d{4})\s*-?\s*W\s*(\d{1,2})(?!\d)", re.IGNORECASE),
    re.compile(r"(?<!\d)(\d{4})\s*年\s*の?\s*第\s*(\d{1,2})\s*[周週](?!\d)"),
)
_WEEK_ONLY = (
    re.compile(r"第\s*(\d{1,2})\s*[周週]"),
    re.compile(r"\bweek\s*(?:no\.?\s*|#\s*)?(\d{1,2})(?!\d)", re.IGNORECASE),
    re.compile(r"\bW(\d{1,2})(?!\d)"),
)


def names_week(title: str) -> bool:
    return any(p.search(title) for p in (*_WEEK_WITH_YEAR, *_WEEK_ONLY))


def week_of(title: str, context: str, default_year: int | None) -> tuple[int, int] | None:
    """(year, week) a title names, e.g. "2020 年第 37 周", "Week 37 2020", "2020-W37".

    A title that gives the week but not the year ("第37週") takes the year from the text
    before the first entry, then from the caller's default week.
    """
    for pattern in _WEEK_WITH_YEAR:
        match = pattern.search(title)
        if match:
            return int(match.group(1)), int(match.group(2))
    for pattern in _WEEK_ONLY:
        match = pattern.search(title)
        if match:
            year = _YEAR.search(title) or _YEAR.search(context)
            if year:
                return int(year.group(1)), int(match.group(1))
            if default_year is not None:
                return default_year, int(match.group(1))
            return None
    return None
