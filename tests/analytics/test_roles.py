"""Channel roles: metrics against pandas, scores by hand, findings against the product profile."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import canyu
from canyu.analytics.activity import ACTIVE_ACTIONS
from canyu.analytics.calendar import Zone
from canyu.analytics.roles import channel_role_metrics, channel_roles, score_roles
from canyu.config import DEFAULT_ROLES
from canyu.plan._rules import role_findings

ZONE = Zone("Asia/Shanghai")

T0 = pd.Timestamp("2026-09-01 10:00")


def load(ws: canyu.Workspace, frame: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    frame = frame.copy()
    frame["event_id"] = [f"x{i:05d}" for i in range(len(frame))]
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    ws.import_files([path], table="events")
    stored = ws.to_pandas("events")
    stored["ts"] = pd.to_datetime(stored.ts)
    return stored


def designed_events(rng: np.random.Generator) -> pd.DataFrame:
    rows: list[tuple[str, str, str, str, str, str]] = []  # channel, action, user, content, parent, ts

    def add(channel: str, action: str, user: str, day: float, content: str = "", parent: str = "") -> None:
        rows.append((channel, action, user, content, parent, str(T0 + pd.Timedelta(days=day))))

    for i in range(200):  # weibo: huge reach on 2 posts, shares that fan out
        add("weibo", "view", f"w{i}", i % 60, f"wb{i % 2}", f"w{(i + 1) % 10}" if i % 3 == 0 else "")
    for i in range(20):
        add("weibo", "share", f"w{i}", i % 60, "wb0")
    for i in range(30):  # wecom: conversations, all answered
        add("wecom", "message", f"q{i % 10}", i)
        add("wecom", "reply", f"q{i % 10}", i + 0.01)
    for u in range(8):  # forum: the same core people every few days for 60 days
        for d in range(0, 60, 3):
            add("forum", "post", f"f{u}", d + rng.random(), "th1")
    for i in range(40):  # ecommerce: one-off buyers
        add("ecommerce", "purchase", f"b{i}", i)
    for i in range(20):  # wechat_oa: planned for service, but it sells and barely talks
        add("wechat_oa", "purchase", f"o{i % 5}", i)
        add("wechat_oa", "view", f"o{i % 5}", i, "oa1")
    add("wechat_oa", "message", "o1", 3)
    return pd.DataFrame(rows, columns=["channel", "action", "user_id", "content_id", "parent_user_id", "ts"])


def test_designed_channels_play_their_roles(
    workspace: canyu.Workspace, rng: np.random.Generator, tmp_path: Path
) -> None:
    load(workspace, designed_events(rng), tmp_path)
    metrics = workspace.to_pandas(
        channel_role_metrics(
            workspace.table("events"),
            as_of=datetime(2026, 9, 30),
            core_min_days=3,
            zone=ZONE,
            conversion_actions=("purchase",),
        )
    )
    result = channel_roles(metrics, expected=workspace.config.product.roles)
    assert result.actual == {
        "ecommerce": "conversion",
        "forum": "retention",
        "wechat_oa": "conversion",
        "wecom": "service",
        "weibo": "broadcast",
    }
    assert workspace.config.product.roles == DEFAULT_ROLES
    [finding] = role_findings(result, min_people=1)
    assert finding.key == "channel_role_mismatch:wechat_oa"
    assert finding.severity == "high"
    assert finding.value == "conversion"
    assert "service" in finding.text("expectation", "en") and "服务" in finding.text("expectation", "zh")
    assert "微信公众号" in finding.text("metric", "zh") and finding.text("action", "zh")
    # Planning wechat_oa for conversion removes the finding.
    again = channel_roles(metrics, expected={**DEFAULT_ROLES, "wechat_oa": "conversion"})
    assert role_findings(again, min_people=1) == []
    # With fewer active people on the channel than the rule needs, it says the data are too thin.
    people = int(metrics.set_index("channel").loc["wechat_oa", "active_people"])
    [thin] = role_findings(result, min_people=people + 1)
    assert thin.key == "channel_role_thin:wechat_oa" and thin.severity == "info"
    assert f"{people:,}" in thin.text("metric", "en")


def test_scores_by_hand() -> None:
    metrics = pd.DataFrame(
        {
            "channel": ["a", "b", "c"],
            "reach_per_post": [100.0, 50.0, None],
            "share_fanout": [2.0, 4.0, None],
            "one_to_one_share": [0.0, 0.1, 0.2],
            "reply_rate": [None, 0.5, 1.0],
            "core_retention": [0.1, 0.0, 0.0],
            "orders_per_active": [0.0, 0.0, 0.0],
        }
    )
    scores = score_roles(metrics).set_index("channel")
    assert scores.loc["a", "broadcast"] == pytest.approx((1.0 + 0.5) / 2)
    assert scores.loc["b", "broadcast"] == pytest.approx((0.5 + 1.0) / 2)
    assert scores.loc["c", "service"] == pytest.approx(1.0)
    assert scores.loc["b", "service"] == pytest.approx((0.5 + 0.5) / 2)
    assert scores.loc["a", "retention"] == 1.0
    assert (scores.conversion == 0).all()
    assert scores.actual_role.to_dict() == {"a": "retention", "b": "broadcast", "c": "service"}


def test_metrics_match_pandas(workspace: canyu.Workspace, rng: np.random.Generator, tmp_path: Path) -> None:
    n = 1500
    frame = pd.DataFrame(
        {
            "channel": rng.choice(["weibo", "wecom", "forum"], size=n),
            "action": rng.choice(["expose", "view", "share", "message", "reply", "purchase", "post"], size=n),
            "user_id": [f"u{k}" for k in rng.integers(0, 30, size=n)],
            "content_id": rng.choice(["c1", "c2", "c3", ""], size=n),
            "parent_user_id": rng.choice(["", "", "u1"], size=n),
            "ts": (T0 + pd.to_timedelta(rng.integers(0, 50 * 86_400, size=n), unit="s")).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
        }
    )
    ev = load(workspace, frame, tmp_path)
    as_of = pd.Timestamp("2026-09-25")
    got = workspace.to_pandas(
        channel_role_metrics(
            workspace.table("events"),
            as_of=as_of.to_pydatetime(),
            days=20,
            core_min_days=4,
            zone=ZONE,
            conversion_actions=("purchase",),
        )
    ).set_index("channel")
    want = {}
    for channel, e in ev.groupby("channel"):
        act = e[e.action.isin(ACTIVE_ACTIONS)].assign(day=lambda f: (f.ts + pd.Timedelta(hours=8)).dt.date)
        before = act[(act.ts >= as_of - pd.Timedelta(days=20)) & (act.ts < as_of)]
        core = before.groupby("person_id").day.nunique()
        core = set(core[core >= 4].index)
        after = set(act[(act.ts >= as_of) & (act.ts < as_of + pd.Timedelta(days=20))].person_id)
        msgs = e[e.action == "message"]
        answered = [
            ((e.action == "reply") & (e.user_id == m.user_id) & (e.ts >= m.ts)).any()
            for m in msgs.itertuples()
        ]
        want[channel] = {
            "reach_per_post": e.action.isin(["expose", "view"]).sum() / e.content_id.nunique(),
            "share_fanout": (e.parent_user_id.notna() & e.action.isin(["view", "share"])).sum()
            / (e.action == "share").sum(),
            "one_to_one_share": e.action.isin(["message", "reply"]).mean(),
            "reply_rate": np.mean(answered),
            "core_retention": len(core & after) / before.person_id.nunique(),
            "orders_per_active": (e.action == "purchase").sum() / act.person_id.nunique(),
        }
    want = pd.DataFrame(want).T.sort_index()
    pd.testing.assert_frame_equal(got[want.columns].sort_index(), want, check_dtype=False, check_names=False)
    assert (want.core_retention > 0).all() and (want.core_retention < 1).any()
