"""Content and account performance against pandas; WCI and BCI against hand-computed examples."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import canyu
from canyu.analytics.content import COUNTS, account_performance, bci, content_performance, wci


def load_stats(ws: canyu.Workspace, frame: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "stats.csv"
    frame.to_csv(path, index=False)
    [r] = ws.import_files([path], table="content_stats")
    assert r.rows_loaded == len(frame)
    out = ws.to_pandas("content_stats")
    out["date"] = pd.to_datetime(out.date).dt.date
    return out


def random_stats(rng: np.random.Generator, contents: int = 30) -> pd.DataFrame:
    rows = []
    for i in range(contents):
        channel = ["wechat_oa", "weibo", "douyin"][i % 3]
        first = date(2026, 9, 1) + pd.Timedelta(days=int(rng.integers(0, 20)))
        for k in range(int(rng.integers(1, 6))):
            rows.append(
                {
                    "date": (first + pd.Timedelta(days=k)).isoformat(),
                    "channel": channel,
                    "account_id": f"{channel}-{i % 2}",
                    "content_id": f"c{i}",
                    **{c: int(rng.integers(0, 500)) for c in COUNTS},
                }
            )
    return pd.DataFrame(rows)


def test_content_and_account_performance_match_pandas(
    workspace: canyu.Workspace, rng: np.random.Generator, tmp_path: Path
) -> None:
    stored = load_stats(workspace, random_stats(rng), tmp_path)
    start, end = date(2026, 9, 5), date(2026, 9, 20)
    got = workspace.to_pandas(content_performance(workspace.table("content_stats"), start=start, end=end))
    part = stored[(stored.date >= start) & (stored.date <= end)]
    want = part.groupby(["channel", "account_id", "content_id"])[list(COUNTS)].sum()
    want["days"] = part.groupby(["channel", "account_id", "content_id"]).date.nunique()
    want["engagements"] = want.likes + want.comments + want.shares + want.collects
    want["engagement_rate"] = want.engagements / want.views
    want["share_rate"] = want.shares / want.views
    want = (
        want.reset_index()
        .sort_values(["views", "content_id"], ascending=[False, True])
        .reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)
    assert len(want) > 10

    acc = workspace.to_pandas(account_performance(workspace.table("content_stats"), start=start, end=end))
    g = part.groupby(["channel", "account_id"])
    want_acc = g[list(COUNTS)].sum()
    want_acc["contents"] = g.content_id.nunique()
    want_acc["views_per_content"] = want_acc.views / want_acc.contents
    got_acc = acc.set_index(["channel", "account_id"]).loc[want_acc.index]
    pd.testing.assert_frame_equal(got_acc[want_acc.columns], want_acc, check_dtype=False)


HAND = pd.DataFrame(
    [
        # date, channel, account, content, views, collects(在看), likes, shares
        ("2026-09-01", "wechat_oa", "oa1", "a1", 800, 6, 15, 20),
        ("2026-09-02", "wechat_oa", "oa1", "a1", 200, 4, 5, 10),
        ("2026-09-01", "wechat_oa", "oa1", "a2", 400, 4, 5, 6),
        ("2026-09-03", "wechat_oa", "oa1", "a3", 600, 0, 10, 12),
        ("2026-09-08", "wechat_oa", "oa1", "a1", 999, 9, 9, 9),  # after the period
        ("2026-09-02", "weibo", "wb1", "w1", 0, 0, 100, 10),
        ("2026-09-03", "weibo", "wb1", "w2", 0, 0, 20, 5),
        ("2026-09-03", "weibo", "wb1", "w2", 0, 0, 0, 0),
    ],
    columns=["date", "channel", "account_id", "content_id", "views", "collects", "likes", "shares"],
)


def test_wci_hand_computed(workspace: canyu.Workspace, tmp_path: Path) -> None:
    load_stats(workspace, HAND.drop_duplicates(["date", "content_id"]), tmp_path)
    [row] = workspace.to_pandas(
        wci(workspace.table("content_stats"), start=date(2026, 9, 1), end=date(2026, 9, 7))
    ).to_dict("records")
    # d = 7, n = 3; R = 2000, Z = 14, L = 35, RE = 48.
    # Headlines: a1 (most reads of 9-01, 1000 > 400) and a3 (only article of 9-03).
    assert (row["d"], row["n"], row["R"], row["Z"], row["L"], row["RE"]) == (7, 3, 2000, 14, 35, 48)
    assert (row["Rt"], row["Zt"], row["Lt"], row["REt"]) == (1600, 10, 30, 42)
    assert (row["Rmax"], row["Zmax"], row["Lmax"], row["REmax"]) == (1000, 10, 20, 30)
    ln = math.log
    o = 0.70 * ln(2000 / 7 + 1) + 0.09 * ln(140 / 7 + 1) + 0.06 * ln(350 / 7 + 1) + 0.15 * ln(480 / 7 + 1)
    a = 0.70 * ln(2000 / 3 + 1) + 0.09 * ln(140 / 3 + 1) + 0.06 * ln(350 / 3 + 1) + 0.15 * ln(480 / 3 + 1)
    h = 0.70 * ln(1600 / 7 + 1) + 0.09 * ln(100 / 7 + 1) + 0.06 * ln(300 / 7 + 1) + 0.15 * ln(420 / 7 + 1)
    p = 0.70 * ln(1001) + 0.09 * ln(101) + 0.06 * ln(201) + 0.15 * ln(301)
    assert (o, a, h, p) == pytest.approx((5.107, 5.949, 4.894, 6.426), abs=1e-3)
    expected = (0.6 * o + 0.2 * a + 0.1 * h + 0.1 * p) ** 2 * 1.2 * 10
    assert expected == pytest.approx(348.12, abs=0.01)
    assert row["wci"] == pytest.approx(expected)
    # Naming the headline changes H only.
    [row2] = workspace.to_pandas(
        wci(workspace.table("content_stats"), start=date(2026, 9, 1), end=date(2026, 9, 7), headlines=["a2"])
    ).to_dict("records")
    assert row2["Rt"] == 400 and row2["wci"] < row["wci"]


def test_bci_hand_computed(workspace: canyu.Workspace, tmp_path: Path) -> None:
    load_stats(workspace, HAND.drop_duplicates(["date", "content_id"]), tmp_path)
    [row] = workspace.to_pandas(
        bci(workspace.table("content_stats"), start=date(2026, 9, 1), end=date(2026, 9, 7))
    ).to_dict("records")
    assert (row["posts"], row["reposts"], row["comments"], row["likes"]) == (2, 15, 0, 120)
    w1 = math.log(3)
    w2 = 0.4 * math.log(16) + 0.4 * math.log(1) + 0.2 * math.log(121)
    assert row["bci"] == pytest.approx((0.2 * w1 + 0.8 * w2) * 160)
    assert row["bci"] == pytest.approx(299.88, abs=0.01)
