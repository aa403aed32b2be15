"""Hit products (爆品): products ranked by orders, growth and share, and the effect of launches.

Definitions
-----------
order
    An event whose action is in ``conversion_actions`` (default ``purchase``)
    with a ``product_id``; its ``value`` is the revenue.
period, halves
    Orders with ``start <= ts < end``. The first half is
    ``[start, start + (end - start) / 2)``, the second the rest.
growth
    ``orders_second_half / orders_first_half - 1`` (null when the first half
    has no orders).
share
    A product's orders over all conversion events in the period (with or
    without a product), so the shares of all products sum to at most 1.
launch effect
    For each ``launch`` campaign, its products are the ``product_id`` of any
    event carrying that ``campaign_id``. Orders of each such product in the
    ``days`` days from the campaign's ``starts`` (after) are compared with the
    ``days`` days before it (before): ``lift = after / before - 1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from canyu.analytics.registry import register_analysis
from canyu.errors import InvalidArgumentError

if TYPE_CHECKING:
    import pandas as pd

    from canyu.session import AnalysisSession

__all__ = ["hit_products", "launch_effects"]


def hit_products(
    events: ir.Table,
    *,
    start: datetime,
    end: datetime,
    products: ir.Table | None = None,
    conversion_actions: Sequence[str],
) -> ir.Table:
    """Products ranked by orders in ``[start, end)``.

    Parameters
    ----------
    events
        The ``events`` table.
    start, end
        The period (UTC).
    products
        The ``products`` table, to add ``name`` and ``category``.
    conversion_actions
        The actions that are orders.

    Returns
    -------
    ibis.Table
        ``rank, product_id, [name, category,] orders, buyers, revenue,
        orders_first_half, orders_second_half, growth, share``, best first
        (ties by ``product_id``).

    Examples
    --------
    >>> hit_products(ws.table("events"), start=datetime(2026, 9, 1), end=datetime(2026, 10, 1))  # doctest: +SKIP
    """
    if end <= start:
        raise InvalidArgumentError("end", end, f"after start {start}")
    middle = start + (end - start) / 2
    conv = events.filter(
        events.action.isin(list(conversion_actions)) & (events.ts >= start) & (events.ts < end)
    )
    total = conv.count().as_scalar()
    orders = conv.filter(conv.product_id.notnull())
    out = orders.group_by("product_id").aggregate(
        orders=orders.count().cast("int64"),
        buyers=orders.person_id.nunique().cast("int64"),
        revenue=orders.value.sum().fill_null(0.0),
        orders_first_half=(orders.ts < middle).sum().cast("int64"),
        orders_second_half=(orders.ts >= middle).sum().cast("int64"),
    )
    out = out.mutate(
        growth=ibis.ifelse(
            out.orders_first_half > 0,
            out.orders_second_half.cast("float64") / out.orders_first_half - 1,
            ibis.null("float64"),
        ),
        share=out.orders.cast("float64") / total,
    )
    cols = ["product_id"]
    if products is not None:
        info = products.select("product_id", "name", "category")
        out = out.left_join(info, "product_id").select(out, info.name, info.category)
        cols += ["name", "category"]
    ranked = out.mutate(
        rank=(ibis.row_number().over(ibis.window(order_by=[ibis.desc(out.orders), out.product_id])) + 1).cast(
            "int64"
        )
    )
    cols += ["orders", "buyers", "revenue", "orders_first_half", "orders_second_half", "growth", "share"]
    return ranked.select("rank", *cols).order_by("rank")


def launch_effects(
    events: ir.Table,
    campaigns: ir.Table,
    *,
    days: int = 14,
    conversion_actions: Sequence[str],
) -> ir.Table:
    """Orders of each launched product in the ``days`` days after a launch vs the ``days`` before.

    Returns
    -------
    ibis.Table
        ``campaign_id, name, starts, product_id, orders_before, orders_after,
        lift`` (``lift`` null when there were no orders before).
    """
    span = timedelta(days=days)
    launches = campaigns.filter((campaigns.kind == "launch") & campaigns.starts.notnull()).select(
        "campaign_id", "name", "starts"
    )
    launched = (
        events.filter(events.campaign_id.notnull() & events.product_id.notnull())
        .select("campaign_id", "product_id")
        .distinct()
    )
    pairs = launches.join(launched, "campaign_id")
    orders = events.filter(events.action.isin(list(conversion_actions)) & events.product_id.notnull()).select(
        "product_id", order_ts="ts"
    )
    j = pairs.left_join(
        orders,
        [
            pairs.product_id == orders.product_id,
            orders.order_ts >= pairs.starts - span,
            orders.order_ts < pairs.starts + span,
        ],
    ).select(pairs.campaign_id, pairs.name, pairs.starts, pairs.product_id, orders.order_ts)
    out = j.group_by(["campaign_id", "name", "starts", "product_id"]).aggregate(
        orders_before=(j.order_ts < j.starts).sum().fill_null(0).cast("int64"),
        orders_after=(j.order_ts >= j.starts).sum().fill_null(0).cast("int64"),
    )
    out = out.mutate(
        lift=ibis.ifelse(
            out.orders_before > 0,
            out.orders_after.cast("float64") / out.orders_before - 1,
            ibis.null("float64"),
        )
    )
    return out.order_by(["starts", "campaign_id", "product_id"])


# -- workspace-level analyses ------------------------------------------------------------
@register_analysis("products", title=("Hit products", "爆品"))
def products(session: AnalysisSession) -> pd.DataFrame:
    """Orders, revenue, growth and share per product in the period; ``declared_hit`` marks canyu.toml's hit products."""
    import pandas as pd

    lo, hi = session.utc_bounds()
    if lo is None or hi is None:
        first, last = session.data_bounds()
        if first is None or last is None:
            return pd.DataFrame()
        lo = lo or first
        hi = hi or last + timedelta(seconds=1)
    out = session.to_pandas(
        hit_products(
            session.events(),
            start=lo,
            end=hi,
            products=session.table("products"),
            conversion_actions=session.conversion_actions,
        )
    )
    declared = set(session.config.product.hit_products)
    out["declared_hit"] = out["product_id"].isin(declared) if "product_id" in out else False
    return out
