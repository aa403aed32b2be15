"""The overspent rule's marginal-return test: closed forms, a known power law, and the simulator's truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import canyu
from canyu.analytics.mmm import PosteriorResponse
from canyu.plan import diagnose
from canyu.plan._diagnosis import overspend_findings
from canyu.plan._saturation import (
    BOUND,
    SpendElasticity,
    adstock,
    posterior_elasticity,
    spend_elasticity,
)
from canyu.plan.budget import saturated_channels
from canyu.plan.strategy import budget_split
from canyu.simulate import import_simulation, simulate


# -- closed forms ---------------------------------------------------------------------------
def test_adstock_is_the_geometric_recursion_started_at_the_first_weeks_mean() -> None:
    s = np.array([2.0, 4.0, 6.0, 0.0, 8.0, 2.0, 6.0, 10.0])
    a0 = s[:7].mean()  # 4.0
    want, prev = [], a0
    for x in s:
        prev = 0.3 * prev + 0.7 * x
        want.append(prev)
    np.testing.assert_allclose(adstock(s, 0.3), want)
    np.testing.assert_allclose(adstock(np.full(20, 5.0), 0.6), 5.0)  # steady spend s gives a = s
    np.testing.assert_allclose(adstock(s, 0.0), s)


def _flighted_spend(rng: np.random.Generator, days: int = 90) -> np.ndarray:
    """Always-on spend with log-normal day-to-day noise and two campaign bursts, like the simulator's."""
    s = 10.0 * np.exp(rng.normal(0.0, 0.3, days))
    s[20:28] += 40.0
    s[55:62] += 25.0
    return s


def test_an_exact_power_law_gives_back_its_elasticity_and_carry_over() -> None:
    # noise-free: impressions = 3 * a_t ** b with a_t the adstock at decay 0.5, so the Poisson
    # likelihood is largest at exactly d = 0.5 and the slope is exactly b
    s = _flighted_spend(np.random.default_rng(1))
    for b in (0.1, 0.45, 0.9):
        y = 3.0 * adstock(s, 0.5) ** b
        e = spend_elasticity(s, y)
        assert e is not None
        assert e.decay == 0.5
        assert e.slope == pytest.approx(b, abs=1e-6)


def test_the_test_fires_on_a_flat_response_and_not_on_a_rising_one() -> None:
    fired = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        s = _flighted_spend(rng)
        a = adstock(s, 0.4)
        flat = rng.poisson(30.0 * (a / a.mean()) ** 0.02)
        rising = rng.poisson(30.0 * (a / a.mean()) ** 0.6)
        ef, er = spend_elasticity(s, flat), spend_elasticity(s, rising)
        assert ef is not None and er is not None and ef.testable
        fired += ef.p_value < 0.01
        assert er.p_value > 0.01, (seed, er)
        # the 99% upper bound is the slope plus z_0.99 standard errors
        assert ef.high == pytest.approx(ef.slope + 2.3263479 * ef.se, rel=1e-6)
    assert fired == 20


def test_too_little_data_is_too_thin() -> None:
    rng = np.random.default_rng(3)
    s = _flighted_spend(rng, days=20)  # under 28 days with spend
    assert spend_elasticity(s, rng.poisson(30.0, 20)) is None
    s = _flighted_spend(rng)
    assert spend_elasticity(s, rng.poisson(0.5, 90)) is None  # under 100 impressions
    # spend that barely varies: even a flat response cannot be told from one of 1/3
    steady = 10.0 * np.exp(rng.normal(0.0, 0.01, 90))
    e = spend_elasticity(steady, rng.poisson(30.0, 90))
    assert e is not None and not e.testable


def test_posterior_elasticity_is_the_closed_form_of_the_curve() -> None:
    # Hill x^k / (x^k + h^k): elasticity k h^k / (x^k + h^k); logistic (1 - e^-lx) / (1 + e^-lx),
    # l = ln 3 / h: elasticity 2 l x e^-lx / (1 - e^-2lx)
    x, h, k = 30_000.0, 20_000.0, 1.5
    hill = PosteriorResponse.from_parameters(
        ["douyin"], saturation="hill", beta=[1e5], half=[h], shape=[k], current_weekly=[x]
    )
    e = posterior_elasticity(hill, "douyin")
    assert e.mean == pytest.approx(k * h**k / (x**k + h**k), rel=1e-5)
    lam = np.log(3.0) / h
    logi = PosteriorResponse.from_parameters(
        ["douyin"], saturation="logistic", beta=[1e5], half=[h], current_weekly=[x]
    )
    closed = 2 * lam * x * np.exp(-lam * x) / (1 - np.exp(-2 * lam * x))
    assert posterior_elasticity(logi, "douyin").mean == pytest.approx(closed, rel=1e-5)
    # two draws either side of the bound: half of them reach it
    two = PosteriorResponse(
        channels=("douyin",),
        saturation="hill",
        beta=np.array([[1e5], [1e5]]),
        half=np.array([[h], [h]]),
        shape=np.array([[0.2], [2.0]]),  # elasticities 0.2 * 0.52 = 0.10 and 2 * 0.31 = 0.62
        current_weekly=np.array([x]),
    )
    assert posterior_elasticity(two, "douyin").share_at_or_above == 0.5


# -- the rule's combination of the two tests ---------------------------------------------------
def _sat(p: float, *, testable: bool = True) -> SpendElasticity:
    return SpendElasticity(90, 2500, 0.4, 0.05, 0.04, BOUND, 0.14, p, 0.4, testable)


def test_both_tests_share_one_benjamini_hochberg_correction() -> None:
    costs = pd.DataFrame(
        [
            ("douyin", 2000.0, 2000.0, 10, 3000),
            ("weibo", 600.0, 600.0, 3, 800),
            ("qzone", 400.0, 400.0, 1, 100),
        ],
        columns=["channel", "spend", "cost", "orders", "revenue"],
    )
    # the average-return tests are too thin here; of three marginal p-values, BH at 0.01 keeps
    # p_(1) <= 0.01 / 3 and p_(2) <= 0.02 / 3
    found = overspend_findings(
        costs, saturation={"douyin": _sat(0.003), "weibo": _sat(0.006), "qzone": _sat(0.5)}
    )
    keys = sorted(f.key for f in found if f.severity != "info")
    assert keys == ["overspent_channel:douyin", "overspent_channel:weibo"]
    f = next(f for f in found if f.key == "overspent_channel:douyin")
    assert (
        f.evidence["saturation_test"] == "daily dose-response" and f.evidence["p_value_saturation"] == 0.003
    )
    assert "2,500 paid impressions" in f.text("metric", "en") and "付费曝光 2,500 次" in f.text(
        "metric", "zh"
    )
    found = overspend_findings(
        costs, saturation={"douyin": _sat(0.004), "weibo": _sat(0.5), "qzone": _sat(0.5)}
    )
    assert [f.key for f in found if f.severity != "info"] == []  # 0.004 > 0.01 / 3
    # a curve that cannot be judged says so, and does not fire
    found = overspend_findings(costs, saturation={"douyin": _sat(1e-9, testable=False), "weibo": None})
    assert {f.key for f in found} >= {
        "overspent_channel_curve_thin:douyin",
        "overspent_channel_curve_thin:weibo",
    }
    assert all(f.severity == "info" for f in found)


# -- against the simulator's truth --------------------------------------------------------------
def _daily(sim_dir: Path) -> dict[str, pd.DataFrame]:
    sp = pd.read_csv(sim_dir / "spend.csv")
    g = sp.groupby(["channel", "date"])[["amount", "impressions"]].sum().reset_index()
    return {str(ch): df for ch, df in g.groupby("channel")}


@pytest.mark.parametrize("seed", [1, 2])
def test_the_marginal_test_agrees_with_the_simulators_truth(tmp_path: Path, seed: int) -> None:
    """Overspent: Douyin's true marginal/average ROAS is ~0.01 and the test fires on it alone; in the default
    and the confounded correlated-spend worlds every channel's true ratio is above the bound and none fires."""
    for scenario in ("overspent", "default", "correlated-spend"):
        sim = simulate(tmp_path / scenario, people=1000, days=90, seed=seed, scenario=scenario)
        truth = sim.truth["spend"]["channels"]
        for ch, df in _daily(sim.path).items():
            e = spend_elasticity(df["amount"].to_numpy(), df["impressions"].to_numpy())
            assert e is not None and e.testable
            true_ratio = truth[ch]["marginal_roas"] / truth[ch]["roas"]
            saturated = scenario == "overspent" and ch == "douyin"
            assert (true_ratio < BOUND) == saturated, (scenario, ch, true_ratio)
            # 0.0025 = 0.01 / 4 channels: what BH needs of a lone discovery
            assert (e.p_value < 0.0025) == saturated, (scenario, ch, e)
            if saturated:
                assert e.slope < 0.25 and e.high < BOUND


def test_the_rule_catches_the_overspent_scenario_end_to_end(tmp_path: Path) -> None:
    sim = simulate(tmp_path / "sim", people=1000, days=90, seed=3, scenario="overspent")
    with canyu.create(tmp_path / "ws", locale="en") as ws:
        import_simulation(ws, sim.path)
        session = ws.session()
        found = diagnose(session, rules=["overspent_channel"])
        # Both measured-return fallbacks (no media-mix fit on 13 weeks) act on the finding: Douyin's
        # attributed revenue per yuan is the highest, yet money moves out of it.
        factors = saturated_channels(session)
        budget = session.run("budget", total=100_000.0, objective="revenue")
        split = budget_split(session, total=100_000.0, objective="revenue")
    assert set(factors) == {"douyin"} and 0 <= factors["douyin"] < BOUND
    assert budget.source == "measured_roas" and "douyin at" in budget.reason
    row = budget.table.set_index("channel").loc["douyin"]
    assert row["marginal_return"] == budget.table["marginal_return"].max()  # the best on average...
    assert row["change"] < 0  # ...and it gives money, as the finding says
    assert budget.table["allocation"].sum() == pytest.approx(100_000.0)
    assert split.source == "measured_roas" and "douyin at" in split.reason[0]
    paid = pd.read_csv(sim.path / "spend.csv").groupby("channel")["amount"].sum()
    assert split.allocation["douyin"] / 100_000.0 < paid["douyin"] / paid.sum()
    fired = [f for f in found if f.severity != "info"]
    assert [f.key for f in fired] == ["overspent_channel:douyin"]
    ev = fired[0].evidence
    assert ev["saturation_test"] == "daily dose-response"
    truth = sim.truth["spend"]["channels"]["douyin"]
    assert ev["paid_impressions"] == truth["paid_exposures"]  # the platform's count is the simulator's
    assert ev["elasticity_high"] < BOUND and truth["marginal_roas"] / truth["roas"] < BOUND


# -- the media-mix path inside findings --------------------------------------------------------
def _weekly_workspace(path: Path, weeks: int) -> canyu.Workspace:
    """Two channels' weekly spend from the media-mix simulator and one order a week on each, after a
    view on it: enough weeks (>= 34) for the media mix to fit."""
    import pyarrow as pa

    from canyu.simulate import simulate_media_mix

    data = simulate_media_mix(weeks=weeks, seed=5, channels=("weibo", "douyin"))
    ws = canyu.create(path, brand="T", locale="en", timezone="Asia/Shanghai")
    spend: dict[str, list[object]] = {"date": [], "channel": [], "amount": [], "impressions": []}
    ev: dict[str, list[object]] = {k: [] for k in ("event_id", "ts", "channel", "action", "user_id", "value")}
    for i, row in data.frame.iterrows():
        monday = pd.Timestamp(row["week"])
        for j, ch in enumerate(("weibo", "douyin")):
            spend["date"].append(monday.date())
            spend["channel"].append(ch)
            spend["amount"].append(float(row[ch]))
            spend["impressions"].append(int(10 * float(row[ch]) ** 0.5))
            for k, (action, hours, value) in enumerate(
                (("view", 28, None), ("purchase", 30, float(row["revenue"]) / 2))
            ):
                ev["event_id"].append(f"e{i}_{j}_{k}")
                ev["ts"].append((monday + pd.Timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S"))
                ev["channel"].append(ch)
                ev["action"].append(action)
                ev["user_id"].append(f"u{i}_{j}")
                ev["value"].append(value)
    ws.import_batches(pa.table(spend), source="test", table="spend")
    ws.import_batches(pa.table(ev), source="test", table="events")
    return ws


def test_the_overspent_rule_never_samples_a_media_mix_when_the_session_may_not_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On 60 weeks (enough for a fit) a session with ``fit_models = False`` (the console's) reads the
    cache once, finds nothing, samples nothing and falls back to the daily dose-response test; the
    same call with ``fit_models = True`` does reach the sampler (so the guard is what stops it), and a
    second call in one session costs no second cache read (the session's memo)."""
    import canyu.analytics.mmm._workspace as mw
    from canyu.plan._diagnosis import saturation_tests

    sampled: list[int] = []
    reads: list[str] = []
    real_read = mw._read_cache

    def no_fit(*args: object, **kwargs: object) -> None:
        sampled.append(1)
        raise AssertionError("the media mix was sampled inside findings")

    def counted_read(session: object, key: str) -> object:
        reads.append(key)
        return real_read(session, key)  # type: ignore[arg-type]

    monkeypatch.setattr(mw, "fit_mmm", no_fit)
    monkeypatch.setattr(mw, "_read_cache", counted_read)
    with _weekly_workspace(tmp_path / "ws", 60) as ws:
        s = ws.session()
        s.fit_models = False
        out = saturation_tests(s)
        assert not s.run("mmm").fitted
        assert set(out) == {"weibo", "douyin"}
        assert all(v is None or isinstance(v, SpendElasticity) for v in out.values())
        saturation_tests(s)
        assert sampled == [] and len(reads) == 1  # one cache read for both calls, no sampling
        assert ws.store.derived_versions("mmm_fit").num_rows == 0
        fitting = ws.session()  # fit_models = True: the default outside the console
        with pytest.raises(AssertionError, match="sampled inside findings"):
            saturation_tests(fitting)
        assert sampled == [1]
