from __future__ import annotations

import pytest

from bot.text.urls import InvalidURL, canonicalize


@pytest.mark.parametrize(
    ("raw", "url", "arxiv_id"),
    [
        ("https://arxiv.org/abs/2009.01835", "https://arxiv.org/abs/2009.01835", "2009.01835"),
        (
            "https://arxiv.org/pdf/2009.01835v2.pdf",
            "https://arxiv.org/abs/2009.01835",
            "2009.01835",
        ),
        ("http://arxiv.org/pdf/2009.01835", "https://arxiv.org/abs/2009.01835", "2009.01835"),
        ("arxiv.org/abs/2009.01835v3", "https://arxiv.org/abs/2009.01835", "2009.01835"),
        ("arXiv:2009.01835", "https://arxiv.org/abs/2009.01835", "2009.01835"),
        (
            "https://export.arxiv.org/abs/2101.00001",
            "https://arxiv.org/abs/2101.00001",
            "2101.00001",
        ),
        (
            "https://arxiv.org/abs/hep-th/9901001v1",
            "https://arxiv.org/abs/hep-th/9901001",
            "hep-th/9901001",
        ),
        (  # a fragment names a part of the page: kept (issue 16)
            "https://www.wandb.com/podcast/anthony-goldbloom#x",
            "https://www.wandb.com/podcast/anthony-goldbloom#x",
            None,
        ),
        ("https://blog.example.org/series#part-2", "https://blog.example.org/series#part-2", None),
        ("https://example.org/a?b=1#part-2", "https://example.org/a?b=1#part-2", None),
        ("https://example.org/a#", "https://example.org/a", None),
        # arXiv links still become the one abs URL, whatever they carry.
        ("https://arxiv.org/abs/2009.01835v2#S3", "https://arxiv.org/abs/2009.01835", "2009.01835"),
        (
            "https://arxiv.org/pdf/2009.01835v2.pdf#page=3",
            "https://arxiv.org/abs/2009.01835",
            "2009.01835",
        ),
        (
            "https://arxiv.org/abs/2009.01835?context=cs#S1",
            "https://arxiv.org/abs/2009.01835",
            "2009.01835",
        ),
        ("HTTPS://Phys.ORG:443/news", "https://phys.org/news", None),
    ],
)
def test_canonical_forms(raw: str, url: str, arxiv_id: str | None) -> None:
    result = canonicalize(raw)
    assert (result.url, result.arxiv_id) == (url, arxiv_id)


@pytest.mark.parametrize(
    "raw",
    [
        "ftp://x.org/a",
        "javascript:alert(1)",
        "no-scheme.org/x",
        "",
        "http://",
        "file:///etc/passwd",
    ],
)
def test_rejects_non_http(raw: str) -> None:
    with pytest.raises(InvalidURL):
        canonicalize(raw)
