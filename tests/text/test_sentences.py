"""First sentences and shortening, English and CJK, including the seed digest's comments."""

from __future__ import annotations

import unicodedata

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.sentences import first_sentence
from bot.text.shorten import ELLIPSIS, shorten
from bot.text.twitter_text import weighted_length
from bot.text.url_extract import extract_urls

# Comments from shared/seeds/000_3da92728f249aa70.txt (AkiraTOSEI's ML news, week 37 2020).
SEED_FLOW = (
    "这是一个使用 flow 的视频补全的研究。这种方法的关键点是:1)通过检测缺失的边缘并连接它们来完成"
    "流，"
    "2)通过使用稍远的帧来获得视频的不可见部分，3)通过使用梯度来防止接缝。他们的方法在数量上优于以"
    "前的研究，"
    "甚至可以从视频中剔除人。"
)
SEED_OOD = (
    "对于推广到超出分布的问题，他们提出了一种训练方法，其中每个数据的梯度接近平均梯度，"
    "并发现它在彩色 MNIST 中是有效的。"
)
SEED_GAN = (
    "减小氮化镓发生器尺寸的研究。提炼、量化和修剪的组合。量化通常是不可微的，但是他们使用伪梯度来"
    "实现 E2E 训练。"
    "他们已经成功地将现有模型的尺寸缩小到原来的 1/47。"
)
SEED_SLICEOUT = (
    "提出了 Sliceout，一种高效的存储器丢失算法。我们不是选择一个均匀的随机缺失部分，"
    "而是在一个连续的范围内选择和分割矩阵，这消除了耗时的内存重新分配，从而使它更快。"
)
SEED_KAGGLE = (
    "对 Kaggle 创始人安东尼·戈德布卢姆(Anthony Goldbloom)关于 Kaggle 竞争的采访证明了随机森林的有"
    "用性，"
    "GBDT 在学术界并不那么受欢迎，但它对结构化数据很有效，Kaggle 笔记本和 Kaggle 数据集的引入创造"
    "了一个环境，"
    "许多人可以自由表达他们的见解。"
)
SEED_COVID = (
    "众所周知，时间序列预测模型(如需求预测模型)会因 COVID19 而失败，但 Reddit 上有一场关于如何处"
    "理它的辩论。"
    "有一些观点认为，新冠肺炎被视为一个有很大影响的季节性因素，因为趋势相当于季节性下降，等等。"
)
SEED_SPACE = (
    "磁层顶是由太阳风与地球磁层碰撞引起的现象，这种现象很罕见，因此该团队动员了技术高超的科学家对"
    "其进行全职监控。"
    "本文是关于使用机器学习来创建该任务的助手的试错。由于这是一项困难的任务，"
    "他们通过使用“科学家在循环中”来提高准确性，这涉及到一个科学家在学习循环中。"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SEED_FLOW, "这是一个使用 flow 的视频补全的研究。"),
        (SEED_OOD, SEED_OOD),
        (SEED_GAN, "减小氮化镓发生器尺寸的研究。"),
        (SEED_SLICEOUT, "提出了 Sliceout，一种高效的存储器丢失算法。"),
        (SEED_KAGGLE, SEED_KAGGLE),
        (SEED_COVID, SEED_COVID.split("。")[0] + "。"),
        (SEED_SPACE, SEED_SPACE.split("。")[0] + "。"),
        ("效果提升3.5倍！后面还有。", "效果提升3.5倍！"),
        ("真的吗？是的。", "真的吗？"),
        ("这是 v1.2.3 版本。下一句。", "这是 v1.2.3 版本。"),
        ("减小尺寸的研究.提炼和修剪的组合。", "减小尺寸的研究."),
        ("这是研究? 是的。", "这是研究?"),
        ("他说：“走吧！”然后离开了。第二句。", "他说：“走吧！”然后离开了。"),
        ("「こんにちは。」と言った。次の文。", "「こんにちは。」と言った。"),
        ("研究（见图。）之后。", "研究（见图。）之后。"),
        ("结果很好。」后面", "结果很好。」"),
        ("第一行\n第二行。后面", "第一行第二行。"),
        ("논문을 읽었다. 다음 문장.", "논문을 읽었다."),
        ("1.机器学习论文。下一句。", "1.机器学习论文。"),
    ],
)
def test_first_sentence_cjk(text: str, expected: str) -> None:
    assert first_sentence(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A simple sentence. Another one.", "A simple sentence."),
        ("We beat it (e.g. on video) by 3.5x. Next.", "We beat it (e.g. on video) by 3.5x."),
        ("It works, i.e. it converges. Next.", "It works, i.e. it converges."),
        ("Vaswani et al. propose transformers. Next.", "Vaswani et al. propose transformers."),
        ("As Chen et al. Show, it holds. Next.", "As Chen et al. Show, it holds."),
        ("See Fig. 3 and Eq. 2 for details. Next.", "See Fig. 3 and Eq. 2 for details."),
        ("Ours vs. theirs: ours wins. Next.", "Ours vs. theirs: ours wins."),
        ("Compare cf. Smith 2019 here. Next.", "Compare cf. Smith 2019 here."),
        ("It takes approx. 10 hours. Next.", "It takes approx. 10 hours."),
        ("Runs on Python 3.11 with v1.2.3 now. Next.", "Runs on Python 3.11 with v1.2.3 now."),
        ("Wait... it works. Next.", "Wait... it works."),
        ("Wait… it works. Next.", "Wait… it works."),
        ("So... what now", "So... what now"),
        ("See arxiv.org/abs/2009.01835. Next.", "See arxiv.org/abs/2009.01835."),
        ("Code at https://x.com/a.b?c=1.2 is up. Next.", "Code at https://x.com/a.b?c=1.2 is up."),
        ("Really?! Yes.", "Really?!"),
        ("Is it? Yes it is.", "Is it?"),
        ('He said "Stop." Then he left.', 'He said "Stop."'),
        ("It ends (like this.) Then more.", "It ends (like this.)"),
        ("It ends (like this. and more) Then.", "It ends (like this. and more) Then."),
        ("It ends like this.) Then more.", "It ends like this.)"),
        ("Items: (a) one and (b) two. Next.", "Items: (a) one and (b) two."),
        ("1. We propose a method. Then more.", "1. We propose a method."),
        ("The answer is no. Then we stop.", "The answer is no."),
        ("See No. 5 in the list. Then stop.", "See No. 5 in the list."),
        ("Latency is 10 ms. Then it drops.", "Latency is 10 ms."),
        ("A. Vaswani wrote it. Then more.", "A. Vaswani wrote it."),
        ("Made in the U.S. by a lab. Next.", "Made in the U.S. by a lab."),
        ("No terminator at all", "No terminator at all"),
        ("  Spaces   and\nnewlines  collapse. Next.", "Spaces and newlines collapse."),
        ("First paragraph without a stop\n\nSecond paragraph.", "First paragraph without a stop"),
        ("An (unclosed paren here. Next sentence.", "An (unclosed paren here."),
        ("Emoji end 🎉. Next.", "Emoji end 🎉."),
        ("", ""),
        ("   \n  ", ""),
    ],
)
def test_first_sentence_english(text: str, expected: str) -> None:
    assert first_sentence(text) == expected


def test_shorten_keeps_text_that_fits() -> None:
    assert shorten("short enough", 280) == "short enough"
    assert shorten("x" * 280, 280) == "x" * 280


def test_shorten_cuts_english_at_a_word_boundary() -> None:
    text = "We propose a flow-edge guided video completion method that beats all prior work"
    result = shorten(text, 40)
    assert result == "We propose a flow-edge guided video…"
    assert weighted_length(result) <= 40


def test_shorten_drops_a_trailing_comma() -> None:
    assert shorten("one two, three four five six", 12) == "one two…"


def test_shorten_cuts_cjk_at_a_character() -> None:
    result = shorten(SEED_KAGGLE, 60)
    assert result.endswith(ELLIPSIS)
    # "…关于 Kaggle": the Latin word after the last CJK character does not fit, whole.
    assert result == SEED_KAGGLE[: SEED_KAGGLE.index(" Kaggle 竞争")] + ELLIPSIS
    assert weighted_length(result) <= 60
    assert SEED_KAGGLE.startswith(result[: -len(ELLIPSIS)])


def test_shorten_never_cuts_a_url() -> None:
    text = "read https://arxiv.org/abs/2009.01835 now please"
    assert shorten(text, 28) == "read…"
    assert shorten(text, 30) == "read https://arxiv.org/abs/2009.01835…"


def test_shorten_keeps_a_link_whole_even_its_trailing_slash() -> None:
    text = "code github.com/vt-vl-lab/FGVC/ and more words here"
    assert shorten(text, 31) == "code github.com/vt-vl-lab/FGVC/…"
    assert shorten("see github.com/a- then more words", 30) == "see github.com/a-…"


def test_shorten_never_cuts_an_emoji_sequence() -> None:
    family = "👨\u200d👩\u200d👧\u200d👦"
    text = "这是" + family * 5 + "的研究"
    result = shorten(text, 11)
    assert result == "这是" + family * 2 + ELLIPSIS  # 4 + 2 + 2 + 2 = 10, one more family is 12
    assert weighted_length(result) <= 11


def test_shorten_closes_or_drops_brackets() -> None:
    assert shorten("We train (on many videos and images) fast", 20) == "We train (on many…)"
    assert shorten("We train on (many videos and images) fast", 16) == "We train on…"
    assert shorten("他说“这个方法非常好用而且很快”然后", 16) == "他说“这个方法…”"
    assert shorten('He said "this is a very long quote" then', 20) == 'He said "this is…"'
    assert shorten('He said "this is a very long quote" then', 10) == "He said…"


def test_shorten_falls_back_to_a_character_cut_for_one_long_word() -> None:
    assert shorten("Supercalifragilisticexpialidocious", 10) == "Supercal…"


def test_shorten_with_a_predicate_measures_the_whole_post() -> None:
    def fits(candidate: str) -> bool:
        return weighted_length(candidate + "\nhttps://arxiv.org/abs/2009.01835") <= 40

    result = shorten("We propose a flow-edge guided video completion method", fits)
    assert result == "We propose a…"
    assert fits(result)


def test_shorten_returns_empty_when_nothing_fits() -> None:
    assert shorten("中文", 1) == ""
    assert shorten("abc", 2) == ""


# --- properties -------------------------------------------------------------------------------
_EMOJI = [
    "👨\u200d👩\u200d👧\u200d👦",
    "👍🏽",
    "🇯🇵",
    "#\ufe0f\u20e3",
    "🐦\u200d🔥",
    "🔥",
    "©\ufe0f",
]
_PIECES = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789.,;:!?()\"'-", max_size=12),
    st.text(alphabet="研究方法的视频补全这是一个。，！？（）“”「」", max_size=12),
    st.sampled_from(_EMOJI),
    st.sampled_from(["arxiv.org/abs/2009.01835", "https://github.com/a/b", "e.g.", "3.5x"]),
    st.sampled_from([" ", "  ", "\n", "\u3000", "e\u0301"]),
)
_TEXTS = st.lists(_PIECES, max_size=40).map("".join)
_GRAPHEMES = regex.compile(r"\X")


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.integers(min_value=1, max_value=120))
def test_shorten_properties(text: str, limit: int) -> None:
    text = unicodedata.normalize("NFC", text)
    result = shorten(text, limit)
    assert weighted_length(result) <= limit or result == text == ""
    if result == text:
        return
    if not result:
        return
    assert ELLIPSIS in result
    kept = result[: result.rindex(ELLIPSIS)]
    assert text.startswith(kept)
    # The cut falls between grapheme clusters and outside every URL of the original.
    assert _GRAPHEMES.findall(kept) == _GRAPHEMES.findall(text)[: len(_GRAPHEMES.findall(kept))]
    for start, end in extract_urls(text):
        assert len(kept) <= start or len(kept) >= end


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_first_sentence_is_a_prefix_of_the_collapsed_text(text: str) -> None:
    sentence = first_sentence(text)
    collapsed = " ".join(text.split())
    assert sentence == sentence.strip()
    assert collapsed.replace(" ", "").startswith(sentence.replace(" ", ""))
