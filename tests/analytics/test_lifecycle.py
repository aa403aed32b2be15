"""Fan lifecycle stages and transitions against plain pandas, plus a hand-built ladder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import canyu
from canyu.analytics.activity import ACTIVE_ACTIONS
from canyu.analytics.calendar import Zone
from canyu.analytics.lifecycle import ENGAGE_ACTIONS, STAGES, fan_stages, stage_transitions

ZONE = Zone("Asia/Shanghai")

ACTIONS = [
    "expose",
    "view",
    "like",
    "comment",
    "share",
    "follow",
    "unfollow",
    "join",
    "leave",
    "post",
    "purchase",
]
P = [0.25, 0.2, 0.1, 0.05, 0.05, 0.08, 0.04, 0.05, 0.03, 0.05, 0.1]


def random_events(rng: np.random.Generator, n: int = 1200, users: int = 40, days: int = 60) -> pd.DataFrame:
    start = pd.Timestamp("2026-08-01")
    seconds = rng.integers(0, days * 86_400, size=n)
    action = rng.choice(ACTIONS, size=n, p=P)
    parent = np.where(
        (action == "view") & (rng.random(n) < 0.3), [f"u{k}" for k in rng.integers(0, users, size=n)], ""
    )
    return pd.DataFrame(
        {
            "event_id": [f"e{i:04d}" for i in range(n)],
            "ts": (start + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
            "channel": rng.choice(["weibo", "forum"], size=n),
            "action": action,
            "user_id": [f"u{k}" for k in rng.integers(0, users, size=n)],
            "parent_user_id": parent,
        }
    )


def load(ws: canyu.Workspace, frame: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    ws.import_files([path], table="events")
    stored = ws.to_pandas("events")
    stored["ts"] = pd.to_datetime(stored.ts)
    return stored


def net_on(ev: pd.DataFrame, on: str, off: str) -> set[str]:
    pair = ev[ev.action.isin([on, off])].sort_values(["ts", "event_id"])
    last = pair.groupby(["person_id", "channel"]).agg(
        last_on=("ts", lambda s: s[pair.loc[s.index, "action"] == on].max()),
        last_off=("ts", lambda s: s[pair.loc[s.index, "action"] == off].max()),
    )
    ok = last.last_on.notna() & (last.last_off.isna() | (last.last_on > last.last_off))
    return set(last[ok].index.get_level_values(0))


def reference(stored: pd.DataFrame, as_of: pd.Timestamp, k: int = 3, m: int = 10) -> pd.Series:
    ev = stored[stored.ts < as_of]
    who = stored.drop_duplicates(["channel", "user_id"]).set_index(["channel", "user_id"]).person_id
    stages = {}
    followers = net_on(ev, "follow", "unfollow")
    members = net_on(ev[ev.channel.isin(["forum", "wecom"])], "join", "leave")
    led = ev[ev.parent_user_id.notna() & ev.action.isin(ACTIVE_ACTIONS)]
    parents = [who.get((c, u)) for c, u in zip(led.channel, led.parent_user_id, strict=True)]
    led = led.assign(parent=parents)
    led = led[led.parent.notna() & (led.parent != led.person_id)]
    advocates = set(led.parent)
    recent = ev[ev.action.isin(ACTIVE_ACTIONS) & (ev.ts >= as_of - pd.Timedelta(days=30))]
    days = (recent.ts + pd.Timedelta(hours=8)).dt.date
    active_days = recent.assign(day=days).groupby("person_id").day.nunique()
    for person, mine in ev.groupby("person_id"):
        inter = int(mine.action.isin(ENGAGE_ACTIONS).sum())
        posted = bool(((mine.action == "post") & mine.channel.isin(["forum", "wecom"])).any())
        fol = person in followers
        if person in advocates:
            stage = "advocate"
        elif fol and (posted or person in members or inter >= m):
            stage = "core_fan"
        elif fol and active_days.get(person, 0) >= k:
            stage = "active_fan"
        elif fol:
            stage = "follower"
        elif inter > 0:
            stage = "engaged"
        else:
            stage = "exposed"
        stages[person] = stage
    return pd.Series(stages, name="stage").sort_index()


@pytest.fixture
def stored(workspace: canyu.Workspace, rng: np.random.Generator, tmp_path: Path) -> pd.DataFrame:
    return load(workspace, random_events(rng), tmp_path)


@pytest.mark.parametrize("as_of", ["2026-08-20", "2026-09-25"])
def test_fan_stages_match_pandas(workspace: canyu.Workspace, stored: pd.DataFrame, as_of: str) -> None:
    when = pd.Timestamp(as_of)
    got = workspace.to_pandas(fan_stages(workspace.table("events"), as_of=when.to_pydatetime(), zone=ZONE))
    got = got.set_index("person_id").stage.sort_index()
    want = reference(stored, when)
    pd.testing.assert_series_equal(got, want, check_names=False)
    assert want.nunique() >= 4, want.value_counts()


def test_transitions_match_pandas(workspace: canyu.Workspace, stored: pd.DataFrame) -> None:
    a, b = pd.Timestamp("2026-08-20"), pd.Timestamp("2026-09-25")
    got = workspace.to_pandas(
        stage_transitions(
            workspace.table("events"), start=a.to_pydatetime(), end=b.to_pydatetime(), zone=ZONE
        )
    )
    s0 = reference(stored, a)
    s1 = reference(stored, b)
    pairs = pd.DataFrame({"to_stage": s1}).join(s0.rename("from_stage")).fillna({"from_stage": "none"})
    want = pairs.groupby(["from_stage", "to_stage"]).size().rename("people").reset_index()
    want["rate"] = want.people / want.groupby("from_stage").people.transform("sum")
    merged = want.merge(got, on=["from_stage", "to_stage"], how="outer", suffixes=("_w", "_g"))
    assert (merged.people_w == merged.people_g).all()
    assert np.allclose(merged.rate_w, merged.rate_g)
    assert got.people.sum() == len(s1)
    order = [STAGES.index(s) for s in got.from_stage]
    assert order == sorted(order)


def test_ladder_by_hand(workspace: canyu.Workspace, tmp_path: Path) -> None:
    rows = [
        ("a", "expose", "", "2026-09-01 10:00:00"),
        ("b", "like", "", "2026-09-01 10:00:00"),
        ("c", "follow", "", "2026-09-01 10:00:00"),
        ("d", "follow", "", "2026-09-01 10:00:00"),
        ("d", "unfollow", "", "2026-09-02 10:00:00"),  # d unfollowed: back to exposed
        ("e", "follow", "", "2026-09-01 10:00:00"),
        *[("e", "view", "", f"2026-09-{d:02d} 10:00:00") for d in (3, 4, 5)],
        ("f", "follow", "", "2026-09-01 10:00:00"),
        ("f", "join", "", "2026-09-02 10:00:00"),
        ("g", "share", "", "2026-09-01 10:00:00"),
        ("h", "view", "g", "2026-09-02 10:00:00"),  # h acted on g's share: g is an advocate
        ("i", "view", "", "2026-09-20 10:00:00"),  # after as_of: not counted
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "action", "parent_user_id", "ts"])
    frame["event_id"] = [f"x{i}" for i in range(len(frame))]
    frame["channel"] = "forum"
    load(workspace, frame, tmp_path)
    ids = workspace.to_pandas(workspace.table("events").select("user_id", "person_id").distinct())
    name = dict(zip(ids.person_id, ids.user_id, strict=True))
    got = workspace.to_pandas(fan_stages(workspace.table("events"), as_of=datetime(2026, 9, 10), zone=ZONE))
    stages = {name[p]: s for p, s in zip(got.person_id, got.stage, strict=True)}
    assert stages == {
        "a": "exposed",
        "b": "engaged",
        "c": "follower",
        "d": "exposed",
        "e": "active_fan",
        "f": "core_fan",
        "g": "advocate",
        "h": "exposed",
    }
