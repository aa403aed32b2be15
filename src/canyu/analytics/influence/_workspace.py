"""Seeding over a workspace: whom to seed next on a channel's follow graph (IMM), fees by followers."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from canyu.analytics.influence._graph import graph_from_edges
from canyu.analytics.influence._seeding import SeedResult, imm
from canyu.analytics.influence._spread import diffusion_model
from canyu.analytics.registry import register_analysis
from canyu.errors import InvalidArgumentError

if TYPE_CHECKING:
    from canyu.session import AnalysisSession
    from canyu.workspace import Workspace

__all__ = ["seeds", "workspace_seeds"]


def _non_negative(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise InvalidArgumentError(name, value, ">= 0 (yuan)")


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
    """Whom to seed on one channel: IMM influence maximisation over the people's follow graph.

    A share reaches the sharer's followers, so each edge points from the followee to the
    follower. The brand's own accounts (canyu.toml ``[accounts]``) are left out: they are the
    broadcaster, not a seed to hire. A seed's fee is ``base_cost + cost_per_follower x
    followers`` (in the workspace's currency), so ``budget`` is money; without a budget the
    ``k`` seeds of widest expected spread are chosen. The seed set is
    ``(1 - 1/e - epsilon)``-optimal (Tang, Shi, Xiao 2015).
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
    fo = session.table("follows")
    on_channel = fo.filter(fo.channel == channel)
    own = list(session.own_accounts(channel))
    if own:
        on_channel = on_channel.filter(~on_channel.followee_id.isin(own) & ~on_channel.follower_id.isin(own))
    edges = session.to_pandas(
        on_channel.select(source=on_channel.followee_id, target=on_channel.follower_id).distinct()
    )
    # engines return rows in their own order; node ids and the RR-set draws must not depend on it
    edges = edges.sort_values(["source", "target"], kind="stable", ignore_index=True)
    if edges.empty:
        present = tuple(
            str(c) for c in session.to_pandas(fo.select("channel").distinct())["channel"].dropna().tolist()
        )
        where = session.workspace.path
        raise InvalidArgumentError(
            "channel",
            channel,
            present or "a channel with follow edges",
            reason=f"no {channel} follow edges among people in {where}"
            + (f"; channels with follow edges: {', '.join(sorted(present))}" if present else ""),
            reason_zh=f"{where} 中没有 {channel} 的用户关注关系"
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


def workspace_seeds(ws: Workspace, **options: Any) -> SeedResult:
    """:func:`seeds` over the whole workspace (the ``seeds`` analysis of a session without a period)."""
    result: SeedResult = ws.session().run("seeds", **options)
    return result
