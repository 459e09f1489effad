"""Compose speed: entries per second for X, Bluesky, Mastodon and all three together.

10,000 generated entries mix English and CJK comments (the seed's style), emoji sequences (ZWJ
families, skin tones, flags, keycaps), links inside comments and lengths from one short
sentence to a long paragraph (about 7% of posts need shortening on X, 5% on Bluesky, 1% on
Mastodon). Settings alternate between the default template and one with title, hashtags and
emoji. Each entry is composed through ``bot.text.per_channel.compose_for`` for X, for Bluesky,
for Mastodon (a stock instance: 500 characters), and for all three in turn, as the poster does
(the composer keeps a little per entry: its first sentence (also read for Bluesky's link card),
X's link search, the filled template, the sentence's cut points, its images with their alt text,
so the next channel reuses them; most of what is kept is keyed by texts that hold the entry's
new link, or by a character, a settings value or the entry's own images tuple (by identity); the
last four sentences' cut points and a few caches of links found in comments (``display_url``,
``_meant_end``) are keyed by texts the generated comments may repeat: ``--cold`` empties every
cache keyed by text before each entry, and measures about the same: under valgrind, within 2 %).
Target (issue 19): all three together at least 15,000 entries/s. Each line shows BASELINE
beside it: this script on commit ecdc60c, before the work on issue 19, median of 3 runs, each
run alternating with one of the new code, load average 1.4-1.9 on this shared 2-core machine.
Wall-clock figures here move by 30 % and more with the load (of 5 alternating runs at load
about 1, the same code gave all three 3,660-5,190 entries/s); instructions counted by valgrind
do not. First round (500 entries, PYTHONHASHSEED=0): all three 1.72 million an entry on ecdc60c,
1.39 million after (X 0.71/0.71, Bluesky 1.00/0.83, Mastodon 0.74/0.70 million). Second round
(callgrind's total for 500 entries, PYTHONHASHSEED=0, less that of only making them), commit
2abd167 against this: all three 1.32 -> 1.08 million an entry (X 0.64 -> 0.51, Bluesky
0.76 -> 0.60, Mastodon 0.63 -> 0.53); median of 5 alternating runs all three 4,461 -> 5,382
entries/s per CPU-second (X 8,479 -> 14,199, Bluesky 8,614 -> 10,136, Mastodon 9,524 -> 9,279:
noise), at load 0.9-1.0, measured with a shortcut since dropped (a ChannelDraft filled in
without its __init__: 1.03 million instead of 1.08, not worth the oddity).
``bench/compose_fingerprint.py`` shows the drafts did not change.

Usage: .venv/bin/python bench/bench_compose.py [--entries 10000] [--runs 3] [--cold]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.text.compose import ComposeInput, ComposeSettings, ImageSpec  # noqa: E402
from bot.text.per_channel import compose_for  # noqa: E402

TARGET = 15_000  # entries/s, all three channels together (issue 19)
#: entries/s (wall, per CPU-second) on commit ecdc60c: see the docstring.
BASELINE = {
    "x": (13_722, 13_725),
    "bluesky": (10_639, 10_639),
    "mastodon": (12_436, 12_437),
    "all three": (5_186, 5_282),
}
PLATFORMS = {"x": ("x",), "bluesky": ("bluesky",), "mastodon": ("mastodon",)}
PLATFORMS["all three"] = ("x", "bluesky", "mastodon")

ENGLISH = [
    "We propose a flow-edge guided video completion method that beats prior work by 3.5x.",
    "Smith et al. show that Fig. 3 is wrong vs. the baseline, e.g. on DAVIS.",
    "Code is at github.com/vt-vl-lab/FGVC and runs on Python 3.11 with v1.2.3.",
    "It removes people from videos (really!) and the results look great.",
    "Distillation, quantisation and pruning combined shrink the generator 47 times.",
]
CJK = [
    "这是一个使用 flow 的视频补全的研究。",
    "这种方法的关键点是:1)通过检测缺失的边缘并连接它们来完成流，2)通过使用稍远的帧来获得视频的不可见部分。",
    "对 Kaggle 创始人安东尼·戈德布卢姆(Anthony Goldbloom)关于 Kaggle 竞争的采访"
    "证明了随机森林的有用性。",
    "量化通常是不可微的，但是他们使用伪梯度来实现 E2E 训练，详见 arxiv.org/abs/2008.11062。",
    "動画から人物を消せる手法です。「すごい」と話題になりました。",
]
EMOJI = ["🔥", "👨\u200d👩\u200d👧\u200d👦", "👍🏽", "🇯🇵", "#\ufe0f\u20e3", "🐦\u200d🔥", "✨"]
SETTINGS = [
    ComposeSettings(),
    ComposeSettings(
        template="{emoji} {title}\n{sentence}\n{hashtags}\n{url}",
        hashtags=("MachineLearning", "论文"),
        emoji="📄",
    ),
]


def make_entries(count: int, seed: int = 37) -> list[ComposeInput]:
    """Deterministic entries of mixed language and length."""
    rng = random.Random(seed)
    entries = []
    for number in range(count):
        english = rng.random() < 0.5
        pool = ENGLISH if english else CJK
        parts = [rng.choice(pool) for _ in range(rng.choice((1, 1, 2, 4, 8)))]
        if rng.random() < 0.3:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(EMOJI))
        if rng.random() < 0.35:  # one long first sentence: clauses joined without a stop
            parts = [part.rstrip(".。") for part in parts]
            comment = (", and " if english else "，").join(parts) + ("." if english else "。")
        else:
            comment = (" " if english else "").join(parts)
        if rng.random() < 0.05:
            comment = ""
        title = rng.choice(["Flow-edge Guided Video Completion", "GAN 瘦身：一体化 GAN 压缩", ""])
        images = tuple(ImageSpec(f"img/{number}-{i}.png") for i in range(rng.randrange(6)))
        url = f"https://arxiv.org/abs/2009.{number:05d}"
        entries.append(ComposeInput(url=url, comment=comment, title=title, images=images))
    return entries


def run(entries: list[ComposeInput], channels: tuple[str, ...]) -> tuple[float, float]:
    """Wall-clock and CPU seconds to compose every entry for ``channels`` (settings alternating)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    for index, entry in enumerate(entries):
        for channel in channels:
            compose_for(channel, entry, SETTINGS[index % 2])
    return time.perf_counter() - started, time.process_time() - cpu_started


# Caches keyed by a settings value, a rule or one character: not what an entry brings.
_NOT_TEXT = {"of", "_checked", "_settings_for", "_mastodon_rule", "_x_rule", "_template_lines"}
_NOT_TEXT |= {"hashtag_line", "_emoji_cluster", "_weighed", "classes"}


def _text_caches() -> list[Callable[[], None]]:
    """``cache_clear`` of every cache in bot.text keyed by texts (functools' caches)."""
    clears = []
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("bot.text."):
            continue
        for value in vars(module).values():
            inside = vars(value).values() if isinstance(value, type) else ()
            for candidate in (value, *inside):
                function = getattr(candidate, "__func__", candidate)
                clear = getattr(function, "cache_clear", None)
                wrapped = getattr(function, "__wrapped__", None)
                if callable(clear) and getattr(wrapped, "__name__", "") not in _NOT_TEXT:
                    clears.append(clear)
    return clears


def run_cold(entries: list[ComposeInput], channels: tuple[str, ...]) -> tuple[float, float]:
    """``run`` with every text cache emptied before each entry (the emptying not timed): what
    an entry costs when no text at all is remembered from the entries before it."""
    clears = _text_caches()
    wall = cpu = 0.0
    for index, entry in enumerate(entries):
        for clear in clears:
            clear()
        started, cpu_started = time.perf_counter(), time.process_time()
        for channel in channels:
            compose_for(channel, entry, SETTINGS[index % 2])
        wall += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--cold", action="store_true", help="also all three with text caches emptied per entry"
    )
    args = parser.parse_args()
    entries = make_entries(args.entries)
    for name, channels in PLATFORMS.items():
        shortened = sum(
            compose_for(channel, entry, SETTINGS[index % 2]).shortened
            for index, entry in enumerate(entries)
            for channel in channels
        )
        timings = [run(entries, channels) for _ in range(args.runs)]
        wall = args.entries / statistics.median(wall for wall, _ in timings)
        cpu = args.entries / statistics.median(cpu for _, cpu in timings)
        # CPU time is shown too: on a shared machine wall-clock time includes waiting for a core.
        target = f"; target {TARGET:,}" if len(channels) > 1 else ""
        base_wall, base_cpu = BASELINE[name]
        print(
            f"{name:>9}: {args.entries} entries ({shortened} drafts shortened), median of "
            f"{args.runs} runs: {wall:,.0f} entries/s ({cpu:,.0f} per CPU-second); baseline "
            f"{base_wall:,} ({base_cpu:,}), x{cpu / base_cpu:.2f} per CPU-second{target}"
        )

    if args.cold:
        timings = [run_cold(entries, PLATFORMS["all three"]) for _ in range(args.runs)]
        wall = args.entries / statistics.median(wall for wall, _ in timings)
        cpu = args.entries / statistics.median(cpu for _, cpu in timings)
        print(
            f"all three, text caches emptied before each entry: {wall:,.0f} entries/s "
            f"({cpu:,.0f} per CPU-second)"
        )


if __name__ == "__main__":
    main()
