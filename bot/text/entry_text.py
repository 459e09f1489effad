"""The parts of an entry's post that do not depend on the platform: the sentence and the title.

bot/text/compose.py fills a template from these and shortens them by a platform's rule. Choosing
the comment's first sentence and removing copies of the post's own link (bot/text/own_link.py)
are the same work for X, Bluesky and Mastodon, and an entry is usually composed for all of them
in a row (bot/text/per_channel.py), so ``prepare`` keeps its last few answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot.text.characters import nfc
from bot.text.own_link import url_key, without_link
from bot.text.sentences import first_sentence_kept


@dataclass(frozen=True)
class Prepared:
    """The title (one line, NFC, without the link), the sentence chosen for the post, where
    it came from (``comment`` or ``title``) and warnings about what was changed."""

    title: str
    sentence: str
    source: str
    warnings: tuple[str, ...]


@lru_cache(maxsize=32)
def prepare(url: str, comment: str, title: str, has_title: bool) -> Prepared:
    """The sentence and title for the post of ``url`` (already stripped).

    The sentence is the comment's first sentence, or the title when there is no comment
    (warned as "no comment"; "" when the template shows the title anyway, ``has_title``).
    A copy of the post's own link in either is removed: the template adds the link.
    """
    warnings: list[str] = []
    key = url_key(url)
    title = " ".join(nfc(title).split())
    if title and without_link(title, key) != title:
        warnings.append("the link was removed from the title (the template adds it)")
        title = without_link(title, key)
    chosen = first_sentence_kept(nfc(comment))
    source = "comment"
    if chosen:
        without = without_link(chosen, key)
        if without != chosen:
            warnings.append("the link was removed from the comment (the template adds it)")
            chosen = without
    if not chosen:
        warnings.append("no comment")
        if not title:
            warnings.append("no title")
        chosen, source = ("", "title") if has_title else (title, "title")
    return Prepared(title, chosen, source, tuple(warnings))
