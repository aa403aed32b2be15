"""Funnels against a per-person pandas implementation; the core funnel on both engines."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import canyu
from canyu.analytics.funnels import Exclusion, FunnelStep, funnel

CHANNELS = ["wechat_oa", "weibo", "ecommerce"]


def random_events(rng: np.random.Generator, n: int = 900, users: int = 30, days: int = 6) -> pd.DataFrame:
    start = pd.Timestamp("2026-09-01")
    seconds = rng.integers(0, days * 86_400, size=n)
    return pd.DataFrame(
        {
            "event_id": [f"e{i:04d}" for i in range(n)],
            "ts": (start + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
            # one channel per user so that person ids span all actions
            "channel": "wechat_oa",
            "action": rng.choice(
                ["view", "click", "lead", "purchase", "unfollow"], size=n, p=[0.4, 0.25, 0.15, 0.1, 0.1]
            ),
            "user_id": [f"u{k}" for k in rng.integers(0, users, size=n)],
            "campaign_id": rng.choice(["c1", "c2"], size=n),
        }
    ).assign(channel=lambda f: np.where(f.user_id.str[-1].isin(list("012")), "weibo", "wechat_oa"))


def load(ws: canyu.Workspace, frame: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    ws.import_files([path], table="events")
    stored = ws.to_pandas("events")
    stored["s"] = (pd.to_datetime(stored.ts) - pd.Timestamp("1970-01-01")).dt.total_seconds().astype("int64")
    return stored


def reference(
    stored: pd.DataFrame,
    steps: list[tuple[str, int | None]],
    window: int,
    exclusions: list[tuple[str, int, int]] = (),
    breakdown: str | None = None,
) -> pd.DataFrame:
    rows = []
    for _person, ev in stored.sort_values(["s", "event_id"]).groupby("person_id"):
        firsts = ev[ev.action == steps[0][0]]
        if firsts.empty:
            continue
        entry = firsts.iloc[0]
        t = [int(entry.s)]
        for action, within in steps[1:]:
            cand = ev[(ev.action == action) & (ev.s >= t[-1]) & (ev.s <= t[0] + window)]
            if within is not None:
                cand = cand[cand.s <= t[-1] + within]
            if cand.empty:
                break
            t.append(int(cand.s.min()))
            k = len(t)
            for ex_action, after, before in exclusions:
                if (
                    before == k
                    and ((ev.action == ex_action) & (ev.s > t[after - 1]) & (ev.s < t[k - 1])).any()
                ):
                    t.pop()
                    break
            if len(t) < k:
                break
        bd = {"channel": entry.channel, "campaign": entry.campaign_id, None: "all"}[breakdown]
        for k, tk in enumerate(t, start=1):
            rows.append({"bd": bd, "step": k, "secs": tk - t[0]})
    frame = pd.DataFrame(rows)
    out = (
        frame.groupby(["bd", "step"])
        .agg(people=("secs", "size"), median_seconds=("secs", "median"))
        .reset_index()
    )
    full = pd.MultiIndex.from_product([out.bd.unique(), range(1, len(steps) + 1)], names=["bd", "step"])
    return out.set_index(["bd", "step"]).reindex(full).reset_index().fillna({"people": 0})


CASES = [
    ([("view", None), ("click", None), ("purchase", None)], 3 * 86_400, [], None),
    (
        [("view", None), ("click", 12 * 3600), ("lead", None), ("purchase", 2 * 86_400)],
        7 * 86_400,
        [],
        "channel",
    ),
    ([("view", None), ("click", None), ("purchase", None)], 4 * 86_400, [("unfollow", 1, 3)], "campaign"),
]


@pytest.mark.parametrize(("steps", "window", "exclusions", "breakdown"), CASES)
def test_funnel_matches_pandas(
    workspace: canyu.Workspace, rng: np.random.Generator, tmp_path: Path, steps, window, exclusions, breakdown
) -> None:
    stored = load(workspace, random_events(rng), tmp_path)
    fsteps = [FunnelStep(a, within=None if w is None else timedelta(seconds=w)) for a, w in steps]
    excl = [Exclusion(a, after=i, before=j) for a, i, j in exclusions]
    expr = funnel(
        workspace.table("events"),
        fsteps,
        window=timedelta(seconds=window),
        exclusions=excl,
        breakdown=breakdown,
    )
    got = workspace.to_pandas(expr)
    want = reference(stored, steps, window, exclusions, breakdown)
    if breakdown is None:
        got["bd"] = "all"
    else:
        got = got.rename(columns={breakdown: "bd"})
    merged = want.merge(got, on=["bd", "step"], how="outer", suffixes=("_want", "_got"))
    assert len(merged) == len(want) == len(got)
    assert (merged.people_want == merged.people_got).all()
    both = merged.median_seconds_want.notna()
    assert np.allclose(merged.median_seconds_want[both], merged.median_seconds_got[both])
    last = merged[merged.step == len(steps)]
    assert last.people_want.sum() > 0
    assert merged.people_want[merged.step == 2].sum() < merged.people_want[merged.step == 1].sum()
    first = got[got.step == 1].set_index("bd").people
    step2 = got[got.step == 2].set_index("bd")
    assert np.allclose(step2.rate_from_start, step2.people / first.reindex(step2.index))


def test_exclusion_and_step_window_by_hand(workspace: canyu.Workspace, tmp_path: Path) -> None:
    rows = [
        # a: view, click 1h later, purchase 2h later -> converts.
        ("a", "view", "2026-09-01 10:00:00"),
        ("a", "click", "2026-09-01 11:00:00"),
        ("a", "purchase", "2026-09-01 12:00:00"),
        # b: click 3h after view: too late for the 2h step window.
        ("b", "view", "2026-09-01 10:00:00"),
        ("b", "click", "2026-09-01 13:00:00"),
        ("b", "purchase", "2026-09-01 14:00:00"),
        # c: unfollows between click and purchase: stops at click.
        ("c", "view", "2026-09-01 10:00:00"),
        ("c", "click", "2026-09-01 10:30:00"),
        ("c", "unfollow", "2026-09-01 10:45:00"),
        ("c", "purchase", "2026-09-01 11:00:00"),
        # d: purchase after the 1-day window.
        ("d", "view", "2026-09-01 10:00:00"),
        ("d", "click", "2026-09-01 10:10:00"),
        ("d", "purchase", "2026-09-02 10:10:00"),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "action", "ts"])
    frame["event_id"] = [f"x{i}" for i in range(len(frame))]
    frame["channel"] = "wechat_oa"
    load(workspace, frame, tmp_path)
    steps = [FunnelStep("view"), FunnelStep("click", within=timedelta(hours=2)), FunnelStep("purchase")]
    got = workspace.to_pandas(
        funnel(
            workspace.table("events"),
            steps,
            window=timedelta(days=1),
            exclusions=[Exclusion("unfollow", after=2)],
        )
    )
    assert got.people.tolist() == [4, 3, 1]
    assert got.median_seconds.tolist()[1:] == [1800.0, 7200.0]
    assert got.rate_from_previous.tolist() == pytest.approx([1.0, 0.75, 1 / 3])


@pytest.mark.slow
def test_funnel_same_on_engines(engine: str, tmp_path: Path, rng: np.random.Generator) -> None:
    with canyu.create(tmp_path / "ws", engine=engine) as ws:
        stored = load(ws, random_events(rng, n=400), tmp_path)
        got = ws.to_pandas(
            funnel(
                ws.table("events"),
                ["view", "click", "purchase"],
                window=timedelta(days=3),
                breakdown="channel",
            )
        )
    want = reference(stored, [("view", None), ("click", None), ("purchase", None)], 3 * 86_400, [], "channel")
    merged = want.merge(got.rename(columns={"channel": "bd"}), on=["bd", "step"])
    assert len(merged) == len(want)
    assert (merged.people_x == merged.people_y).all()


def test_repeated_step_needs_a_second_event(workspace: canyu.Workspace, tmp_path: Path) -> None:
    rows = [
        ("a", "view", "2026-09-01 10:00:00"),
        ("b", "view", "2026-09-01 10:00:00"),
        ("b", "view", "2026-09-02 10:00:00"),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "action", "ts"])
    frame["event_id"] = [f"x{i}" for i in range(len(frame))]
    frame["channel"] = "web"
    load(workspace, frame, tmp_path)
    got = workspace.to_pandas(funnel(workspace.table("events"), ["view", "view"], window=timedelta(days=3)))
    assert got.people.tolist() == [2, 1]
    assert got.median_seconds.tolist() == [0.0, 86_400.0]
