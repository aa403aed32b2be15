"""Cascade reconstruction: who shared from whom, from share events and the follow graph.

A cascade is a tree. Its nodes are share events, plus one *origin* node per post that was shared
but is not itself a share in the data (a brand account's article, a parent user who never shows
as a sharer). A share's parent is found by the first rule of :data:`PARENT_RULES` that knows it:

1. ``parent_event_id`` (the platform says which share or post this one re-shared);
2. ``parent_user_id`` (the platform says whose share; we take that user's latest earlier share
   of the same campaign on the same channel, else an origin node for that user);
3. the follow graph (inferred): the most recent earlier sharer of the same campaign on the same
   channel among the sharer's followees, as in the time-respecting reconstruction of Goel,
   Anderson, Hofman, Watts 2016, "The Structural Virality of Online Diffusion" (Management
   Science), and Taxidou and Fischer 2014, "Online Analysis of Information Diffusion in Twitter".

A share with no parent by any rule starts its own cascade. People *reached* by a cascade are its
sharers and the people whose exposure, view, click or lead event names a share of it as parent;
a purchase counts for the cascade a person most recently entered before buying.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from canyu.errors import InvalidArgumentError

__all__ = ["PARENT_RULES", "Cascades", "reconstruct_cascades"]

_ENTRY_ACTIONS = ("expose", "view", "click", "lead")
_REQUIRED = ("event_id", "ts", "action", "user_id")
_OPTIONAL = ("channel", "person_id", "campaign_id", "parent_user_id", "parent_event_id", "value")


@dataclass(frozen=True)
class Cascades:
    """Reconstructed cascades.

    Attributes
    ----------
    nodes : pandas.DataFrame
        One row per tree node: ``node`` (event id, or ``origin:...``), ``cascade_id`` (the root's
        node id), ``parent`` (node id or missing), ``link`` (``event``, ``user``, ``follows`` =
        inferred, ``root``), ``depth``, ``ts``, ``channel``, ``campaign_id``, ``user_id``,
        ``person`` and ``origin`` (True for a post that is not a share in the data). Rows are
        in depth-first order, so a subtree is a contiguous run of rows from ``pos`` to ``end``.
    entries : pandas.DataFrame
        People reached: ``person``, ``cascade_id``, ``via`` (the node whose share reached them),
        ``ts``, ``kind`` (``share`` or ``exposed``).
    conversions : pandas.DataFrame
        Purchases credited to a cascade: ``event_id``, ``person``, ``ts``, ``value``,
        ``cascade_id``, ``via``.
    inferred_share : float
        Share of parent links (among non-root shares) inferred from the follow graph.
    """

    nodes: pd.DataFrame
    entries: pd.DataFrame
    conversions: pd.DataFrame
    inferred_share: float


def _prepare(events: Any) -> pd.DataFrame:
    frame = events if isinstance(events, pd.DataFrame) else events.to_pandas()
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise InvalidArgumentError(
            "events",
            missing,
            f"a table with columns {list(_REQUIRED)}",
            reason=f"events table lacks column(s) {missing}; it needs {list(_REQUIRED)}",
            reason_zh=f"事件表缺少列 {missing}；需要 {list(_REQUIRED)}",
        )
    frame = frame.copy()
    for col in _OPTIONAL:
        if col not in frame.columns:
            frame[col] = np.nan if col == "value" else pd.NA
    frame["channel"] = frame["channel"].astype("string").fillna("other")
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    for col in ("event_id", "user_id", "parent_user_id", "parent_event_id", "person_id", "campaign_id"):
        frame[col] = frame[col].astype("string")
    frame["person"] = frame["person_id"].fillna(frame["channel"] + ":" + frame["user_id"])
    frame["_group"] = frame["campaign_id"].fillna("\0")
    return frame


Rule = Callable[[pd.DataFrame, pd.DataFrame, "pd.DataFrame | None", "pd.Timedelta | None"], pd.DataFrame]


def _latest_earlier(
    need: pd.DataFrame, candidates: pd.DataFrame, on: list[str], max_lag: pd.Timedelta | None
) -> pd.Series:
    """For each row of ``need``, the latest candidate share (same keys) strictly before it."""
    if need.empty or candidates.empty:
        return pd.Series(pd.NA, index=need.index, dtype="string")
    pairs = need.reset_index().merge(candidates, on=on, suffixes=("", "_cand"))
    pairs = pairs[pairs["ts_cand"] < pairs["ts"]]
    if max_lag is not None:
        pairs = pairs[pairs["ts"] - pairs["ts_cand"] <= max_lag]
    if pairs.empty:
        return pd.Series(pd.NA, index=need.index, dtype="string")
    best = pairs.sort_values(["ts_cand", "node_cand"]).groupby("index").tail(1).set_index("index")
    return best["node_cand"].reindex(need.index).astype("string")


def _parent_from_event(
    shares: pd.DataFrame, events: pd.DataFrame, follows: Any, max_lag: Any
) -> pd.DataFrame:
    has = shares["parent"].isna() & shares["parent_event_id"].notna()
    shares.loc[has, "parent"] = shares.loc[has, "parent_event_id"]
    shares.loc[has, "link"] = "event"
    return shares


def _parent_from_user(shares: pd.DataFrame, events: pd.DataFrame, follows: Any, max_lag: Any) -> pd.DataFrame:
    has = shares["parent"].isna() & shares["parent_user_id"].notna()
    if not has.any():
        return shares
    need = shares.loc[has, ["ts", "channel", "_group", "parent_user_id"]].rename(
        columns={"parent_user_id": "user_id"}
    )
    cand = shares.loc[~shares["origin"], ["node", "ts", "channel", "_group", "user_id"]].rename(
        columns={"node": "node_cand", "ts": "ts_cand"}
    )
    found = _latest_earlier(need, cand, ["channel", "_group", "user_id"], None)
    origin = "origin:" + need["channel"] + ":" + need["user_id"] + ":" + need["_group"]
    shares.loc[has, "parent"] = found.fillna(origin)
    shares.loc[has, "link"] = "user"
    return shares


def _parent_from_follows(
    shares: pd.DataFrame, events: pd.DataFrame, follows: Any, max_lag: Any
) -> pd.DataFrame:
    has = shares["parent"].isna() & ~shares["origin"]
    if follows is None or not has.any():
        return shares
    fol = follows if isinstance(follows, pd.DataFrame) else follows.to_pandas()
    fol = fol.rename(columns={"follower_id": "user_id", "followee_id": "followee"}).copy()
    fol["user_id"] = fol["user_id"].astype("string")
    fol["followee"] = fol["followee"].astype("string")
    if "ts" in fol.columns:
        fol["follow_ts"] = pd.to_datetime(fol["ts"], utc=True)
    else:  # no follow times: every follow counts as older than every share
        fol["follow_ts"] = pd.Series(pd.NaT, index=fol.index, dtype="datetime64[ns, UTC]")
    need = shares.loc[has, ["ts", "channel", "_group", "user_id"]]
    links = need.reset_index().merge(
        fol[["channel", "user_id", "followee", "follow_ts"]], on=["channel", "user_id"]
    )
    links = links[links["follow_ts"].isna() | (links["follow_ts"] <= links["ts"])]
    if links.empty:
        return shares
    links = links.drop(columns=["user_id", "follow_ts"]).rename(columns={"followee": "user_id"})
    links = links.set_index("index")
    cand = shares.loc[~shares["origin"], ["node", "ts", "channel", "_group", "user_id"]].rename(
        columns={"node": "node_cand", "ts": "ts_cand"}
    )
    pairs = links.reset_index().merge(cand, on=["channel", "_group", "user_id"])
    pairs = pairs[pairs["ts_cand"] < pairs["ts"]]
    if max_lag is not None:
        pairs = pairs[pairs["ts"] - pairs["ts_cand"] <= max_lag]
    if pairs.empty:
        return shares
    best = pairs.sort_values(["ts_cand", "node_cand"]).groupby("index").tail(1).set_index("index")
    shares.loc[best.index, "parent"] = best["node_cand"].astype("string")
    shares.loc[best.index, "link"] = "follows"
    return shares


PARENT_RULES: tuple[Rule, ...] = (_parent_from_event, _parent_from_user, _parent_from_follows)
"""Parent resolution steps, applied in order to the shares still without a parent."""


def _add_origins(shares: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Add an origin node for every parent that is not a share in the data."""
    known = set(shares["node"].tolist())
    refs = shares.loc[shares["parent"].notna() & ~shares["parent"].isin(known)]
    if refs.empty:
        return shares
    first = refs.sort_values("ts").groupby("parent", sort=False).head(1)
    info = events.drop_duplicates("event_id").set_index("event_id")
    rows = []
    for child in first.to_dict("records"):
        parent = child["parent"]
        src = info.loc[parent] if parent in info.index else None
        rows.append(
            {
                "node": parent,
                "ts": src["ts"] if src is not None else child["ts"],
                "channel": src["channel"] if src is not None else child["channel"],
                "campaign_id": child["campaign_id"],
                "_group": child["_group"],
                "user_id": src["user_id"] if src is not None else child["parent_user_id"],
                "person": src["person"] if src is not None else pd.NA,
                "origin": True,
                "link": "root",
            }
        )
    return pd.concat([shares, pd.DataFrame(rows)], ignore_index=True)


def _trees(shares: pd.DataFrame) -> pd.DataFrame:
    """Resolve roots and depths, break cycles, and order the rows depth-first."""
    nodes = shares.reset_index(drop=True)
    index = pd.Series(np.arange(len(nodes)), index=nodes["node"])
    parent = np.array(nodes["parent"].map(index).fillna(-1), dtype=np.int64)  # writable: cycles are cut
    children: dict[int, list[int]] = {}
    order_ts = nodes["ts"].to_numpy()
    for child in np.argsort(order_ts, kind="stable"):
        if parent[child] >= 0:
            children.setdefault(int(parent[child]), []).append(int(child))
    depth = np.full(len(nodes), -1, dtype=np.int64)
    root = np.full(len(nodes), -1, dtype=np.int64)
    order: list[int] = []
    ends = np.zeros(len(nodes), dtype=np.int64)

    def walk(start: int) -> None:
        stack = [(start, 0)]
        depth[start], root[start] = 0, start
        while stack:
            node, state = stack.pop()
            if state == 1:
                ends[node] = len(order)
                continue
            order.append(node)
            stack.append((node, 1))
            for c in reversed(children.get(node, [])):
                if depth[c] < 0:
                    depth[c], root[c] = depth[node] + 1, root[start]
                    stack.append((c, 0))

    for start in np.argsort(order_ts, kind="stable"):
        if parent[start] < 0:
            walk(int(start))
    for start in np.argsort(order_ts, kind="stable"):  # nodes on a cycle: cut at the earliest
        if depth[start] < 0:
            parent[start] = -1
            nodes.loc[start, "link"] = "root"
            walk(int(start))
    nodes["parent"] = np.where(parent >= 0, nodes["node"].to_numpy()[np.maximum(parent, 0)], None)
    nodes.loc[parent < 0, "link"] = "root"
    nodes["depth"] = depth
    nodes["cascade_id"] = nodes["node"].to_numpy()[root]
    position = np.empty(len(nodes), dtype=np.int64)
    position[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
    nodes["pos"] = position
    nodes["end"] = ends
    nodes = nodes.sort_values("pos").reset_index(drop=True)
    nodes["parent"] = nodes["parent"].astype("string")
    return nodes


def _entries(nodes: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    real = nodes.loc[~nodes["origin"]]
    shared = pd.DataFrame(
        {
            "person": real["person"],
            "cascade_id": real["cascade_id"],
            "via": real["parent"].fillna(real["node"]),
            "ts": real["ts"],
            "kind": "share",
        }
    )
    node_set = nodes.set_index("node")["cascade_id"]
    seen = events.loc[events["action"].isin(_ENTRY_ACTIONS) & events["parent_event_id"].isin(node_set.index)]
    exposed = pd.DataFrame(
        {
            "person": seen["person"],
            "cascade_id": seen["parent_event_id"].map(node_set),
            "via": seen["parent_event_id"],
            "ts": seen["ts"],
            "kind": "exposed",
        }
    )
    out = pd.concat([shared, exposed], ignore_index=True)
    return out.sort_values("ts", kind="stable").reset_index(drop=True)


def _conversions(
    nodes: pd.DataFrame,
    entries: pd.DataFrame,
    events: pd.DataFrame,
    window: pd.Timedelta | None,
    actions: Sequence[str],
) -> pd.DataFrame:
    buys = events.loc[
        events["action"].isin(list(actions)), ["event_id", "person", "ts", "value", "parent_event_id"]
    ]
    buys = buys.sort_values("ts", kind="stable").reset_index(drop=True)
    node_set = nodes.set_index("node")["cascade_id"]
    direct = buys["parent_event_id"].isin(node_set.index)
    out_direct = buys.loc[direct].assign(
        cascade_id=lambda d: d["parent_event_id"].map(node_set), via=lambda d: d["parent_event_id"]
    )
    rest = buys.loc[~direct]
    if rest.empty or entries.empty:
        matched = rest.iloc[0:0].assign(cascade_id=pd.Series(dtype="string"), via=pd.Series(dtype="string"))
    else:
        matched = pd.merge_asof(
            rest,
            entries[["person", "ts", "cascade_id", "via"]].rename(columns={"ts": "entered"}),
            left_on="ts",
            right_on="entered",
            by="person",
            direction="backward",
            tolerance=window,
        )
        matched = matched.loc[matched["cascade_id"].notna()].drop(columns="entered")
    out = pd.concat([out_direct, matched], ignore_index=True)
    out["value"] = out["value"].astype(float).fillna(0.0)
    return out[["event_id", "person", "ts", "value", "cascade_id", "via"]].reset_index(drop=True)


def reconstruct_cascades(
    events: Any,
    follows: Any = None,
    *,
    max_lag: pd.Timedelta | None = None,
    conversion_window: pd.Timedelta | None = None,
    conversion_actions: Sequence[str],
) -> Cascades:
    """Rebuild share cascades from the events table (and, for missing parents, the follow graph).

    Parameters
    ----------
    events : pandas.DataFrame or pyarrow.Table
        The events table of the data contract (``event_id, ts, channel, action, user_id,
        person_id, campaign_id, parent_user_id, parent_event_id, value``); shares are rows with
        ``action == "share"``.
    follows : pandas.DataFrame or pyarrow.Table, optional
        ``channel, follower_id, followee_id[, ts]``: used to infer missing parents.
    max_lag : pandas.Timedelta, optional
        An inferred parent must have shared at most this long before.
    conversion_window : pandas.Timedelta, optional
        A purchase counts for a cascade only this long after the buyer entered it.
    conversion_actions : sequence of str
        The actions that count as conversions (a workspace's ``conversion_actions``, e.g. also
        ``lead``); their ``value`` is summed.

    Returns
    -------
    Cascades

    Examples
    --------
    >>> c = reconstruct_cascades(events, follows)  # doctest: +SKIP
    >>> c.inferred_share  # doctest: +SKIP
    0.25
    """
    frame = _prepare(events)
    shares = frame.loc[frame["action"] == "share"].drop_duplicates("event_id").copy()
    shares = shares.rename(columns={"event_id": "node"}).assign(parent=pd.NA, link=pd.NA, origin=False)
    shares["parent"] = shares["parent"].astype("string")
    shares["link"] = shares["link"].astype("object")
    for rule in PARENT_RULES:
        shares = rule(shares, frame, follows, max_lag)
    linked = shares["parent"].notna()
    inferred = float((shares.loc[linked, "link"] == "follows").mean()) if linked.any() else 0.0
    shares.loc[~linked, "link"] = "root"
    shares = _add_origins(shares, frame)
    cols = ["node", "ts", "channel", "campaign_id", "user_id", "person", "parent", "link", "origin"]
    nodes = _trees(shares[cols])
    entries = _entries(nodes, frame)
    conversions = _conversions(nodes, entries, frame, conversion_window, conversion_actions)
    return Cascades(nodes=nodes, entries=entries, conversions=conversions, inferred_share=inferred)
