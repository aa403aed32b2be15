"""Seeding over a workspace: whom to seed next on a channel's follow graph (IMM), fees by followers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from canyu.analytics.influence._graph import graph_from_edges
from canyu.analytics.influence._seeding import SeedResult, imm
from canyu.analytics.influence._spread import MODELS
from canyu.analytics.registry import register_analysis
from canyu.errors import CanyuError, InvalidArgumentError, UnknownNameError

if TYPE_CHECKING:
    from canyu.session import AnalysisSession

__all__ = ["seeds"]


@register_analysis("seeds", title=("Whom to seed next", "下一步该找谁做种子"))
def seeds(
    session: AnalysisSession,
    *,
    channel: str = "weibo",
    k: int = 10,
    budget: float | None = None,
    base_cost: float = 500.0,
    cost_per_follower: float = 5.0,
    model: str = "wc",
    p: float | None = None,
    epsilon: float = 0.1,
    seed: int = 0,
) -> SeedResult:
    """IMM influence maximisation over the people's follow graph on ``channel``.

    Edges run from followee to follower (a share reaches the sharer's followers);
    the brand's own accounts (canyu.toml ``[accounts]``) are left out. A seed's fee
    is ``base_cost + cost_per_follower * followers``, so ``budget`` is in the
    workspace's currency.
    """
    if model not in MODELS:
        raise UnknownNameError("diffusion model", model, tuple(MODELS))
    if k < 1:
        raise InvalidArgumentError("k", k, ">= 1")
    if not 0 < epsilon < 1:
        raise InvalidArgumentError("epsilon", epsilon, "between 0 and 1")
    if base_cost < 0 or cost_per_follower < 0:
        raise InvalidArgumentError("base_cost / cost_per_follower", (base_cost, cost_per_follower), ">= 0")
    fo = session.table("follows")
    fo = fo.filter(fo.channel == channel)
    own = list(session.own_accounts(channel))
    if own:
        fo = fo.filter(~fo.followee_id.isin(own) & ~fo.follower_id.isin(own))
    edges = session.to_pandas(fo.select(source=fo.followee_id, target=fo.follower_id).distinct())
    if edges.empty:
        raise CanyuError(
            f"no {channel} follow edges among people in {session.workspace.path}",
            message_zh=f"{session.workspace.path} 中没有 {channel} 的用户关注关系",
        )
    g = MODELS[model].prepare(graph_from_edges(edges), p)
    followers = np.diff(g.indptr).astype(float)
    costs = base_cost + cost_per_follower * followers
    if budget is not None:
        if budget <= 0:
            raise InvalidArgumentError("budget", budget, "> 0")
        if budget < float(costs.min()):
            raise InvalidArgumentError(
                "budget",
                budget,
                f">= {costs.min():,.2f}, the fee of the cheapest seed",
                message_zh=f"budget = {budget!r} 太小；最便宜的种子也需 {costs.min():,.2f}",
            )
    return imm(
        g,
        k=k,
        model=model,
        epsilon=epsilon,
        costs=costs if budget is not None else None,
        budget=budget,
        seed=seed,
    )
