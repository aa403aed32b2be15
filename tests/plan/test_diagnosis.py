"""The diagnosis rules' tests: exact statistics against closed forms, and the rules against planted problems."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

import canyu
from canyu.plan import Finding, get_rule, rule_names
from canyu.plan._diagnosis import RateRatio, community_too_thin, overspend_findings, rate_ratio_test
from canyu.plan._rules import benjamini_hochberg
from canyu.simulate import import_simulation, simulate

PEOPLE, DAYS = 4000, 75


def _findings(root: Path, scenario: str, seed: int) -> list[Finding]:
    sim = simulate(root / f"sim-{scenario}-{seed}", people=PEOPLE, days=DAYS, seed=seed, scenario=scenario)
    with canyu.create(root / f"ws-{scenario}-{seed}", locale="en") as ws:
        import_simulation(ws, sim.path)
        return ws.session().findings()


# -- statistics ----------------------------------------------------------------------------
def test_rate_ratio_test_is_the_conditional_binomial_test() -> None:
    # equal exposures, ratio 1: x1 ~ Binomial(x1 + x0, 1/2)
    t = rate_ratio_test(30, 7, 12, 7)
    assert t.ratio == pytest.approx(2.5)
    assert t.p_value == pytest.approx(binomtest(30, 42, 0.5).pvalue)
    # unequal exposures against a ratio of 3: p0 = 3*7 / (3*7 + 83)
    g = rate_ratio_test(40, 7, 100, 83, ratio0=3.0, alternative="greater")
    assert g.p_value == pytest.approx(binomtest(40, 140, 21 / 104, alternative="greater").pvalue)


def test_community_too_thin_is_where_no_outcome_could_be_significant() -> None:
    # a silent last third has p = (1 - p0) ** x0, p0 = 0.8 t1 / (0.8 t1 + t0): with t0 = t1,
    # (5/9) ** 7 = 0.0164 >= 0.01 (thin) and (5/9) ** 8 = 0.0091 < 0.01 (testable)
    assert (5 / 9) ** 7 > 0.01 > (5 / 9) ** 8
    assert community_too_thin(7, 100.0, 100.0) and not community_too_thin(8, 100.0, 100.0)
    # twice the member-days in the last third: p0 = 1.6 / 2.6, (1 / 2.6) ** x0 < 0.01 from x0 = 5
    assert community_too_thin(4, 100.0, 200.0) and not community_too_thin(5, 100.0, 200.0)
    assert community_too_thin(50, 0.0, 100.0) and community_too_thin(50, 100.0, 0.0)


def test_rate_ratio_interval_bounds_are_where_the_test_turns() -> None:
    # the exact interval's ends are the ratios at which the one-sided tests reach alpha/2
    t = rate_ratio_test(25, 10.0, 40, 30.0, confidence=0.99)
    lo = rate_ratio_test(25, 10.0, 40, 30.0, ratio0=t.low, alternative="greater")
    hi = rate_ratio_test(25, 10.0, 40, 30.0, ratio0=t.high, alternative="less")
    assert lo.p_value == pytest.approx(0.005, rel=1e-3)
    assert hi.p_value == pytest.approx(0.005, rel=1e-3)
    assert t.ratio == pytest.approx((25 / 10) / (40 / 30))
    assert t.low < t.ratio < t.high


def test_rate_ratio_test_holds_its_level_under_the_null() -> None:
    rng = np.random.default_rng(3)
    x1 = rng.poisson(20.0 * 7, 500)
    x0 = rng.poisson(20.0 * 60, 500)
    p = np.array(
        [
            rate_ratio_test(int(a), 7, int(b), 60, alternative="greater").p_value
            for a, b in zip(x1, x0, strict=True)
        ]
    )
    assert (p < 0.05).mean() <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 500)  # exact tests are conservative


def test_benjamini_hochberg_by_hand() -> None:
    p = {"a": 0.001, "b": 0.008, "c": 0.039, "d": 0.041, "e": 0.6}
    # sorted p_i * m / i: 0.005, 0.02, 0.065, 0.05125, 0.6 -> adjusted (running min from the top): .005 .02 .05125 .05125 .6
    assert benjamini_hochberg(p, q=0.05) == {"a", "b"}
    assert benjamini_hochberg(p, q=0.052) == {"a", "b", "c", "d"}
    assert benjamini_hochberg({}, q=0.05) == set()


# -- overspent channel on a hand-made spend table ---------------------------------------------
def _costs(rows: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["channel", "cost", "orders", "revenue"])


def test_overspent_channel_fires_on_a_large_low_return_channel() -> None:
    costs = _costs(
        [("douyin", 100_000, 20, 4_000), ("weibo", 50_000, 200, 40_000), ("xiaohongshu", 50_000, 220, 44_000)]
    )
    found = overspend_findings(costs)
    assert [f.key for f in found] == ["overspent_channel:douyin"]
    f = found[0]
    assert f.evidence["cost_share"] == pytest.approx(0.5)
    assert f.evidence["roas"] == pytest.approx(0.04)
    assert f.evidence["roas_others"] == pytest.approx(84_000 / 100_000)
    assert "20.0 attributed orders for 100,000 CNY" in f.text("metric", "en")


def test_overspent_channel_stays_quiet_without_evidence() -> None:
    # the same returns per yuan everywhere, and a low-return channel too small to matter or too thin to test
    assert overspend_findings(_costs([("douyin", 100_000, 100, 1), ("weibo", 100_000, 104, 1)])) == []
    assert overspend_findings(_costs([("douyin", 5_000, 0, 0), ("weibo", 100_000, 200, 1)])) == []
    # 1 and 3 orders for equal cost: even 0 orders against 3 has p = (2/3) ** 3 = 0.30, too thin
    thin = overspend_findings(_costs([("douyin", 100_000, 1, 0), ("weibo", 100_000, 3, 1)]))
    assert [(f.key, f.severity) for f in thin] == [
        ("overspent_channel_thin:douyin", "info"),
        ("overspent_channel_thin:weibo", "info"),
    ]
    # against 7 orders 0 would have p = (2/3) ** 7 = 0.059; against 12, 0.0077: testable, and 6 of 12 is not low
    assert (2 / 3) ** 11 > 0.01 > (2 / 3) ** 12
    assert [
        f.key for f in overspend_findings(_costs([("douyin", 100_000, 6, 0), ("weibo", 100_000, 12, 1)]))
    ] == ["overspent_channel_thin:weibo"]


def test_overspent_channel_compares_channels_of_the_same_role() -> None:
    costs = _costs([("weibo", 100_000, 20, 1), ("douyin", 100_000, 24, 1), ("ecommerce", 100_000, 900, 1)])
    assert {f.key for f in overspend_findings(costs)} == {
        "overspent_channel:douyin",
        "overspent_channel:weibo",
    }
    roles = {"weibo": "broadcast", "douyin": "broadcast", "ecommerce": "conversion"}
    assert overspend_findings(costs, roles=roles) == []


def test_every_rule_states_its_test_and_a_report_section() -> None:
    names = rule_names()
    for name in ("word_of_mouth_event", "slow_service", "community_quiet", "period_change", "retention_drop",
                 "overspent_channel", "order_accounting", "channel_roles"):  # fmt: skip
        assert name in names
        rule = get_rule(name)
        en, zh = rule.test
        assert en and zh and rule.section
    from canyu.report._contracts import section_names

    assert {get_rule(n).section for n in names} <= set(section_names())


# -- the rules against the simulator's planted problems ----------------------------------------
@pytest.fixture(scope="module")
def default_findings(tmp_path_factory: pytest.TempPathFactory) -> list[list[Finding]]:
    root = tmp_path_factory.mktemp("default")
    return [_findings(root, "default", seed) for seed in (1, 2)]


@pytest.mark.slow
def test_default_scenario_raises_no_high_severity_finding(default_findings: list[list[Finding]]) -> None:
    for found in default_findings:
        assert [f.key for f in found if f.severity in ("critical", "high")] == []
        keys = {f.key.split(":")[0] for f in found}
        assert "word_of_mouth_event" not in keys  # the planned 晒单有礼 event is ~3.5x, not a viral burst
        assert "slow_service" not in keys and "community_quiet" not in keys


@pytest.mark.slow
def test_every_order_is_accounted_for(default_findings: list[list[Finding]]) -> None:
    for found in default_findings:
        (acc,) = [f for f in found if f.key == "order_accounting"]
        ev = acc.evidence
        assert ev["attributed"] + ev["no_social_touch"] == pytest.approx(ev["orders"])
        assert ev["no_social_touch_share"] == pytest.approx(ev["no_social_touch"] / ev["orders"], abs=1e-4)
        assert f"of {ev['orders']:,} orders had a social touch" in acc.text("metric", "en")
        assert f"{ev['no_social_touch_share']:.1%}" in acc.text("metric", "en")


@pytest.mark.slow
def test_the_viral_launch_is_found_as_an_opportunity(tmp_path: Path) -> None:
    found = _findings(tmp_path, "viral-launch", 1)
    (wom,) = [f for f in found if f.key.startswith("word_of_mouth_event:")]
    assert wom.severity == "medium"
    # the launch campaign runs from day 30 (2026-08-31) for 8 days: the burst window overlaps it
    assert "2026-08-28" <= wom.evidence["window_start"] <= "2026-09-07"
    assert wom.evidence["ratio_low"] > 4.0
    assert [f.key for f in found if f.severity == "high"] == []


def test_rate_ratio_dataclass_is_frozen() -> None:
    t = rate_ratio_test(1, 1, 1, 1)
    assert isinstance(t, RateRatio)
    with pytest.raises(AttributeError):
        t.ratio = 2.0  # type: ignore[misc]


def test_overspent_average_return_needs_a_fixed_cost_not_paid_spend_alone() -> None:
    """Attributed orders include organic reach, which paid spend does not buy: with the spend analysis's
    ``fixed_cost`` column, a spend-only channel is not judged on average return (nor used as a peer);
    the same returns with a fixed cost paying for the channel's operation are."""
    rows = [("douyin", 20, 4_000), ("weibo", 200, 40_000), ("xiaohongshu", 220, 44_000)]
    cost = {"douyin": 100_000, "weibo": 50_000, "xiaohongshu": 50_000}

    def table(fixed: dict[str, float]) -> pd.DataFrame:
        return pd.DataFrame(
            [(ch, cost[ch] - fixed.get(ch, 0.0), fixed.get(ch, 0.0), cost[ch], o, r) for ch, o, r in rows],
            columns=["channel", "spend", "fixed_cost", "cost", "orders", "revenue"],
        )

    assert overspend_findings(table({})) == []  # paid spend only: the marginal test's job
    operated = {"douyin": 100_000.0, "weibo": 50_000.0, "xiaohongshu": 50_000.0}
    assert [f.key for f in overspend_findings(table(operated))] == ["overspent_channel:douyin"]
    # a fixed-cost channel is compared with fixed-cost peers only: none here, nothing to compare with
    assert overspend_findings(table({"douyin": 100_000.0})) == []
