"""`list --json` written by the database (bot/store/entry_json.py) is the Python path's text,
byte for byte, on both stores: awkward strings, images, channels, posts with attempts and costs,
time zones with DST and odd offsets; data it cannot render the same way takes the Python path."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from bot.reports.entries import entry_documents, entry_documents_text
from bot.store.entry_json import QUOTING_PROBE
from tests.conftest import Paperbot
from tests.store.test_read_layer import BOTH_STORES, fast_reader, live  # noqa: F401 (fixture)

AWKWARD = QUOTING_PROBE[1:]  # every control character but NUL (no text column holds one)
ZONES = ("Europe/London", "Asia/Kolkata", "America/St_Johns", "UTC", "Australia/Lord_Howe")


def _json(paperbot: Paperbot, value: str) -> str:
    return f"CAST({value} AS json)" if paperbot.store == "postgres" else value


@BOTH_STORES
def test_the_database_writes_list_json_byte_for_byte(live: Paperbot) -> None:  # noqa: F811
    images = json.dumps(
        [
            {"source": f"fig{AWKWARD}.png", "alt": AWKWARD},
            {"source": "b.png", "extra": 1},
            {"alt": "no source"},
        ]
    )
    live.execute(
        "UPDATE entry SET title = :text, comment = :text, last_error = :text,"
        f" images = {_json(live, ':images')}, channels = {_json(live, ':channels')} WHERE id = 2",
        text=AWKWARD,
        images=images,
        channels=json.dumps(["x", "bluesky", "mastodon"]),
    )
    with fast_reader(live) as reader:
        for name in ZONES:
            for week in (None, "2026-W48", "2026-W01"):
                for statuses in ((), ("queued", "failed"), ("posted",)):
                    tz = ZoneInfo(name)
                    text = entry_documents_text(reader, week=week, statuses=statuses, tz=tz)
                    documents = entry_documents(reader, week=week, statuses=statuses, tz=tz)
                    expected = json.dumps(documents, ensure_ascii=False)
                    assert text == expected, (
                        name,
                        week,
                        statuses,
                        _first_difference(text, expected),
                    )
        everything = json.loads(
            entry_documents_text(reader, week=None, statuses=(), tz=ZoneInfo("UTC")) or ""
        )
    # The comparison covered what it is meant to: posts with attempts, costs, the odd entry.
    posts = [post for entry in everything for post in entry["posts"]]
    assert any(post["attempts"] for post in posts) and any(post["cost"] for post in posts)
    assert any(entry["title"] == AWKWARD and len(entry["images"]) == 3 for entry in everything)


@BOTH_STORES
def test_data_the_database_cannot_render_alike_takes_the_python_path(live: Paperbot) -> None:  # noqa: F811
    for images in ('[{"source": "a.png", "alt": null}]', '[{"source": 7}]', '[["a.png"]]'):
        live.execute(
            f"UPDATE entry SET images = {_json(live, ':images')} WHERE id = 2", images=images
        )
        with fast_reader(live) as reader:
            assert entry_documents_text(reader, week=None, statuses=(), tz=ZoneInfo("UTC")) is None
            if images.startswith("[["):
                continue  # not an entry paperbot writes: the Python path cannot show it either
            documents = entry_documents(
                reader, week=None, statuses=(), tz=ZoneInfo("Europe/London")
            )  # the config of tests/conftest.py
        result = live("list", "--json")
        assert result.stdout == json.dumps(documents, ensure_ascii=False) + "\n"


def _first_difference(text: str | None, expected: str) -> tuple[str, str]:
    text = text or ""
    at = next((i for i, (a, b) in enumerate(zip(text, expected, strict=False)) if a != b), 0)
    return text[at - 60 : at + 60], expected[at - 60 : at + 60]
