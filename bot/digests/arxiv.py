"""Paper metadata (title, authors, abstract) from the arXiv API, politely.

arXiv asks API clients for at most one request every three seconds and answers overload with
503s, so the client batches ids (up to 100 per request), spaces requests ``min_interval``
apart, and retries 5xx answers and timeouts with exponential backoff. Clock and sleep are
injected so tests check the spacing without waiting, and the ``httpx.Client`` is injected so
tests (and the CLI's timeouts and proxies) decide the transport.

The API answers HTTP 200 even for a bad request, with an "Error" entry under
``http://arxiv.org/api/errors``; an id arXiv calls malformed is dropped and the rest of its
batch asked again, so one odd id cannot hide the metadata of the others. Unknown ids are
simply absent from the result.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.text.urls import arxiv_id_of

if TYPE_CHECKING:  # httpx is only needed once a request is made; importing us stays cheap
    from xml.etree.ElementTree import Element

    import httpx

_ATOM = "{http://www.w3.org/2005/Atom}"
BATCH_SIZE = 100
MAX_RETRY_AFTER = 120.0
_NEW_ID = re.compile(r"^(\d{2})(\d{2})\.(\d{4,5})$")
_OLD_ID = re.compile(r"^[a-z\-]+(?:\.[A-Z]{2})?/\d{2}(\d{2})\d{3}$")
_VERSION = re.compile(r"v\d+$")
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_BAD_ID = re.compile(r"incorrect_id_format_for_(\S+)$")


@dataclass(frozen=True)
class ArxivMeta:
    """What arXiv says about one paper; ``arxiv_id`` has no version suffix."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    abstract: str
    published: datetime | None


class ArxivError(Exception):
    """arXiv could not be asked or gave an answer we cannot use; the message says which."""


def normalize_id(text: str) -> str | None:
    """The versionless id in ``text`` (an id, ``arXiv:`` tag or arXiv link) if it can exist.

    Stricter than the URL parser: the month must be 01–12 and new-style ids have five digits
    after the dot from 2015 on, as arXiv itself requires; anything else would only earn an
    error entry that spoils the whole batch.
    """
    found = arxiv_id_of(text)
    if found is None:
        return None
    arxiv_id = _VERSION.sub("", found)
    new = _NEW_ID.match(arxiv_id)
    if new:
        yymm = int(new.group(1) + new.group(2))
        digits = 5 if yymm >= 1501 else 4
        return arxiv_id if 1 <= int(new.group(2)) <= 12 and len(new.group(3)) == digits else None
    old = _OLD_ID.match(arxiv_id)
    return arxiv_id if old and 1 <= int(old.group(1)) <= 12 else None


class ArxivClient:
    """Fetches metadata for many ids with few, well-spaced requests.

    ``retries`` is the number of further attempts after a failed one (so up to
    ``retries + 1`` requests per batch); the n-th retry waits ``max(min_interval, 1) * 2**n``
    seconds, or longer if arXiv's Retry-After says so.
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        base_url: str = "https://export.arxiv.org/api/query",
        min_interval: float = 3.0,
        retries: int = 3,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._base_url = base_url
        self._min_interval = min_interval
        self._retries = retries
        self._clock = clock
        self._sleep = sleep
        self._last_request: float | None = None
        self._not_before: float | None = None

    def fetch(self, ids: Sequence[str]) -> dict[str, ArxivMeta]:
        """Metadata keyed by versionless id; ids arXiv does not know (or cannot) are absent."""
        wanted = list(dict.fromkeys(i for raw in ids if (i := normalize_id(raw)) is not None))
        found: dict[str, ArxivMeta] = {}
        for start in range(0, len(wanted), BATCH_SIZE):
            found.update(self._fetch_batch(wanted[start : start + BATCH_SIZE]))
        return found

    def _fetch_batch(self, batch: list[str]) -> dict[str, ArxivMeta]:
        pending = list(batch)
        while pending:
            metas, rejected = _parse_feed(self._get(pending))
            if rejected:
                dropped = [i for i in pending if i in rejected]
                if not dropped:
                    raise ArxivError(f"arXiv rejected the request: {'; '.join(rejected.values())}")
                pending = [i for i in pending if i not in rejected]
                continue
            return {m.arxiv_id: m for m in metas if m.arxiv_id in pending}
        return {}

    def _wait_turn(self) -> None:
        targets = [t for t in (self._not_before,) if t is not None]
        if self._last_request is not None:
            targets.append(self._last_request + self._min_interval)
        if targets:
            delay = max(targets) - self._clock()
            if delay > 0:
                self._sleep(delay)

    def _get(self, batch: list[str]) -> bytes:
        import httpx

        params = {"id_list": ",".join(batch), "start": "0", "max_results": str(len(batch))}
        reason = ""
        for attempt in range(self._retries + 1):
            self._wait_turn()
            self._last_request = self._clock()
            retry_after = 0.0
            try:
                response = self._client.get(self._base_url, params=params)
            except httpx.TransportError as exc:  # timeouts, refused and dropped connections
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                status = response.status_code
                if status == 200:
                    return response.content
                if status != 429 and status < 500:
                    raise ArxivError(f"arXiv answered HTTP {status}: {response.text[:200]}")
                reason = f"HTTP {status}"
                retry_after = _retry_after(response.headers.get("Retry-After"))
            if attempt < self._retries:
                backoff = max(self._min_interval, 1.0) * 2**attempt
                self._not_before = self._clock() + max(backoff, retry_after)
        raise ArxivError(f"arXiv failed {self._retries + 1} times, last: {reason}")


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 0), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return 0.0  # an HTTP date: rare from arXiv, and our own backoff is a fine fallback


def _parse_feed(body: bytes) -> tuple[list[ArxivMeta], dict[str, str]]:
    """The papers in an Atom reply and the ids arXiv called malformed (id -> its message).

    A DTD is refused outright: arXiv never sends one, and it is how XML entity-expansion
    attacks arrive.
    """
    from xml.etree.ElementTree import ParseError, fromstring

    if _DTD.search(body):
        raise ArxivError("arXiv's reply contains a DTD; refusing to parse it")
    try:
        root = fromstring(body)
    except ParseError as exc:
        raise ArxivError(f"arXiv's reply is not XML: {exc}") from None
    if root.tag != f"{_ATOM}feed":
        raise ArxivError(f"arXiv's reply is not an Atom feed (root {root.tag!r})")
    metas: list[ArxivMeta] = []
    rejected: dict[str, str] = {}
    for entry in root.iter(f"{_ATOM}entry"):
        entry_id = _text(entry, "id")
        if "/api/errors" in entry_id:
            message = _text(entry, "summary") or entry_id
            bad = _BAD_ID.search(entry_id)
            if bad:
                rejected[_VERSION.sub("", bad.group(1))] = message
            elif _text(entry, "title"):  # an untitled one means "no results"
                rejected[entry_id] = message
            continue
        meta = _meta(entry, entry_id)
        if meta is not None:
            metas.append(meta)
    return metas, rejected


def _meta(entry: Element, entry_id: str) -> ArxivMeta | None:
    match = re.search(r"arxiv\.org/abs/(.+)$", entry_id)
    title = _text(entry, "title")
    if not match or not title:
        return None  # arXiv's empty placeholder for an id it does not have
    published: datetime | None
    try:
        published = datetime.fromisoformat(_text(entry, "published"))
    except ValueError:
        published = None
    return ArxivMeta(
        arxiv_id=_VERSION.sub("", match.group(1)),
        title=title,
        authors=tuple(_names(entry)),
        abstract=_text(entry, "summary"),
        published=published,
    )


def _names(entry: Element) -> Iterator[str]:
    for author in entry.findall(f"{_ATOM}author"):
        name = " ".join((author.findtext(f"{_ATOM}name") or "").split())
        if name:
            yield name


def _text(entry: Element, tag: str) -> str:
    """The element's text with whitespace runs made single spaces: arXiv wraps titles and
    abstracts at ~80 columns, which must not reach a post."""
    return " ".join((entry.findtext(f"{_ATOM}{tag}") or "").split())
