"""Seeding over a workspace's own follow graph (the ``canyu seeds DIR`` pipeline)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from canyu.analytics.influence._graph import graph_from_edges
from canyu.analytics.influence._seeding import SeedResult, imm
from canyu.analytics.influence._spread import diffusion_model
from canyu.errors import InvalidArgumentError

if TYPE_CHECKING:
    from canyu.workspace import Workspace

__all__ = ["workspace_seeds"]


def _non_negative(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise InvalidArgumentError(name, value, ">= 0 (yuan)")


def workspace_seeds(
    ws: Workspace,
    *,
    channel: str = "weibo",
    model: str = "wc",
    k: int = 10,
    p: float | None = None,
    epsilon: float = 0.1,
    budget: float | None = None,
    base_cost: float = 500.0,
    cost_per_follower: float = 5.0,
    seed: int = 0,
) -> SeedResult:
    """Whom to seed on one channel of a workspace: IMM over its follow graph.

    A share reaches the sharer's followers, so each edge points from the followee to the
    follower. The brand's own accounts (ids starting ``brand_``) are left out: they are the
    broadcaster, not a seed to hire. A seed's fee is ``base_cost + cost_per_follower x
    followers`` (in the workspace's currency), so ``budget`` is money; without a budget the
    ``k`` seeds of widest expected spread are chosen.

    Parameters
    ----------
    ws : Workspace
        An open workspace with a ``follows`` table.
    channel : str
        The platform whose follow graph carries the spread.
    model : {"wc", "ic", "lt"}
        Diffusion model (see :data:`~canyu.analytics.influence.MODELS`).
    k : int
        Number of seeds (without ``budget``).
    p : float, optional
        Edge probability (ic) or weight (lt).
    epsilon : float
        IMM accuracy: the seed set is ``(1 - 1/e - epsilon)``-optimal (Tang, Shi, Xiao 2015).
    budget : float, optional
        Total seeding budget; must cover at least the cheapest seed's fee.
    base_cost, cost_per_follower : float
        The fee model.
    seed : int
        Random seed.

    Returns
    -------
    SeedResult
        The seeds in order with their marginal spread and, with a budget, their fees.
    """
    spec = diffusion_model(model)
    _non_negative("base_cost", base_cost)
    _non_negative("cost_per_follower", cost_per_follower)
    if budget is not None and base_cost == 0 and cost_per_follower == 0:
        raise InvalidArgumentError(
            "base_cost",
            base_cost,
            "> 0 when a budget is given",
            reason="with a budget, seeds need a fee: set base_cost or cost_per_follower above 0",
            reason_zh="给出预算时种子需要费用：请把 base_cost 或 cost_per_follower 设为大于 0",
        )
    fo = ws.table("follows")
    edges = ws.to_pandas(
        fo.filter((fo.channel == channel) & ~fo.followee_id.startswith("brand_"))
        .select(source=fo.followee_id, target=fo.follower_id)
        .distinct()
    )
    if edges.empty:
        present = tuple(
            str(c) for c in ws.to_pandas(fo.select("channel").distinct())["channel"].dropna().tolist()
        )
        raise InvalidArgumentError(
            "channel",
            channel,
            present or "a channel with follow edges",
            reason=f"no {channel} follow edges among people in {ws.path}"
            + (f"; channels with follow edges: {', '.join(sorted(present))}" if present else ""),
            reason_zh=f"{ws.path} 中没有 {channel} 的用户关注关系"
            + (f"；有关注关系的渠道：{', '.join(sorted(present))}" if present else ""),
        )
    graph = spec.prepare(graph_from_edges(edges), p)
    followers = np.diff(graph.indptr).astype(float)
    costs = base_cost + cost_per_follower * followers
    return imm(
        graph,
        k=k,
        model=model,
        epsilon=epsilon,
        costs=costs if budget is not None else None,
        budget=budget,
        seed=seed,
    )
