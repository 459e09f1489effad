"""`[x.costs]`, `[x] monthly_budget` and `[x] link_style`: validated like every other key, with
the file, the key and the reason; the shipped config documents them with the defaults."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from bot.config.loading import settings_from_mapping
from bot.config.settings import ConfigError, XCosts
from tests.conftest import REPO


def load(data: dict[str, Any]) -> Any:
    return settings_from_mapping(data, source="paperbot.toml", environ={"TZ": "UTC"})


def test_the_defaults_are_xs_prices_no_budget_and_links() -> None:
    x = load({}).x
    assert x.costs == XCosts(post=0.015, post_with_link=0.20, post_read=0.005, media_metadata=0.005)
    assert (x.monthly_budget, x.link_style) == (None, "url")


def test_the_shipped_config_documents_every_cost_key_with_its_default() -> None:
    shipped = tomllib.loads((REPO / "config" / "paperbot.toml").read_text(encoding="utf-8"))
    assert shipped["x"]["costs"] == {
        "post": 0.015,
        "post_with_link": 0.20,
        "post_read": 0.005,
        "media_metadata": 0.005,
    }
    assert load(shipped).x.costs == load({}).x.costs
    text = (REPO / "config" / "paperbot.toml").read_text(encoding="utf-8")
    assert "# monthly_budget = 25.0" in text and 'link_style = "url"' in text


def test_values_are_read() -> None:
    x = load({"x": {"monthly_budget": 25, "link_style": "arxiv-id", "costs": {"post": 0.02}}}).x
    assert (x.monthly_budget, x.link_style, x.costs.post, x.costs.post_with_link) == (
        25,
        "arxiv-id",
        0.02,
        0.20,
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"x": {"costs": {"post": -0.01}}}, "key 'x.costs.post': must be a price in USD from 0"),
        ({"x": {"costs": {"post": float("inf")}}}, "key 'x.costs.post': must be a price"),
        ({"x": {"costs": {"post": "0.2"}}}, "key 'x.costs.post': must be an integer or a number"),
        ({"x": {"costs": {"per_post": 1}}}, "key 'x.costs.per_post': unknown key (known: media"),
        ({"x": {"costs": 0.2}}, "key 'x.costs': must be a table"),
        ({"x": {"monthly_budget": 0}}, "key 'x.monthly_budget': must be greater than 0"),
        ({"x": {"monthly_budget": -5}}, "key 'x.monthly_budget': must be greater than 0"),
        ({"x": {"monthly_budget": float("nan")}}, "key 'x.monthly_budget': must be a number"),
        ({"x": {"monthly_budget": True}}, "key 'x.monthly_budget': must be an integer or"),
        ({"x": {"link_style": "doi"}}, "key 'x.link_style': must be 'url' or 'arxiv-id'"),
    ],
)
def test_bad_values_name_the_file_the_key_and_why(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(data)
    assert str(caught.value).startswith("paperbot.toml: " + message), str(caught.value)


def test_a_bad_budget_is_a_one_line_error_and_exit_2(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    config = tmp_path / "bad.toml"
    config.write_text("[x]\nmonthly_budget = -1\n", encoding="utf-8")
    env = {
        "PAPERBOT_CONFIG": str(config),
        "PAPERBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
    }
    result = CliRunner().invoke(cli, ["status"], env=env)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: config: {config}: key 'x.monthly_budget': must be greater than 0 (leave it "
        "out for no budget), not -1"
    ]
    assert not (tmp_path / "p.db").exists()
