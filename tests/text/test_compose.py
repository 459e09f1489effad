"""The composer: templates, fallbacks, shortening, images, and X's limits as properties."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.compose import (
    ComposeInput,
    ComposeSettings,
    ImageSpec,
    compose,
    validate_template,
)
from bot.text.sentences import first_sentence
from bot.text.shorten import ELLIPSIS
from bot.text.template import TemplateError
from bot.text.twitter_text import weighted_length
from bot.text.url_extract import extract_urls

URL = "https://arxiv.org/abs/2009.01835"
TITLE = "Flow-edge Guided Video Completion"
# From shared/seeds/000_3da92728f249aa70.txt: a one-sentence comment that is too long for X.
KAGGLE = (
    "对 Kaggle 创始人安东尼·戈德布卢姆(Anthony Goldbloom)关于 Kaggle 竞争的采访证明了随机森林的有"
    "用性，"
    "GBDT 在学术界并不那么受欢迎，但它对结构化数据很有效，Kaggle 笔记本和 Kaggle 数据集的引入创造"
    "了一个环境，"
    "许多人可以自由表达他们的见解。"
)
FLOW = (
    "这是一个使用 flow 的视频补全的研究。这种方法的关键点是:1)通过检测缺失的边缘并连接它们来完成"
    "流，"
    "2)通过使用稍远的帧来获得视频的不可见部分，3)通过使用梯度来防止接缝。"
)


def _links(text: str) -> list[str]:
    return [text[start:end] for start, end in extract_urls(text)]


def test_the_default_post_is_the_first_sentence_and_the_link() -> None:
    draft = compose(ComposeInput(url=URL, comment=FLOW, title=TITLE, images=(ImageSpec("f.png"),)))
    assert draft.text == "这是一个使用 flow 的视频补全的研究。\n" + URL
    assert draft.weighted_length == 2 * 15 + 6 + 1 + 23 == weighted_length(draft.text)
    assert draft.limit == 280
    assert not draft.shortened
    assert draft.sentence == "这是一个使用 flow 的视频补全的研究。"
    assert draft.warnings == ()
    assert draft.images == (ImageSpec("f.png", alt=TITLE),)


def test_without_a_comment_the_title_is_the_sentence() -> None:
    draft = compose(ComposeInput(url=URL, title=TITLE))
    assert draft.text == f"{TITLE}\n{URL}"
    assert "no comment" in draft.warnings
    assert "no image" in draft.warnings


def test_without_a_comment_the_title_is_not_repeated() -> None:
    draft = compose(
        ComposeInput(url=URL, title=TITLE), ComposeSettings(template="{title}\n{sentence}\n{url}")
    )
    assert draft.text == f"{TITLE}\n{URL}"


def test_without_comment_or_title_the_post_is_the_link() -> None:
    draft = compose(ComposeInput(url=URL, comment="  \n "))
    assert draft.text == URL
    assert {"no comment", "no title"} <= set(draft.warnings)


def test_hashtags_emoji_and_blank_lines() -> None:
    settings_ = ComposeSettings(
        template="{emoji} {sentence}\n\n{hashtags}\n{url}", hashtags=("ml", "#cv", " "), emoji="🔥"
    )
    draft = compose(ComposeInput(url=URL, comment="Nice. More."), settings_)
    assert draft.text == f"🔥 Nice.\n\n#ml #cv\n{URL}"
    no_tags = compose(
        ComposeInput(url=URL, comment="Nice."),
        ComposeSettings(template="{emoji} {sentence}\n{hashtags}\n{url}"),
    )
    assert no_tags.text == f"Nice.\n{URL}"  # empty placeholders leave no blank line or space


def test_a_copy_of_the_link_in_the_comment_is_removed() -> None:
    draft = compose(ComposeInput(url=URL, comment="Read arxiv.org/abs/2009.01835 today. Next."))
    assert draft.text == f"Read today.\n{URL}"
    assert _links(draft.text) == [URL]
    assert any("link was removed" in warning for warning in draft.warnings)


def test_other_links_in_the_comment_stay() -> None:
    draft = compose(ComposeInput(url=URL, comment="Code: github.com/vt-vl-lab/FGVC works."))
    assert _links(draft.text) == ["github.com/vt-vl-lab/FGVC", URL]


def test_a_long_comment_is_shortened_and_the_link_kept() -> None:
    comment = "We " + "really " * 60 + "like it."
    draft = compose(ComposeInput(url=URL, comment=comment, title=TITLE))
    assert draft.shortened
    sentence, link = draft.text.split("\n")
    assert link == URL
    assert sentence.endswith("really…")
    assert draft.weighted_length == weighted_length(draft.text) <= 280
    assert draft.weighted_length >= 280 - len("really ")  # no more cut than a word
    assert (
        f"shortened: comment cut from {len(comment)} to {len(sentence) + 1} weighted characters"
        in draft.warnings
    )


def test_the_seed_comment_that_does_not_fit_with_its_title() -> None:
    title = "卡格尔创始人安东尼·戈德布卢姆访谈"
    draft = compose(
        ComposeInput(
            url="https://www.wandb.com/podcast/anthony-goldbloom", comment=KAGGLE, title=title
        ),
        ComposeSettings(template="{title}\n{sentence}\n{hashtags}\n{url}", hashtags=("机器学习",)),
    )
    assert weighted_length(KAGGLE) == 232
    assert draft.shortened and draft.weighted_length <= 280
    head, sentence, tags, link = draft.text.split("\n")
    assert head == title
    assert KAGGLE.startswith(sentence[: -len(ELLIPSIS)])
    assert (tags, link) == ("#机器学习", "https://www.wandb.com/podcast/anthony-goldbloom")
    # Cut at the last clause boundary ("，"), not before the last word that fits ("Kaggle"):
    # the clause keeps far more than 60 % of the room.
    assert sentence.endswith("创造了一个环境…")
    assert draft.weighted_length >= 280 - 12


def test_a_long_title_is_shortened_after_the_sentence() -> None:
    title = "标题" * 100
    draft = compose(
        ComposeInput(url=URL, comment="A short comment.", title=title),
        ComposeSettings(template="{title}\n{sentence}\n{url}"),
    )
    lines = draft.text.split("\n")
    assert lines[0].endswith(ELLIPSIS) and title.startswith(lines[0][:-1])
    assert lines[1] == "A short comment."
    assert lines[2] == URL
    assert draft.weighted_length <= 280
    assert any(warning.startswith("shortened: title cut from 400") for warning in draft.warnings)


def test_the_limit_setting_is_honoured() -> None:
    draft = compose(
        ComposeInput(url=URL, comment="one two three four five six seven"),
        ComposeSettings(limit=40),
    )
    assert draft.text == f"one two three…\n{URL}"  # "…" weighs 2
    assert draft.weighted_length == 13 + 2 + 1 + 23 == 39


def test_text_is_nfc_normalised() -> None:
    draft = compose(ComposeInput(url=URL, comment="Cafe\u0301 au lait."))
    assert draft.text.startswith("Café au lait.")


def test_images_are_capped_and_get_alt_text() -> None:
    images = tuple(ImageSpec(f"fig{i}.png") for i in range(6))
    draft = compose(ComposeInput(url=URL, comment="Hi.", title=TITLE, images=images))
    assert [image.source for image in draft.images] == [f"fig{i}.png" for i in range(4)]
    assert all(image.alt == TITLE for image in draft.images)
    assert "images: 6 given, only the first 4 are attached" in draft.warnings


def test_alt_text_is_cut_at_a_grapheme_boundary() -> None:
    family = "👨\u200d👩\u200d👧\u200d👦"  # 7 code points, one grapheme
    image = ImageSpec("fig.png", alt="abcde" + family * 3)
    draft = compose(ComposeInput(url=URL, images=(image,)), ComposeSettings(alt_max=8))
    assert draft.images[0].alt == "abcde…"
    ok = compose(ComposeInput(url=URL, images=(image,)), ComposeSettings(alt_max=13))
    assert ok.images[0].alt == "abcde" + family + "…"
    assert "alt text of image 1 cut from 26 to 13 characters" in ok.warnings


def test_an_image_without_any_alt_text_is_reported() -> None:
    draft = compose(ComposeInput(url=URL, comment="Hi.", images=(ImageSpec("a.png"),)))
    assert draft.images == (ImageSpec("a.png", alt=""),)
    assert "image 1 has no alt text" in draft.warnings


@pytest.mark.parametrize(
    ("settings_", "message"),
    [
        (ComposeSettings(template="{sentence}"), "exactly once"),
        (ComposeSettings(template="{url} {url}"), "exactly once"),
        (ComposeSettings(template="{comment} {url}"), "unknown placeholder {comment}"),
        (ComposeSettings(template="{} {url}"), "unknown placeholder {}"),
        (ComposeSettings(template="{url!r}"), "no format spec"),
        (ComposeSettings(template="{url:>30}"), "no format spec"),
        (ComposeSettings(template="{url"), "malformed"),
        (ComposeSettings(template="{sentence}{url}"), "set off"),
        (ComposeSettings(template="link:{url}/"), "set off"),
        (ComposeSettings(template="see{url}"), "set off"),
        (ComposeSettings(template="{hashtags} {url}", hashtags=("x" * 300,)), "fixed parts"),
        (ComposeSettings(template="{emoji}\n{url}", emoji="🔥" * 129), "fixed parts"),
        (ComposeSettings(limit=0), "limit must be positive"),
        (ComposeSettings(max_images=-1), "max_images"),
        (ComposeSettings(alt_max=0), "alt_max"),
    ],
)
def test_validate_template_rejects(settings_: ComposeSettings, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        validate_template(settings_)
    with pytest.raises(TemplateError):
        compose(ComposeInput(url=URL), settings_)


@pytest.mark.parametrize(
    "settings_",
    [
        ComposeSettings(),
        ComposeSettings(template="{title}\n{sentence}\n{hashtags} {emoji}\n{url}"),
        ComposeSettings(template="{emoji}\n{url}", emoji="🔥" * 128),  # 256 + 1 + 23 = 280
        ComposeSettings(limit=23),
        ComposeSettings(template="{sentence} ({url})"),
        ComposeSettings(template="{sentence}：{url}"),
    ],
)
def test_validate_template_accepts(settings_: ComposeSettings) -> None:
    validate_template(settings_)


def test_hashtags_given_as_a_list_work() -> None:
    settings_ = ComposeSettings(template="{sentence} {hashtags}\n{url}", hashtags=["ml"])  # type: ignore[arg-type]
    validate_template(settings_)
    assert compose(ComposeInput(url=URL, comment="Hi."), settings_).text == f"Hi. #ml\n{URL}"


def test_a_link_is_required() -> None:
    with pytest.raises(ValueError, match="link"):
        compose(ComposeInput(url=" "))


# --- properties -------------------------------------------------------------------------------
_EMOJI = [
    "👨\u200d👩\u200d👧\u200d👦",
    "👍🏽",
    "🧕🏾",
    "🇯🇵",
    "🇺🇦",
    "#\ufe0f\u20e3",
    "1\u20e3",
    "🐦\u200d🔥",
    "🔥",
    "©\ufe0f",
]
_LINKS = ["arxiv.org/abs/2009.01835", URL, "https://github.com/a/b", "t.co", "example.com/x?y=1"]
_PIECE = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCXYZ 0123456789.,;:!?()\"'-", max_size=15),
    st.text(alphabet="研究方法的视频补全这是一个。，！？（）“”「」한국어", max_size=15),
    st.sampled_from(_EMOJI),
    st.sampled_from(_LINKS),
    st.sampled_from([" ", "  ", "\n", "\n\n", "\t", "\u3000", "e\u0301", "e.g.", "3.5x", "…"]),
)
_COMMENTS = st.lists(_PIECE, max_size=60).map("".join)
_SETTINGS = st.sampled_from(
    [
        ComposeSettings(),
        ComposeSettings(template="{sentence} {url}"),
        ComposeSettings(
            template="{emoji} {sentence}\n{hashtags}\n{url}",
            hashtags=("ml", "视频"),
            emoji="🐦\u200d🔥",
        ),
        ComposeSettings(template="{title}\n{sentence}\n{url}"),
        ComposeSettings(template="{title} {sentence} ({url}) {emoji}", emoji="👍🏽", limit=70),
        ComposeSettings(limit=40),
    ]
)
_URLS = st.sampled_from(
    [URL, "https://github.com/vt-vl-lab/FGVC", "https://www.wandb.com/podcast/x"]
)


@settings(max_examples=300, deadline=None)
@given(_COMMENTS, _COMMENTS, _URLS, _SETTINGS)
def test_every_post_fits_and_links_once(
    comment: str, title: str, url: str, settings_: ComposeSettings
) -> None:
    draft = compose(ComposeInput(url=url, comment=comment, title=title), settings_)
    assert draft.weighted_length == weighted_length(draft.text) <= settings_.limit
    assert _links(draft.text).count(url) == 1
    assert not any(warning.startswith("too long") for warning in draft.warnings)
    sentence = unicodedata.normalize("NFC", first_sentence(unicodedata.normalize("NFC", comment)))
    removed = any("link was removed" in warning for warning in draft.warnings)
    if sentence and not removed and settings_.template.startswith("{sentence}"):
        head = draft.text.split("\n")[0]
        if head == url:
            head = ""  # the sentence line was dropped
        elif settings_.template == "{sentence} {url}":
            head = head[: -len(url)].rstrip()
        if draft.shortened and ELLIPSIS in head:
            head = head[: head.rindex(ELLIPSIS)]
        elif draft.shortened:
            assert head == ""  # not even a word fitted: dropped, never cut inside a link
        else:
            assert head == sentence
        assert sentence.startswith(head)
        if settings_.limit == 280:
            assert head  # with X's room there is always space for some of the comment
