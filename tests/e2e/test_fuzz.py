"""Property tests with random input: what reaches paperbot from files and users never crashes it.

* the importers (Markdown digest, CSV, JSON, from text or bytes) return entries or raise their
  declared ImportFileError, nothing else;
* the composer never raises for any comment or title and never goes over the limit;
* the config loader gives valid Settings or a ConfigError, nothing else;
* `paperbot import` of random bytes exits 0, or 2 with an `error:` line and no traceback, and
  leaves the database untouched on exit 2.

Examples are bounded so the file runs in well under 30 s; PAPERBOT_FUZZ_SCALE=30 runs 30 times more.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import string
import tempfile
import tomllib
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.config.loading import load_settings, settings_from_mapping
from bot.config.settings import ConfigError, Settings
from bot.digests.json_digest import parse_json, parse_json_bytes
from bot.digests.markdown import parse_markdown, parse_markdown_bytes
from bot.digests.records import ImportFileError, ParsedImport
from bot.digests.tabular import FIELDS, parse_csv, parse_csv_bytes
from bot.text import twitter_text as textlen
from bot.text.compose import ComposeInput, ComposeSettings, ImageSpec, compose
from tests.conftest import Paperbot

# CI: fixed examples (derandomized), quick. PAPERBOT_FUZZ_SCALE=30 for a long random hunt.
SCALE = int(os.environ.get("PAPERBOT_FUZZ_SCALE", "1"))


def fuzz(count: int) -> Any:
    """Settings for one property: `count` examples (times SCALE), no deadline."""
    return settings(
        max_examples=count * SCALE,
        deadline=None,
        derandomize=SCALE == 1,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


# -- text that is hard to handle --------------------------------------------------------------

TRICKY = [
    "e.g.",
    "et al.",
    "3.5",
    "U.S.",
    "Fig. 2",
    "...",
    "…",
    "。",
    "！",
    "？",
    "!",
    "?",
    ". ",
    "\n",
    "\r\n",
    "\t",
    " ",
    "\u00a0",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\ufffe",
    "\x00",
    "\x85",
    "\u2028",
    "\u202e",
    "e\u0301",
    "👍🏽",
    "👨‍👩‍👧‍👦",
    "🐦‍🔥",
    "🇬🇧",
    "#️⃣",
    "漢字",
    "かな",
    "한국어",
    "עברית",
    "العربية",
    "𝔘𝔫𝔦",
    "&amp;",
    "<",
    ">",
    "\\",
    "|",
    ",",
    '"',
    "'",
    "`",
    "https://arxiv.org/abs/2009.01835",
    "arXiv:2009.01835v2",
    "http://x.co/a.",
    "www.ex.com",
    "https://",
    "ftp://host/x",
    "data:image/png;base64,AAAA",
    "file:///etc/passwd",
    "../",
    "/etc/passwd",
    "C:\\x",
    "~",
    "#",
    "##",
    "###",
    "- ",
    "* ",
    "> ",
    "![alt](x.png)",
    "[t](https://e.org/p)",
    "<https://e.org/a>",
    "```",
    "---",
    "| a | b |",
    "2020-W37",
    "2020-W53",
    "9999-W99",
    "2026-11-30T09:00",
    "2026-13-45T25:61",
    "paper",
    "article",
]
tricky_text = st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=12)), max_size=25).map(
    "".join
)
any_text = st.one_of(st.text(max_size=400), tricky_text)


@pytest.fixture(scope="module")
def base_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="paperbot-fuzz-") as folder:
        root = Path(folder)
        (root / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
        yield root


def assert_parsed(result: ParsedImport) -> None:
    for entry in result.entries:
        assert entry.url.startswith(("http://", "https://"))
        assert len(entry.images) <= 4
        assert entry.kind in ("paper", "article", "application")


# -- the importers ------------------------------------------------------------------------------

markdown_line = st.one_of(
    tricky_text,
    st.builds(lambda level, title: "#" * level + " " + title, st.integers(1, 4), tricky_text),
    st.builds(lambda t, u: f"## [{t}]({u})", tricky_text, st.sampled_from(TRICKY)),
    st.builds(lambda a, p: f"![{a}]({p})", tricky_text, st.sampled_from(["fig.png", *TRICKY])),
    st.sampled_from(
        [
            "# Papers of 2020-W37",
            "## Papers",
            "## Technical articles",
            "## Application examples",
            "- [Paper](https://arxiv.org/abs/2009.01835)",
        ]
    ),
)
markdown_text = st.lists(markdown_line, max_size=30).map("\n".join)


@fuzz(60)
@given(text=st.one_of(markdown_text, any_text), week=st.none() | st.sampled_from(TRICKY))
def test_markdown_importer_raises_only_its_error(base_dir: Path, text: str, week: Any) -> None:
    try:
        assert_parsed(parse_markdown(text, base_dir=base_dir, week_override=week))
    except ImportFileError as exc:
        assert exc.errors and str(exc)


csv_cell = st.one_of(st.sampled_from(TRICKY), tricky_text)
csv_text = st.builds(
    lambda header, rows, sep: "\n".join(
        [",".join(header)] + [",".join(_quote(cell) for cell in row) for row in rows]
    ).replace(",", sep),
    st.lists(st.sampled_from([*FIELDS, "coment", ""]), min_size=1, max_size=9),
    st.lists(st.lists(csv_cell, max_size=9), max_size=8),
    st.sampled_from([",", ",", ";"]),
)


def _quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\n') else cell


@fuzz(60)
@given(text=st.one_of(csv_text, any_text))
def test_csv_importer_raises_only_its_error(base_dir: Path, text: str) -> None:
    try:
        assert_parsed(parse_csv(text, base_dir=base_dir))
    except ImportFileError as exc:
        assert exc.errors


json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), csv_cell
)
json_value = st.recursive(
    json_scalar,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
json_entry = st.dictionaries(
    st.sampled_from([*FIELDS, "images", "extra"]),
    st.one_of(
        csv_cell,
        json_value,
        st.lists(
            st.one_of(
                csv_cell, st.fixed_dictionaries({"source": csv_cell}, optional={"alt": json_value})
            ),
            max_size=5,
        ),
    ),
    max_size=8,
)
json_document = st.one_of(
    st.lists(json_entry, max_size=6),
    st.fixed_dictionaries(
        {"entries": st.lists(json_entry, max_size=6) | json_value},
        optional={"week": json_value, "other": json_value},
    ),
    json_value,
).map(json.dumps)


@fuzz(60)
@given(text=st.one_of(json_document, any_text, st.just("[" * 5000)))
def test_json_importer_raises_only_its_error(base_dir: Path, text: str) -> None:
    try:
        assert_parsed(parse_json(text, base_dir=base_dir))
    except ImportFileError as exc:
        assert exc.errors


@fuzz(60)
@given(
    data=st.one_of(
        st.binary(max_size=600), any_text.map(lambda t: t.encode("utf-8", "surrogatepass"))
    )
)
def test_importers_of_raw_bytes_raise_only_their_error(base_dir: Path, data: bytes) -> None:
    for parse in (parse_markdown_bytes, parse_csv_bytes, parse_json_bytes):
        try:
            assert_parsed(parse(data, base_dir=base_dir))
        except ImportFileError as exc:
            assert exc.errors


# -- the composer -------------------------------------------------------------------------------

urls = st.one_of(
    st.sampled_from(
        [
            "https://arxiv.org/abs/2009.01835",
            "https://example.org/",
            "http://a.co",
            "https://github.com/user/repo/blob/main/README.md",
        ]
    ),
    st.text(string.ascii_letters + string.digits + "-._~/?=&%", min_size=1, max_size=300).map(
        lambda path: "https://example.org/" + path
    ),
)
templates = st.sampled_from(
    [
        ComposeSettings(),
        ComposeSettings(template="{title}: {sentence}\n{url}"),
        ComposeSettings(
            template="{emoji} {sentence} {hashtags}\n{url}", hashtags=("NLP", "ML"), emoji="📄"
        ),
        ComposeSettings(
            template="【{title}】\n{sentence}\n\n{url}\n{hashtags}", hashtags=("論文",)
        ),
        ComposeSettings(template="{sentence} ({url})"),
    ]
)


@fuzz(150)
@given(
    url=urls,
    comment=any_text,
    title=any_text,
    alts=st.lists(any_text, max_size=5),
    compose_settings=templates,
)
def test_composer_never_raises_and_never_goes_over_the_limit(
    url: str, comment: str, title: str, alts: list[str], compose_settings: ComposeSettings
) -> None:
    entry = ComposeInput(
        url=url,
        comment=comment,
        title=title,
        images=tuple(ImageSpec("fig.png", alt) for alt in alts),
    )
    draft = compose(entry, compose_settings)
    assert draft.weighted_length <= draft.limit == compose_settings.limit
    assert textlen.weighted_length(draft.text) == draft.weighted_length
    assert url in draft.text
    assert len(draft.images) <= compose_settings.max_images
    assert all(len(image.alt) <= compose_settings.alt_max for image in draft.images)
    assert not any("too long" in warning for warning in draft.warnings)


# -- the config loader --------------------------------------------------------------------------

SCHEMA_KEYS = {
    "schedule": [
        "slots",
        "jitter_minutes",
        "posts_per_day",
        "quiet_days",
        "catch_up",
        "catch_up_spacing_minutes",
        "unknown",
    ],
    "x": [
        "daily_post_limit",
        "api_base",
        "max_attempts",
        "retry_base_seconds",
        "retry_max_seconds",
        "timeout_seconds",
    ],
    "compose": ["template", "hashtags", "emoji"],
    "images": ["shrink_oversized", "allow_private_hosts", "max_download_mb", "timeout_seconds"],
    "arxiv": ["api_url", "fetch", "min_interval_seconds", "timeout_seconds"],
    "daemon": ["poll_seconds", "heartbeat_seconds", "stale_after_seconds"],
}
toml_scalar = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),  # TOML has inf and nan
    st.sampled_from(
        [
            "Mon-Fri 09:00",
            "daily 12:00",
            "cron: 0 9 * * 1-5",
            "cron: 61 25 * * *",
            "spread",
            "next-slots",
            "Europe/London",
            "Asia/Tokyo",
            "Mars/Olympus",
            "{sentence}\n{url}",
            "{url}",
            "{nope}",
            "{url}{url}",
            "https://api.x.com",
            "Sun",
            "2026-12-25",
            "",
            "0",
            "-1",
        ]
    ),
    tricky_text,
    st.dates(),
    st.datetimes(),
    st.times(),
)
numbers = st.one_of(st.floats(), st.integers(-(2**63), 2**63 - 1), st.floats(-1, 100))
toml_value = st.one_of(numbers, toml_scalar, st.lists(toml_scalar, max_size=4))
config_mapping = st.fixed_dictionaries(
    {},
    optional={
        "timezone": toml_value,
        **{
            table: st.one_of(
                st.dictionaries(st.sampled_from(keys), toml_value, max_size=len(keys)),
                toml_scalar,
            )
            for table, keys in SCHEMA_KEYS.items()
        },
        "extra": toml_value,
    },
)


def assert_valid(settings_: Settings) -> None:
    numbers = [
        settings_.x.retry_base_seconds,
        settings_.x.retry_max_seconds,
        settings_.x.timeout_seconds,
        settings_.images.max_download_mb,
        settings_.images.timeout_seconds,
        settings_.arxiv.min_interval_seconds,
        settings_.arxiv.timeout_seconds,
        settings_.daemon.poll_seconds,
        settings_.daemon.heartbeat_seconds,
        settings_.daemon.stale_after_seconds,
    ]
    assert all(math.isfinite(number) for number in numbers), numbers
    assert settings_.x.timeout_seconds > 0 and settings_.daemon.poll_seconds > 0
    assert settings_.schedule.slots and settings_.tz is not None


@fuzz(200)
@given(data=config_mapping)
@example(data={"daemon": {"poll_seconds": math.nan}})
@example(data={"daemon": {"stale_after_seconds": -math.inf}})
@example(data={"daemon": {"stale_after_seconds": math.inf}})
@example(data={"daemon": {"heartbeat_seconds": 1e308}})
@example(data={"x": {"retry_max_seconds": math.inf, "timeout_seconds": math.nan}})
@example(data={"schedule": {"catch_up_spacing_minutes": 2**62}})
def test_config_from_any_mapping_is_valid_or_a_config_error(data: dict[str, Any]) -> None:
    try:
        loaded = settings_from_mapping(data, source="fuzz.toml", environ={"TZ": "UTC"})
    except ConfigError as exc:
        assert str(exc).startswith("fuzz.toml: ")
        return
    assert_valid(loaded)


def _toml_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_literal(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is close enough; invalid ones are fine
    return str(value)


def _toml_document(data: dict[str, Any]) -> str:
    lines = [
        f"{key} = {_toml_literal(value)}"
        for key, value in data.items()
        if not isinstance(value, dict)
    ]
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines += [f"{sub} = {_toml_literal(item)}" for sub, item in value.items()]
    return "\n".join(lines) + "\n"


@fuzz(120)
@given(
    document=st.one_of(
        config_mapping.map(_toml_document),
        tricky_text,
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    )
)
def test_config_file_with_any_content_loads_or_fails_with_a_config_error(
    base_dir: Path, document: str
) -> None:
    path = base_dir / "fuzz.toml"
    path.write_bytes(document.encode("utf-8", "surrogatepass"))
    try:
        loaded = load_settings({"PAPERBOT_CONFIG": str(path), "TZ": "UTC"})
    except ConfigError as exc:
        assert str(exc).startswith(f"{path}: ")
        return
    tomllib.loads(document)  # it was valid TOML, then
    assert loaded.config_path == path
    assert_valid(loaded)


# -- through the CLI ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli() -> Iterator[Paperbot]:
    with (
        tempfile.TemporaryDirectory(prefix="paperbot-fuzz-cli-") as folder,
        pytest.MonkeyPatch.context() as patch,
    ):
        workdir = Path(folder)
        patch.chdir(workdir)
        for name in (
            "X_API_KEY",
            "X_API_SECRET",
            "X_ACCESS_TOKEN",
            "X_ACCESS_TOKEN_SECRET",
            "DATABASE_URL",
            "PAPERBOT_NOW",
        ):
            patch.delenv(name, raising=False)
        config = workdir / "paperbot.toml"
        config.write_text('timezone = "UTC"\n', encoding="utf-8")
        (workdir / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
        paperbot = Paperbot(
            workdir,
            {
                "PAPERBOT_DATABASE_URL": f"sqlite:///{workdir / 'paperbot.db'}",
                "PAPERBOT_CONFIG": str(config),
                "PAPERBOT_OFFLINE": "1",
            },
        )
        result = paperbot("add", "https://example.org/already", "--comment", "Here before.")
        assert result.exit_code == 0, result.output
        yield paperbot


def database_dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


@fuzz(50)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.one_of(markdown_text, csv_text, json_document).map(str.encode),
    ),
    suffix=st.sampled_from([".md", ".csv", ".json", ".txt", ""]),
)
@example(data=b'"co\nment",url\nx,https://example.org/a\n', suffix=".csv")  # one line still
@example(data=b'[{"url": "https://example.org/b", "ti\\ntle": "x"}]', suffix=".json")
@example(data=b"url\nhttps://example.org/c\n", suffix=".csv")  # a good file: exit 0
def test_cli_import_of_random_bytes_exits_0_or_2_and_writes_nothing_on_2(
    cli: Paperbot, data: bytes, suffix: str
) -> None:
    path = cli.workdir / f"input{suffix}"
    path.write_bytes(data)
    before = database_dump(cli.db_path)
    result = cli("import", str(path), "--no-fetch")
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code == 2:
        # One line; an import with several problems lists one line per problem after it.
        first, *more = result.stderr.splitlines()
        assert first.startswith("error: "), result.stderr
        if more:
            assert first.endswith("errors, nothing imported"), result.stderr
            assert all(line.startswith(str(path)) for line in more), result.stderr
        assert result.stdout == ""
        assert database_dump(cli.db_path) == before
    else:
        assert "added" in result.stdout
