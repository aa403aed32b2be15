"""Campaign participation and lift against a per-campaign pandas implementation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import canyu
from canyu.analytics.activity import ACTIVE_ACTIONS
from canyu.analytics.calendar import Zone
from canyu.analytics.campaigns import campaign_participation, interaction_effects

ZONE = Zone("Asia/Shanghai")

CAMPAIGNS = pd.DataFrame(
    {
        "campaign_id": ["node1", "int1", "int2", "wom1"],
        "name": ["N1", "I1", "I2", "W1"],
        "kind": ["participation_node", "interaction", "interaction", "wom_event"],
        "starts": [
            "2026-09-10 00:00:00",
            "2026-09-15 12:00:00",
            "2026-09-25 00:00:00",
            "2026-09-20 00:00:00",
        ],
        "ends": ["2026-09-12 00:00:00", "2026-09-18 00:00:00", "2026-09-28 00:00:00", ""],
    }
)


def random_events(rng: np.random.Generator, n: int = 2500, users: int = 60) -> pd.DataFrame:
    start = pd.Timestamp("2026-08-25")
    seconds = rng.integers(0, 45 * 86_400, size=n)
    ts = start + pd.to_timedelta(seconds, unit="s")
    user = rng.integers(0, users, size=n)
    camp = np.full(n, "", dtype=object)
    # Users below 20 take part in node1 and int1; users 20-29 in int2.
    for cid, lo, hi, frm in [
        ("node1", 0, 20, "2026-09-10"),
        ("int1", 0, 20, "2026-09-15"),
        ("int2", 20, 30, "2026-09-25"),
    ]:
        pick = (user >= lo) & (user < hi) & (ts >= pd.Timestamp(frm)) & (rng.random(n) < 0.15)
        camp[pick] = cid
    return pd.DataFrame(
        {
            "event_id": [f"e{i:05d}" for i in range(n)],
            "ts": ts.strftime("%Y-%m-%d %H:%M:%S"),
            "channel": "wechat_oa",
            "action": rng.choice(["expose", "view", "like", "purchase"], size=n, p=[0.2, 0.5, 0.2, 0.1]),
            "user_id": [f"u{k}" for k in user],
            "campaign_id": camp,
        }
    )


def load(ws: canyu.Workspace, tmp_path: Path, **frames: pd.DataFrame) -> dict[str, pd.DataFrame]:
    out = {}
    for table, frame in frames.items():
        path = tmp_path / f"{table}.csv"
        frame.to_csv(path, index=False)
        ws.import_files([path], table=table)
        out[table] = ws.to_pandas(table)
    out["events"]["ts"] = pd.to_datetime(out["events"].ts)
    out["campaigns"]["starts"] = pd.to_datetime(out["campaigns"].starts)
    return out


def reference(ev: pd.DataFrame, camps: pd.DataFrame, days: int) -> pd.DataFrame:
    ev = ev.assign(day=(ev.ts + pd.Timedelta(hours=8)).dt.date)
    rows = []
    for _, c in camps.iterrows():
        s = c.starts
        part = set(ev[(ev.campaign_id == c.campaign_id) & ev.action.isin(ACTIVE_ACTIONS)].person_id)
        near = ev[(ev.ts >= s - pd.Timedelta(days=days)) & (ev.ts < s + pd.Timedelta(days=days))]
        near = near[near.action.isin(ACTIVE_ACTIONS)]
        audience = set(near.person_id) | part
        stats = {"p": [], "o": []}
        for person in audience:
            mine = near[near.person_id == person]
            pre, post = mine[mine.ts < s], mine[mine.ts >= s]
            act_pre = pre[pre.action.isin(ACTIVE_ACTIONS)].day.nunique()
            if act_pre == 0:
                continue
            act_post = post[post.action.isin(ACTIVE_ACTIONS)].day.nunique()
            conv = (int((pre.action == "purchase").any()), int((post.action == "purchase").any()))
            stats["p" if person in part else "o"].append((act_pre, act_post, *conv))
        p, o = np.array(stats["p"], dtype=float), np.array(stats["o"], dtype=float)
        pm, om = p.mean(axis=0), o.mean(axis=0)
        rows.append(
            {
                "campaign_id": c.campaign_id,
                "participants": len(part),
                "audience": len(audience),
                "participation_rate": len(part) / len(audience),
                "matched_participants": len(p),
                "matched_others": len(o),
                "activity_lift": (pm[1] - pm[0]) - (om[1] - om[0]),
                "conversion_lift": (pm[3] - pm[2]) - (om[3] - om[2]),
            }
        )
    return pd.DataFrame(rows)


def test_participation_matches_pandas(
    workspace: canyu.Workspace, rng: np.random.Generator, tmp_path: Path
) -> None:
    stored = load(workspace, tmp_path, events=random_events(rng), campaigns=CAMPAIGNS)
    expr = campaign_participation(
        workspace.table("events"),
        workspace.table("campaigns"),
        days=7,
        kinds=["participation_node", "interaction"],
        zone=ZONE,
        conversion_actions=("purchase",),
    )
    got = workspace.to_pandas(expr).set_index("campaign_id")
    camps = stored["campaigns"][stored["campaigns"].kind != "wom_event"]
    want = reference(stored["events"], camps, 7).set_index("campaign_id")
    pd.testing.assert_frame_equal(got.loc[want.index, want.columns], want, check_dtype=False)
    assert (want.participants > 0).all() and (want.participation_rate < 1).all()
    assert set(got.index) == {"node1", "int1", "int2"}

    by_kind = workspace.to_pandas(interaction_effects(expr)).set_index("kind")
    inter = want.loc[["int1", "int2"]]
    w = inter.matched_participants
    assert by_kind.loc["interaction", "activity_lift"] == pytest.approx(
        (inter.activity_lift * w).sum() / w.sum()
    )
    assert by_kind.loc["interaction", "participants"] == inter.participants.sum()
    assert by_kind.loc["participation_node", "campaigns"] == 1


def test_lift_by_hand(workspace: canyu.Workspace, tmp_path: Path) -> None:
    # a takes part: 1 active day before, 3 after. b does not: 1 before, 1 after. Lift = (3-1) - (1-1) = 2.
    rows = [
        ("a", "view", "", "2026-09-08 10:00:00"),
        ("a", "like", "node1", "2026-09-10 10:00:00"),
        ("a", "view", "", "2026-09-11 10:00:00"),
        ("a", "purchase", "", "2026-09-12 10:00:00"),
        ("b", "view", "", "2026-09-08 10:00:00"),
        ("b", "view", "", "2026-09-11 10:00:00"),
        ("c", "expose", "", "2026-09-11 10:00:00"),  # exposure alone: not in the audience
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "action", "campaign_id", "ts"])
    frame["event_id"] = [f"x{i}" for i in range(len(frame))]
    frame["channel"] = "forum"
    load(workspace, tmp_path, events=frame, campaigns=CAMPAIGNS.iloc[:1])
    [row] = workspace.to_pandas(
        campaign_participation(
            workspace.table("events"),
            workspace.table("campaigns"),
            days=7,
            zone=ZONE,
            conversion_actions=("purchase",),
        )
    ).to_dict("records")
    assert (row["participants"], row["audience"]) == (1, 2)
    assert row["activity_lift"] == 2.0
    assert row["conversion_lift"] == 1.0
