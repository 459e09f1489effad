"""Posts named by the operator for `paperbot resolve --posted`, per channel: what each accepts
(the links the platform's apps and servers show, or the post's id) and what it refuses."""

from __future__ import annotations

import pytest

from bot.channels.bluesky.links import parse_post_reference as bluesky
from bot.channels.mastodon.links import parse_status_reference as mastodon

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
BASE = "https://mastodon.example"


@pytest.mark.parametrize(
    ("given", "uri", "link"),
    [
        (
            f"at://{DID}/app.bsky.feed.post/3lbq2xv7k4s2c",
            f"at://{DID}/app.bsky.feed.post/3lbq2xv7k4s2c",
            f"https://bsky.app/profile/{DID}/post/3lbq2xv7k4s2c",
        ),
        (
            "https://bsky.app/profile/me.bsky.social/post/3lbq2xv7k4s2c?ref=x",
            "at://me.bsky.social/app.bsky.feed.post/3lbq2xv7k4s2c",
            "https://bsky.app/profile/me.bsky.social/post/3lbq2xv7k4s2c",
        ),
        (
            f" https://bsky.app/profile/{DID}/post/3lbq2xv7k4s2c/ ",
            f"at://{DID}/app.bsky.feed.post/3lbq2xv7k4s2c",
            f"https://bsky.app/profile/{DID}/post/3lbq2xv7k4s2c",
        ),
    ],
)
def test_bluesky_takes_an_at_uri_or_a_bsky_app_link(given: str, uri: str, link: str) -> None:
    assert bluesky(given) == (uri, link)


@pytest.mark.parametrize(
    "given",
    [
        "3lbq2xv7k4s2c",
        f"at://{DID}/app.bsky.feed.like/3lbq2xv7k4s2c",
        "https://bsky.app/profile/me.bsky.social",
        "https://x.com/me/status/1861000000000000000",
        "https://mastodon.social/@me/113512345678901234",
    ],
)
def test_bluesky_refuses_anything_else_in_one_line(given: str) -> None:
    with pytest.raises(ValueError, match="neither a Bluesky post link") as caught:
        bluesky(given)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("given", "status_id", "link"),
    [
        ("113512345678901234", "113512345678901234", f"{BASE}/web/statuses/113512345678901234"),
        (f"{BASE}/@me/113512345678901234", "113512345678901234", f"{BASE}/@me/113512345678901234"),
        (
            "https://other.example/@me@mastodon.example/1135?x=1#top",
            "1135",
            "https://other.example/@me@mastodon.example/1135",
        ),
        (f"{BASE}/users/me/statuses/42", "42", f"{BASE}/users/me/statuses/42"),
        (f"{BASE}/web/statuses/42/", "42", f"{BASE}/web/statuses/42/"),
        (
            "https://pleroma.example/notice/AbC9xYz",
            "AbC9xYz",
            "https://pleroma.example/notice/AbC9xYz",
        ),
        (
            "https://takahe.example/@me@takahe.example/posts/4242/",
            "4242",
            "https://takahe.example/@me@takahe.example/posts/4242/",
        ),
    ],
)
def test_mastodon_takes_a_status_link_or_id(given: str, status_id: str, link: str) -> None:
    assert mastodon(given, BASE + "/") == (status_id, link)


@pytest.mark.parametrize(
    "given",
    [
        "https://x.com/me/status/1861000000000000000/photo/1",
        f"at://{DID}/app.bsky.feed.post/3lbq2xv7k4s2c",
        f"{BASE}/@me",
        "not a status",
    ],
)
def test_mastodon_refuses_anything_else_in_one_line(given: str) -> None:
    with pytest.raises(ValueError, match="neither a Mastodon status link") as caught:
        mastodon(given, BASE)
    assert "\n" not in str(caught.value)


def test_a_mastodon_id_alone_needs_the_instance() -> None:
    with pytest.raises(ValueError, match="MASTODON_BASE_URL is not set"):
        mastodon("113512345678901234", None)
