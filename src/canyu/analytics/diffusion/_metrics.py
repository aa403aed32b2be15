"""What a cascade did, and who drove it: shape, speed, conversions, people, K-factor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from canyu.analytics.diffusion._cascades import Cascades
from canyu.errors import InvalidArgumentError, UnknownNameError

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
        raise InvalidArgumentError(
            "parents", "…", "exactly one root (parent -1)", reason="a tree has exactly one root (parent -1)"
        )
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
        raise InvalidArgumentError(
            "parents", "…", "a tree", reason="parents do not form a tree (a cycle or an unknown parent)"
        )
    return order


def cascade_metrics(cascades: Cascades) -> pd.DataFrame:
    """One row per cascade: shape, speed, reach and conversions.

    Columns: ``cascade_id``, ``campaign_id``, ``channel``, ``root_user``, ``started``, ``size``
    (tree nodes, the origin post included), ``depth`` (longest root-to-leaf path in edges),
    ``max_breadth`` (most nodes at one depth), ``structural_virality`` (Goel et al. 2016),
    ``hours_to_half`` (from the root to the node that brought the cascade to half its final
    size), ``reach`` (distinct people who shared or were exposed), ``conversions`` and ``value``
    (purchases credited to the cascade), ``inferred_links`` (parent links inferred from follows).

    All cascades at once in O(n log n): the node table is in depth-first order, so the subtree
    below a node is the run of rows ``pos .. end`` and its size is ``end - pos``, which gives the
    Wiener index of every tree (see :func:`structural_virality`) without a per-cascade loop.
    """
    nodes = cascades.nodes
    if nodes.empty:
        return pd.DataFrame()
    cid = nodes["cascade_id"]
    roots = nodes.loc[nodes["node"] == cid].set_index("cascade_id")
    size = cid.value_counts()
    n_of = cid.map(size).to_numpy(dtype=np.float64)
    below = (nodes["end"] - nodes["pos"]).to_numpy(dtype=np.float64)
    edge_term = np.where(nodes["depth"].to_numpy() > 0, below * (n_of - below), 0.0)
    wiener = pd.Series(edge_term, index=cid.to_numpy()).groupby(level=0).sum()
    by_time = nodes[["cascade_id", "ts"]].sort_values(["cascade_id", "ts"], kind="stable")
    rank = by_time.groupby("cascade_id").cumcount().to_numpy()
    half_rank = np.ceil(by_time["cascade_id"].map(size).to_numpy() / 2.0) - 1
    half_ts = by_time.loc[rank == half_rank].set_index("cascade_id")["ts"]
    out = pd.DataFrame(
        {
            "cascade_id": roots.index,
            "campaign_id": roots["campaign_id"].to_numpy(),
            "channel": roots["channel"].to_numpy(),
            "root_user": roots["user_id"].to_numpy(),
        }
    )
    key = out["cascade_id"]
    started = nodes.groupby("cascade_id")["ts"].min()
    n = key.map(size)
    out["started"] = key.map(started)
    out["size"] = n.astype(int)
    out["depth"] = key.map(nodes.groupby("cascade_id")["depth"].max()).astype(int)
    out["max_breadth"] = key.map(nodes.groupby(["cascade_id", "depth"]).size().groupby(level=0).max())
    out["structural_virality"] = np.where(n > 1, 2.0 * key.map(wiener) / (n * (n - 1)).clip(lower=1), 0.0)
    out["hours_to_half"] = (key.map(half_ts) - out["started"]) / pd.Timedelta(hours=1)
    inferred = (nodes["link"] == "follows").groupby(cid).sum()
    out["inferred_links"] = key.map(inferred).fillna(0).astype(int)
    reach = cascades.entries.groupby("cascade_id")["person"].nunique()
    conv = cascades.conversions.groupby("cascade_id").agg(
        conversions=("event_id", "size"), value=("value", "sum")
    )
    out["reach"] = key.map(reach).fillna(0).astype(int)
    out["conversions"] = key.map(conv["conversions"]).fillna(0).astype(int)
    out["value"] = key.map(conv["value"]).fillna(0.0).astype(float)
    return out.sort_values(["size", "started"], ascending=[False, True]).reset_index(drop=True)


_PEOPLE_COLUMNS = [
    "person",
    "shares",
    "cascades_started",
    "downstream_reach",
    "downstream_conversions",
    "downstream_value",
]


@njit(cache=True)
def _downstream(
    starts: np.ndarray,
    stops: np.ndarray,
    who: np.ndarray,
    pos: np.ndarray,
    end: np.ndarray,
    ent_at: np.ndarray,
    ent_who: np.ndarray,
    conv_at: np.ndarray,
    conv_who: np.ndarray,
    conv_value: np.ndarray,
    n_people: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per person (rows ``starts[i]:stops[i]``, ranges sorted by ``pos``): distinct other people
    entered, and purchases by others, under their subtrees ``[pos, end)``."""
    stamp = np.full(n_people, -1, np.int64)
    reach = np.zeros(starts.size, np.int64)
    n_conv = np.zeros(starts.size, np.int64)
    value = np.zeros(starts.size)
    for i in range(starts.size):
        me = who[starts[i]]
        stamp[me] = i  # never count oneself
        last_end = -1
        for j in range(starts[i], stops[i]):
            if end[j] <= last_end:
                continue  # nested in a subtree already counted
            lo = max(pos[j], last_end)
            last_end = end[j]
            for e in range(np.searchsorted(ent_at, lo), np.searchsorted(ent_at, end[j])):
                if stamp[ent_who[e]] != i:
                    stamp[ent_who[e]] = i
                    reach[i] += 1
            for c in range(np.searchsorted(conv_at, lo), np.searchsorted(conv_at, end[j])):
                if conv_who[c] != me:
                    n_conv[i] += 1
                    value[i] += conv_value[c]
    return reach, n_conv, value


def person_influence(cascades: Cascades) -> pd.DataFrame:
    """Per sharer: shares, cascades started, and what happened downstream of their shares.

    ``downstream_reach`` counts the distinct other people who shared or were exposed in the
    subtrees below the person's shares; ``downstream_conversions`` / ``downstream_value`` the
    purchases by other people credited to a node in those subtrees. Cost: the total size of the
    people's subtrees (cascades are shallow in practice: Goel et al. 2016).
    """
    nodes = cascades.nodes
    real = nodes.loc[~nodes["origin"] & nodes["person"].notna()]
    if real.empty:
        return pd.DataFrame(columns=_PEOPLE_COLUMNS)
    people = pd.Index(
        pd.unique(pd.concat([real["person"], cascades.entries["person"], cascades.conversions["person"]]))
    )
    pos_of = pd.Series(nodes["pos"].to_numpy(), index=nodes["node"].to_numpy())
    ent = cascades.entries.assign(at=cascades.entries["via"].map(pos_of)).sort_values("at", kind="stable")
    ent_at = ent["at"].to_numpy(dtype=np.int64)
    ent_who = people.get_indexer(ent["person"])
    conv = cascades.conversions.assign(at=cascades.conversions["via"].map(pos_of))
    conv = conv.sort_values("at", kind="stable")
    conv_at = conv["at"].to_numpy(dtype=np.int64)
    conv_who = people.get_indexer(conv["person"])
    conv_value = conv["value"].to_numpy(dtype=np.float64)
    who = people.get_indexer(real["person"])
    order = np.lexsort((real["pos"].to_numpy(), who))
    who, pos, end = who[order], real["pos"].to_numpy()[order], real["end"].to_numpy()[order]
    bounds = np.flatnonzero(np.diff(who)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [who.size]])
    reach, n_conv, value = _downstream(
        starts, stops, who, pos, end, ent_at, ent_who, conv_at, conv_who, conv_value, len(people)
    )
    depth = real["depth"].to_numpy()[order]
    out = pd.DataFrame(
        {
            "person": people[who[starts]],
            "shares": stops - starts,
            "cascades_started": np.add.reduceat((depth == 0).astype(np.int64), starts),
            "downstream_reach": reach,
            "downstream_conversions": n_conv,
            "downstream_value": value,
        }
    )
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
    ordered = np.sort(reach)
    share = (reach.size - np.searchsorted(ordered, reach, side="left")) / reach.size  # reaching as many
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
        raise UnknownNameError("cascade", cascade_id, [str(c) for c in cascades.nodes["cascade_id"].unique()])
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
