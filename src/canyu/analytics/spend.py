"""What each channel costs and returns: spend, fixed running costs, ROAS, cost per order and per new follower.

Cost of a channel in the session's period
    Its paid ``spend`` rows in the period (the ``spend`` table) plus its fixed
    running cost from canyu.toml ``[channel_costs]`` (a monthly amount in the
    workspace's currency: staff, agency fees, tools), prorated by the period's
    days over 30.
Return
    The orders and revenue attributed to the channel by the exact first-order
    Markov model (:mod:`canyu.analytics.attribution`), and the follows it gained.

Per campaign (``by="campaign"``)
    Paid spend per ``campaign_id`` of the ``spend`` table (with the channels it ran on), against
    the orders and revenue the Markov model credits to that campaign (journeys keyed by the
    events' ``campaign_id``). Fixed running costs belong to channels, not campaigns, and are left
    out; spend rows without a campaign are grouped as ``(none)``.

This is the measured view; the media-mix model estimates what spend *causes*.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from canyu.analytics.registry import register_analysis

if TYPE_CHECKING:
    from canyu.session import AnalysisSession

__all__ = ["SPEND_BY", "campaign_costs", "channel_costs"]

_MONTH_DAYS = 30.0


def _period_days(session: AnalysisSession) -> float:
    if session.period.days is not None:
        return float(session.period.days)
    first, last = session.data_bounds()
    if first is None or last is None:
        return 0.0
    return float(max(1, (last.date() - first.date()).days + 1))


SPEND_BY = ("channel", "campaign")
NO_CAMPAIGN = "(none)"


def campaign_costs(session: AnalysisSession) -> pd.DataFrame:
    """Per campaign: paid spend, the channels it ran on, attributed orders and revenue, ROAS, cost per order."""
    sp = session.on_channels(session.in_period("spend", "date"))
    sp = sp.mutate(campaign_id=sp.campaign_id.fill_null(NO_CAMPAIGN))
    paid = session.to_pandas(
        sp.group_by("campaign_id").aggregate(
            spend=sp.amount.sum(),
            impressions=sp.impressions.sum(),
            channels=sp.channel.collect().unique(),
        )
    )
    attr = session.run("attribution", model="markov", by="campaign")
    if attr.result is not None:
        credits = (
            attr.result.credits("markov")[["conversions", "value"]].rename_axis("campaign_id").reset_index()
        )
    else:
        credits = pd.DataFrame(columns=["campaign_id", "conversions", "value"])
    credits = credits.rename(columns={"conversions": "orders", "value": "revenue"})
    for part in (paid, credits):
        part["campaign_id"] = part["campaign_id"].astype(object)  # an empty frame's key would be float
    out = paid.merge(credits, on="campaign_id", how="outer")
    for col in ("spend", "impressions", "orders", "revenue"):
        out[col] = pd.to_numeric(out[col], errors="coerce").fillna(0.0)
    out["channels"] = [
        ",".join(sorted(str(c) for c in v))
        if isinstance(v, list | tuple) or (hasattr(v, "__len__") and not isinstance(v, str))
        else ""
        for v in out["channels"]
    ]
    out = out[(out["spend"] > 0) | (out["orders"] > 0)].copy()
    out["cost"] = out["spend"]
    out["roas"] = (out["revenue"] / out["cost"]).where(out["cost"] > 0)
    out["cost_per_order"] = (out["cost"] / out["orders"]).where(out["orders"] > 0)
    out["of_orders"] = attr.orders
    out["currency"] = session.currency
    cols = [
        "campaign_id",
        "channels",
        "spend",
        "impressions",
        "orders",
        "of_orders",
        "revenue",
        "roas",
        "cost_per_order",
        "currency",
    ]
    return out[cols].sort_values("spend", ascending=False, ignore_index=True)


@register_analysis(
    "spend", title=("Cost and return per channel", "各渠道成本与回报"), choices={"by": SPEND_BY}
)
def channel_costs(session: AnalysisSession, *, by: str = "channel") -> pd.DataFrame:
    """Per channel (or campaign): spend, fixed cost, attributed orders and revenue, ROAS, cost per order and per new follower."""
    if by not in SPEND_BY:
        from canyu.errors import UnknownNameError

        raise UnknownNameError("spend grouping (by)", by, SPEND_BY)
    if by == "campaign":
        return campaign_costs(session)
    sp = session.on_channels(session.in_period("spend", "date"))
    paid = session.to_pandas(
        sp.group_by("channel").aggregate(spend=sp.amount.sum(), impressions=sp.impressions.sum())
    )
    ev = session.events()
    fol = session.to_pandas(
        ev.filter(ev.action == "follow").group_by("channel").aggregate(new_followers=ev.person_id.nunique())
    )
    days = _period_days(session)
    fixed = pd.DataFrame(
        {
            "channel": list(session.config.channel_costs),
            "fixed_cost": [v * days / _MONTH_DAYS for v in session.config.channel_costs.values()],
        }
    )
    if session.channels is not None:
        fixed = fixed[fixed["channel"].isin(session.channels)]
    attr = session.run("attribution", model="markov")
    if attr.result is not None:
        credits = attr.result.credits("markov")[["conversions", "value"]].rename_axis("channel").reset_index()
    else:
        credits = pd.DataFrame(columns=["channel", "conversions", "value"])
    credits = credits.rename(columns={"conversions": "orders", "value": "revenue"})
    for part in (paid, fixed, credits, fol):
        part["channel"] = part["channel"].astype(object)  # an empty frame's key would be float
    out = paid.merge(fixed, on="channel", how="outer").merge(credits, on="channel", how="outer")
    out = out.merge(fol, on="channel", how="left")
    for col in ("spend", "impressions", "fixed_cost", "orders", "revenue", "new_followers"):
        out[col] = pd.to_numeric(out[col], errors="coerce").fillna(0.0) if col in out else 0.0
    out["cost"] = out["spend"] + out["fixed_cost"]
    out = out[(out["cost"] > 0) | (out["orders"] > 0)].copy()
    out["roas"] = (out["revenue"] / out["cost"]).where(out["cost"] > 0)
    out["cost_per_order"] = (out["cost"] / out["orders"]).where(out["orders"] > 0)
    out["cost_per_new_follower"] = (out["cost"] / out["new_followers"]).where(out["new_followers"] > 0)
    out["of_orders"] = attr.orders
    out["currency"] = session.currency
    cols = [
        "channel",
        "spend",
        "fixed_cost",
        "cost",
        "impressions",
        "orders",
        "of_orders",
        "revenue",
        "roas",
        "cost_per_order",
        "new_followers",
        "cost_per_new_follower",
        "currency",
    ]
    return out[cols].sort_values("cost", ascending=False, ignore_index=True)
