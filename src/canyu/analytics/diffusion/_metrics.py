"""What a cascade did, and who drove it: shape, speed, conversions, people, K-factor."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from canyu.analytics.diffusion._cascades import Cascades

__all__ = [
    "cascade_metrics",
    "fission_tree",
    "kol_ranking",
    "person_influence",
    "structural_virality",
    "viral_coefficient",
]


def structural_virality(parents: Sequence[int] | np.ndarray) -> float:
    """Mean shortest-path distance between all pairs of nodes of a tree, in O(n).

    Structural virality of Goel, Anderson, Hofman, Watts 2016, "The Structural Virality of Online
    Diffusion" (Management Science): ``nu = 1 / (n (n - 1)) * sum_{i != j} d_ij``. The pairwise
    sum is the Wiener index, which for a tree is ``2 * sum over edges of s * (n - s)`` with ``s``
    the size of the subtree below the edge (each pair's path crosses exactly those edges), so no
    O(n^2) all-pairs search is needed. A star of ``n`` nodes gives ``2 (n - 1) / n``, a path
    ``(n + 1) / 3``. A single node gives 0.

    Parameters
    ----------
    parents : sequence of int
        ``parents[i]`` is the index of node ``i``'s parent, -1 for the root.

    Examples
    --------
    >>> structural_virality([-1, 0, 0, 0])
    1.5
    """
    par = np.asarray(parents, dtype=np.int64)
    n = par.size
    if n < 2:
        return 0.0
    if (par < 0).sum() != 1:
        raise ValueError("a tree has exactly one root (parent -1)")
    order = _top_down(par)
    size = np.ones(n, dtype=np.int64)
    for v in order[::-1]:  # children before parents
        if par[v] >= 0:
            size[par[v]] += size[v]
    below = size[par >= 0]
    wiener = float(np.sum(below * (n - below)))
    return 2.0 * wiener / (n * (n - 1))


def _top_down(par: np.ndarray) -> np.ndarray:
    """Nodes in breadth-first order from the root (O(n)); raises if some node is unreachable."""
    n = par.size
    kids = np.argsort(par, kind="stable")[1:]  # grouped by parent; the root (-1) sorts first
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(par[par >= 0], minlength=n), out=ptr[1:])
    order = np.empty(n, dtype=np.int64)
    order[0] = int(np.flatnonzero(par < 0)[0])
    head, tail = 0, 1
    while head < tail:
        v = order[head]
        head += 1
        block = kids[ptr[v] : ptr[v + 1]]
        order[tail : tail + block.size] = block
        tail += block.size
        if tail > n:
            break
    if tail != n:
        raise ValueError("parents do not form a tree (a cycle or an unknown parent)")
    return order


def _tree_parents(group: pd.DataFrame) -> np.ndarray:
    pos = pd.Series(np.arange(len(group)), index=group["node"].to_numpy())
    return group["parent"].map(pos).fillna(-1).to_numpy(dtype=np.int64)


def cascade_metrics(cascades: Cascades) -> pd.DataFrame:
    """One row per cascade: shape, speed, reach and conversions.

    Columns: ``cascade_id``, ``campaign_id``, ``channel``, ``root_user``, ``started``, ``size``
    (tree nodes, the origin post included), ``depth`` (longest root-to-leaf path in edges),
    ``max_breadth`` (most nodes at one depth), ``structural_virality`` (Goel et al. 2016),
    ``hours_to_half`` (from the root to the node that brought the cascade to half its final
    size), ``reach`` (distinct people who shared or were exposed), ``conversions`` and ``value``
    (purchases credited to the cascade), ``inferred_links`` (parent links inferred from follows).
    """
    nodes = cascades.nodes
    rows = []
    for cid, group in nodes.groupby("cascade_id", sort=False):
        n = len(group)
        times = np.sort(group["ts"].to_numpy())
        half = times[math.ceil(n / 2) - 1] - times[0]
        rows.append(
            {
                "cascade_id": cid,
                "campaign_id": group["campaign_id"].iloc[0],
                "channel": group["channel"].iloc[0],
                "root_user": group["user_id"].iloc[0],
                "started": group["ts"].min(),
                "size": n,
                "depth": int(group["depth"].max()),
                "max_breadth": int(group["depth"].value_counts().max()),
                "structural_virality": structural_virality(_tree_parents(group)),
                "hours_to_half": half / np.timedelta64(1, "h"),
                "inferred_links": int((group["link"] == "follows").sum()),
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    reach = cascades.entries.groupby("cascade_id")["person"].nunique()
    conv = cascades.conversions.groupby("cascade_id").agg(
        conversions=("event_id", "size"), value=("value", "sum")
    )
    out["reach"] = out["cascade_id"].map(reach).fillna(0).astype(int)
    out["conversions"] = out["cascade_id"].map(conv["conversions"]).fillna(0).astype(int)
    out["value"] = out["cascade_id"].map(conv["value"]).fillna(0.0)
    return out.sort_values(["size", "started"], ascending=[False, True]).reset_index(drop=True)


def person_influence(cascades: Cascades) -> pd.DataFrame:
    """Per sharer: shares, cascades started, and what happened downstream of their shares.

    ``downstream_reach`` counts the distinct other people who shared or were exposed in the
    subtrees below the person's shares; ``downstream_conversions`` / ``downstream_value`` the
    purchases by other people credited to a node in those subtrees.
    """
    nodes = cascades.nodes
    real = nodes.loc[~nodes["origin"] & nodes["person"].notna()]
    if real.empty:
        return pd.DataFrame(
            columns=[
                "person",
                "shares",
                "cascades_started",
                "downstream_reach",
                "downstream_conversions",
                "downstream_value",
            ]
        )
    pos_of = pd.Series(nodes["pos"].to_numpy(), index=nodes["node"].to_numpy())
    ent = cascades.entries.assign(at=cascades.entries["via"].map(pos_of)).sort_values("at")
    ent_at = ent["at"].to_numpy(dtype=np.int64)
    ent_person = ent["person"].to_numpy(dtype=object)
    conv = cascades.conversions.assign(at=cascades.conversions["via"].map(pos_of)).sort_values("at")
    conv_at = conv["at"].to_numpy(dtype=np.int64)
    conv_person = conv["person"].to_numpy(dtype=object)
    conv_value = conv["value"].to_numpy(dtype=np.float64)
    rows = []
    for person, group in real.groupby("person", sort=False):
        ranges = sorted(zip(group["pos"], group["end"], strict=True))
        reached: set[Any] = set()
        n_conv, value = 0, 0.0
        last_end = -1
        for lo, hi in ranges:
            if hi <= last_end:
                continue  # nested inside a subtree already counted
            lo = max(lo, last_end)
            last_end = hi
            a, b = np.searchsorted(ent_at, [lo, hi])
            reached.update(ent_person[a:b].tolist())
            a, b = np.searchsorted(conv_at, [lo, hi])
            other = conv_person[a:b] != person
            n_conv += int(other.sum())
            value += float(conv_value[a:b][other].sum())
        reached.discard(person)
        rows.append(
            {
                "person": person,
                "shares": len(group),
                "cascades_started": int((group["depth"] == 0).sum()),
                "downstream_reach": len(reached),
                "downstream_conversions": n_conv,
                "downstream_value": value,
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values(["downstream_reach", "person"], ascending=[False, True]).reset_index(drop=True)


def kol_ranking(cascades: Cascades, *, kol_quantile: float = 0.9, top: int | None = None) -> pd.DataFrame:
    """Rank sharers and label them KOL, KOC or other, with the evidence.

    A KOL (key opinion leader) reaches many: downstream reach at or above the ``kol_quantile`` of
    all sharers' reach (and above zero). A KOC (key opinion consumer) converts: not a KOL, at
    least one downstream conversion, and a downstream conversion rate (conversions / reach) at
    or above the rate over all cascades. Rows are ordered by downstream conversions, then reach.
    """
    people = person_influence(cascades)
    if people.empty:
        return people.assign(rank=[], role=[], conversion_rate=[], evidence=[])
    reach = people["downstream_reach"].to_numpy(dtype=float)
    cut = float(np.quantile(reach, kol_quantile))
    total_reach = max(1, cascades.entries["person"].nunique())
    base = len(cascades.conversions) / total_reach
    rate = people["downstream_conversions"] / people["downstream_reach"].where(people["downstream_reach"] > 0)
    people["conversion_rate"] = rate.fillna(0.0)
    kol = (people["downstream_reach"] >= cut) & (people["downstream_reach"] > 0)
    koc = ~kol & (people["downstream_conversions"] > 0) & (people["conversion_rate"] >= base)
    people["role"] = np.select([kol, koc], ["KOL", "KOC"], "other")
    share = (reach[:, None] <= reach[None, :]).mean(axis=1)  # fraction of sharers reaching as many
    people["evidence"] = [
        f"reach {r} (top {100 * s:.0f}%), {c} conversions (rate {cr:.1%} vs {base:.1%} overall), "
        f"value {v:.2f}, {st} cascades started, {sh} shares"
        for r, s, c, cr, v, st, sh in zip(
            people["downstream_reach"],
            share,
            people["downstream_conversions"],
            people["conversion_rate"],
            people["downstream_value"],
            people["cascades_started"],
            people["shares"],
            strict=True,
        )
    ]
    people = people.sort_values(
        ["downstream_conversions", "downstream_reach", "person"], ascending=[False, False, True]
    ).reset_index(drop=True)
    people.insert(0, "rank", np.arange(1, len(people) + 1))
    return people if top is None else people.head(top)


def fission_tree(cascades: Cascades, cascade_id: str) -> dict[str, list[dict[str, Any]]]:
    """The share-fission tree of one cascade as plain data for a report: nodes and edges.

    Each node: ``id``, ``user_id``, ``person``, ``ts`` (ISO 8601), ``depth``, ``origin``,
    ``link`` (how its parent was found), ``conversions`` and ``value`` credited to it. Each edge:
    ``source`` (parent), ``target``, ``inferred``.
    """
    nodes = cascades.nodes.loc[cascades.nodes["cascade_id"] == cascade_id]
    if nodes.empty:
        raise KeyError(f"no cascade {cascade_id!r}")
    conv = cascades.conversions.groupby("via").agg(n=("event_id", "size"), v=("value", "sum"))
    out_nodes = [
        {
            "id": str(r.node),
            "user_id": None if pd.isna(r.user_id) else str(r.user_id),
            "person": None if pd.isna(r.person) else str(r.person),
            "ts": pd.Timestamp(r.ts).isoformat(),
            "depth": int(r.depth),
            "origin": bool(r.origin),
            "link": str(r.link),
            "conversions": int(conv["n"].get(r.node, 0)),
            "value": float(conv["v"].get(r.node, 0.0)),
        }
        for r in nodes.itertuples(index=False)
    ]
    edges = [
        {"source": str(r.parent), "target": str(r.node), "inferred": r.link == "follows"}
        for r in nodes.itertuples(index=False)
        if not pd.isna(r.parent)
    ]
    return {"nodes": out_nodes, "edges": edges}


def viral_coefficient(cascades: Cascades) -> pd.DataFrame:
    """Viral coefficient (K-factor) per campaign.

    ``K = i * c``: ``i`` = invites per sharer = invitees / sharers, where an invitee is a person
    reached (shared or exposed) through another person's share, and a sharer a person who shared;
    ``c`` = conversion of invitees = invitees who made a purchase credited to the campaign's
    cascades / invitees. So ``K`` is converted invitees per sharer: above 1, every sharer brings
    in more than one buyer. ``share_reproduction`` is the mean number of re-shares per share (the
    branching factor of the share process; above 1, cascades can grow without bound).
    """
    nodes = cascades.nodes
    camp = nodes.set_index("node")["campaign_id"]
    node_person = nodes.set_index("node")["person"]
    origin = nodes.set_index("node")["origin"]
    ent = cascades.entries.assign(
        campaign_id=cascades.entries["via"].map(camp),
        inviter=cascades.entries["via"].map(node_person),
        from_origin=cascades.entries["via"].map(origin).fillna(True).astype(bool),
    )
    invited = ent.loc[~ent["from_origin"] & ent["inviter"].notna() & (ent["inviter"] != ent["person"])]
    conv = cascades.conversions.assign(campaign_id=cascades.conversions["cascade_id"].map(camp))
    real = nodes.loc[~nodes["origin"]]
    rows = []
    for cid in pd.unique(nodes["campaign_id"]):
        same = (real["campaign_id"] == cid) if not pd.isna(cid) else real["campaign_id"].isna()
        shares = real.loc[same]
        sharers = shares["person"].nunique()
        inv = invited.loc[
            (invited["campaign_id"] == cid) if not pd.isna(cid) else invited["campaign_id"].isna()
        ]
        invitees = set(inv["person"].tolist())
        cmask = (conv["campaign_id"] == cid) if not pd.isna(cid) else conv["campaign_id"].isna()
        buyers = set(conv.loc[cmask, "person"].tolist()) & invitees
        reshares = int(shares["parent"].isin(shares["node"]).sum())
        i = len(invitees) / sharers if sharers else 0.0
        c = len(buyers) / len(invitees) if invitees else 0.0
        rows.append(
            {
                "campaign_id": cid,
                "sharers": sharers,
                "invitees": len(invitees),
                "invites_per_sharer": i,
                "converted_invitees": len(buyers),
                "invitee_conversion": c,
                "k_factor": i * c,
                "share_reproduction": reshares / len(shares) if len(shares) else 0.0,
            }
        )
    return pd.DataFrame(rows)
