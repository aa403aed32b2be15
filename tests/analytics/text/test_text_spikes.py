"""舆情 spikes: a planted spike is found with its posts; healthy series stay at the nominal rate."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from canyu.analytics.text import TextInputError, benjamini_hochberg, negative_share_spikes, negative_spikes


def test_benjamini_hochberg_matches_closed_form() -> None:
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.20])
    q = benjamini_hochberg(p)
    # m = 4: sorted 0.01, 0.03, 0.04, 0.20 -> 0.04, 0.0533, 0.0533, 0.20
    assert q[0] == pytest.approx(0.04)
    assert q[1] == pytest.approx(0.04 * 4 / 3)
    assert q[2] == pytest.approx(0.04 * 4 / 3)
    assert np.isnan(q[3]) and q[4] == pytest.approx(0.20)


def test_fisher_p_value_matches_scipy_fisher_exact() -> None:
    neg = [10] * 20 + [25]
    tot = [100] * 21
    r = negative_share_spikes(range(21), neg, tot, window=20, min_history=14)
    expected = stats.fisher_exact([[25, 75], [200, 1800]], alternative="greater").pvalue
    assert r.daily["p_value"].iloc[-1] == pytest.approx(expected, rel=1e-9)
    assert r.daily["baseline_share"].iloc[-1] == pytest.approx(0.10)


def _posts(rng: np.random.Generator, days: int, spike_day: int | None, spike_share: float) -> pd.DataFrame:
    rows = []
    start = dt.date(2026, 3, 1)
    for d in range(days):
        n = int(rng.poisson(120))
        share = spike_share if d == spike_day else 0.12
        neg = rng.random(n) < share
        for i in range(n):
            rows.append((f"d{d}-{i}", start + dt.timedelta(days=d), bool(neg[i])))
    return pd.DataFrame(rows, columns=["post_id", "day", "negative"])


def test_planted_spike_is_found_with_its_posts(rng: np.random.Generator) -> None:
    posts = _posts(rng, 60, spike_day=45, spike_share=0.35)
    r = negative_spikes(posts)
    assert r.note is None
    assert r.spikes["day"].tolist() == [dt.date(2026, 4, 15)]
    row = r.spikes.iloc[0]
    expected = posts[(posts["day"] == dt.date(2026, 4, 15)) & posts["negative"]]["post_id"].tolist()
    assert sorted(row["post_ids"]) == sorted(expected) and row["negative"] == len(expected)
    assert row["ratio"] > 2 and row["q_value"] <= 0.05
    assert "Fisher" in r.test


def test_spike_does_not_hide_the_next_one() -> None:
    tot = [200] * 50
    neg = [20] * 50
    neg[30] = neg[31] = neg[32] = 60  # a three-day crisis: each day is a spike
    r = negative_share_spikes(range(50), neg, tot)
    assert r.spikes["day"].tolist() == [30, 31, 32]
    # the baseline after the crisis left the crisis days out
    assert r.daily["baseline_share"].iloc[40] == pytest.approx(0.10)


def test_healthy_series_false_alarm_rate_at_most_nominal() -> None:
    alarms = 0
    seeds = 200
    for seed in range(seeds):
        g = np.random.default_rng(seed)
        n = g.poisson(150, size=90)
        x = g.binomial(n, 0.1)
        alarms += len(negative_share_spikes(range(90), x, n).spikes) > 0
    # BH under the global null controls the chance of any false spike at alpha = 0.05
    assert alarms / seeds <= 0.07, alarms


def test_count_mode_poisson() -> None:
    g = np.random.default_rng(5)
    x = g.poisson(8, size=60)
    x[50] = 40
    r = negative_share_spikes(range(60), x)
    assert r.spikes["day"].tolist() == [50]
    assert "posts" not in r.daily.columns and "Poisson" in r.test


def test_too_thin() -> None:
    r = negative_share_spikes(range(10), [1] * 10, [5] * 10)
    assert r.too_thin and "too thin" in (r.note or "") and r.spikes.empty
    r2 = negative_spikes(pd.DataFrame({"post_id": [1], "day": ["2026-01-01"], "negative": [1]}))
    assert r2.too_thin


def test_small_days_need_min_negative() -> None:
    tot = [400] * 40 + [6]
    neg = [4] * 40 + [4]  # 67% negative, but 4 posts
    r = negative_share_spikes(range(41), neg, tot, min_negative=5)
    assert r.spikes.empty and r.daily["p_value"].iloc[-1] < 1e-4


def test_sentiment_column_and_errors() -> None:
    posts = pd.DataFrame(
        {"post_id": [1, 2], "ts": pd.to_datetime(["2026-01-01 08:00", "2026-01-01 09:00"]), "s": [0.1, 0.9]}
    )
    r = negative_spikes(posts, day="ts", sentiment="s")
    assert r.daily["negative"].tolist() == [1] and r.daily["posts"].tolist() == [2]
    with pytest.raises(TextInputError, match="no column"):
        negative_spikes(posts)
    with pytest.raises(TextInputError):
        negative_share_spikes(range(2), [3, 1], [2, 2])


def test_overdispersed_healthy_series_raises_no_alarm_and_a_real_jump_is_found() -> None:
    # thousands of posts a day whose true share wanders (beta around 0.5): Fisher alone calls many
    # ordinary days spikes; against the days' own spread (Laney p') none is, and a real jump still is
    alarms_fisher_only = alarms = 0
    for seed in range(30):
        g = np.random.default_rng(seed)
        n = g.poisson(1000, size=90)
        share = g.beta(200, 200, size=90)  # sd 0.025 around 0.5, far above the binomial 0.016
        x = g.binomial(n, share)
        r = negative_share_spikes(range(90), x, n)
        alarms += len(r.spikes) > 0
        alarms_fisher_only += bool(
            ((r.daily["p_value"] < 0.001) & (r.daily["share"] > r.daily["baseline_share"])).any()
        )
        x[70] = int(0.68 * n[70])  # the crisis day: 68% negative against ~50%
        hit = negative_share_spikes(range(90), x, n)
        assert 70 in hit.spikes["day"].tolist(), seed
    assert alarms <= 2, alarms
    assert alarms_fisher_only >= 15, alarms_fisher_only  # the case this guards against is real
