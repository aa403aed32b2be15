"""Identity resolution against networkx's connected components, and its incremental behaviour."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np

import canyu
from canyu.identity import components, person_id


def test_components_match_networkx(rng: np.random.Generator) -> None:
    n_links = 400
    a = np.array([f"wechat_oa:u{i}" for i in rng.integers(0, 300, n_links)], dtype=object)
    b = np.array([f"ecommerce:u{i}" for i in rng.integers(0, 300, n_links)], dtype=object)
    nodes, ids = components(a, b)
    g = nx.Graph()
    g.add_edges_from(zip(a.tolist(), b.tolist(), strict=True))
    expected = {}
    for comp in nx.connected_components(g):
        root = min(comp)
        for node in comp:
            expected[node] = person_id(*root.split(":", 1))
    assert dict(zip(nodes.tolist(), ids.tolist(), strict=True)) == expected


def test_person_ids_are_deterministic_and_order_free() -> None:
    a = np.array(["weibo:x", "wechat_oa:y"], dtype=object)
    b = np.array(["wechat_oa:y", "wecom:z"], dtype=object)
    n1, i1 = components(a, b)
    n2, i2 = components(b[::-1].copy(), a[::-1].copy())
    assert dict(zip(n1, i1, strict=True)) == dict(zip(n2, i2, strict=True))
    assert len(set(i1)) == 1 and i1[0] == person_id("wechat_oa", "y")  # the smallest key names the person


def test_new_links_merge_people_and_relinking_is_idempotent(
    workspace: canyu.Workspace, tmp_path: Path
) -> None:
    ev = tmp_path / "ev.csv"
    ev.write_text(
        "event_id,ts,channel,action,user_id\n"
        "1,2026-10-01 10:00:00,weibo,view,w1\n"
        "2,2026-10-01 10:00:00,wechat_oa,view,o1\n"
        "3,2026-10-01 10:00:00,ecommerce,purchase,t1\n"
        "4,2026-10-01 10:00:00,douyin,view,d1\n",
        encoding="utf-8",
    )
    workspace.import_files([ev], table="events")

    def people() -> dict[str, str]:
        rows = workspace.to_arrow(workspace.table("events").select("event_id", "person_id")).to_pylist()
        return {r["event_id"]: r["person_id"] for r in rows}

    assert len(set(people().values())) == 4
    l1 = tmp_path / "l1.csv"
    l1.write_text("channel_a,user_a,channel_b,user_b,kind\nweibo,w1,wechat_oa,o1,bind\n", encoding="utf-8")
    workspace.import_files([l1], table="identity_links")
    p = people()
    assert p["1"] == p["2"] != p["3"]
    l2 = tmp_path / "l2.csv"
    l2.write_text(
        "channel_a,user_a,channel_b,user_b,kind\nwechat_oa,o1,ecommerce,t1,unionid\n", encoding="utf-8"
    )
    workspace.import_files([l2], table="identity_links")
    p = people()
    assert p["1"] == p["2"] == p["3"] != p["4"]
    assert p["1"] == person_id("ecommerce", "t1")  # smallest key of the merged component
    snapshot = workspace.to_arrow("identities")
    workspace.import_files([l1, l2], table="identity_links")  # the same links again
    assert workspace.to_arrow("identities").equals(snapshot)
    assert people() == p
