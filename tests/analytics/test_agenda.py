"""Agenda setting against the simulator's truth, and the measures against statsmodels and closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from canyu.analytics.agenda import (
    AgendaDataError,
    agenda_setting,
    benjamini_hochberg,
    first_carriers,
    granger_tests,
    topic_salience,
    var_order,
)
from canyu.errors import UnknownNameError
from canyu.simulate import get_scenario
from canyu.simulate._engine import agenda_series

ALPHA = 0.05


def _shares(counts: np.ndarray) -> pd.DataFrame:
    days = pd.date_range("2026-03-02", periods=len(counts), freq="D")
    return pd.DataFrame(counts / np.maximum(counts.sum(axis=1, keepdims=True), 1), index=days)


def _agenda(scenario: str, seed: int, days: int = 150, **knobs: object):  # type: ignore[no-untyped-def]
    brand, audience, _ = agenda_series(np.random.default_rng(seed), get_scenario(scenario, **knobs), days)
    return agenda_setting(_shares(brand), _shares(audience))


# -- the measures against independent implementations


def test_granger_f_and_lag_order_match_statsmodels(rng: np.random.Generator) -> None:
    from statsmodels.tsa.api import VAR
    from statsmodels.tsa.stattools import grangercausalitytests

    n, k = 160, 3
    cause = rng.standard_normal((n, k))
    effect = rng.standard_normal((n, k))
    effect[2:, 0] += 0.5 * cause[:-2, 0]  # topic 0: the cause leads by 2 days
    orders = var_order(effect, cause, 6, ic="aic")
    for j in range(k):
        sm_order = VAR(np.column_stack([effect[:, j], cause[:, j]])).select_order(6).selected_orders["aic"]
        assert orders[j] == sm_order
    table = granger_tests(effect, cause, np.array([2, 3, 1]))
    for j, p in enumerate((2, 3, 1)):
        sm = grangercausalitytests(np.column_stack([effect[:, j], cause[:, j]]), [p])
        f, pval, _, _ = sm[p][0]["ssr_ftest"]
        assert table["f"][j] == pytest.approx(f, rel=1e-8)
        assert table["p"][j] == pytest.approx(pval, rel=1e-6)
    assert table["p"][0] < 1e-3 < table["p"][1]


def test_benjamini_hochberg_by_hand() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.5, np.nan])
    # sorted 0.01, 0.03, 0.04, 0.5 -> p * 4 / rank = 0.04, 0.06, 0.0533, 0.5; running minimum from the top
    q = benjamini_hochberg(p)
    np.testing.assert_allclose(q[:4], [0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert np.isnan(q[4])


def test_topic_salience_shares_and_empty_days() -> None:
    records = pd.DataFrame(
        {
            "day": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-01", "2026-01-03"]),
            "topic": ["a", "a", "b", "b"],
            "channel": ["weibo", "douyin", "weibo", "weibo"],
        }
    )
    s = topic_salience(records)
    assert isinstance(s, pd.DataFrame) and list(s.columns) == ["a", "b"] and len(s) == 3
    np.testing.assert_allclose(s.iloc[0], [2 / 3, 1 / 3])
    np.testing.assert_allclose(s.iloc[1], s.iloc[[0, 2]].mean())  # an empty day: the mean share
    by = topic_salience(records, by="channel", topics=["a", "b"], days=s.index)
    assert isinstance(by, dict) and set(by) == {"weibo", "douyin"}
    np.testing.assert_allclose(by["weibo"].iloc[0], [0.5, 0.5])
    with pytest.raises(AgendaDataError) as err:
        topic_salience(records, topic="theme")
    assert err.value.reason == "missing_column" and "theme" in err.value.message_zh


def test_short_or_disjoint_series_are_errors() -> None:
    x = _shares(np.ones((20, 3)))
    with pytest.raises(AgendaDataError) as err:
        agenda_setting(x, x)
    assert err.value.reason == "too_short"
    y = _shares(np.ones((100, 3))).rename(columns=str)
    with pytest.raises(AgendaDataError) as err:
        agenda_setting(_shares(np.ones((100, 3))), y)
    assert err.value.reason == "no_common_topics"
    with pytest.raises(UnknownNameError):
        agenda_setting(y, y, ic="hqc")


# -- against the simulator's truth (the agenda process of canyu.simulate, many seeds)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_default_scenario_is_brand_leads_at_lag_3(seed: int) -> None:
    r = _agenda("default", seed)
    assert r.direction == "brand_leads", r
    assert abs(r.lag_days - 3) <= 1 and r.lag_interval[0] <= 3 <= r.lag_interval[1]
    assert r.strength == pytest.approx(0.6, abs=0.08)
    assert r.strength_interval[0] <= 0.6 <= r.strength_interval[1] + 0.05
    assert r.strength_label == "strong"
    assert (r.topics["direction"] == "brand_leads").mean() >= 0.5
    peak = r.cross_lagged.loc[r.cross_lagged["corr"].idxmax()]
    assert peak["lag_days"] == r.lag_days and peak["corr"] > peak["null_high"]
    at_lag = r.rank_correlation[r.rank_correlation["lag_days"] == r.lag_days]["rho"].mean()
    at_zero = r.rank_correlation[r.rank_correlation["lag_days"] == 0]["rho"].mean()
    assert at_lag > at_zero and at_lag > 0.3  # McCombs & Shaw: ranks agree once the lag is allowed for


def test_estimated_strength_ranks_the_true_strengths() -> None:
    truth, est = [], []
    for s in (0.0, 0.2, 0.4, 0.6, 0.8):
        for seed in range(3):
            truth.append(s)
            est.append(_agenda("default", 40 + seed, agenda_strength=s).strength)
    rho = stats.spearmanr(truth, est).statistic
    assert rho >= 0.9, (rho, est)
    means = np.array(est).reshape(5, 3).mean(axis=1)
    np.testing.assert_allclose(means, [0.0, 0.2, 0.4, 0.6, 0.8], atol=0.06)


def test_lag_follows_the_knob() -> None:
    r = _agenda("default", 5, agenda_lag_days=6)
    assert r.direction == "brand_leads" and abs(r.lag_days - 6) <= 1


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_audience_leads_scenario_is_found(seed: int) -> None:
    brand, audience, _ = agenda_series(np.random.default_rng(seed), get_scenario("audience-leads"), 150)
    r = agenda_setting(_shares(brand), _shares(audience))
    assert r.direction == "audience_leads"
    assert abs(r.lag_days - 3) <= 1 and r.reverse_lag_days == r.lag_days
    assert r.strength_label == "none" and r.strength < 0.1
    # the audience's salience is measured from ~60 texts a day, which attenuates the reverse slope ...
    assert 0.15 < r.reverse_strength < 0.5

    # ... unless the texts per day are given, and the sampling noise is allowed for (below)


def test_reverse_strength_corrected_for_sampling_noise() -> None:
    corrected = []
    for seed in range(5):
        brand, audience, _ = agenda_series(
            np.random.default_rng(80 + seed), get_scenario("audience-leads"), 150
        )
        texts = pd.Series(audience.sum(axis=1), index=_shares(audience).index)
        raw = agenda_setting(_shares(brand), _shares(audience))
        r = agenda_setting(_shares(brand), _shares(audience), audience_texts=texts)
        assert r.direction == raw.direction and r.strength == raw.strength  # only the reverse slope changes
        assert r.reverse_strength > raw.reverse_strength
        corrected.append(r.reverse_strength)
    assert np.mean(corrected) == pytest.approx(0.6, abs=0.1), corrected


def test_null_scenario_keeps_the_nominal_rate() -> None:
    topic_calls, raw_calls, directions = [], [], []
    for seed in range(20):
        r = _agenda("no-agenda", 60 + seed)
        topic_calls.append(
            ((r.topics["q_brand_leads"] < ALPHA) | (r.topics["q_audience_leads"] < ALPHA)).mean()
        )
        raw_calls.append(
            ((r.topics["p_brand_leads"] < ALPHA).mean() + (r.topics["p_audience_leads"] < ALPHA).mean()) / 2
        )
        directions.append(r.direction)
    assert np.mean(topic_calls) <= 2 * ALPHA, topic_calls
    assert np.mean(raw_calls) <= 2 * ALPHA, raw_calls
    # each direction is tested at ALPHA: no more than about 2 * ALPHA of the seeds get a direction
    assert np.mean([d != "none" for d in directions]) <= 4 * ALPHA, directions


@pytest.mark.parametrize("seed", [31, 32, 33])
def test_weak_agenda_is_weak_or_none(seed: int) -> None:
    r = _agenda("weak-agenda", seed)
    assert r.strength_label in ("weak", "none")
    assert r.strength < 0.2


def test_result_to_dict_is_json_ready() -> None:
    import json

    r = _agenda("default", 3, days=90)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["direction"] == "brand_leads" and len(d["topics"]) == 8 and d["channels"] == []


# -- first carriers


def test_first_carriers_counts_and_lift() -> None:
    t0 = pd.Timestamp("2026-05-01 10:00")
    h = pd.Timedelta(hours=1)
    posts = pd.DataFrame({"ts": [t0, t0 + 48 * h], "topic": ["新品发布", "价格优惠"]})
    texts = pd.DataFrame(
        {
            "ts": [t0 - h, t0 + h, t0 + 2 * h, t0 + 3 * h, t0 + 50 * h, t0 + 51 * h, t0 + 200 * h],
            "topic": ["新品发布", "新品发布", "新品发布", "新品发布", "价格优惠", "价格优惠", "价格优惠"],
            "author": ["early", "kol", "koc", "kol", "kol", "fan", "late"],
            "channel": ["weibo"] * 7,
        }
    )
    out = first_carriers(posts, texts, per_post=2, window_hours=24)
    got = out.set_index("author")
    assert set(got.index) == {"kol", "koc", "fan"}  # 'early' wrote before the post, 'late' after the window
    assert got.loc["kol", "carried"] == 2 and got.loc["kol", "posts_share"] == 1.0
    assert got.loc["kol", "median_delay_hours"] == pytest.approx(1.5)
    assert out["author"].iloc[0] == "kol" and got.loc["kol", "topics"] in (
        "新品发布,价格优惠",
        "价格优惠,新品发布",
    )
    # kol wrote 2 of 4 新品发布 texts and 1 of 3 价格优惠 texts: expected min(1, 2*0.5) + min(1, 2/3)
    assert got.loc["kol", "expected"] == pytest.approx(1 + 2 / 3)
    assert first_carriers(posts.iloc[:0], texts).empty
    with pytest.raises(AgendaDataError):
        first_carriers(posts, texts.drop(columns="author"))
