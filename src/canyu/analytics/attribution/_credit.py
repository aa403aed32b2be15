"""Credit below the channel (campaign, content, sharer) and return on spend.

Channel-level models say how many conversions a channel earned; a team also
needs to know which campaign, content or person earned them. Credit is given
to *touches* of the journey table (:func:`~canyu.analytics.attribution.journeys`)
and then summed by any touch attribute:

* a rule (``first_touch``, ``last_touch``, ``linear``, ``position_based``,
  ``time_decay``) gives each touch of a converting journey its share directly;
  ``time_decay`` here uses real time: a touch ``d`` days before the conversion
  weighs ``2 ** (-d / half_life_days)`` before normalising within the journey;
* a channel-level model (``markov``, ``shapley``, or any registered one) is run
  on the journeys' channel paths, and each channel's credit is then shared out
  over that channel's touches on converting journeys in proportion to their
  linear weight ``1 / journey length`` (value: ``× journey value``). So a
  campaign gets the part of its channel's Markov credit that its touches hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from canyu.analytics.attribution._heuristics import position_weights
from canyu.analytics.attribution._journeys import _touch_frame, journey_paths
from canyu.analytics.attribution._models import AttributionResult, attribute
from canyu.errors import InvalidArgumentError

__all__ = ["RULES", "credit_by", "roas", "share_chain_credits", "touch_credits"]

RULES = ("first_touch", "last_touch", "linear", "position_based", "time_decay")
"""Models :func:`touch_credits` applies touch by touch; any other is run per channel."""


def touch_credits(
    touches: ir.Table | pd.DataFrame,
    *,
    model: str = "linear",
    half_life_days: float = 7.0,
    first_share: float = 0.4,
    last_share: float = 0.4,
    **options: Any,
) -> pd.DataFrame:
    """The journey table with each touch's ``credit`` (conversions) and ``credit_value``.

    Parameters
    ----------
    touches
        The per-touch table of :func:`~canyu.analytics.attribution.journeys`.
    model
        A rule from :data:`RULES`, or a registered channel-level model (``markov``,
        ``shapley``...) whose channel credits are shared out over touches (see the
        module docstring).
    half_life_days
        ``time_decay``: the credit of a touch halves for every ``half_life_days`` it
        lies before the conversion.
    first_share, last_share
        ``position_based`` shares.
    options
        Passed to :func:`~canyu.analytics.attribution.attribute` for channel-level models
        (e.g. ``order=2``).

    Returns
    -------
    pandas.DataFrame
        The touches sorted by journey and ``seq``; credits sum, over all touches, to
        the number (and value) of converting journeys.
    """
    frame = _touch_frame(touches, "channel").copy()
    journey = frame["journey_id"].to_numpy()
    length = frame.groupby("journey_id", sort=False)["seq"].transform("size").to_numpy()
    position = frame.groupby("journey_id", sort=False).cumcount().to_numpy()
    converted = frame["converted"].to_numpy(dtype=bool)
    value = frame["value"].to_numpy(dtype=np.float64)
    if model == "time_decay":
        days = (
            pd.to_datetime(frame["conversion_ts"]) - pd.to_datetime(frame["ts"])
        ).dt.total_seconds().to_numpy() / 86400.0
        if half_life_days <= 0:
            raise InvalidArgumentError("half_life_days", half_life_days, "> 0")
        raw = np.exp2(-np.nan_to_num(days, nan=0.0) / half_life_days)
        weights = raw / pd.Series(raw).groupby(journey).transform("sum").to_numpy()
    elif model in RULES:
        weights = position_weights(position, length, rule=model, first=first_share, last=last_share)
    else:
        weights = _channel_model_weights(frame, length, model, options)
        frame["credit"] = np.where(converted, weights[0], 0.0)
        frame["credit_value"] = np.where(converted, weights[1], 0.0)
        return frame
    frame["credit"] = np.where(converted, weights, 0.0)
    frame["credit_value"] = np.where(converted, weights * value, 0.0)
    return frame


def _channel_model_weights(
    frame: pd.DataFrame, length: np.ndarray, model: str, options: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    paths = journey_paths(frame, column="channel")
    result = attribute(paths, model=model, **options).credits(model)
    converted = frame["converted"].to_numpy(dtype=bool)
    linear = np.where(converted, 1.0 / length, 0.0)
    linear_value = linear * frame["value"].to_numpy(dtype=np.float64)
    channel = frame["channel"].astype(str)
    per_channel = pd.Series(linear).groupby(channel.to_numpy()).transform("sum").to_numpy()
    per_channel_value = pd.Series(linear_value).groupby(channel.to_numpy()).transform("sum").to_numpy()
    conv = channel.map(result["conversions"]).fillna(0.0).to_numpy()
    val = channel.map(result["value"]).fillna(0.0).to_numpy()
    share = np.divide(linear, per_channel, out=np.zeros_like(linear), where=per_channel > 0)
    share_value = np.divide(
        linear_value, per_channel_value, out=np.zeros_like(linear), where=per_channel_value > 0
    )
    return conv * share, val * share_value


def credit_by(credits: pd.DataFrame, by: str | Sequence[str]) -> pd.DataFrame:
    """Sum the touch credits of :func:`touch_credits` by one or more touch columns.

    ``by="sharer"`` (with ``channel`` recommended, as sharers are channel-scoped user
    ids) keeps share touches only: conversions reached through a forwarded piece of
    content, credited to the person who forwarded it. Missing campaign or content
    ids group as ``"(none)"``.
    """
    keys = [by] if isinstance(by, str) else list(by)
    frame = credits
    if "sharer" in keys:
        frame = frame[frame["sharer"].notna()]
    frame = frame.assign(**{k: frame[k].fillna("(none)") for k in keys if k != "sharer"})
    out = (
        frame.groupby(keys, dropna=False)[["credit", "credit_value"]]
        .sum()
        .rename(columns={"credit": "conversions", "credit_value": "value"})
        .sort_values("conversions", ascending=False)
        .reset_index()
    )
    touched = frame.groupby(keys, dropna=False).size().rename("touches").reset_index()
    return out.merge(touched, on=keys, how="left")


def share_chain_credits(
    credits: pd.DataFrame,
    shares: ir.Table | pd.DataFrame,
    *,
    max_depth: int = 10,
) -> pd.DataFrame:
    """Credit every sharer up a share chain, not only the last one.

    A share touch of person C credited to sharer B (C opened content B forwarded)
    also credits A when B had opened the same content from A's share, and so on up
    to ``max_depth`` links. Each share touch's credit is split equally among the
    sharers on its chain (a cascade with three forwarders gives each a third).

    Parameters
    ----------
    credits
        Output of :func:`touch_credits` (needs ``channel``, ``content_id``, ``sharer``).
    shares
        The share views: ``channel``, ``content_id``, ``user_id``, ``parent_user_id`` and
        ``ts`` (the events with ``action == "view"`` and a ``parent_user_id``). The
        earliest share view of a user for a content decides who they got it from.

    Returns
    -------
    pandas.DataFrame
        ``channel``, ``sharer``, ``conversions``, ``value``, ``depth`` (the shortest
        distance of the sharer from the converting person, 1 = forwarded directly).
    """
    frame = shares.to_pandas() if isinstance(shares, ir.Table) else shares
    parents = (
        frame.dropna(subset=["parent_user_id"])
        .sort_values("ts", kind="stable")
        .drop_duplicates(["channel", "content_id", "user_id"])
        .set_index(["channel", "content_id", "user_id"])["parent_user_id"]
    )
    touches = credits[credits["sharer"].notna() & (credits["credit"] > 0)]
    links = []
    current = touches[["channel", "content_id", "sharer", "credit", "credit_value"]].reset_index(
        names="touch"
    )
    seen = current[["touch", "sharer"]].copy()
    for depth in range(1, max_depth + 1):
        links.append(current.assign(depth=depth))
        index = pd.MultiIndex.from_frame(current[["channel", "content_id", "sharer"]])
        upstream = parents.reindex(index).to_numpy()
        current = current.assign(sharer=upstream)
        current = current[current["sharer"].notna()]
        # A cycle in the share records (A from B, B from A) must not credit twice.
        fresh = ~pd.MultiIndex.from_frame(current[["touch", "sharer"]]).isin(pd.MultiIndex.from_frame(seen))
        current = current[fresh]
        if current.empty:
            break
        seen = pd.concat([seen, current[["touch", "sharer"]]], ignore_index=True)
    chain = pd.concat(links, ignore_index=True)
    size = chain.groupby("touch")["sharer"].transform("size")
    chain = chain.assign(conversions=chain["credit"] / size, value=chain["credit_value"] / size)
    return (
        chain.groupby(["channel", "sharer"])
        .agg(conversions=("conversions", "sum"), value=("value", "sum"), depth=("depth", "min"))
        .sort_values("conversions", ascending=False)
        .reset_index()
    )


def roas(
    credits: AttributionResult | pd.DataFrame,
    spend: ir.Table | pd.DataFrame,
    *,
    by: Literal["channel", "campaign"] = "channel",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Return on ad spend per channel (or channel and campaign) for each model.

    Parameters
    ----------
    credits
        An :class:`AttributionResult` (its channel names may be path keys like
        ``"weibo:c1"`` from ``journeys(..., key="campaign")``: the part before ``:`` is
        the channel, the rest the campaign), or a
        DataFrame with ``channel`` (and ``campaign_id``), ``conversions``, ``value``
        and optionally ``model`` (e.g. from :func:`credit_by`).
    spend
        The ``spend`` table: ``date``, ``channel``, ``campaign_id``, ``amount``.
    start, end
        Only spend dated in ``[start, end]`` counts.

    Returns
    -------
    pandas.DataFrame
        ``model``, ``channel`` (, ``campaign_id``), ``conversions``, ``value``, ``spend``,
        ``roas`` = value / spend, ``roi`` = (value - spend) / spend and
        ``cost_per_conversion``; NaN where spend (or conversions) is zero. Channels with
        spend but no credit appear with zero conversions.
    """
    table = credits.table if isinstance(credits, AttributionResult) else credits.copy()
    if "model" not in table.columns:
        table = table.assign(model="credits")
    keys = ["channel"] if by == "channel" else ["channel", "campaign_id"]
    if "campaign_id" not in table.columns:  # path keys "weibo:c1" of journeys(..., key="campaign")
        parts = table["channel"].astype(str).str.split(":", n=1, expand=True)
        table = table.assign(channel=parts[0], campaign_id=parts[1] if parts.shape[1] > 1 else None)
    if by == "campaign":
        table = table.assign(campaign_id=table["campaign_id"].fillna("(none)").replace("", "(none)"))
    money = spend.to_pandas() if isinstance(spend, ir.Table) else spend.copy()
    dates = pd.to_datetime(money["date"])
    keep = np.ones(len(money), dtype=bool)
    if start is not None:
        keep &= (dates >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        keep &= (dates <= pd.Timestamp(end)).to_numpy()
    money = money[keep]
    if by == "campaign":
        money = money.assign(campaign_id=money["campaign_id"].fillna("(none)"))
    spent = money.groupby(keys)["amount"].sum().rename("spend").reset_index()
    credited = table.groupby(["model", *keys])[["conversions", "value"]].sum().reset_index()
    grid = credited[["model"]].drop_duplicates().merge(spent[keys], how="cross")
    rows = pd.concat([credited[["model", *keys]], grid]).drop_duplicates()
    out = rows.merge(credited, on=["model", *keys], how="left").merge(spent, on=keys, how="left")
    out = out.fillna({"conversions": 0.0, "value": 0.0, "spend": 0.0})
    spend_pos = out["spend"] > 0
    out["roas"] = (out["value"] / out["spend"]).where(spend_pos)
    out["roi"] = ((out["value"] - out["spend"]) / out["spend"]).where(spend_pos)
    out["cost_per_conversion"] = (out["spend"] / out["conversions"]).where(
        (out["conversions"] > 0) & spend_pos
    )
    return out.sort_values(["model", *keys]).reset_index(drop=True)
