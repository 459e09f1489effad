"""Composition per channel: one entry, each platform's own count, link, alt text and images."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
import regex

from bot.text.bluesky import LinkFacet, render
from bot.text.compose import ComposeInput, ComposeSettings, ImageSpec, compose
from bot.text.mastodon import mastodon_length
from bot.text.per_channel import ChannelDraft, UnknownChannel, compose_for
from bot.text.sentences import first_sentence
from bot.text.shorten import ELLIPSIS
from bot.text.template import TemplateError
from tests.fakes.mastodon_text import status_length

URL = "https://arxiv.org/abs/2401.12345v2"
SHOWN_URL = "arxiv.org/abs/2401.123..."  # as Bluesky's app shows it
FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # one grapheme, 25 UTF-8 bytes, weight 2 on X
PHOENIX = "🐦\u200d🔥"
CJK = "大規模言語モデルの評価手法を体系的に比較した"  # 22 characters
TEMPLATE = ComposeSettings(
    template="{emoji} {title}\n{sentence}\n{hashtags}\n{url}",
    hashtags=("MachineLearning", "論文"),
    emoji="📄",
)


def test_x_and_dry_run_are_exactly_todays_composition() -> None:
    entry = ComposeInput(
        url=URL,
        comment="Flow edges guide completion, e.g. on DAVIS. Second sentence.",
        title="Flow-edge Guided Video Completion",
        images=(ImageSpec("fig.png", "a" * 1200),),
    )
    for settings in (ComposeSettings(), TEMPLATE):
        draft = compose(entry, settings)
        for channel in ("x", "dry-run"):
            got = compose_for(channel, entry, settings)
            assert got == ChannelDraft(
                channel=channel,
                text=draft.text,
                length=draft.weighted_length,
                limit=280,
                unit="weighted characters",
                images=draft.images,
                warnings=draft.warnings,
                shortened=draft.shortened,
                sentence=draft.sentence,
                composed=draft.text,
            )
            assert got.postable


def test_cjk_fits_bluesky_and_mastodon_where_x_cuts_it() -> None:
    comment = CJK * 7 + "。二文目。"  # 155 characters: 310 weighted on X
    entry = ComposeInput(url=URL, comment=comment)
    x, bluesky, mastodon = (compose_for(c, entry) for c in ("x", "bluesky", "mastodon"))
    sentence = first_sentence(comment)
    assert x.shortened and x.length <= 280 and x.text.endswith(ELLIPSIS + "\n" + URL)
    assert bluesky.text == f"{sentence}\n{SHOWN_URL}" and not bluesky.shortened
    assert bluesky.composed == f"{sentence}\n{URL}"
    assert (bluesky.length, bluesky.limit, bluesky.unit) == (156 + 25, 300, "characters")
    assert mastodon.text == f"{sentence}\n{URL}" and mastodon.length == 156 + 23
    assert (mastodon.limit, mastodon.unit) == (500, "characters")


def test_bluesky_link_is_a_facet_at_utf8_byte_offsets() -> None:
    entry = ComposeInput(url=URL, comment=f"日本語 {PHOENIX} works.")
    draft = compose_for("bluesky", entry)
    head = f"日本語 {PHOENIX} works.\n".encode()
    assert draft.facets == (LinkFacet(len(head), len(head) + len(SHOWN_URL), URL),)
    data = draft.text.encode()
    assert data[draft.facets[0].byte_start : draft.facets[0].byte_end] == SHOWN_URL.encode()


def test_bluesky_byte_limit_binds_on_zwj_sequences_and_never_splits_one() -> None:
    entry = ComposeInput(url=URL, comment=f"{FAMILY} " * 200 + "end.")
    draft = compose_for("bluesky", entry)
    shown = render(draft.text)
    assert draft.shortened and shown.valid
    assert shown.graphemes < 300 and 2900 < shown.utf8_bytes <= 3000  # bytes were the limit
    head = draft.text.split("\n")[0]
    assert set(regex.findall(r"\X", head)) <= {FAMILY, " ", ELLIPSIS}
    # On Mastodon a family is 1 character: 200 of them and the link fit in 500.
    mastodon = compose_for("mastodon", entry)
    assert not mastodon.shortened and mastodon.length == 400 + 4 + 1 + 23


def test_mastodon_counts_links_as_the_instance_says_and_bare_domains_in_full() -> None:
    comment = "Code at github.com/vt-vl-lab/FGVC and https://example.org/" + "p" * 80 + " ok."
    entry = ComposeInput(url=URL, comment=comment)
    default = compose_for("mastodon", entry)
    assert default.text == f"{comment}\n{URL}"
    assert default.length == len(comment) - 100 + 23 + 1 + 23 == status_length(default.text)
    wide = compose_for("mastodon", entry, mastodon_url_length=40)
    assert wide.length == default.length + 2 * 17


def test_mastodon_shortens_a_long_comment_to_the_instance_limit() -> None:
    entry = ComposeInput(url=URL, comment="word " * 300 + "end.", title="A title")
    draft = compose_for("mastodon", entry, mastodon_limit=120)
    assert draft.shortened and draft.length <= 120 and draft.limit == 120
    assert draft.text.endswith(f"word{ELLIPSIS}\n{URL}")
    assert f"shortened: comment cut from 1504 to {draft.length - 24} characters" in draft.warnings
    assert mastodon_length(draft.text) == draft.length == status_length(draft.text)


@pytest.mark.parametrize("channel", ["x", "bluesky", "mastodon"])
def test_template_with_title_hashtags_and_emoji(channel: str) -> None:
    entry = ComposeInput(url=URL, comment=CJK * 15 + "。", title="GAN 瘦身：一体化 GAN 压缩")
    draft = compose_for(channel, entry, TEMPLATE)
    lines = draft.composed.split("\n")
    assert lines[0] == "📄 GAN 瘦身：一体化 GAN 压缩"
    assert lines[2:] == ["#MachineLearning #論文", URL]
    assert lines[1].startswith(CJK[:10]) and draft.length <= draft.limit
    assert draft.shortened == (channel != "mastodon")  # 331 characters fit in 500


def test_alt_text_is_cut_to_each_platforms_limit() -> None:
    images = (ImageSpec("a.png", "x" * 1800), ImageSpec("b.png", "y" * 2500))
    entry = ComposeInput(url=URL, comment="Fine.", images=images)
    sizes = {
        channel: [len(image.alt) for image in compose_for(channel, entry).images]
        for channel in ("x", "bluesky", "mastodon")
    }
    assert sizes == {"x": [1000, 1000], "bluesky": [1800, 2000], "mastodon": [1500, 1500]}
    bluesky = compose_for("bluesky", entry)
    assert bluesky.images[1].alt.endswith(ELLIPSIS)
    assert "alt text of image 2 cut from 2500 to 2000 characters" in bluesky.warnings
    small = compose_for("mastodon", entry, mastodon_alt_max=500, mastodon_max_images=1)
    assert [len(image.alt) for image in small.images] == [500]
    assert "images: 2 given, only the first 1 are attached" in small.warnings


def test_unknown_channel_and_a_template_too_long_for_the_instance() -> None:
    entry = ComposeInput(url=URL, comment="Fine.")
    with pytest.raises(UnknownChannel, match="unknown channel 'threads'; known channels: x, "):
        compose_for("threads", entry)
    with pytest.raises(TemplateError, match="over the limit of 30"):
        compose_for("mastodon", entry, TEMPLATE, mastodon_limit=30)


def test_a_list_of_hashtags_is_accepted_on_every_channel() -> None:
    loose = dataclasses.replace(TEMPLATE, hashtags=["ML"])  # type: ignore[arg-type]
    entry = ComposeInput(url=URL, comment="Fine.")
    for channel in ("x", "bluesky", "mastodon"):
        assert "#ML" in compose_for(channel, entry, loose).text


def test_a_link_a_platform_does_not_read_as_a_link_makes_the_draft_unpostable() -> None:
    # twitter-text (X, and Mastodon's counter) wants a known TLD; Bluesky's app does not.
    entry = ComposeInput(url="https://example.notatld/paper", comment="Fine.")
    x, bluesky, mastodon = (compose_for(c, entry) for c in ("x", "bluesky", "mastodon"))
    assert "X will not read the link as a URL where the template puts it" in x.warnings
    assert not x.postable and not mastodon.postable
    assert bluesky.postable and bluesky.facets[0].uri == entry.url


def test_an_x_draft_loads_neither_bluesky_nor_mastodon_text_rules() -> None:
    """`schedule` prices X posts, and an X-only poster composes for X alone: neither loads the
    other platforms' link rules (their patterns take milliseconds to compile)."""
    code = (
        "import sys\n"
        "from bot.text.compose import ComposeInput\n"
        "from bot.text.per_channel import compose_for\n"
        "entry = ComposeInput(url='https://arxiv.org/abs/2009.01835', comment='A method. More.')\n"
        "compose_for('x', entry)\n"
        "print(sorted(m for m in ('bot.text.bluesky', 'bot.text.mastodon', 'bot.text.link_card')"
        " if m in sys.modules))\n"
        "compose_for('bluesky', entry)\n"
        "compose_for('mastodon', entry)\n"
        "print(sorted(m for m in ('bot.text.bluesky', 'bot.text.mastodon') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["[]", "['bot.text.bluesky', 'bot.text.mastodon']"]
