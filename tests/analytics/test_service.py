"""Service levels: answer rate and response times against a per-message pandas loop."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import canyu
from canyu.analytics.calendar import Zone
from canyu.analytics.service import message_responses, service_levels

ZONE = Zone("Asia/Shanghai")


def random_conversations(rng: np.random.Generator, n: int = 700, users: int = 25) -> pd.DataFrame:
    start = pd.Timestamp("2026-09-01")
    seconds = rng.integers(0, 5 * 86_400, size=n)
    return pd.DataFrame(
        {
            "event_id": [f"e{i:04d}" for i in range(n)],
            "ts": (start + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
            "channel": rng.choice(["wechat_oa", "wecom", "weibo"], size=n),
            "action": rng.choice(["message", "reply", "view"], size=n, p=[0.5, 0.35, 0.15]),
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


def reference(stored: pd.DataFrame, within: float | None) -> pd.DataFrame:
    rows = []
    for (channel, _user), conv in stored.groupby(["channel", "user_id"]):
        replies = conv[conv.action == "reply"].ts.sort_values()
        for _, msg in conv[conv.action == "message"].iterrows():
            after = replies[replies >= msg.ts]
            secs = (after.iloc[0] - msg.ts).total_seconds() if len(after) else np.nan
            if within is not None and secs > within:
                secs = np.nan
            rows.append({"channel": channel, "secs": secs})
    frame = pd.DataFrame(rows)
    out = frame.groupby("channel").agg(
        messages=("secs", "size"),
        answered=("secs", "count"),
        median_seconds=("secs", "median"),
        p90_seconds=("secs", lambda s: s.quantile(0.9)),
        under_1h=("secs", lambda s: ((s > 300) & (s <= 3600)).mean()),
        unanswered=("secs", lambda s: s.isna().mean()),
    )
    out["answer_rate"] = out.answered / out.messages
    return out.reset_index()


@pytest.mark.parametrize("within", [None, 6 * 3600.0])
def test_service_levels_match_pandas(
    workspace: canyu.Workspace, rng: np.random.Generator, tmp_path: Path, within: float | None
) -> None:
    stored = load(workspace, random_conversations(rng), tmp_path)
    got = workspace.to_pandas(
        service_levels(
            workspace.table("events"), within=None if within is None else timedelta(seconds=within), zone=ZONE
        )
    )
    want = reference(stored, within)
    cols = [
        "channel",
        "messages",
        "answered",
        "answer_rate",
        "median_seconds",
        "p90_seconds",
        "under_1h",
        "unanswered",
    ]
    pd.testing.assert_frame_equal(got[cols], want[cols], check_dtype=False)
    shares = got[["under_5m", "under_1h", "under_24h", "later", "unanswered"]].sum(axis=1)
    assert np.allclose(shares, 1.0)
    assert (want.answer_rate < 1).all() and (want.answer_rate > 0).all()


def test_by_hand(workspace: canyu.Workspace, tmp_path: Path) -> None:
    rows = [
        ("m1", "u1", "message", "2026-09-01 10:00:00"),
        ("m2", "u1", "message", "2026-09-01 10:05:00"),
        ("r1", "u1", "reply", "2026-09-01 10:10:00"),  # answers m1 (600 s) and m2 (300 s)
        ("m3", "u1", "message", "2026-09-01 12:00:00"),  # never answered
        ("m4", "u2", "message", "2026-09-01 09:00:00"),
        ("r2", "u2", "reply", "2026-09-01 09:00:00"),  # same instant: 0 s
        ("r3", "u3", "reply", "2026-09-01 08:00:00"),  # a reply to u3 does not answer u2
    ]
    frame = pd.DataFrame(rows, columns=["event_id", "user_id", "action", "ts"])
    frame["channel"] = "wecom"
    load(workspace, frame, tmp_path)
    per_msg = workspace.to_pandas(message_responses(workspace.table("events"))).set_index("event_id")
    assert per_msg.response_seconds.to_dict() == pytest.approx(
        {"m1": 600.0, "m2": 300.0, "m3": np.nan, "m4": 0.0}, nan_ok=True
    )
    [row] = workspace.to_pandas(
        service_levels(workspace.table("events"), by_channel=False, zone=ZONE)
    ).to_dict("records")
    assert (row["messages"], row["answered"]) == (4, 3)
    assert row["median_seconds"] == 300.0
    assert row["p90_seconds"] == pytest.approx(540.0)


def test_levels_per_account_and_week_match_pandas(
    workspace: canyu.Workspace, rng: np.random.Generator, tmp_path: Path
) -> None:
    frame = random_conversations(rng, n=900)
    frame["ts"] = (
        pd.Timestamp("2026-09-01") + pd.to_timedelta(rng.integers(0, 30 * 86_400, size=len(frame)), unit="s")
    ).strftime("%Y-%m-%d %H:%M:%S")
    frame["account_id"] = np.where(frame.user_id.str[-1].isin(list("01234")), "acc1", "acc2")
    stored = load(workspace, frame, tmp_path)
    got = workspace.to_pandas(
        service_levels(workspace.table("events"), by_channel=False, by_account=True, period="week", zone=ZONE)
    )
    rows = []
    for _user, conv in stored.groupby(["channel", "user_id"]):
        replies = conv[conv.action == "reply"].ts.sort_values()
        for _, msg in conv[conv.action == "message"].iterrows():
            after = replies[replies >= msg.ts]
            secs = (after.iloc[0] - msg.ts).total_seconds() if len(after) else np.nan
            week = (msg.ts + pd.Timedelta(hours=8)).to_period("W-SUN").start_time.date()
            rows.append({"account_id": msg.account_id, "period_start": week, "secs": secs})
    want = (
        pd.DataFrame(rows)
        .groupby(["account_id", "period_start"])
        .agg(messages=("secs", "size"), answered=("secs", "count"), median_seconds=("secs", "median"))
        .reset_index()
    )
    got["period_start"] = pd.to_datetime(got.period_start).dt.date
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)
    assert len(want) >= 8
