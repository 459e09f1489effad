"""The post template: its placeholders, how it is checked and how it is filled.

A template such as ``"{sentence}\n{url}"`` names parts of the post; filling it drops lines that
only empty placeholders made blank, so an entry without a title leaves no hole. Composition
(bot/text/compose.py) decides what goes into each placeholder and whether the result fits.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from functools import lru_cache

PLACEHOLDERS = ("sentence", "url", "title", "hashtags", "emoji")
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACE_RUN = re.compile(r"[ \t]{2,}")
_WHITESPACE = re.compile(r"\s+")


class TemplateError(ValueError):
    """The template or limits cannot produce a valid post (the message says why)."""


def fields(template: str) -> list[str]:
    """Placeholder names in ``template``, in order; raises TemplateError on anything else."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"template {template!r} is malformed: {exc}") from None
    names: list[str] = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + known + "}" for known in PLACEHOLDERS)
            raise TemplateError(f"unknown placeholder {{{name}}} in the template; use {known}")
        if spec or conversion:
            raise TemplateError(f"placeholder {{{name}}} takes no format spec or conversion")
        names.append(name)
    return names


@lru_cache(maxsize=64)
def hashtag_line(tags: tuple[str, ...]) -> str:
    """Tags joined with spaces, '#' added where missing, inner whitespace removed."""
    cleaned = (_WHITESPACE.sub("", tag) for tag in tags)
    return " ".join(tag if tag[0] in "#＃" else "#" + tag for tag in cleaned if tag.strip("#＃"))


@lru_cache(maxsize=64)
def _template_lines(template: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((line, tuple(fields(line))) for line in template.split("\n"))


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill the template; drop lines that only empty placeholders made blank, then tidy."""
    lines: list[str] = []
    for line, names in _template_lines(template):
        rendered = line.format_map(values)
        if names and not rendered.strip():
            continue
        if names and any(not values[name] for name in names):
            rendered = _SPACE_RUN.sub(" ", rendered)
        lines.append(rendered.strip())
    text = "\n".join(lines)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


@lru_cache(maxsize=64)
def fill(template: str, sentence: str, url: str, title: str, hashtags: str, emoji: str) -> str:
    """``render`` of these values, kept: the same post is filled for each channel in turn
    (bot/text/per_channel.py)."""
    values = {"sentence": sentence, "url": url, "title": title}
    values.update(hashtags=hashtags, emoji=emoji)
    return render(template, values)
