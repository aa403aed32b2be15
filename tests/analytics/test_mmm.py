"""Media-mix model: simulator truth, input errors, and a fit scored against the truth.

The fits here are small (two channels, two short chains) to keep the file fast; the slow test and
``bench/mmm.py`` run the full 150 weeks × 5 channels over several seeds and scenarios.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from canyu.analytics.mmm import (
    MediaMixError,
    MediaMixResult,
    PosteriorResponse,
    fit_mmm,
    min_weeks,
    mmm_from_file,
)
from canyu.analytics.mmm._transforms import lag_stack, saturation_np, weights_np
from canyu.plan.budget import optimize_budget, plan_outcome
from canyu.simulate import MediaMixData, simulate_media_mix

# ---------------------------------------------------------------- simulator truth (no sampling)


@pytest.mark.parametrize(("saturation", "adstock"), [("hill", "geometric"), ("logistic", "delayed")])
def test_simulated_truth_matches_an_independent_computation(saturation: str, adstock: str) -> None:
    data = simulate_media_mix(weeks=80, seed=4, saturation=saturation, adstock=adstock)  # type: ignore[arg-type]
    t = data.truth
    x = data.frame[list(t.channels)].to_numpy(float)
    # The model package's own transforms, written separately from the simulator's.
    w = weights_np(t.alpha, t.theta)[None]
    ad = np.einsum("ltc,dcl->dtc", lag_stack(x), w)[0]
    contrib = t.beta * saturation_np(ad, saturation, t.half, t.shape)
    np.testing.assert_allclose(contrib.sum(axis=0) / x.sum(axis=0), t.roas, rtol=1e-9)
    np.testing.assert_allclose(contrib.sum(axis=0), t.contribution, rtol=1e-9)
    # Marginal ROAS is below average ROAS for concave curves (logistic) at positive spend.
    if saturation == "logistic":
        assert np.all(t.marginal_roas < t.roas)
    # The steady-state curve at zero spend is zero and rises with spend.
    curve = t.response_curve("douyin", np.array([0.0, 1e4, 1e5]))
    assert curve[0] == 0.0
    assert curve[1] < curve[2]
    json.dumps(t.to_dict())


def test_averaged_curves_are_each_draw_s_own_form() -> None:
    """``saturation="average"`` pools Hill and logistic draws: each draw keeps its own curve, the
    budget optimiser sees the pooled curves, and a channel's response is the mean over both forms."""
    hill_t = simulate_media_mix(weeks=60, seed=3, channels=("weibo", "douyin"), saturation="hill").truth
    log_t = simulate_media_mix(weeks=60, seed=3, channels=("weibo", "douyin"), saturation="logistic").truth
    pooled = PosteriorResponse(
        channels=hill_t.channels,
        saturation="average",
        beta=np.vstack([hill_t.beta, log_t.beta]),
        half=np.vstack([hill_t.half, log_t.half]),
        shape=np.vstack([hill_t.shape, np.ones(2)]),
        current_weekly=hill_t.mean_spend,
        hill=np.array([True, False]),
    )
    spend = np.array([[0.0, 0.0], [2e4, 5e4], [1e5, 3e5]])
    got = pooled.weekly(spend)  # (draws, rows, channels)
    np.testing.assert_allclose(got[0], hill_t.weekly_response(spend), rtol=1e-12)
    np.testing.assert_allclose(got[1], log_t.weekly_response(spend), rtol=1e-12)
    np.testing.assert_allclose(PosteriorResponse.from_truth(log_t).weekly(spend)[0], got[1], rtol=1e-12)
    grid = np.array([0.0, 3e4, 9e4])
    np.testing.assert_allclose(pooled.channel_curve("douyin", grid)[1], log_t.response_curve("douyin", grid))
    with pytest.raises(ValueError, match="mask"):
        saturation_np(spend, "average", hill_t.half, hill_t.shape)
    # Two draws that disagree on the form: the plan follows their mean curve, spending the whole budget.
    plan = optimize_budget(pooled, total=4 * float(hill_t.mean_spend.sum()), weeks=4)
    assert sum(plan.allocation.values()) == pytest.approx(4 * float(hill_t.mean_spend.sum()), rel=1e-6)


def test_scenarios_correlated_and_overspent() -> None:
    def mean_corr(d: MediaMixData) -> float:
        c = np.corrcoef(d.frame[list(d.truth.channels)].to_numpy(float).T)
        return float(c[np.triu_indices_from(c, 1)].mean())

    assert mean_corr(simulate_media_mix(weeks=150, seed=2, scenario="correlated")) > 0.5
    assert abs(mean_corr(simulate_media_mix(weeks=150, seed=2))) < 0.2
    over = simulate_media_mix(weeks=150, seed=2, scenario="overspent").truth
    i = over.channels.index("douyin")
    assert int(np.argmin(over.marginal_roas)) == i
    assert over.marginal_roas[i] < 0.5 * np.median(over.marginal_roas)
    # Festival weeks are marked: 双11 2023 falls in the week starting 2023-11-06.
    frame = simulate_media_mix(weeks=60, seed=1).frame
    assert pd.Timestamp("2023-11-06").date() in set(frame["week"])


# ---------------------------------------------------------------- input errors (no sampling)


def _csv(tmp_path: Path, frame: pd.DataFrame) -> Path:
    p = tmp_path / "wide.csv"
    frame.to_csv(p, index=False)
    return p


def test_file_errors_name_the_file_and_column(tmp_path: Path) -> None:
    data = simulate_media_mix(weeks=80, seed=1)
    path = _csv(tmp_path, data.frame)
    with pytest.raises(MediaMixError) as err:
        mmm_from_file(path, date="week", target="revenue", channels=["weibo", "douyn"])
    assert err.value.file == str(path) and err.value.column == "douyn"
    assert "closest: 'douyin'" in str(err.value) and "wide.csv" in str(err.value)
    assert "找不到列" in err.value.message_zh

    broken = data.frame.copy()
    broken.loc[5, "weibo"] = np.nan
    with pytest.raises(MediaMixError, match=r"'weibo' has 1 empty \(NaN\) value\(s\), first at row 6"):
        mmm_from_file(_csv(tmp_path, broken), date="week", target="revenue", channels=["weibo"])
    broken = data.frame.astype({"douyin": object})
    broken.loc[3, "douyin"] = "12k"
    with pytest.raises(MediaMixError, match="'12k' is not a number"):
        mmm_from_file(_csv(tmp_path, broken), date="week", target="revenue", channels=["douyin"])

    short = data.frame.head(40)
    need = min_weeks(2, 8)
    with pytest.raises(MediaMixError, match=f"too little data: 40 weeks, need ≥ {need}") as err:
        mmm_from_file(_csv(tmp_path, short), date="week", target="revenue", channels=["weibo", "douyin"])
    assert "数据太少" in err.value.message_zh
    with pytest.raises(MediaMixError, match="file not found"):
        mmm_from_file(tmp_path / "nope.xlsx", date="week", target="revenue", channels=["weibo"])
    xlsx = tmp_path / "wide.xlsx"
    data.frame.head(30).to_excel(xlsx, index=False)
    with pytest.raises(MediaMixError, match=r"wide\.xlsx: too little data"):
        mmm_from_file(xlsx, date="week", target="revenue", channels=["weibo"])


# ---------------------------------------------------------------- a fit scored against the truth


@pytest.fixture(scope="module")
def overspent_fit() -> tuple[MediaMixData, MediaMixResult]:
    data = simulate_media_mix(
        weeks=104, seed=5, scenario="overspent", channels=("weibo", "douyin"), saturation="logistic"
    )
    fit = fit_mmm(
        data.frame,
        date="week",
        target="revenue",
        channels=data.truth.channels,
        controls=data.controls,
        chains=2,
        warmup=200,
        draws=200,
        seed=1,
    )
    return data, fit


def test_fit_recovers_roas_with_honest_intervals(overspent_fit: tuple[MediaMixData, MediaMixResult]) -> None:
    data, fit = overspent_fit
    truth = data.truth
    roas = fit.metric("roas")
    err = np.abs(roas["mean"].to_numpy() - truth.roas) / truth.roas
    assert err.mean() <= 0.15, (roas, truth.roas)
    assert np.all((roas["lo"] <= truth.roas) & (truth.roas <= roas["hi"]))
    mroas = fit.metric("marginal_roas")
    assert mroas.loc["douyin", "mean"] < mroas.loc["weibo", "mean"]  # the overspent channel is seen as such
    alpha = fit.metric("alpha")
    assert np.all(np.abs(alpha["mean"].to_numpy() - truth.alpha) < 0.2)
    assert fit.diagnostics.chains == 2 and fit.diagnostics.draws == 200
    assert fit.diagnostics.ok == (not fit.diagnostics.reasons)
    assert fit.holdout is not None and fit.holdout.weeks == 8
    assert fit.holdout.mape < 0.06 and fit.holdout.coverage >= 0.75
    d = json.loads(json.dumps(fit.to_dict()))
    assert set(d["channels"]["douyin"]) >= {
        "roas",
        "marginal_roas",
        "contribution",
        "alpha",
        "half_saturation",
    }
    assert d["trusted"] == fit.diagnostics.ok
    curves = fit.response_curves(points=11)
    for _, g in curves.groupby("channel"):
        assert np.all(np.diff(g["mean"].to_numpy()) > 0) and np.all(g["lo"] <= g["hi"])


def test_budget_on_the_posterior_reaches_95pct_of_the_true_best(
    overspent_fit: tuple[MediaMixData, MediaMixResult],
) -> None:
    data, fit = overspent_fit
    t = data.truth
    true_curves = PosteriorResponse.from_truth(t)
    total = float(t.mean_spend.sum() * 4)
    plan = optimize_budget(fit.response, total=total, weeks=4)
    best = optimize_budget(true_curves, total=total, weeks=4)
    alloc = np.array([plan.allocation[c] for c in t.channels])
    achieved = float(plan_outcome(true_curves, alloc, weeks=4)[0])
    assert achieved >= 0.95 * best.expected["optimal"]["mean"]
    assert plan.table.loc["douyin", "change"] < 0  # money moves out of the overspent channel
    lo, hi = plan.expected["optimal"]["lo"], plan.expected["optimal"]["hi"]
    assert lo < plan.expected["optimal"]["mean"] < hi
    assert plan.prob_better > 0.9


@pytest.mark.slow
def test_lift_test_calibration_narrows_the_interval() -> None:
    data = simulate_media_mix(weeks=70, seed=8, channels=("weibo", "douyin"), saturation="logistic")
    t = data.truth
    weeks = pd.to_datetime(data.frame["week"])
    x = data.frame[list(t.channels)].to_numpy(float)
    contrib = t.beta * saturation_np(
        np.einsum("ltc,cl->tc", lag_stack(x), weights_np(t.alpha)), "logistic", t.half, t.shape
    )
    i = t.channels.index("weibo")
    period = slice(20, 40)
    lift = float(contrib[period, i].sum())
    experiments = pd.DataFrame(
        {
            "channel": ["weibo"],
            "starts": [weeks[20]],
            "ends": [weeks[39] + pd.Timedelta(days=6)],
            "incremental_conversions": [lift],
            "se": [0.03 * lift],
        }
    )
    common = dict(
        date="week",
        target="revenue",
        channels=t.channels,
        controls=data.controls,
        chains=2,
        warmup=150,
        draws=150,
        holdout_weeks=0,
        seed=2,
    )
    plain = fit_mmm(data.frame, **common)  # type: ignore[arg-type]
    calibrated = fit_mmm(data.frame, experiments=experiments, **common)  # type: ignore[arg-type]
    w_plain = plain.metric("roas").loc["weibo"]
    w_cal = calibrated.metric("roas").loc["weibo"]
    assert (w_cal["hi"] - w_cal["lo"]) < 0.7 * (w_plain["hi"] - w_plain["lo"])
    assert abs(w_cal["mean"] - t.roas[i]) / t.roas[i] < 0.08
    assert calibrated.holdout is None


@pytest.mark.slow
def test_averaged_fit_pools_both_forms_and_covers_the_truth() -> None:
    """``saturation="average"``: one fit per form, half the chains each, draws pooled; the verdict
    passes only when both fits pass; the pooled ROAS interval covers the truth."""
    data = simulate_media_mix(weeks=80, seed=6, channels=("weibo", "douyin"), saturation="hill")
    fit = fit_mmm(
        data.frame,
        date="week",
        target="revenue",
        channels=data.truth.channels,
        controls=data.controls,
        saturation="average",
        chains=4,
        warmup=150,
        draws=150,
        seasonality_order=0,
        seed=3,
    )
    assert fit.response.hill is not None and fit.response.hill.sum() == 2 * 150
    assert fit.response.beta.shape == (4 * 150, 2)
    assert fit.diagnostics.chains == 4
    assert set(fit.diagnostics.parameters["parameter"].str.split(":").str[0]) == {"hill", "logistic"}
    assert fit.diagnostics.ok == (not fit.diagnostics.reasons)
    assert all(r.startswith(("hill form: ", "logistic form: ")) for r in fit.diagnostics.reasons)
    roas = fit.metric("roas")
    assert np.all((roas["lo"] <= data.truth.roas) & (data.truth.roas <= roas["hi"])), (roas, data.truth.roas)
    # The shape summary is over the Hill draws only (logistic draws carry shape 1).
    assert np.all(fit.metric("shape")["lo"] >= 1.0)
    assert any("averaged over the Hill and logistic" in n for n in fit.notes)


# ---------------------------------------------------------------- correctness over seeds and scenarios


@pytest.mark.slow
def test_with_correlated_spend_the_cautious_plan_beats_the_current_split_on_the_true_curves() -> None:
    """bench/mmm.py --held-out-3's seed 46 (correlated spend, Hill truth), the default fit: its expected
    optimum reached 0.84 of the true best, less than keeping the current split (0.90); the cautious
    plan (the default) stops part of the way and reaches 0.96 (docs/mmm.md, session 14)."""
    data = simulate_media_mix(weeks=150, seed=46, scenario="correlated", saturation="hill")
    fit = fit_mmm(
        data.frame, date="week", target="revenue", channels=data.truth.channels, controls=data.controls
    )
    t = data.truth
    true_curves = PosteriorResponse.from_truth(t)
    total = float(t.mean_spend.sum() * 4)
    best = optimize_budget(true_curves, total=total, weeks=4).expected["optimal"]["mean"]

    def share(alloc: dict[str, float]) -> float:
        return float(plan_outcome(true_curves, np.array([alloc[c] for c in t.channels]), weeks=4)[0]) / best

    plan = optimize_budget(fit.response, total=total, weeks=4)
    current = share(dict(zip(t.channels, total * t.mean_spend / t.mean_spend.sum(), strict=True)))
    assert 0.0 < plan.move < 1.0
    assert share(plan.allocation) >= 0.95
    assert share(plan.allocation) > current


def test_correctness_over_seeds_and_scenarios() -> None:
    """ROAS error ≤ 15% on average and 90% intervals covering ≥ 80% of channels (150 weeks × 5).

    The default (logistic) model on Hill and logistic truth; measured 17.3% and 10.0% error, 3/5 and
    5/5 covered with the per-channel media prior. Correlated cases (seeds 4, 11, 21 in bench/mmm.py)
    stay at 21-36%: see docs/mmm.md for the figures and the Hill form's.
    """
    cases = [
        dict(seed=1, scenario="default", saturation="hill", alpha=[0.1, 0.3, 0.5, 0.7, 0.4]),
        dict(seed=2, scenario="correlated", saturation="logistic", alpha=[0.7, 0.5, 0.3, 0.1, 0.6]),
    ]
    errors, covered = [], []
    for case in cases:
        data = simulate_media_mix(weeks=150, **case)  # type: ignore[arg-type]
        fit = fit_mmm(
            data.frame,
            date="week",
            target="revenue",
            channels=data.truth.channels,
            controls=data.controls,
        )
        m = fit.metric("roas")
        errors += list(np.abs(m["mean"].to_numpy() - data.truth.roas) / data.truth.roas)
        covered += list((m["lo"] <= data.truth.roas) & (data.truth.roas <= m["hi"]))
    assert np.mean(errors) <= 0.15, errors
    assert np.mean(covered) >= 0.8, covered


# ---------------------------------------------------------------- the fit as the CLI and the cache see it


def test_cli_table_and_cache_round_trip(overspent_fit: tuple[MediaMixData, MediaMixResult]) -> None:
    import dataclasses

    from rich.console import Console

    from canyu.analytics.mmm._workspace import result_from_json, result_to_json
    from canyu.cli._mmm import print_fit

    _, fit = overspent_fit
    for loc, words in (
        ("en", ("Marginal ROAS", "Holdout check: the last 8 weeks")),
        ("zh-CN", ("边际 ROAS", "留出检验")),
    ):
        out = Console(record=True, width=250)
        print_fit(out, fit, "t", loc)
        text = out.export_text()
        assert all(w in text for w in words), text
        lo, hi = fit.metric("roas").loc["weibo", ["lo", "hi"]]
        assert f"[{lo:,.3g}, {hi:,.3g}]" in text
    # A failed diagnostic is flagged, not shown as fact.
    bad = dataclasses.replace(
        fit,
        diagnostics=dataclasses.replace(fit.diagnostics, ok=False, reasons=("3 divergent transition(s)",)),
    )
    out = Console(record=True, width=250)
    print_fit(out, bad, "t", "en")
    assert "DIAGNOSTICS FAILED — these figures are unreliable, not findings: 3 divergent" in out.export_text()

    back = result_from_json(result_to_json(fit))
    assert back is not None
    pd.testing.assert_frame_equal(back.summary, fit.summary.reset_index(drop=True), check_dtype=False)
    np.testing.assert_allclose(back.response.half, fit.response.half)
    assert back.diagnostics.to_dict() == fit.diagnostics.to_dict()
    assert back.holdout is not None and fit.holdout is not None
    assert back.holdout.mape == fit.holdout.mape and len(back.holdout.table) == 8
    # The budget planned on the cached curves is the budget planned on the fitted ones.
    a = optimize_budget(fit.response, total=500_000.0, weeks=4).allocation
    b = optimize_budget(back.response, total=500_000.0, weeks=4).allocation
    assert a == pytest.approx(b)


def test_report_sections_show_a_fit_with_intervals_and_the_budget(
    overspent_fit: tuple[MediaMixData, MediaMixResult], tmp_path: Path
) -> None:
    """The media-mix and budget sections on a fitted workspace, in both languages.

    Stand-in for sampling again: the file fit of the same data is stored under the key the
    workspace analysis looks up (the weekly frame and the default settings), so the sections read it
    as they would read their own cached fit.
    """
    from test_mmm_workspace import _workspace  # the sibling test module (pytest puts its folder on the path)

    from canyu.analytics.mmm import weekly_frame
    from canyu.analytics.mmm._workspace import fit_inputs, fit_settings, write_cache
    from canyu.report import write_report

    data, fit = overspent_fit
    with _workspace(tmp_path / "ws", data) as ws:
        s = ws.session()
        frame = weekly_frame(s)
        chans = [c for c in frame.columns if c in data.truth.channels]
        settings = fit_settings("revenue", chans)
        write_cache(s, fit_inputs(s, frame, chans, settings).key, fit, settings)
        mm = s.run("mmm")
        assert mm.cached and mm.fit is not None
        res = s.run("budget", total=400_000.0, days=30)
        assert res.source == ("mmm" if fit.diagnostics.ok else "measured_roas")
        for loc, words in (
            (
                "en",
                ("Response curves", "Revenue of the last yuan [90%]", "Per campaign", "Marginal ROAS [90%]"),
            ),
            ("zh-CN", ("响应曲线", "最后一元带来的收入 [90%]", "各活动", "边际 ROAS [90%]")),
        ):
            out = write_report(
                ws, path=tmp_path / f"r.{loc}.html", locale=loc, sections="spend,media_mix,budget"
            )
            html = out.path.read_text(encoding="utf-8")
            for w in words if fit.diagnostics.ok else words[:1]:
                assert w in html, (loc, w)
            lo, hi = fit.metric("roas").loc["weibo", ["lo", "hi"]]
            assert f"[{lo:.2f}, {hi:.2f}]" in html
            # Festival lifts with their intervals (the file fit's fixed-date festivals), no lift test.
            d11 = fit.effects.set_index("name").loc["double11"]
            iv = f"{d11['mean']:,.0f} [{d11['lo']:,.0f}, {d11['hi']:,.0f}]"
            if loc == "en":
                assert f"Double 11 week {iv}" in html and "No lift test calibrated this fit." in html
            else:
                assert f"双11周 {iv}" in html and "本次拟合没有增量实验校准" in html
