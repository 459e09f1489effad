"""`paperbot preview --html FILE`: gather what the page shows and write it (bot/pages renders).

The CLI is the composition root, so this is where the page's parts meet: the drafts (bot/text
through bot/posting/previews.py), the plan's times per channel (bot/posting/planning.py),
Bluesky's card thumbnails (bot/posting/cards.py) and the figures (bot/images/load.py), both
through the image fetcher's SSRF guard with the configured policy, as posting fetches them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.context import App, BadInput

if TYPE_CHECKING:
    from bot.pages.preview_page import PreviewPost
    from bot.store.read_records import EntryRecord
    from bot.store.reader import Reader
    from bot.text.per_channel import ChannelDraft

PLAN_HORIZON = timedelta(days=14)


def preview_page(
    app: App, path: Path, *, entry_id: int | None, week: str | None, channel: str | None
) -> str:
    """Write the preview page of the entry (or the week, or the queue) to ``path``; its path."""
    from bot.cli.channel_wiring import cached_mastodon_options, preview_image_warnings
    from bot.config.pure_views import checked_compose_settings
    from bot.posting.previews import entries_to_preview, preview_drafts, preview_items
    from bot.posting.x_costs import x_cost_policy

    check_target(path)
    with app.reader() as reader:
        entries = entries_to_preview(reader, entry_id=entry_id, week=week)
        planned = planned_times(app, reader, {c for e in entries for c in e.channels})
    settings = checked_compose_settings(app.settings)
    options = cached_mastodon_options(app)
    items = preview_items(
        entries,
        settings,
        channel=channel,
        compose_options=options,
        image_warnings=preview_image_warnings(app),
        x_costs=x_cost_policy(app.settings.x),
    )
    drafts = preview_drafts(entries, settings, channel=channel, compose_options=options)
    posts = page_posts(app, entries, items, drafts, planned)
    scope = f"entry {entry_id}" if entry_id is not None else (week or "the queue")
    write_page(app, posts, path, f"paperbot preview: {scope}")
    return str(path.resolve())


def check_target(path: Path) -> None:
    """Bad input before anything is done: the page's folder must exist, the path not be one."""
    if path.is_dir():
        raise BadInput(f"--html {path}: is a folder; give a file name such as preview.html")
    if not path.parent.is_dir():
        raise BadInput(f"--html {path}: the folder {path.parent} does not exist")


def planned_times(app: App, reader: Reader, channels: set[str]) -> dict[tuple[int, str], str]:
    """When the plan posts each entry on each channel, as the page shows it (local time)."""
    from bot.config.pure_views import timetable_config
    from bot.posting.planning import plan_queue

    config = timetable_config(app.settings)
    daemon = reader.daemon_state()
    times: dict[tuple[int, str], str] = {}
    for channel in sorted(channels):
        plan = plan_queue(
            reader,
            config,
            app.now(),
            channel=channel,
            last_run=daemon.last_run_at if daemon else None,
            horizon=PLAN_HORIZON,
        )
        for assignment in plan:
            local = assignment.when.astimezone(app.tz)
            times[(assignment.entry_id, channel)] = local.strftime("%a %d %b %Y %H:%M %Z")
    return times


def page_posts(
    app: App,
    entries: Sequence[EntryRecord],
    items: Sequence[dict[str, Any]],
    drafts: dict[tuple[int, str], ChannelDraft],
    planned: dict[tuple[int, str], str],
) -> list[PreviewPost]:
    """One page post per preview item, with its draft's full links, card and planned time."""
    from bot.cli.wiring import image_policy
    from bot.pages.preview_page import PreviewPost
    from bot.posting.cards import link_card

    by_id = {entry.id: entry for entry in entries}
    policy = image_policy(app)
    posts = []
    for item in items:
        key = (item["id"], item["channel"])
        draft = drafts[key]
        card = link_card(draft, policy, fetch=True)
        # X's price of the post, when the preview item carries one (the costs work names it).
        price = item.get("price", item.get("cost"))
        posts.append(
            PreviewPost(
                entry_id=item["id"],
                title=by_id[item["id"]].title,
                url=item["url"],
                channel=item["channel"],
                text=draft.composed,
                length=item["weighted_length"],
                limit=item["limit"],
                unit=item["unit"],
                images=tuple((i["source"], i["alt"] or "") for i in item["images"]),
                warnings=tuple(item["warnings"]),
                card=draft.card,
                card_thumb=card.thumb.data if card and card.thumb else None,
                planned=planned.get(key),
                price=float(price) if isinstance(price, int | float) else None,
            )
        )
    return posts


def write_page(app: App, posts: list[PreviewPost], path: Path, heading: str) -> None:
    """Render and write the page in one step (a temp file renamed), so a failure leaves no
    half-written page."""
    from bot.cli.wiring import image_policy
    from bot.images.load import load_image
    from bot.pages.preview_page import render_preview_page

    policy = image_policy(app)
    # Shown, not posted: any image up to the download cap is shrunk for display.
    policy = replace(
        policy, max_bytes=policy.max_download_bytes, max_gif_bytes=policy.max_download_bytes
    )
    base = Path.cwd()

    def load(source: str) -> bytes:
        return load_image(source, base_dir=base, policy=policy).data

    html = render_preview_page(posts, heading=heading, load_image=load)
    handle, temporary = tempfile.mkstemp(prefix=".preview-", suffix=".html", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(html)
        os.chmod(temporary, 0o644)  # a page to share, not a secret (mkstemp makes it 0600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
