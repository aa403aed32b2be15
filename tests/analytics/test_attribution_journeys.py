"""Journeys from a hand-built events table on DuckDB (through Ibis), and credit below the channel."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from canyu.analytics.attribution import (
    JOURNEY_COLUMNS,
    attribute,
    credit_by,
    journey_path_table,
    journey_paths,
    journeys,
    share_chain_credits,
    touch_credits,
)

EVENT_TYPES = {
    "event_id": "string",
    "ts": "timestamp('UTC')",
    "channel": "string",
    "action": "string",
    "user_id": "string",
    "person_id": "string",
    "account_id": "string",
    "content_id": "string",
    "campaign_id": "string",
    "parent_user_id": "string",
    "parent_event_id": "string",
    "product_id": "string",
    "value": "float64",
    "props": "string",
    "batch_id": "string",
}


def event(
    event_id: str,
    ts: str,
    channel: str,
    action: str,
    person: str | None,
    *,
    campaign: str | None = None,
    content: str | None = None,
    parent: str | None = None,
    user: str | None = None,
    value: float | None = None,
) -> dict[str, object]:
    return {
        "event_id": event_id,
        "ts": pd.Timestamp(ts, tz="UTC"),
        "channel": channel,
        "action": action,
        "user_id": user or f"{person}@{channel}",
        "person_id": person,
        "account_id": None,
        "content_id": content,
        "campaign_id": campaign,
        "parent_user_id": parent,
        "parent_event_id": None,
        "product_id": None,
        "value": value,
        "props": "{}",
        "batch_id": "b1",
    }


EVENTS = [
    # p1: weibo view, a forwarded WeChat article (share from u9), purchase; then a click with no purchase.
    event("e01", "2024-01-01 10:00", "weibo", "view", "p1", campaign="c1", content="w1"),
    event("e02", "2024-01-02 10:00", "wechat_oa", "view", "p1", campaign="c2", content="a1", parent="u9"),
    event("e03", "2024-01-03 10:00", "ecommerce", "purchase", "p1", value=100.0),
    event("e04", "2024-01-04 10:00", "douyin", "click", "p1"),
    # p2: a view 61 days before the purchase falls outside the 30-day window; a click at the
    # purchase's own instant counts before it.
    event("e05", "2024-01-01 10:00", "douyin", "view", "p2"),
    event("e06", "2024-03-01 10:00", "weibo", "message", "p2", campaign="c1"),
    event("e08", "2024-03-02 10:00", "web", "purchase", "p2", value=50.0),
    event("e07", "2024-03-02 10:00", "web", "click", "p2"),
    # p3 only likes (not a touch); p4 buys with no touch; an event without a person is ignored.
    event("e09", "2024-01-05 10:00", "web", "like", "p3"),
    event("e10", "2024-01-05 10:00", "web", "purchase", "p4", value=10.0),
    event("e11", "2024-01-05 10:00", "web", "view", None),
    # p5 converts twice: each purchase closes its own journey.
    event("e12", "2024-02-01 10:00", "bilibili", "view", "p5"),
    event("e13", "2024-02-02 10:00", "ecommerce", "purchase", "p5", value=30.0),
    event("e14", "2024-02-03 10:00", "xiaohongshu", "view", "p5"),
    event("e15", "2024-02-04 10:00", "ecommerce", "purchase", "p5", value=20.0),
    # the share chain behind u9 (people not resolved): u9 got article a1 from u8, u8 from u7.
    event("e16", "2023-12-30 10:00", "wechat_oa", "view", None, content="a1", parent="u8", user="u9"),
    event("e17", "2023-12-29 10:00", "wechat_oa", "view", None, content="a1", parent="u7", user="u8"),
]


def duckdb_table(con: ibis.BaseBackend, name: str, frame: pd.DataFrame, types: dict[str, str]) -> ibis.Table:
    try:
        return con.create_table(name, frame)
    except Exception:  # ibis 12 + sqlglot 30 cannot drop the temporary view it creates; insert instead
        fresh = f"{name}_rows"
        con.create_table(fresh, schema=ibis.schema(types))
        con.insert(fresh, frame)
        return con.table(fresh)


@pytest.fixture(scope="module")
def events() -> ibis.Table:
    con = ibis.duckdb.connect()
    return duckdb_table(con, "events", pd.DataFrame(EVENTS, columns=list(EVENT_TYPES)), EVENT_TYPES)


@pytest.fixture(scope="module")
def touches(events: ibis.Table) -> pd.DataFrame:
    return (
        journeys(events, conversion_actions=("purchase",))
        .to_pandas()
        .sort_values(["journey_id", "seq"])
        .reset_index(drop=True)
    )


def test_journeys_cut_events_into_expected_paths(touches: pd.DataFrame) -> None:
    assert list(touches.columns) == list(JOURNEY_COLUMNS)
    paths = touches.groupby("journey_id")["channel"].agg(" > ".join).to_dict()
    assert paths == {
        "p1:0": "weibo > wechat_oa",
        "p1:1": "douyin",
        "p2:0": "weibo > web",
        "p5:0": "bilibili",
        "p5:1": "xiaohongshu",
    }
    per_journey = touches.groupby("journey_id").agg(
        converted=("converted", "first"), value=("value", "first")
    )
    assert per_journey["converted"].to_dict() == {
        "p1:0": True,
        "p1:1": False,
        "p2:0": True,
        "p5:0": True,
        "p5:1": True,
    }
    assert per_journey["value"].to_dict() == {
        "p1:0": 100.0,
        "p1:1": 0.0,
        "p2:0": 50.0,
        "p5:0": 30.0,
        "p5:1": 20.0,
    }
    share = touches[touches.action == "share_received"]
    assert share[["journey_id", "channel", "sharer"]].values.tolist() == [["p1:0", "wechat_oa", "u9"]]
    assert touches["sharer"].notna().sum() == 1
    assert touches["seq"].tolist() == [1, 2, 1, 1, 2, 1, 1]


def test_lookback_window_is_a_parameter(events: ibis.Table) -> None:
    wide = journeys(events, lookback_days=90, conversion_actions=("purchase",)).to_pandas()
    assert sorted(wide.loc[wide.journey_id == "p2:0", "channel"]) == ["douyin", "web", "weibo"]


def test_share_received_can_be_left_out(events: ibis.Table) -> None:
    plain = journeys(
        events, touch_actions=("view", "click", "message"), conversion_actions=("purchase",)
    ).to_pandas()
    assert plain["sharer"].isna().all()
    assert (plain.action == "view").sum() == 4


def test_path_keys_and_engine_side_aggregation(events: ibis.Table) -> None:
    table = (
        journey_path_table(journeys(events, key="campaign", conversion_actions=("purchase",)))
        .to_pandas()
        .set_index("path")
    )
    assert table.loc["weibo:c1 > wechat_oa:c2"].tolist() == [1.0, 100.0, 0.0]
    assert table.loc["douyin"].tolist() == [0.0, 0.0, 1.0]
    assert table["total_conversions"].sum() == 4
    content = journeys(events, key="content", conversion_actions=("purchase",)).to_pandas()
    assert set(content.touch) >= {"weibo:w1", "wechat_oa:a1", "douyin"}


def test_journey_paths_feed_the_models(touches: pd.DataFrame) -> None:
    paths = journey_paths(touches)
    assert paths.n_paths == 5
    assert paths.total_conversions == 4
    assert paths.total_value == 200
    result = attribute(paths, model="last_touch").credits("last_touch")
    assert result["conversions"].to_dict() == {
        "bilibili": 1.0,
        "douyin": 0.0,
        "wechat_oa": 1.0,
        "web": 1.0,
        "weibo": 0.0,
        "xiaohongshu": 1.0,
    }


def test_time_decay_uses_real_time(touches: pd.DataFrame) -> None:
    credits = touch_credits(touches, model="time_decay", half_life_days=1.0)
    p1 = credits[credits.journey_id == "p1:0"]
    # two days and one day before the purchase: weights 1/4 and 1/2, normalised.
    assert p1["credit"].tolist() == pytest.approx([1 / 3, 2 / 3])
    assert p1["credit_value"].tolist() == pytest.approx([100 / 3, 200 / 3])
    assert credits.loc[credits.journey_id == "p1:1", "credit"].tolist() == [0.0]


@pytest.mark.parametrize("model", ["linear", "position_based", "markov", "shapley"])
def test_touch_credits_sum_to_conversions(touches: pd.DataFrame, model: str) -> None:
    credits = touch_credits(touches, model=model)
    assert credits["credit"].sum() == pytest.approx(4.0)
    assert credits["credit_value"].sum() == pytest.approx(200.0)


def test_markov_credit_below_the_channel_follows_channel_credit(touches: pd.DataFrame) -> None:
    credits = touch_credits(touches, model="markov")
    channel = attribute(journey_paths(touches, column="channel"), model="markov").credits("markov")
    by_channel = credit_by(credits, "channel").set_index("channel")
    for name, row in channel.iterrows():
        got = by_channel.loc[name, "conversions"] if name in by_channel.index else 0.0
        assert got == pytest.approx(row["conversions"])
    by_campaign = credit_by(credits, ["channel", "campaign_id"]).set_index(["channel", "campaign_id"])
    # weibo's touches: campaign c1 twice (p1 and p2), so c1 holds all of weibo's credit
    assert by_campaign.loc[("weibo", "c1"), "conversions"] == pytest.approx(
        channel.loc["weibo", "conversions"]
    )


def test_credit_by_sharer_and_share_chain(touches: pd.DataFrame, events: ibis.Table) -> None:
    credits = touch_credits(touches, model="linear")
    sharers = credit_by(credits, ["channel", "sharer"])
    assert sharers[["channel", "sharer", "conversions", "value"]].values.tolist() == [
        ["wechat_oa", "u9", 0.5, 50.0]
    ]
    shares = events.filter(events.parent_user_id.notnull())
    chain = share_chain_credits(credits, shares).set_index("sharer")
    assert chain["conversions"].to_dict() == pytest.approx({"u9": 0.5 / 3, "u8": 0.5 / 3, "u7": 0.5 / 3})
    assert chain["depth"].to_dict() == {"u9": 1, "u8": 2, "u7": 3}
    assert np.isclose(chain["value"].sum(), 50.0)


def test_overlapping_actions_are_rejected(events: ibis.Table) -> None:
    with pytest.raises(ValueError, match="both touches and conversions"):
        journeys(events, touch_actions=("view", "purchase"), conversion_actions=("purchase",))
