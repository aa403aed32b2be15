"""Community health and core-member retention against plain pandas."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import canyu
from canyu.analytics.activity import ACTIVE_ACTIONS
from canyu.analytics.calendar import Zone
from canyu.analytics.community import community_growth, community_health, core_member_retention

ZONE = Zone("Asia/Shanghai")


def random_events(rng: np.random.Generator, n: int = 1500, users: int = 30, days: int = 90) -> pd.DataFrame:
    start = pd.Timestamp("2026-07-01")
    seconds = rng.integers(0, days * 86_400, size=n)
    return pd.DataFrame(
        {
            "event_id": [f"e{i:04d}" for i in range(n)],
            "ts": (start + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
            "channel": rng.choice(["forum", "wecom", "weibo"], size=n),
            "action": rng.choice(
                ["join", "leave", "post", "comment", "view"], size=n, p=[0.2, 0.05, 0.35, 0.2, 0.2]
            ),
            "user_id": [f"u{k}" for k in rng.integers(0, users, size=n)],
        }
    )


def load(ws: canyu.Workspace, frame: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    ws.import_files([path], table="events")
    stored = ws.to_pandas("events")
    stored["ts"] = pd.to_datetime(stored.ts)
    return stored


@pytest.fixture
def stored(workspace: canyu.Workspace, rng: np.random.Generator, tmp_path: Path) -> pd.DataFrame:
    return load(workspace, random_events(rng), tmp_path)


def test_health_matches_pandas(workspace: canyu.Workspace, stored: pd.DataFrame) -> None:
    got = workspace.to_pandas(community_health(workspace.table("events"), period="week", zone=ZONE))
    ev = stored[stored.channel.isin(["forum", "wecom"])].copy()
    ev["period_start"] = (ev.ts + pd.Timedelta(hours=8)).dt.to_period("W-SUN").dt.start_time.dt.date
    g = ev.groupby(["channel", "period_start"])
    want = pd.DataFrame(
        {
            "joins": g.action.apply(lambda a: (a == "join").sum()),
            "leaves": g.action.apply(lambda a: (a == "leave").sum()),
            "posts": g.action.apply(lambda a: (a == "post").sum()),
            "posters": ev[ev.action == "post"].groupby(["channel", "period_start"]).person_id.nunique(),
            "replies": g.action.apply(lambda a: (a == "comment").sum()),
        }
    ).fillna({"posters": 0})
    want["members"] = (want.joins - want.leaves).groupby(level="channel").cumsum()
    want["poster_share"] = want.posters / want.members
    want["replies_per_post"] = want.replies / want.posts
    want["growth"] = want.members / want.members.groupby(level="channel").shift() - 1
    want = want.reset_index()
    got["period_start"] = pd.to_datetime(got.period_start).dt.date
    cols = list(want.columns)
    pd.testing.assert_frame_equal(got[cols], want[cols], check_dtype=False)
    assert len(want) > 20 and want.growth.notna().sum() > 10


def test_core_member_retention_matches_pandas(workspace: canyu.Workspace, stored: pd.DataFrame) -> None:
    as_of = pd.Timestamp("2026-08-20")
    got = workspace.to_pandas(
        core_member_retention(workspace.table("events"), as_of=as_of.to_pydatetime(), min_posts=3, days=30)
    )
    ev = stored[stored.channel.isin(["forum", "wecom"])]
    span = pd.Timedelta(days=30)
    before = ev[(ev.action == "post") & (ev.ts >= as_of - span) & (ev.ts < as_of)]
    counts = before.groupby(["channel", "person_id"]).size()
    core = counts[counts >= 3].reset_index()[["channel", "person_id"]]
    after = ev[ev.action.isin(ACTIVE_ACTIONS) & (ev.ts >= as_of) & (ev.ts < as_of + span)]
    back = set(zip(after.channel, after.person_id, strict=True))
    core["back"] = [(c, p) in back for c, p in zip(core.channel, core.person_id, strict=True)]
    want = core.groupby("channel").agg(core_members=("back", "size"), retained=("back", "sum")).reset_index()
    want["retention"] = want.retained / want.core_members
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert (want.core_members > want.retained).any() and want.retained.sum() > 0


def test_members_by_hand(workspace: canyu.Workspace, tmp_path: Path) -> None:
    rows = [
        ("a", "join", "2026-09-07 10:00:00"),
        ("b", "join", "2026-09-08 10:00:00"),
        ("a", "post", "2026-09-08 11:00:00"),
        ("b", "comment", "2026-09-08 12:00:00"),
        ("b", "comment", "2026-09-08 13:00:00"),
        ("c", "join", "2026-09-15 10:00:00"),
        ("b", "leave", "2026-09-16 10:00:00"),
        ("c", "join", "2026-09-22 10:00:00"),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "action", "ts"])
    frame["event_id"] = [f"x{i}" for i in range(len(frame))]
    frame["channel"] = "forum"
    load(workspace, frame, tmp_path)
    got = workspace.to_pandas(community_health(workspace.table("events"), zone=ZONE))
    assert got.members.tolist() == [2, 2, 3]
    assert got.poster_share.tolist()[0] == 0.5
    assert got.replies_per_post.tolist()[0] == 2.0
    assert got.growth.tolist()[1:] == [0.0, 0.5]
    none = workspace.to_pandas(core_member_retention(workspace.table("events"), as_of=datetime(2026, 9, 10)))
    assert none.empty


def test_growth_matches_pandas(workspace: canyu.Workspace, stored: pd.DataFrame) -> None:
    start, end = pd.Timestamp("2026-08-01"), pd.Timestamp("2026-09-01")
    got = workspace.to_pandas(
        community_growth(workspace.table("events"), start=start.to_pydatetime(), end=end.to_pydatetime())
    ).set_index("channel")
    ev = stored[stored.channel.isin(["forum", "wecom"])]
    net = (ev.action == "join").astype(int) - (ev.action == "leave").astype(int)
    inside = ev[(ev.ts >= start) & (ev.ts < end)]
    want = pd.DataFrame(
        {
            "members_start": net[ev.ts < start].groupby(ev.channel).sum(),
            "members_end": net[ev.ts < end].groupby(ev.channel).sum(),
            "joins": (inside.action == "join").groupby(inside.channel).sum(),
            "posters": inside[inside.action == "post"].groupby("channel").person_id.nunique(),
        }
    )
    want["growth"] = want.members_end / want.members_start - 1
    want["poster_share"] = want.posters / want.members_end
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False, check_names=False)
    assert (want.growth > 0).all()
