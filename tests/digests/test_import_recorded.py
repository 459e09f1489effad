"""The seed digest and the bundled example read exactly as recorded.

The expected JSON files were written by the line-based reader that came before the
markdown-it-py one, so any change of tokenizer that changes what a real digest imports fails
here, field by field. Image paths are recorded relative to the digest's folder. The seed is
the digest the project started from (a Chinese machine translation of Akira's ML News, week 37
of 2020).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.digests.markdown import parse_markdown_bytes
from bot.digests.records import ParsedImport

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
DIGESTS = {
    "seed": (FIXTURES / "seed_2020_w37.md", FIXTURES / "seed_2020_w37.expected.json"),
    "example": (REPO / "examples" / "2020-W37.md", FIXTURES / "example_2020_w37.expected.json"),
}


def as_json(parsed: ParsedImport, base: Path) -> dict[str, Any]:
    """Everything an import keeps, in plain JSON (absolute image paths made relative)."""

    def source(path: str) -> str:
        return Path(path).relative_to(base).as_posix() if path.startswith("/") else path

    return {
        "week": parsed.week,
        "entries": [
            {
                "kind": e.kind,
                "title": e.title,
                "url": e.url,
                "arxiv_id": e.arxiv_id,
                "comment": e.comment,
                "images": [[source(i.source), i.alt] for i in e.images],
                "week": e.week,
                "at": None if e.at is None else e.at.isoformat(),
                "line": e.line,
            }
            for e in parsed.entries
        ],
        "skipped": [[s.line, s.title, s.reason] for s in parsed.skipped],
    }


def read(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    digest, expected = DIGESTS[name]
    base = digest.parent.resolve()
    parsed = parse_markdown_bytes(
        digest.read_bytes(),
        base_dir=base,
        source_name=digest.name,
        check_images=(base / "img").is_dir(),  # examples/ ships its figures, fixtures/ does not
    )
    return as_json(parsed, base), json.loads(expected.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(DIGESTS))
def test_digest_reads_as_recorded(name: str) -> None:
    got, expected = read(name)
    assert got["week"] == expected["week"]
    assert got["skipped"] == expected["skipped"]
    assert len(got["entries"]) == len(expected["entries"])
    for entry, recorded in zip(got["entries"], expected["entries"], strict=True):
        assert entry == recorded


def test_the_example_is_the_seed() -> None:
    """examples/ ships the seed unchanged, so both recordings must agree."""
    assert read("example")[0] == read("seed")[0]
