"""bench/plan.py's oracle pays for its seeds out of the same budget as canyu's plan.

The closed loop judges canyu's plan by its share of the oracle's uplift, so the oracle must spend the
same money: its seeds cost what canyu's cost (yuan per account plus yuan per follower, a follower being
an audience member on the true Weibo graph), and what it pays for them is not spent on paid promotion.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from canyu.simulate import get_scenario
from canyu.simulate._engine import run
from canyu.simulate._ids import ChannelIds
from canyu.simulate._world import build_world

BENCH = Path(__file__).resolve().parents[2] / "bench" / "plan.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("canyu_bench_plan", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def world() -> tuple[object, ChannelIds]:
    rng = np.random.default_rng(3)
    sc = get_scenario("default")
    sim = run(rng, build_world(rng, sc, 600), sc, 12)
    return sim, ChannelIds.draw(np.random.default_rng([3, 1]), 600)


def _followers(sim: object, ids: ChannelIds) -> dict[str, int]:
    accounts = ids.all("weibo").to_pylist()
    degree = sim.world.graphs["weibo"].degree()  # type: ignore[attr-defined]
    return {a: int(d) for a, d in zip(accounts, degree, strict=True)}


def test_budgeted_seeds_cost_the_schedule_and_fit_the_budget(bench: ModuleType, world: tuple) -> None:
    sim, ids = world
    first = dt.date(2026, 8, 13)
    per_account, per_follower = 6.0, 5.0
    followers = _followers(sim, ids)
    cheapest = min(per_account + per_follower * f for f in followers.values() if f > 0)
    budget = 4 * cheapest + 1.0
    seeds = bench.oracle_seeds(sim, ids, first, (budget, per_account, per_follower))
    assert seeds, "a budget of four of the cheapest seeds buys at least one"
    for i, sd in enumerate(seeds):
        assert sd.channel == "weibo"
        assert sd.fee == pytest.approx(per_account + per_follower * followers[sd.account], abs=0.01)
        assert sd.start == first + dt.timedelta(days=i)
    assert sum(sd.fee for sd in seeds) <= budget + 1e-6
    # the free top-5 (the bench before 2026-12-03) cost nothing and ignore the budget
    free = bench.oracle_seeds(sim, ids, first, None)
    assert len(free) == 5 and all(sd.fee == 0.0 for sd in free)
    assert sum(per_account + per_follower * followers[sd.account] for sd in free) > budget


def test_oracle_spends_the_same_total_as_the_other_arms(bench: ModuleType, world: tuple) -> None:
    sim, ids = world
    horizon = 6
    sq = bench.status_quo(sim)
    total = sq.total_spend_per_day
    first = dt.date(2026, 8, 13)
    levers, info = bench.oracle(sim, total, ids, first, horizon, seed_fees=bench.canyu_seed_fees(600))
    fees = sum(sd.fee for sd in levers.seeds)
    assert info["seed_fees"] == pytest.approx(fees, abs=0.01)
    # paid promotion plus seed fees is the status quo's budget over the period (the greedy split's
    # increments are rounded to the fen per channel)
    assert sum(levers.spend_per_day.values()) * horizon + fees == pytest.approx(
        total * horizon, abs=0.1 * horizon
    )
    tried = info["seeding_tried"]
    assert set(tried) == {
        "seeding 0% of the budget",
        "seeding 15% of the budget",
        "seeding 30% of the budget",
    }
    assert info["seeding"] in tried
    assert tried["seeding 0% of the budget"]["fees"] == 0.0
    assert tried["seeding 30% of the budget"]["fees"] > 0.0
    for tag, t in tried.items():  # every seeding budget tried pays its fees out of the same total
        assert t["fees"] <= float(tag.split()[1].rstrip("%")) / 100 * total * horizon + 1e-6
        assert t["paid_per_day"] * horizon + t["fees"] == pytest.approx(total * horizon, abs=0.1 * horizon)
