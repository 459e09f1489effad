"""Fill missing titles and comments of arXiv entries from arXiv, with a cache in the database.

arXiv asks for one request per 3 seconds, so ids are batched and every answer is cached: a
re-import never asks twice. A failed fetch leaves entries as they were, with a warning.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.store.models import ArxivCache, utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.config.settings import ArxivSettings


class HasArxivFields(Protocol):
    arxiv_id: str | None
    title: str
    comment: str


T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Metadata:
    title: str
    authors: tuple[str, ...]
    abstract: str


def needs_metadata(arxiv_id: str | None, title: str, comment: str) -> bool:
    return bool(arxiv_id) and not (title.strip() and comment.strip())


def cached_metadata(engine: Engine, ids: Sequence[str]) -> dict[str, Metadata]:
    from sqlmodel import Session, col, select

    if not ids:
        return {}
    with Session(engine) as session:
        rows = session.exec(select(ArxivCache).where(col(ArxivCache.arxiv_id).in_(list(ids))))
        return {row.arxiv_id: Metadata(row.title, tuple(row.authors), row.abstract) for row in rows}


def fetch_metadata(
    engine: Engine, ids: Sequence[str], settings: ArxivSettings, *, offline: bool = False
) -> tuple[dict[str, Metadata], list[str]]:
    """Metadata for `ids` from the cache, then from arXiv; returns (found, warnings)."""
    wanted = sorted(set(ids))
    found = cached_metadata(engine, wanted)
    missing = [arxiv_id for arxiv_id in wanted if arxiv_id not in found]
    warnings: list[str] = []
    if not missing or offline or not settings.fetch:
        return found, warnings
    import httpx

    from bot.digests.arxiv import ArxivClient, ArxivError

    try:
        with httpx.Client(timeout=settings.timeout_seconds, follow_redirects=False) as http:
            client = ArxivClient(
                http, base_url=settings.api_url, min_interval=settings.min_interval_seconds
            )
            fetched = client.fetch(missing)
    except (ArxivError, httpx.HTTPError) as exc:
        warnings.append(f"arXiv metadata not fetched ({exc}); entries left as they are")
        return found, warnings
    from sqlmodel import Session

    with Session(engine) as session:
        for arxiv_id, meta in fetched.items():
            found[arxiv_id] = Metadata(meta.title, tuple(meta.authors), meta.abstract)
            session.merge(
                ArxivCache(
                    arxiv_id=arxiv_id,
                    title=meta.title,
                    authors=list(meta.authors),
                    abstract=meta.abstract,
                    published=meta.published,
                    fetched_at=utcnow(),
                )
            )
        session.commit()
    for arxiv_id in missing:
        if arxiv_id not in fetched:
            warnings.append(f"arXiv has no paper {arxiv_id}; entry left as it is")
    return found, warnings


def fill(
    item: T,
    meta: Metadata | None,
    first_sentence: Callable[[str], str],
) -> T:
    """`item` (a frozen dataclass with title/comment/authors/abstract) with the gaps filled."""
    if meta is None:
        return item
    changes: dict[str, object] = {}
    if not getattr(item, "title", "").strip():
        changes["title"] = meta.title
    if not getattr(item, "comment", "").strip() and meta.abstract:
        changes["comment"] = first_sentence(meta.abstract)
    field_names = {f.name for f in dataclasses.fields(item)}  # type: ignore[arg-type]
    if "authors" in field_names:
        changes["authors"] = ", ".join(meta.authors)
    if "abstract" in field_names:
        changes["abstract"] = meta.abstract
    return dataclasses.replace(item, **changes)  # type: ignore[type-var]
