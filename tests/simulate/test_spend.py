"""Paid spend in the person-level simulator: it buys exposures on a saturating curve, carries over with the
true adstock decay, and truth.json's ROAS agrees with a counterfactual run on common random numbers."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pytest

from canyu.plan.levers import Levers
from canyu.simulate import get_scenario, simulate
from canyu.simulate._continue import continue_run, outcome
from canyu.simulate._engine import Engine, paid_curve, run
from canyu.simulate._ids import ChannelIds
from canyu.simulate._truth import spend_truth
from canyu.simulate._world import SOCIAL, build_world

START = dt.date(2026, 8, 1)


def _base(n: int, days: int, seed: int, scenario: str = "default"):  # type: ignore[no-untyped-def]
    sc = get_scenario(scenario)
    rng = np.random.default_rng(seed)
    world = build_world(rng, sc, n)
    sim = run(rng, world, sc, days)
    return sim, ChannelIds.draw(np.random.default_rng([seed, 1]), n)


def test_more_spend_buys_more_paid_exposures_on_a_saturating_curve() -> None:
    sim, ids = _base(4000, 10, seed=5)
    members = int(sim.world.member["weibo"].sum())
    prm = sim.state.channels["weibo"]
    levels = [0.0, 8.0, 32.0, 128.0, 512.0]
    got = []
    for s in levels:
        cont = continue_run(sim, Levers(spend_per_day={"weibo": s}), days=20, start=START, ids=ids)
        daily = cont.paid_impressions[cont.start_day + 5 :, SOCIAL.index("weibo")].mean()  # adstock settled
        got.append(daily)
        expected = float(paid_curve(prm, sim.world.n, s)) * members
        if s:
            assert daily == pytest.approx(expected, rel=0.15), (s, daily, expected)
    assert got[0] < 1  # only the tail of the past spend
    assert all(b > a for a, b in itertools.pairwise(got))
    gains = np.diff(got) / np.diff(levels)  # exposures per extra yuan fall: saturation
    assert all(b < a for a, b in itertools.pairwise(gains)), gains
    assert got[-1] < prm.paid_reach * members  # never past the channel's reach


def test_adstock_decay_measured_from_the_output_is_the_true_one() -> None:
    sc = replace(get_scenario("default"), spend_noise=0.0)
    rng = np.random.default_rng(9)
    world = build_world(rng, sc, 20_000)
    eng = Engine.start(rng, world, sc, 12)
    for c in eng.campaigns:  # no campaign budgets: the pulse is the only spend
        c["budget"] = 0.0
    for _ in range(2):
        eng.always_on = {ch: 0.0 for ch in SOCIAL}
        eng.step()
    # a one-day pulse, then nothing: the exposures bought afterwards come from the carried-over spend only
    for day in range(8):
        eng.always_on = {ch: (400.0 if day == 0 else 0.0) for ch in SOCIAL}
        eng.step()
    sim = eng.simulation()
    for ch in ("weibo", "xiaohongshu", "douyin"):
        prm = sim.state.channels[ch]
        i = SOCIAL.index(ch)
        members = world.member[ch].sum()
        h = sim.paid_impressions[2:6, i] / (prm.paid_reach * members)  # share of the reach bought each day
        half = prm.paid_half * world.n / 1000.0
        if prm.paid_curve == "hill":  # invert the curve: the adstocked spend that buys that share
            x = half * (h / (1 - h)) ** (1 / prm.paid_shape)
        else:
            x = half / np.log(3.0) * np.log((1 + h) / (1 - h))
        decay = np.exp(np.mean(np.diff(np.log(x))))
        assert decay == pytest.approx(prm.paid_decay, abs=0.08), (ch, decay, prm.paid_decay)


def test_truth_roas_agrees_with_a_counterfactual_run() -> None:
    """Paid revenue in truth.json (analytic, first order) against spend switched off, on common random numbers.

    Each arm spends 100 yuan a day on each paid channel (about 2.5 times the default's exposures) or
    nothing; four worlds of 5,000 people pooled, so the purchase noise is small against the effect. The
    measured effect runs about 20% above the first-order truth (paid viewers who follow or share buy later).
    """
    paid = ("weibo", "qzone", "douyin", "xiaohongshu")
    measured = truth = 0.0
    for seed in (3, 4, 5, 6):
        sim, ids = _base(5000, 30, seed)
        arm = continue_run(
            sim, Levers(spend_per_day=dict.fromkeys(paid, 100.0)), days=40, start=START, ids=ids
        )
        off = continue_run(
            sim, Levers(spend_per_day=dict.fromkeys(SOCIAL, 0.0)), days=40, start=START, ids=ids
        )
        measured += outcome(arm).revenue - outcome(off).revenue
        t_arm = spend_truth(arm, first_day=arm.start_day)["channels"]
        t_off = spend_truth(off, first_day=off.start_day)["channels"]
        truth += sum(t_arm[ch]["revenue"] - t_off[ch]["revenue"] for ch in SOCIAL)
    assert truth > 0
    assert measured == pytest.approx(truth, rel=0.35), (measured, truth)


def test_overspent_channel_has_the_lowest_marginal_roas(tmp_path: Path) -> None:
    res = simulate(tmp_path / "o", people=2000, days=20, seed=2, scenario="overspent")
    ch = res.truth["spend"]["channels"]
    paid = {c: v for c, v in ch.items() if v["roas"] is not None}
    assert min(paid, key=lambda c: paid[c]["marginal_roas"]) == "douyin"
    assert min(paid, key=lambda c: paid[c]["roas"]) in ("douyin", "qzone")
    default = simulate(tmp_path / "d", people=2000, days=20, seed=2).truth["spend"]["channels"]
    assert ch["douyin"]["marginal_roas"] < default["douyin"]["marginal_roas"] / 5
    # the file: the amounts per channel are the simulator's spend, the impressions its paid exposures
    spend = pacsv.read_csv(tmp_path / "o" / "spend.csv").to_pandas()
    by = spend.groupby("channel")[["amount", "impressions"]].sum()
    assert by.loc["douyin", "amount"] == pytest.approx(ch["douyin"]["spend"], rel=1e-3)
    assert by.loc["douyin", "impressions"] == ch["douyin"]["paid_exposures"]
    assert set(spend["channel"]) <= {c for c in SOCIAL if c not in ("wecom", "forum")}


def test_correlated_spend_is_correlated(tmp_path: Path) -> None:
    cor = simulate(tmp_path / "c", people=1000, days=60, seed=1, scenario="correlated-spend")
    ind = simulate(tmp_path / "i", people=1000, days=60, seed=1)

    def mean_corr(folder: Path) -> float:
        s = pacsv.read_csv(folder / "spend.csv").to_pandas()
        wide = s[s["campaign_id"].fillna("") == ""].pivot_table(
            index="date", columns="channel", values="amount"
        )
        c = np.corrcoef(np.log(wide.to_numpy().T))
        return float(c[np.triu_indices_from(c, 1)].mean())

    assert mean_corr(cor.path) > 0.6
    assert abs(mean_corr(ind.path)) < 0.25
