"""What every command prints through, without click: JSON documents, rich's console, the clock.

Kept apart from bot/cli/context.py (which builds on click) so the routes that answer without
click (bot/cli/fast.py) print exactly what the commands print.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def emit_json(document: Any) -> None:
    """One JSON document on stdout and nothing else."""
    # Indented for people; compact (and on the C encoder: ~10x faster) for pipes and scripts.
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=indent) + "\n")


def console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


def clock(environ: Mapping[str, str]) -> datetime:
    """The one clock seam: PAPERBOT_NOW pins it (ISO 8601) for reproducible demos and tests."""
    pinned = environ.get("PAPERBOT_NOW")
    if pinned:
        from bot.schedule.weeks import parse_datetime

        return parse_datetime(pinned, UTC)
    return datetime.now(UTC)
