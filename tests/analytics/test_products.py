"""Hit products and launch effects against plain pandas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import canyu
from canyu.analytics.products import hit_products, launch_effects

START = pd.Timestamp("2026-09-01")


def random_orders(rng: np.random.Generator, n: int = 600) -> pd.DataFrame:
    seconds = rng.integers(0, 40 * 86_400, size=n)
    product = rng.choice(["p1", "p2", "p3", "p4", ""], size=n, p=[0.4, 0.25, 0.15, 0.1, 0.1])
    return pd.DataFrame(
        {
            "event_id": [f"e{i:04d}" for i in range(n)],
            "ts": (START + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
            "channel": "ecommerce",
            "action": rng.choice(["purchase", "view"], size=n, p=[0.7, 0.3]),
            "user_id": [f"u{k}" for k in rng.integers(0, 80, size=n)],
            "product_id": product,
            "value": rng.integers(10, 500, size=n).astype(float),
            "campaign_id": np.where(product == "p2", "launch2", np.where(product == "p3", "launch3", "")),
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
    return out


@pytest.fixture
def stored(workspace: canyu.Workspace, rng: np.random.Generator, tmp_path: Path) -> dict[str, pd.DataFrame]:
    products = pd.DataFrame(
        {
            "product_id": ["p1", "p2", "p3", "p4"],
            "name": ["A", "B", "C", "D"],
            "category": "phone",
            "price": 1.0,
        }
    )
    campaigns = pd.DataFrame(
        {
            "campaign_id": ["launch2", "launch3", "node"],
            "name": ["L2", "L3", "N"],
            "kind": ["launch", "launch", "participation_node"],
            "starts": ["2026-09-15 20:00:00", "2026-09-25 00:00:00", "2026-09-10 00:00:00"],
            "ends": ["2026-09-20 00:00:00", "2026-09-30 00:00:00", "2026-09-12 00:00:00"],
        }
    )
    return load(workspace, tmp_path, events=random_orders(rng), products=products, campaigns=campaigns)


def test_hit_products_match_pandas(workspace: canyu.Workspace, stored: dict[str, pd.DataFrame]) -> None:
    start, end = pd.Timestamp("2026-09-05"), pd.Timestamp("2026-10-03")
    got = workspace.to_pandas(
        hit_products(
            workspace.table("events"),
            start=start.to_pydatetime(),
            end=end.to_pydatetime(),
            products=workspace.table("products"),
            conversion_actions=("purchase",),
        )
    )
    ev = stored["events"]
    conv = ev[(ev.action == "purchase") & (ev.ts >= start) & (ev.ts < end)]
    middle = start + (end - start) / 2
    orders = conv[conv.product_id.notna()]
    g = orders.groupby("product_id")
    want = pd.DataFrame(
        {
            "orders": g.size(),
            "buyers": g.person_id.nunique(),
            "revenue": g.value.sum(),
            "orders_first_half": g.ts.apply(lambda s: (s < middle).sum()),
            "orders_second_half": g.ts.apply(lambda s: (s >= middle).sum()),
        }
    )
    want["growth"] = want.orders_second_half / want.orders_first_half - 1
    want["share"] = want.orders / len(conv)
    want = want.reset_index().sort_values(["orders", "product_id"], ascending=[False, True])
    want.insert(0, "rank", range(1, len(want) + 1))
    want = want.merge(stored["products"][["product_id", "name", "category"]], on="product_id")
    cols = list(want.columns)
    pd.testing.assert_frame_equal(
        got[cols].reset_index(drop=True), want.reset_index(drop=True), check_dtype=False
    )
    assert got["rank"].tolist() == [1, 2, 3, 4] and got.product_id.iloc[0] == "p1"
    assert got.share.sum() < 1  # orders without a product count in the denominator


def test_launch_effects_match_pandas(workspace: canyu.Workspace, stored: dict[str, pd.DataFrame]) -> None:
    got = workspace.to_pandas(
        launch_effects(
            workspace.table("events"), workspace.table("campaigns"), days=7, conversion_actions=("purchase",)
        )
    )
    ev = stored["events"]
    camps = stored["campaigns"]
    rows = []
    for _, c in camps[camps.kind == "launch"].iterrows():
        starts = pd.Timestamp(c.starts)
        for product in sorted(ev[ev.campaign_id == c.campaign_id].product_id.dropna().unique()):
            o = ev[(ev.action == "purchase") & (ev.product_id == product)]
            before = int(((o.ts >= starts - pd.Timedelta(days=7)) & (o.ts < starts)).sum())
            after = int(((o.ts >= starts) & (o.ts < starts + pd.Timedelta(days=7))).sum())
            rows.append((c.campaign_id, product, before, after, after / before - 1 if before else np.nan))
    want = pd.DataFrame(rows, columns=["campaign_id", "product_id", "orders_before", "orders_after", "lift"])
    cols = list(want.columns)
    pd.testing.assert_frame_equal(got[cols], want, check_dtype=False)
    assert len(want) == 2 and (want.orders_after > 0).all()
