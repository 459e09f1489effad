"""`paperbot preview`: each post as it would go out, per channel (text, or a page with --html)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bot.cli.context import App, BadInput, pass_app, translate_errors
from bot.cli.output import console, emit_json


@click.command()
@click.argument("entry_id", type=int, required=False)
@click.option("--week", help="Preview every unposted entry of this ISO week.")
@click.option(
    "--channel",
    type=click.Choice(["x", "bluesky", "mastodon"]),
    help="Only this channel (default: every channel each entry targets).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--html",
    "html",
    type=click.Path(dir_okay=True, path_type=Path),
    help="Write one self-contained page showing each post as its platform will; prints its path.",
)
@pass_app
@translate_errors
def preview(
    app: App,
    entry_id: int | None,
    week: str | None,
    channel: str | None,
    as_json: bool,
    html: Path | None,
) -> None:
    """Show exactly what would be posted on each channel, with its length by that platform's
    rules, images and warnings.

    Without ID or --week: every queued entry. --html FILE writes a page (images inside it)
    with each post as that platform shows it: links, figures and alt texts, link card, length,
    warnings and the planned time.

    \b
    Example:
      paperbot preview --week 2026-W48
      paperbot preview --week 2026-W48 --html week.html
    """
    from bot.config.pure_views import checked_compose_settings
    from bot.posting.previews import entries_to_preview, preview_items
    from bot.posting.x_costs import x_cost_policy
    from bot.schedule.weeks import parse_week

    if entry_id is not None and week:
        raise BadInput("give an ID or --week, not both")
    if as_json and html is not None:
        raise BadInput("give --json or --html, not both")
    the_week = parse_week(week) if week else None
    if html is not None:
        from bot.cli.preview_page import preview_page

        click.echo(preview_page(app, html, entry_id=entry_id, week=the_week, channel=channel))
        return
    with app.reader() as reader:
        entries = entries_to_preview(reader, entry_id=entry_id, week=the_week)
    from bot.cli.channel_wiring import cached_mastodon_options, preview_image_warnings

    items = preview_items(
        entries,
        checked_compose_settings(app.settings),
        channel=channel,
        compose_options=cached_mastodon_options(app),
        image_warnings=preview_image_warnings(app),
        x_costs=x_cost_policy(app.settings.x),
    )
    if as_json:
        emit_json(items)
        return
    _print_previews(items)


def _print_previews(items: list[dict[str, Any]]) -> None:
    from rich.markup import escape
    from rich.panel import Panel

    out = console()
    if not items:
        out.print("Nothing to preview: no queued entries.")
    for item in items:
        body = escape(item["text"])
        for image in item["images"]:
            body += f"\n[dim]image:[/dim] {escape(image['source'])}\n[dim]alt:[/dim] " + escape(
                image["alt"] or ""
            )
        card = item.get("card")
        if card:
            shown = f"{card['title']} — {card['description']}".rstrip(" —")
            body += f"\n[dim]link card:[/dim] {escape(shown)}"
        for warning in item["warnings"]:
            body += f"\n[yellow]warning:[/yellow] {escape(warning)}"
        out.print(
            Panel(
                body,
                title=f"#{item['id']} {item['channel']}",
                subtitle=f"{item['weighted_length']}/{item['limit']}" + _price(item),
                expand=False,
            )
        )


def _price(item: dict[str, Any]) -> str:
    """What X will bill for the post, and what the citation saves ("· $0.015 on X")."""
    from bot.store.money import MICROS, dollars

    if "cost" not in item:
        return ""
    saving = round(item["saving"] * MICROS)
    cost = dollars(round(item["cost"] * MICROS))
    return f" · {cost} on X" + (f" (saves {dollars(saving)})" if saving else "")
