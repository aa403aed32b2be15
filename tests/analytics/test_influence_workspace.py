"""workspace_seeds: IMM over a workspace's follow graph, fees from followers, brand accounts left out."""

from __future__ import annotations

from pathlib import Path

import pytest

import canyu
from canyu.analytics.influence import workspace_seeds
from canyu.errors import InvalidArgumentError, UnknownNameError


@pytest.fixture
def follows_ws(workspace: canyu.Workspace, tmp_path: Path) -> canyu.Workspace:
    # b is followed by a and c; a by d; everyone follows the brand, which is not a seed to hire
    rows = [("a", "b"), ("c", "b"), ("d", "a"), ("a", "brand_main"), ("d", "brand_main"), ("x", "y")]
    f = tmp_path / "follows.csv"
    f.write_text(
        "channel,follower_id,followee_id,ts\n"
        + "".join(
            f"{'douyin' if (a, b) == ('x', 'y') else 'weibo'},{a},{b},2026-10-01 00:00:00\n" for a, b in rows
        ),
        encoding="utf-8",
    )
    workspace.import_files([f], table="follows")
    # the brand declares its own accounts in canyu.toml; seeding leaves them out
    workspace.update_config(accounts={"weibo": ("brand_main",)})
    return workspace


def test_the_hub_is_the_seed_and_reaches_everyone(follows_ws: canyu.Workspace) -> None:
    res = workspace_seeds(follows_ws, model="ic", p=1.0, k=1)
    assert res.seeds == ("b",) and res.nodes == 4  # brand_main left out
    assert res.spread == pytest.approx(4.0)  # p = 1: b -> a, c; a -> d


def test_undeclared_brand_accounts_are_people(follows_ws: canyu.Workspace) -> None:
    # without the [accounts] declaration brand_main is just another followee, the hub of two
    follows_ws.update_config(accounts={})
    res = workspace_seeds(follows_ws, model="ic", p=1.0, k=1)
    assert res.nodes == 5


def test_budget_buys_what_fees_allow(follows_ws: canyu.Workspace) -> None:
    # fees: 500 + 5 x followers -> b 510, a 505, c and d 500
    res = workspace_seeds(follows_ws, model="ic", p=1.0, budget=505.0)
    assert res.seeds == ("a",) and res.costs == (505.0,) and res.spread == pytest.approx(2.0, rel=0.05)
    res = workspace_seeds(follows_ws, model="ic", p=1.0, budget=1010.0, base_cost=500, cost_per_follower=5)
    assert res.cost <= 1010.0 and "b" in res.seeds


def test_bad_arguments_name_what_is_valid(follows_ws: canyu.Workspace) -> None:
    with pytest.raises(InvalidArgumentError, match="cheapest seed's cost 500") as e:
        workspace_seeds(follows_ws, budget=1)
    assert e.value.param == "budget" and e.value.value == 1
    with pytest.raises(InvalidArgumentError) as e:
        workspace_seeds(follows_ws, channel="kuaishou")
    assert e.value.param == "channel" and set(e.value.valid) == {"douyin", "weibo"}
    assert "channels with follow edges: douyin, weibo" in str(e.value)
    with pytest.raises(InvalidArgumentError, match="base_cost"):
        workspace_seeds(follows_ws, base_cost=-1)
    with pytest.raises(InvalidArgumentError, match="k"):
        workspace_seeds(follows_ws, k=0)
    with pytest.raises(UnknownNameError, match="diffusion model"):
        workspace_seeds(follows_ws, model="sir")
