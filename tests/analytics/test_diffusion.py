"""Observed cascades: reconstruction (with inferred parents), shape metrics, people, K-factor."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canyu.analytics.diffusion import (
    Cascades,
    cascade_metrics,
    fission_tree,
    kol_ranking,
    person_influence,
    reconstruct_cascades,
    structural_virality,
    viral_coefficient,
)
from canyu.errors import UnknownNameError

T0 = pd.Timestamp("2026-03-01 10:00", tz="UTC")
COLUMNS = ["event_id", "ts", "action", "user_id", "person_id", "parent_user_id", "parent_event_id", "value"]


def minutes(m: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=m)


def events(rows: list[tuple[object, ...]], *, campaign: str = "c1") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["channel"] = "wechat_oa"
    frame["campaign_id"] = campaign
    return frame


def brute_force_virality(parents: list[int]) -> float:
    tree = nx.Graph()
    tree.add_nodes_from(range(len(parents)))
    tree.add_edges_from((i, p) for i, p in enumerate(parents) if p >= 0)
    return nx.average_shortest_path_length(tree)


# ---------------------------------------------------------------- structural virality


@pytest.mark.parametrize("n", [2, 3, 10, 101])
def test_star_closed_form(n: int) -> None:
    assert structural_virality([-1] + [0] * (n - 1)) == pytest.approx(2 * (n - 1) / n)


@pytest.mark.parametrize("n", [2, 3, 10, 500])
def test_path_closed_form(n: int) -> None:
    assert structural_virality([-1, *range(n - 1)]) == pytest.approx((n + 1) / 3)


def test_single_node_and_not_a_tree() -> None:
    assert structural_virality([-1]) == 0.0
    with pytest.raises(ValueError):
        structural_virality([-1, 2, 1])  # 1 and 2 form a cycle
    with pytest.raises(ValueError):
        structural_virality([-1, -1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 0.999), min_size=1, max_size=40))
def test_virality_equals_mean_pairwise_distance(draws: list[float]) -> None:
    parents = [-1] + [int(d * (i + 1)) for i, d in enumerate(draws)]  # each node picks an earlier one
    assert structural_virality(parents) == pytest.approx(brute_force_virality(parents))


def test_virality_is_linear_time() -> None:
    n = 200_000
    parents = np.concatenate([[-1], np.arange(n - 1)])  # a path: O(n^2) would take minutes
    assert structural_virality(parents) == pytest.approx((n + 1) / 3)


# ---------------------------------------------------------------- reconstruction


@pytest.fixture
def hand_built() -> tuple[pd.DataFrame, pd.DataFrame]:
    """u1 starts; u2 re-shares e1 (event link); u3 names u2 (user link); u4 names nobody but
    follows u1 and u3 (inferred from u3, the latest); u6 follows u5 who shares later, and u2
    only since after u6 shared (no parent: a root); u5 follows nobody (a root)."""
    rows = [
        ("e1", minutes(0), "share", "u1", "p1", None, None, None),
        ("e2", minutes(5), "share", "u2", "p2", "u1", "e1", None),
        ("e3", minutes(10), "share", "u3", "p3", "u2", None, None),
        ("e4", minutes(20), "share", "u4", "p4", None, None, None),
        ("e5", minutes(30), "share", "u5", "p5", None, None, None),
        ("e6", minutes(25), "share", "u6", "p6", None, None, None),
        ("v1", minutes(40), "view", "w1", "pv1", "u4", "e4", None),
        ("b1", minutes(60), "purchase", "w1", "pv1", None, None, 99.0),
        ("b2", minutes(-60), "purchase", "u2", "p2", None, None, 10.0),  # before joining: not credited
        ("b3", minutes(120), "purchase", "u3", "p3", None, None, 50.0),
    ]
    follows = pd.DataFrame(
        {
            "channel": "wechat_oa",
            "follower_id": ["u4", "u4", "u6", "u6"],
            "followee_id": ["u1", "u3", "u5", "u2"],
            "ts": [minutes(-100), minutes(-100), minutes(-100), minutes(26)],
        }
    )
    return events(rows), follows


def test_reconstruction_with_missing_parents(hand_built: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ev, follows = hand_built
    c = reconstruct_cascades(ev, follows, conversion_actions=("purchase",))
    nodes = c.nodes.set_index("node")
    parents = {k: None if pd.isna(v) else v for k, v in nodes["parent"].items()}
    assert parents == {"e1": None, "e2": "e1", "e3": "e2", "e4": "e3", "e5": None, "e6": None}
    assert nodes["link"].to_dict() == {
        "e1": "root",
        "e2": "event",
        "e3": "user",
        "e4": "follows",
        "e5": "root",
        "e6": "root",
    }
    assert nodes["depth"].to_dict() == {"e1": 0, "e2": 1, "e3": 2, "e4": 3, "e5": 0, "e6": 0}
    assert c.inferred_share == pytest.approx(1 / 3)  # e4 of the three linked shares
    assert c.conversions.set_index("event_id")["via"].to_dict() == {"b1": "e4", "b3": "e2"}


def test_without_follows_nothing_is_inferred(hand_built: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ev, _ = hand_built
    c = reconstruct_cascades(ev, conversion_actions=("purchase",))
    assert c.inferred_share == 0.0
    assert c.nodes.set_index("node").loc["e4", "link"] == "root"
    assert c.nodes["cascade_id"].nunique() == 4


def test_max_lag_limits_inference(hand_built: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ev, follows = hand_built
    c = reconstruct_cascades(ev, follows, max_lag=pd.Timedelta(minutes=5), conversion_actions=("purchase",))
    assert c.nodes.set_index("node").loc["e4", "link"] == "root"  # u3 shared 10 minutes before


def test_cascade_metrics(hand_built: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ev, follows = hand_built
    metrics = cascade_metrics(reconstruct_cascades(ev, follows, conversion_actions=("purchase",))).set_index(
        "cascade_id"
    )
    top = metrics.loc["e1"]
    assert (top["size"], top["depth"], top["max_breadth"]) == (4, 3, 1)
    assert top["structural_virality"] == pytest.approx(5 / 3)  # a path of 4
    assert top["hours_to_half"] == pytest.approx(5 / 60)  # second of four nodes, 5 minutes in
    assert (top["reach"], top["conversions"], top["value"]) == (5, 2, 149.0)
    assert top["inferred_links"] == 1
    assert metrics.loc["e5", "size"] == 1 and metrics.loc["e5", "structural_virality"] == 0.0


def test_people_and_ranking(hand_built: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ev, follows = hand_built
    c = reconstruct_cascades(ev, follows, conversion_actions=("purchase",))
    people = person_influence(c).set_index("person")
    assert people["downstream_reach"].to_dict() == {"p1": 4, "p2": 3, "p3": 2, "p4": 1, "p5": 0, "p6": 0}
    assert people["downstream_conversions"].to_dict() == {
        "p1": 2,
        "p2": 2,
        "p3": 1,
        "p4": 1,
        "p5": 0,
        "p6": 0,
    }
    assert people.loc["p3", "downstream_value"] == 99.0  # p3's own purchase is not downstream of p3
    assert people["cascades_started"].sum() == 3
    ranking = kol_ranking(c)
    assert ranking["person"].tolist()[:2] == ["p1", "p2"]
    assert ranking.set_index("person")["role"].to_dict() == {
        "p1": "KOL",
        "p2": "KOC",
        "p3": "KOC",
        "p4": "KOC",
        "p5": "other",
        "p6": "other",
    }
    assert "reach 4" in ranking.loc[0, "evidence"] and "2 conversions" in ranking.loc[0, "evidence"]


def test_viral_coefficient(hand_built: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ev, follows = hand_built
    k = (
        viral_coefficient(reconstruct_cascades(ev, follows, conversion_actions=("purchase",)))
        .set_index("campaign_id")
        .loc["c1"]
    )
    assert (k["sharers"], k["invitees"], k["converted_invitees"]) == (6, 4, 2)
    assert k["invites_per_sharer"] == pytest.approx(4 / 6)
    assert k["invitee_conversion"] == pytest.approx(0.5)
    assert k["k_factor"] == pytest.approx(k["invites_per_sharer"] * k["invitee_conversion"])
    assert k["share_reproduction"] == pytest.approx(3 / 6)


def test_fission_tree(hand_built: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ev, follows = hand_built
    tree = fission_tree(reconstruct_cascades(ev, follows, conversion_actions=("purchase",)), "e1")
    assert [n["id"] for n in tree["nodes"]] == ["e1", "e2", "e3", "e4"]
    assert [(e["source"], e["target"], e["inferred"]) for e in tree["edges"]] == [
        ("e1", "e2", False),
        ("e2", "e3", False),
        ("e3", "e4", True),
    ]
    assert {n["id"]: n["value"] for n in tree["nodes"]}["e4"] == 99.0
    with pytest.raises(UnknownNameError, match="unknown cascade 'nope'"):
        fission_tree(reconstruct_cascades(ev, follows, conversion_actions=("purchase",)), "nope")


def test_shares_of_a_brand_post_form_one_star() -> None:
    n = 8  # the post plus seven direct shares
    rows = [(f"s{i}", minutes(i), "share", f"u{i}", f"p{i}", "brand", "post1", None) for i in range(1, n)]
    rows.append(("post1", minutes(0), "post", "brand", None, None, None, None))
    c = reconstruct_cascades(events(rows), conversion_actions=("purchase",))
    assert c.nodes["cascade_id"].nunique() == 1
    origin = c.nodes.loc[c.nodes["origin"]]
    assert origin["node"].tolist() == ["post1"] and origin["user_id"].tolist() == ["brand"]
    metrics = cascade_metrics(c).iloc[0]
    assert metrics["size"] == n
    assert metrics["structural_virality"] == pytest.approx(2 * (n - 1) / n)
    k = viral_coefficient(c).iloc[0]
    assert k["invitees"] == 0  # reached by the brand, not invited by a person


def test_random_cascades_partition_every_share(rng_seed: int = 3) -> None:
    rng = np.random.default_rng(rng_seed)
    rows = []
    for i in range(300):
        parent = f"e{rng.integers(0, i)}" if i and rng.random() < 0.7 else None
        rows.append((f"e{i}", minutes(i), "share", f"u{i % 50}", f"p{i % 50}", None, parent, None))
    c = reconstruct_cascades(events(rows), conversion_actions=("purchase",))
    assert len(c.nodes) == 300 and not c.nodes["origin"].any()
    metrics = cascade_metrics(c)
    assert metrics["size"].sum() == 300
    for cid, group in itertools.islice(c.nodes.groupby("cascade_id"), 20):
        pos = {node: i for i, node in enumerate(group["node"])}
        parents = [pos.get(p, -1) if not pd.isna(p) else -1 for p in group["parent"]]
        expected = brute_force_virality(parents) if len(parents) > 1 else 0.0
        got = metrics.set_index("cascade_id").loc[cid, "structural_virality"]
        assert got == pytest.approx(expected)


def test_arrow_input_gives_same_cascades(hand_built: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    import pyarrow as pa

    ev, follows = hand_built
    a = reconstruct_cascades(
        pa.Table.from_pandas(ev), pa.Table.from_pandas(follows), conversion_actions=("purchase",)
    )
    b = reconstruct_cascades(ev, follows, conversion_actions=("purchase",))
    assert isinstance(a, Cascades)
    pd.testing.assert_frame_equal(a.nodes, b.nodes)


def test_parent_cycle_is_cut_at_the_earliest_share() -> None:
    rows = [
        ("e1", minutes(0), "share", "u1", "p1", None, "e2", None),  # bad data: e1 and e2 name each other
        ("e2", minutes(1), "share", "u2", "p2", None, "e1", None),
        ("e3", minutes(2), "share", "u3", "p3", None, "e2", None),
    ]
    c = reconstruct_cascades(events(rows), conversion_actions=("purchase",))
    nodes = c.nodes.set_index("node")
    assert nodes["cascade_id"].tolist() == ["e1", "e1", "e1"]
    assert nodes.loc["e1", "link"] == "root" and nodes["depth"].to_dict() == {"e1": 0, "e2": 1, "e3": 2}


def test_follows_without_times(hand_built: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ev, follows = hand_built
    c = reconstruct_cascades(ev, follows.drop(columns="ts"), conversion_actions=("purchase",))
    nodes = c.nodes.set_index("node")
    # without a follow time, u6's follow of u2 counts, so e6 joins the first cascade under e2
    assert nodes.loc["e6", "parent"] == "e2" and nodes.loc["e6", "link"] == "follows"
    assert nodes.loc["e4", "parent"] == "e3"
    assert c.inferred_share == pytest.approx(2 / 4)


def test_nested_shares_by_one_person_count_once(hand_built: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ev, follows = hand_built
    again = events([("e7", minutes(15), "share", "u1", "p1", "u2", "e2", None)])
    c = reconstruct_cascades(
        pd.concat([ev, again], ignore_index=True), follows, conversion_actions=("purchase",)
    )
    people = person_influence(c).set_index("person")
    assert people.loc["p1", "shares"] == 2
    assert people.loc["p1", "downstream_reach"] == 4  # p2, p3, p4, pv1: p1 itself is not counted
    assert people.loc["p1", "downstream_conversions"] == 2
    assert people.loc["p2", "downstream_reach"] == 4  # p3, p4, pv1, and p1 who re-shared from p2


def test_conversion_actions_are_configurable(hand_built: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ev, follows = hand_built
    lead = events([("l1", minutes(50), "lead", "w1", "pv1", None, None, None)])
    both = pd.concat([ev, lead], ignore_index=True)
    assert len(reconstruct_cascades(both, follows, conversion_actions=("purchase",)).conversions) == 2
    c = reconstruct_cascades(both, follows, conversion_actions=("purchase", "lead"))
    assert c.conversions.set_index("event_id")["via"].to_dict() == {"l1": "e4", "b1": "e4", "b3": "e2"}
