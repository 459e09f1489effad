"""A digest of every draft the compose bench produces, so a speed-up can be shown to change
nothing: compose bench/bench_compose.py's generated entries (same seed, same alternating
settings) for X, Bluesky and Mastodon and hash each ``ChannelDraft`` in full (its ``repr``:
every field, the text, length, warnings, facets and link card included).

Run it before and after a change to the text layer; the digests must be equal. ``--dump PATH``
also writes one repr per line, to find the first draft that differs.

Usage: .venv/bin/python bench/compose_fingerprint.py [--entries 10000] [--dump PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compose import SETTINGS, make_entries

from bot.text.per_channel import compose_for

CHANNELS = ("x", "bluesky", "mastodon")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--dump", type=Path)
    args = parser.parse_args()
    digest = hashlib.sha256()
    lines: list[str] = []
    entries = make_entries(args.entries)
    for index, entry in enumerate(entries):  # all three in turn, as the poster does
        for channel in CHANNELS:
            line = repr(compose_for(channel, entry, SETTINGS[index % 2]))
            digest.update(line.encode() + b"\n")
            lines.append(line)
    # Each channel alone must give the same drafts (no cache may depend on the order).
    for offset, channel in enumerate(CHANNELS):
        for index, entry in enumerate(entries):
            alone = repr(compose_for(channel, entry, SETTINGS[index % 2]))
            if alone != lines[index * len(CHANNELS) + offset]:
                sys.exit(f"entry {index} composed for {channel} alone differs:\n{alone}")
    if args.dump:
        args.dump.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{args.entries} entries x {len(CHANNELS)} channels: sha256 {digest.hexdigest()}")


if __name__ == "__main__":
    main()
