"""The media mix over a workspace: weekly frame, minimum data, cached fit, budget and its fallback.

One fit (104 weeks × 2 channels, 2 short chains), scored against the simulator's truth; the rest
needs no sampling.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import canyu
from canyu.analytics.mmm import weekly_frame
from canyu.analytics.mmm._workspace import CACHE_TABLE
from canyu.plan.budget import MEASURED_TILT
from canyu.simulate import MediaMixData, simulate_media_mix

SHORT = {"chains": 2, "warmup": 200, "draws": 200}


def _workspace(path: Path, data: MediaMixData) -> canyu.Workspace:
    """Weekly spend rows per channel and campaign; each week two orders, each after a view on one
    channel, carrying half the week's revenue (so attribution credits half to each channel)."""
    ws = canyu.create(path, brand="T", locale="en", timezone="Asia/Shanghai")
    f = data.frame
    chans = data.truth.channels
    spend = {"date": [], "channel": [], "campaign_id": [], "amount": []}
    ev: dict[str, list] = {k: [] for k in ("event_id", "ts", "channel", "action", "user_id", "value")}
    for i, row in f.iterrows():
        monday = pd.Timestamp(row["week"])
        for ch in chans:
            spend["date"].append(monday.date())
            spend["channel"].append(ch)
            spend["campaign_id"].append(f"always_on_{ch}")
            spend["amount"].append(float(row[ch]))
        for j, ch in enumerate(chans):
            user = f"u{i}_{j}"
            # Tuesday 04:00 UTC = 12:00 in Shanghai: inside the same local week.
            for k, (action, hours, value) in enumerate(
                (("view", 28, None), ("purchase", 30, float(row["revenue"]) / len(chans)))
            ):
                ev["event_id"].append(f"e{i}_{j}_{k}")
                ev["ts"].append((monday + pd.Timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S"))
                ev["channel"].append(ch)
                ev["action"].append(action)
                ev["user_id"].append(user)
                ev["value"].append(value)
    ws.import_batches(pa.table(spend), source="test", table="spend")
    ws.import_batches(pa.table(ev), source="test", table="events")
    return ws


def test_short_history_is_not_fitted_and_budget_falls_back_to_measured_roas(tmp_path: Path) -> None:
    data = simulate_media_mix(weeks=30, seed=5, scenario="overspent", channels=("weibo", "douyin"))
    with _workspace(tmp_path / "ws", data) as ws:
        s = ws.session()
        frame = weekly_frame(s)
        assert len(frame) == 30
        np.testing.assert_allclose(frame["revenue"], data.frame["revenue"], rtol=1e-9)
        np.testing.assert_allclose(frame["douyin"], data.frame["douyin"])
        assert (frame["orders"] == 2).all()

        mm = s.run("mmm")
        assert not mm.fitted and mm.fit is None and not mm.trusted
        # 2 channels: max(26, 12 + 8 × 2) + 8 holdout weeks = 36
        assert mm.need == 36
        assert mm.reason.startswith("too little data: 30 weeks of spend, need ≥ 36 for 2 channel(s)")
        assert "数据太少" in mm.reason_zh

        res = s.run("budget", total=100_000.0, objective="revenue")
        assert res.source == "measured_roas" and res.reason.startswith("no media-mix fit: too little data")
        assert sum(res.allocation.values()) == pytest.approx(100_000.0)
        # Closed form: current split by spend, tilted by measured revenue per yuan, capped at ±25%.
        costs = s.run("spend").set_index("channel")
        per_yuan = costs["revenue"] / costs["cost"]
        overall = costs["revenue"].sum() / costs["cost"].sum()
        tilt = np.clip(per_yuan / overall, 1 - MEASURED_TILT, 1 + MEASURED_TILT)
        w = costs["spend"] * tilt
        for ch in ("weibo", "douyin"):
            assert res.allocation[ch] == pytest.approx(100_000.0 * w[ch] / w.sum(), rel=1e-9)
        # Attribution splits revenue half and half; douyin spends 4.5x more, so money moves to weibo.
        assert res.allocation["weibo"] > 100_000.0 * costs.loc["weibo", "spend"] / costs["spend"].sum()
        d = res.to_dict()
        assert d["source"] == "measured_roas" and set(d["allocation"]) == {"weibo", "douyin"}

        # The command line gives the same plan, as JSON and as a table in the workspace's language.
        import json

        from typer.testing import CliRunner

        from canyu.cli import app

        r = CliRunner().invoke(app, ["budget", str(tmp_path / "ws"), "--total", "100000", "--json"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["allocation"] == pytest.approx(res.allocation)
        r = CliRunner().invoke(app, ["budget", str(tmp_path / "ws"), "--total", "100000"])
        assert r.exit_code == 0 and "From measured ROAS, not a media-mix model: no media-mix fit" in r.stdout
        r = CliRunner().invoke(app, ["mmm", str(tmp_path / "ws")])
        assert r.exit_code == 2 and "too little data: 30 weeks of spend" in r.stderr

        camp = s.run("spend", by="campaign").set_index("campaign_id")
        assert camp.loc["always_on_douyin", "spend"] == pytest.approx(float(data.frame["douyin"].sum()))
        assert camp.loc["always_on_douyin", "channels"] == "douyin"
        assert camp["orders"].sum() == pytest.approx(60.0) and (camp["of_orders"] == 60).all()


def test_flat_spend_is_excluded_with_its_reason(tmp_path: Path) -> None:
    data = simulate_media_mix(weeks=30, seed=2, channels=("weibo", "douyin"))
    data.frame["weibo"] = 40_000.0  # a constant weekly spend cannot be told from the baseline
    with _workspace(tmp_path / "ws", data) as ws:
        mm = ws.session().run("mmm")
        assert "weibo" in mm.excluded and "coefficient of variation 0.00" in mm.excluded["weibo"]
        assert mm.channels == ("douyin",) and not mm.fitted  # 30 weeks < max(26, 12 + 8) + 8


# A lift test on weibo over 12 weeks of 2025, measured as the simulator's true incremental revenue
# over those weeks in orders (÷ the weeks' mean order value), with a 5% standard error.
LIFT_WEEKS = (pd.Timestamp("2025-03-03"), pd.Timestamp("2025-05-25"))


def _true_lift(data: MediaMixData, channel: str) -> tuple[float, float]:
    """True incremental revenue of ``channel`` over LIFT_WEEKS, and the orders it equals in the
    workspace of :func:`_workspace` (two orders a week, each half the week's revenue)."""
    from canyu.simulate._media_mix import adstock_weights, apply_adstock, saturate

    t = data.truth
    x = data.frame[list(t.channels)].to_numpy(float)
    contrib = t.beta * saturate(
        apply_adstock(x, adstock_weights(t.alpha)), kind=t.saturation, half=t.half, shape=t.shape
    )
    weeks = pd.to_datetime(data.frame["week"])
    inside = ((weeks >= LIFT_WEEKS[0]) & (weeks <= LIFT_WEEKS[1])).to_numpy()
    revenue = float(contrib[inside, t.channels.index(channel)].sum())
    order_value = float(data.frame.loc[inside, "revenue"].sum()) / (2.0 * inside.sum())
    return revenue, revenue / order_value


@pytest.fixture(scope="module")
def long_ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MediaMixData]:
    import datetime as dt

    data = simulate_media_mix(
        weeks=104,
        seed=5,
        scenario="overspent",
        channels=("weibo", "douyin"),
        saturation="logistic",
        start=dt.date(2024, 12, 2),  # 年货节 is tabulated from 2025; the events end before today
    )
    path = tmp_path_factory.mktemp("mmm") / "ws"
    ws = _workspace(path, data)
    _, orders = _true_lift(data, "weibo")
    ws.import_batches(
        pa.table(
            {
                "experiment_id": ["geo-1", "geo-2"],
                "channel": ["weibo", "qzone"],
                "starts": [LIFT_WEEKS[0].date(), LIFT_WEEKS[0].date()],
                "ends": [LIFT_WEEKS[1].date(), LIFT_WEEKS[1].date()],
                "incremental_conversions": [orders, 50.0],
                "se": [0.05 * orders, 5.0],
            }
        ),
        source="test",
        table="experiments",
    )
    ws.close()
    return path, data


@pytest.mark.slow
def test_workspace_fit_matches_truth_is_cached_and_drives_the_budget(
    long_ws: tuple[Path, MediaMixData],
) -> None:
    path, data = long_ws
    truth = data.truth
    with canyu.open(path) as ws:
        mm = ws.session().run("mmm", **SHORT)
        assert mm.fitted and not mm.cached and mm.fit is not None
        roas = mm.fit.metric("roas").reindex(list(truth.channels))
        err = np.abs(roas["mean"].to_numpy() - truth.roas) / truth.roas
        # The simulator's price index is not in the workspace (no control); measured 3.4% before the
        # lift test and the calendar's festivals were read.
        assert err.mean() <= 0.1, (roas, truth.roas)
        assert np.all((roas["lo"] <= truth.roas) & (truth.roas <= roas["hi"]))
        mroas = mm.fit.metric("marginal_roas")
        assert mroas.loc["douyin", "mean"] < mroas.loc["weibo", "mean"]
        assert ws.store.derived_versions(CACHE_TABLE).num_rows == 1
        # Festivals from the retail calendar: the simulator lifts 618 weeks by 0.35 and 双11 weeks by
        # 0.50 of its base level, 双12 not at all; the fitted lifts' 90% intervals hold those values.
        eff = mm.fit.effects.set_index("name")
        base = truth.params["base_level"]
        assert set(eff.index) >= {"618", "double11", "double12", "new_year_goods"}
        for name, lift in (("618", 0.35), ("double11", 0.50), ("double12", 0.0)):
            assert eff.loc[name, "lo"] <= lift * base <= eff.loc[name, "hi"], (name, eff, lift * base)
        # The lift test on weibo is used (in revenue: × the mean order value of its weeks), the one on
        # a channel that is not modelled is left out; both said in the notes.
        notes = " ".join(mm.fit.notes)
        assert "calibrated by 1 of 2 lift test(s)" in notes and "geo-2: qzone is not modelled" in notes
        assert "festival weeks from the retail calendar: 618, double11, double12, new_year_goods" in notes

    with canyu.open(path) as ws:
        s = ws.session()
        again = s.run("mmm", **SHORT)
        assert again.cached  # read from the derived table, not sampled again
        assert ws.store.derived_versions(CACHE_TABLE).num_rows == 1
        pd.testing.assert_frame_equal(
            again.fit.summary.reset_index(drop=True), mm.fit.summary.reset_index(drop=True), check_dtype=False
        )
        np.testing.assert_allclose(again.fit.response.beta, mm.fit.response.beta)
        assert again.fit.diagnostics.ok == mm.fit.diagnostics.ok

        res = s.run("budget", total=400_000.0, objective="revenue", days=28, **SHORT)
        if mm.fit.diagnostics.ok:
            assert res.source == "mmm" and res.plan is not None
            assert sum(res.allocation.values()) == pytest.approx(400_000.0, rel=1e-6)
            change = dict(zip(res.table["channel"], res.table["change"], strict=True))
            assert change["douyin"] < 0  # money moves out of the overspent channel
        else:
            assert res.source == "measured_roas" and "failed its diagnostics" in res.reason


def test_workspace_fit_takes_the_saturation_form_and_keys_its_cache_by_it(tmp_path: Path) -> None:
    from canyu.analytics.mmm._workspace import cache_key, fit_settings
    from canyu.errors import UnknownNameError

    data = simulate_media_mix(weeks=30, seed=5, channels=("weibo", "douyin"))
    with _workspace(tmp_path / "ws", data) as ws:
        s = ws.session()
        with pytest.raises(UnknownNameError):
            s.run("mmm", saturation="sigmoid")
        with pytest.raises(UnknownNameError):
            s.run("mmm", adstock="weibull")
        mm = s.run("mmm", saturation="hill", adstock="delayed")  # too short to fit: says why, any form
        assert not mm.fitted and "too little data" in mm.reason
        frame = weekly_frame(s)[["week", "revenue", "weibo", "douyin"]]
    keys = {
        cache_key(frame, fit_settings("revenue", ["weibo", "douyin"], saturation=sat, adstock=ad))
        for sat in ("logistic", "hill")
        for ad in ("geometric", "delayed")
    }
    assert len(keys) == 4  # a cached logistic fit is never served for a Hill request


def test_a_session_that_may_not_fit_reads_the_cache_or_says_none_is_cached(tmp_path: Path) -> None:
    """The console's sessions (``fit_models = False``) never sample inside a request: on enough weeks
    with no cached fit the analysis says so, in both languages, and the budget falls back."""
    data = simulate_media_mix(weeks=104, seed=5, channels=("weibo", "douyin"), saturation="logistic")
    with _workspace(tmp_path / "ws", data) as ws:
        s = ws.session()
        s.fit_models = False
        mm = s.run("mmm")
        assert not mm.fitted and mm.weeks == 104 and set(mm.channels) == {"weibo", "douyin"}
        assert "no fit of these weeks is cached" in mm.reason and "任务" in mm.reason_zh
        assert s.with_period("2026-01").fit_models is False  # the report's history session keeps it
        assert ws.store.derived_versions("mmm_fit").num_rows == 0  # nothing sampled, nothing cached


def test_festival_weeks_are_the_retail_calendar_s() -> None:
    from canyu.analytics.mmm._transforms import calendar_holidays

    weeks = pd.date_range("2025-01-06", periods=104, freq="7D")
    h = calendar_holidays(weeks)
    assert list(h.columns) == ["618", "double11", "double12", "new_year_goods"]
    marked = {c: [str(d.date()) for d in h.index[h[c] > 0]] for c in ("618", "double11", "double12")}
    # The weeks (Monday start) holding 18 June, 11 November and 12 December.
    assert marked == {
        "618": ["2025-06-16", "2026-06-15"],
        "double11": ["2025-11-10", "2026-11-09"],
        "double12": ["2025-12-08", "2026-12-07"],
    }
    # 年货节 2026 runs from 30 to 8 days before the Spring Festival (17 Feb): 18 Jan - 9 Feb, a
    # Sunday to a Monday, so its first and last weeks hold one of their 7 days.
    ny = h["new_year_goods"]
    np.testing.assert_allclose(ny.loc["2026-01-12":"2026-02-09"].to_numpy(), [1 / 7, 1.0, 1.0, 1.0, 1 / 7])
    assert ny.loc["2026-02-16":"2026-12-28"].sum() == 0.0


def test_price_index_and_lift_tests_read_from_the_workspace(tmp_path: Path) -> None:
    """Price paid ÷ list price per week (products + order values) is a control when it varies; lift
    tests come from the experiments table, valued in revenue at their weeks' mean order value."""
    from canyu.analytics.mmm._workspace import lift_tests, price_index

    ws = canyu.create(tmp_path / "ws", brand="T", locale="en", timezone="Asia/Shanghai")
    mondays = pd.date_range("2025-03-03", periods=20, freq="7D")
    ws.import_batches(
        pa.table({"date": [d.date() for d in mondays], "channel": ["weibo"] * 20, "amount": [1000.0] * 20}),
        source="test",
        table="spend",
    )
    ws.import_batches(
        pa.table({"product_id": ["p1", "p2"], "price": [100.0, 50.0]}), source="t", table="products"
    )
    ev: dict[str, list] = {
        k: [] for k in ("event_id", "ts", "channel", "action", "user_id", "product_id", "value")
    }
    for i, monday in enumerate(mondays):
        off = 0.8 if 8 <= i < 12 else 1.0  # a 20% promotion in weeks 8-11
        for j, (pid, price) in enumerate((("p1", 100.0), ("p2", 50.0), ("p1", 100.0))):
            ev["event_id"].append(f"e{i}_{j}")
            ev["ts"].append((monday + pd.Timedelta(hours=30)).strftime("%Y-%m-%d %H:%M:%S"))
            ev["channel"].append("weibo")
            ev["action"].append("purchase")
            ev["user_id"].append(f"u{i}_{j}")
            ev["product_id"].append(pid)
            ev["value"].append(price * off)
    ws.import_batches(pa.table(ev), source="test", table="events")
    s = ws.session()
    frame = weekly_frame(s)
    idx = price_index(s, pd.DatetimeIndex(frame["week"]))
    assert idx is not None
    np.testing.assert_allclose(idx.to_numpy(), [0.8 if 8 <= i < 12 else 1.0 for i in range(20)])

    ws.import_batches(
        pa.table(
            {
                "experiment_id": ["a", "b", "c"],
                "channel": ["weibo", "weibo", "douyin"],
                "starts": [mondays[8].date(), pd.Timestamp("2024-01-01").date(), mondays[0].date()],
                "ends": [mondays[11].date(), pd.Timestamp("2024-02-01").date(), mondays[3].date()],
                "incremental_conversions": [6.0, 3.0, 2.0],
                "se": [1.5, 1.0, 1.0],
            }
        ),
        source="test",
        table="experiments",
    )
    used, notes = lift_tests(s, frame, ["weibo"], "revenue")
    assert used is not None and list(used["channel"]) == ["weibo"]
    # Weeks 8-11: 3 orders a week worth 80 + 40 + 80 = 200 yuan, so 6 orders are 400 yuan.
    assert used["incremental_conversions"].iloc[0] == pytest.approx(6.0 * 200.0 / 3.0)
    assert used["se"].iloc[0] == pytest.approx(1.5 * 200.0 / 3.0)
    assert any("b: 2024-01-01..2024-02-01 is outside the fitted weeks" in n for n in notes)
    assert any("c: douyin is not modelled" in n for n in notes)
    used, _ = lift_tests(s, frame, ["weibo"], "orders")
    assert used is not None and used["incremental_conversions"].iloc[0] == 6.0
    used, notes = lift_tests(s, frame, ["weibo"], "leads")
    assert used is None and "measure conversions, not leads" in notes[0]
    ws.close()

    # At list price throughout there is no price change to control for.
    flat = canyu.create(tmp_path / "flat", brand="T", locale="en", timezone="Asia/Shanghai")
    flat.import_batches(pa.table({"product_id": ["p1"], "price": [100.0]}), source="t", table="products")
    ev2 = {k: v[:] for k, v in ev.items()}
    ev2["value"] = [100.0] * len(ev2["value"])
    ev2["product_id"] = ["p1"] * len(ev2["value"])
    flat.import_batches(pa.table(ev2), source="test", table="events")
    flat.import_batches(
        pa.table({"date": [d.date() for d in mondays], "channel": ["weibo"] * 20, "amount": [1000.0] * 20}),
        source="test",
        table="spend",
    )
    s2 = flat.session()
    assert price_index(s2, pd.DatetimeIndex(weekly_frame(s2)["week"])) is None
    flat.close()


def test_budget_on_an_empty_workspace_says_there_is_nothing_to_split(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from canyu.cli import app

    canyu.create(tmp_path / "ws", brand="T", locale="zh-CN", timezone="Asia/Shanghai").close()
    r = CliRunner().invoke(app, ["budget", str(tmp_path / "ws"), "--total", "100000"])
    assert r.exit_code == 0, r.output
    assert "没有可分配预算的渠道" in r.stdout and "┏" not in r.stdout  # a sentence, not an empty table
