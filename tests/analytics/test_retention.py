"""Retention against a plain-pandas implementation, on both engines for the core query."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import canyu
from canyu.analytics.activity import ACTIVE_ACTIONS
from canyu.analytics.calendar import Zone
from canyu.analytics.retention import first_seen, retention
from canyu.errors import UnknownNameError

ZONE = Zone("Asia/Shanghai")

CHANNELS = ["wechat_oa", "weibo", "forum"]


def random_events(rng: np.random.Generator, n: int = 800, users: int = 80, days: int = 45) -> pd.DataFrame:
    start = pd.Timestamp("2026-08-01")
    seconds = rng.integers(0, days * 86_400, size=n)
    return pd.DataFrame(
        {
            "event_id": [f"e{i:04d}" for i in range(n)],
            "ts": (start + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
            "channel": rng.choice(CHANNELS, size=n),
            "action": rng.choice(["expose", "view", "like", "comment", "purchase"], size=n),
            "user_id": [f"u{k}" for k in rng.integers(0, users, size=n)],
            "campaign_id": rng.choice(["c1", "c2", ""], size=n),
        }
    )


def load(ws: canyu.Workspace, frame: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    ws.import_files([path], table="events")
    stored = ws.to_pandas("events")
    local = pd.to_datetime(stored["ts"]) + pd.Timedelta(hours=8)
    stored["day"] = (local - pd.Timestamp("1970-01-01")).dt.days
    stored["week"] = local.dt.to_period("W-SUN").dt.start_time.dt.date
    return stored


def reference(
    stored: pd.DataFrame,
    days: list[int],
    *,
    unbounded: bool,
    cohort: str | None,
    within: str | None,
    min_times: int,
) -> pd.DataFrame:
    ev = stored[stored.action.isin(ACTIVE_ACTIONS)]
    unit = ["person_id"] + ([within] if within else [])
    if within == "campaign_id":
        ev = ev[ev.campaign_id.notna()]
    horizon = stored.day.max()
    first = ev.sort_values(["ts", "event_id"]).groupby(unit, as_index=False).first()
    first = first.rename(
        columns={
            "day": "first_day",
            "week": "first_week",
            "channel": "first_channel_",
            "campaign_id": "first_campaign",
        }
    )
    if within == "campaign_id":
        first["campaign_id"] = first["first_campaign"]
    if within != "channel":
        first["first_channel"] = first.pop("first_channel_")
    else:
        first["channel"] = first.pop("first_channel_")
        first["first_channel"] = first["channel"]
    rows = []
    for unit_key, row in first.set_index(unit).iterrows():
        mine = ev
        key = unit_key if isinstance(unit_key, tuple) else (unit_key,)
        for col, val in zip(unit, key, strict=True):
            mine = mine[mine[col] == val]
        offsets = (mine.day - row.first_day).to_numpy()
        for n in days:
            if row.first_day + n > horizon:
                continue
            hits = (offsets >= n).sum() if unbounded else (offsets == n).sum()
            out = {"day": n, "retained": int(hits >= min_times)}
            if within:
                out[within] = key[1]
            if cohort:
                out[cohort] = row[cohort]
            rows.append(out)
    frame = pd.DataFrame(rows)
    group = ([within] if within else []) + ([cohort] if cohort else []) + ["day"]
    res = (
        frame.groupby(group).agg(cohort_size=("retained", "size"), retained=("retained", "sum")).reset_index()
    )
    res["rate"] = res.retained / res.cohort_size
    return res.sort_values(group).reset_index(drop=True)


CASES = [
    dict(unbounded=False, cohort="first_week", within=None, min_times=1),
    dict(unbounded=True, cohort="first_week", within=None, min_times=1),
    dict(unbounded=True, cohort="first_channel", within=None, min_times=2),
    dict(unbounded=True, cohort=None, within="channel", min_times=3),
    dict(unbounded=False, cohort=None, within="campaign_id", min_times=1),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_retention_matches_pandas(
    workspace: canyu.Workspace, rng: np.random.Generator, tmp_path: Path, case: dict
) -> None:
    stored = load(workspace, random_events(rng), tmp_path)
    days = [1, 3, 7, 14]
    within = {"campaign_id": "campaign"}.get(case["within"], case["within"])
    got = workspace.to_pandas(
        retention(
            workspace.table("events"),
            days=days,
            unbounded=case["unbounded"],
            cohort=case["cohort"],
            within=within,
            min_times=case["min_times"],
            zone=ZONE,
        )
    )
    want = reference(stored, days, **case)
    group = [c for c in want.columns if c not in ("cohort_size", "retained", "rate")]
    if "first_week" in got:
        got["first_week"] = pd.to_datetime(got.first_week).dt.date
    got = got[want.columns].sort_values(group).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert want.retained.sum() > 0 and (want.retained < want.cohort_size).any()


def test_hand_computed_example(workspace: canyu.Workspace, tmp_path: Path) -> None:
    # a: day 0, 1, 3. b: day 0 only. c: day 2 (first), 3. Horizon is day 3.
    frame = pd.DataFrame(
        {
            "event_id": ["1", "2", "3", "4", "5", "6"],
            "ts": [
                "2026-09-07 10:00:00",
                "2026-09-08 10:00:00",
                "2026-09-10 10:00:00",
                "2026-09-07 11:00:00",
                "2026-09-09 09:00:00",
                "2026-09-10 09:00:00",
            ],
            "channel": "forum",
            "action": "view",
            "user_id": ["a", "a", "a", "b", "c", "c"],
        }
    )
    load(workspace, frame, tmp_path)
    got = workspace.to_pandas(retention(workspace.table("events"), days=[1, 2], cohort=None, zone=ZONE))
    # Day 1: a, b, c eligible (c's day 1 is day 3 = horizon); a and c return.
    # Day 2: only a, b eligible (c's day 2 is after the horizon); neither returns on day 2.
    assert got[["day", "cohort_size", "retained"]].values.tolist() == [[1, 3, 2], [2, 2, 0]]
    unb = workspace.to_pandas(
        retention(workspace.table("events"), days=[2], cohort=None, unbounded=True, zone=ZONE)
    )
    assert unb[["cohort_size", "retained"]].values.tolist() == [[2, 1]]
    fs = workspace.to_pandas(first_seen(workspace.table("events"), zone=ZONE))
    assert sorted(str(w) for w in fs.first_week) == ["2026-09-07"] * 3


def test_unknown_cohort_lists_choices(workspace: canyu.Workspace) -> None:
    with pytest.raises(UnknownNameError, match="first_channel"):
        retention(workspace.table("events"), cohort="first_month", zone=ZONE)  # type: ignore[arg-type]


@pytest.mark.slow
def test_retention_same_on_engines(engine: str, tmp_path: Path, rng: np.random.Generator) -> None:
    with canyu.create(tmp_path / "ws", engine=engine) as ws:
        stored = load(ws, random_events(rng, n=400), tmp_path)
        got = ws.to_pandas(
            retention(ws.table("events"), days=[1, 7], cohort="first_channel", min_times=2, zone=ZONE)
        )
    want = reference(stored, [1, 7], unbounded=False, cohort="first_channel", within=None, min_times=2)
    got = got[want.columns].sort_values(["first_channel", "day"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
