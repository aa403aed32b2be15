"""Activity: DAU/WAU/MAU, stickiness and the activity lifecycle against plain pandas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import canyu
from canyu.analytics.activity import (
    ACTIVE_ACTIONS,
    active_people,
    activity_lifecycle,
    stickiness,
)
from canyu.analytics.calendar import Zone

ZONE = Zone("Asia/Shanghai")

CHANNELS = ["wechat_oa", "weibo", "forum", "ecommerce"]
ACTIONS = ["expose", "view", "like", "comment", "reply", "purchase", "post"]


def random_events(rng: np.random.Generator, n: int = 600, users: int = 40, days: int = 75) -> pd.DataFrame:
    start = pd.Timestamp("2026-08-01")
    seconds = rng.integers(0, days * 86_400, size=n)
    return pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(n)],
            "ts": (start + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
            "channel": rng.choice(CHANNELS, size=n),
            "action": rng.choice(ACTIONS, size=n),
            "user_id": [f"u{k}" for k in rng.integers(0, users, size=n)],
        }
    )


def load(ws: canyu.Workspace, frame: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    """Import ``frame`` as events; return the stored rows with the local time in ``local``."""
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    [result] = ws.import_files([path], table="events")
    assert result.rows_loaded == len(frame)
    stored = ws.to_pandas("events")
    stored["local"] = pd.to_datetime(stored["ts"]) + pd.Timedelta(hours=8)
    return stored


def reference_active(stored: pd.DataFrame, freq: str, *, by_channel: bool) -> pd.DataFrame:
    act = stored[stored.action.isin(ACTIVE_ACTIONS)].copy()
    act["period_start"] = act.local.dt.to_period(freq).dt.start_time.dt.date
    keys = (["channel"] if by_channel else []) + ["period_start"]
    return act.groupby(keys).person_id.nunique().rename("active").reset_index()


@pytest.fixture
def loaded(workspace: canyu.Workspace, rng: np.random.Generator, tmp_path: Path) -> pd.DataFrame:
    return load(workspace, random_events(rng), tmp_path)


@pytest.mark.parametrize(("period", "freq"), [("day", "D"), ("week", "W-SUN"), ("month", "M")])
@pytest.mark.parametrize("by_channel", [False, True])
def test_active_people_matches_pandas(
    workspace: canyu.Workspace, loaded: pd.DataFrame, period: str, freq: str, by_channel: bool
) -> None:
    got = workspace.to_pandas(
        active_people(workspace.table("events"), period=period, by_channel=by_channel, zone=ZONE)
    )
    want = reference_active(loaded, freq, by_channel=by_channel)
    keys = (["channel"] if by_channel else []) + ["period_start"]
    got = got.drop(columns="period_index").sort_values(keys).reset_index(drop=True)
    want = want.sort_values(keys).reset_index(drop=True)
    got["period_start"] = pd.to_datetime(got.period_start).dt.date
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert len(got) >= 3


def test_local_day_boundary(workspace: canyu.Workspace, tmp_path: Path) -> None:
    # 23:30 and 00:30 local are two local days although both fall on the same UTC day.
    frame = pd.DataFrame(
        {
            "event_id": ["a", "b"],
            "ts": ["2026-09-01 23:30:00", "2026-09-02 00:30:00"],
            "channel": "forum",
            "action": "view",
            "user_id": "u1",
        }
    )
    load(workspace, frame, tmp_path)
    got = workspace.to_pandas(active_people(workspace.table("events"), period="day", zone=ZONE))
    assert [str(d) for d in got.period_start] == ["2026-09-01", "2026-09-02"]
    assert got.active.tolist() == [1, 1]


def test_stickiness_matches_pandas(workspace: canyu.Workspace, loaded: pd.DataFrame) -> None:
    got = workspace.to_pandas(stickiness(workspace.table("events"), by_channel=True, zone=ZONE))
    act = loaded[loaded.action.isin(ACTIVE_ACTIONS)].copy()
    act["day"] = act.local.dt.date
    act["month"] = act.local.dt.to_period("M").dt.start_time.dt.date
    observed = act.groupby("month").day.nunique()
    dau_sum = act.groupby(["channel", "month", "day"]).person_id.nunique().groupby(["channel", "month"]).sum()
    mau = act.groupby(["channel", "month"]).person_id.nunique()
    want = (dau_sum / observed.reindex(dau_sum.index.get_level_values("month")).to_numpy()) / mau
    got_s = got.set_index(["channel", pd.to_datetime(got.period_start).dt.date]).stickiness
    for (channel, month), value in want.items():
        assert got_s[(channel, month)] == pytest.approx(value)
    assert len(want) == len(got)
    assert ((got.stickiness > 0) & (got.stickiness <= 1)).all()


def reference_lifecycle(stored: pd.DataFrame) -> pd.DataFrame:
    act = stored[stored.action.isin(ACTIVE_ACTIONS)].copy()
    act["p"] = act.local.dt.to_period("W-SUN")
    sets = act.groupby("p").person_id.agg(set)
    periods = pd.period_range(sets.index.min(), sets.index.max(), freq="W-SUN")
    seen: set[str] = set()
    prev: set[str] = set()
    rows = []
    for p in periods:
        cur = sets.get(p, set())
        rows.append(
            {
                "period_start": p.start_time.date(),
                "new": len(cur - seen),
                "returning": len(cur & prev),
                "resurrecting": len((cur & seen) - prev),
                "dormant": len(prev - cur),
            }
        )
        seen |= cur
        prev = cur
    return pd.DataFrame(rows)


def test_activity_lifecycle_matches_pandas(workspace: canyu.Workspace, loaded: pd.DataFrame) -> None:
    got = workspace.to_pandas(activity_lifecycle(workspace.table("events"), period="week", zone=ZONE))
    want = reference_lifecycle(loaded)
    # Week index 0 starts on Monday 1969-12-29.
    got["period_start"] = (
        pd.Timestamp("1969-12-29") + pd.to_timedelta(got.period_index * 7, unit="D")
    ).dt.date
    cols = ["period_start", "new", "returning", "resurrecting", "dormant"]
    pd.testing.assert_frame_equal(got[cols].reset_index(drop=True), want[cols], check_dtype=False)
    assert (got.active == got.new + got.returning + got.resurrecting).all()
    assert want.resurrecting.sum() > 0 and want.dormant.sum() > 0


@pytest.mark.slow
def test_dau_same_on_engines(engine: str, tmp_path: Path, rng: np.random.Generator) -> None:
    with canyu.create(tmp_path / "ws", engine=engine) as ws:
        stored = load(ws, random_events(rng, n=300), tmp_path)
        got = ws.to_pandas(active_people(ws.table("events"), period="day", by_channel=True, zone=ZONE))
    want = reference_active(stored, "D", by_channel=True)
    got["period_start"] = pd.to_datetime(got.period_start).dt.date
    merged = want.merge(got, on=["channel", "period_start"], how="outer", suffixes=("_want", "_got"))
    assert (merged.active_want == merged.active_got).all()
