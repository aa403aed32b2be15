"""Journeys: person-level events cut into the touch sequences that attribution reads.

Everything up to the per-touch table is an Ibis expression, so it runs on the
store's engine (DuckDB, Spark, ...); only :func:`journey_paths` brings the touch
table into Python, as the integer arrays of a :class:`PathTable`.

Definitions
-----------
touch
    An event whose ``action`` is one of ``touch_actions``. The pseudo-action
    ``"share_received"`` names a *share touch*: a ``view`` event whose
    ``parent_user_id`` is set, i.e. the person opened content someone forwarded
    to them. Its ``sharer`` is that ``parent_user_id`` (a user id on the same
    channel); every other touch has no sharer. A plain ``"view"`` in
    ``touch_actions`` counts views with or without a sharer; a view with a
    sharer is marked as a share touch whenever ``"share_received"`` is listed.
conversion
    An event whose ``action`` is one of ``conversion_actions``; its ``value`` is
    the journey's value.
journey
    Per ``person_id``, events are ordered by time (touches before a conversion
    at the same instant, then by ``event_id``). The touches after the previous
    conversion (or from the start) and no more than ``lookback_days`` before a
    conversion form that conversion's journey. Touches after a person's last
    conversion form one non-converting journey, cut to ``lookback_days`` before
    its last touch. A conversion with no touch in its window has no path and
    is left out (it cannot be attributed to a channel). Events without a
    ``person_id`` are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from canyu.analytics.attribution._paths import PathTable
from canyu.errors import InvalidArgumentError

__all__ = ["JOURNEY_COLUMNS", "journey_path_table", "journey_paths", "journeys"]

PathKey = Literal["channel", "campaign", "content"]
JOURNEY_COLUMNS = (
    "journey_id",
    "person_id",
    "seq",
    "ts",
    "channel",
    "action",
    "campaign_id",
    "content_id",
    "sharer",
    "touch",
    "converted",
    "value",
    "conversion_ts",
)
"""Columns of the per-touch table returned by :func:`journeys`."""

SHARE_RECEIVED = "share_received"


def journeys(
    events: ir.Table,
    *,
    lookback_days: int = 30,
    touch_actions: Sequence[str] = ("view", "click", "message", SHARE_RECEIVED),
    conversion_actions: Sequence[str],
    key: PathKey = "channel",
) -> ir.Table:
    """The per-touch journey table of ``events`` (see the module docstring for the rules).

    Parameters
    ----------
    events
        An Ibis table with the ``events`` columns of the data contract.
    lookback_days
        Touches more than this many days before their conversion are dropped.
    touch_actions, conversion_actions
        Actions that count as touches and as conversions; they must not overlap.
    key
        What a path element (column ``touch``) names: the ``channel``, the channel and
        campaign (``"weibo:c1"``; just the channel when there is no campaign), or the
        channel and content (``"weibo:post9"``).

    Returns
    -------
    ibis.Table
        One row per touch with :data:`JOURNEY_COLUMNS`: ``journey_id`` is
        ``"<person_id>:<n>"`` (``n`` conversions of that person came before), ``seq``
        counts touches from 1, ``converted`` and ``value`` describe the journey's
        conversion (``value`` 0 when none) and ``conversion_ts`` its time.
    """
    touch_actions = tuple(touch_actions)
    conversion_actions = tuple(conversion_actions)
    if overlap := set(touch_actions) & set(conversion_actions):
        raise InvalidArgumentError(
            "conversion_actions",
            sorted(overlap),
            "actions that are not also touches",
            reason=f"actions cannot be both touches and conversions: {sorted(overlap)}",
            reason_zh=f"动作不能既是触点又是转化：{sorted(overlap)}",
        )
    if key not in ("channel", "campaign", "content"):
        raise InvalidArgumentError("key", key, ("channel", "campaign", "content"))
    plain = [a for a in touch_actions if a != SHARE_RECEIVED]
    e = events.filter(events.person_id.notnull())
    is_share = (e.action == "view") & e.parent_user_id.notnull()
    if SHARE_RECEIVED not in touch_actions:
        is_share = ibis.literal(False)
    is_touch = (e.action.isin(plain) if plain else ibis.literal(False)) | is_share
    is_conv = e.action.isin(conversion_actions) & ~is_touch
    e = e.mutate(is_touch=is_touch, is_share=is_share, conv_flag=is_conv.cast("int64"))
    e = e.filter(e.is_touch | (e.conv_flag == 1))

    order = [e.ts, e.conv_flag, e.event_id]
    cumulative = ibis.window(group_by=e.person_id, order_by=order, preceding=None, following=0)
    e = e.mutate(segment=e.conv_flag.sum().over(cumulative) - e.conv_flag)

    conv = e.filter(e.conv_flag == 1)
    conv = conv.select(
        c_person=conv.person_id,
        c_segment=conv.segment,
        conversion_ts=conv.ts,
        c_value=conv.value.fill_null(0.0).cast("float64"),
    )
    t = e.filter(e.is_touch)
    t = t.left_join(conv, (t.person_id == conv.c_person) & (t.segment == conv.c_segment))
    t = t.mutate(last_ts=t.ts.max().over(group_by=[t.person_id, t.segment]))
    anchor = t.conversion_ts.fill_null(t.last_ts)
    t = t.filter(t.ts >= anchor - ibis.interval(days=lookback_days))

    if key == "channel":
        touch = t.channel
    else:
        detail = t.campaign_id if key == "campaign" else t.content_id
        touch = detail.isnull().ifelse(t.channel, t.channel.concat(":", detail))
    journey_id = t.person_id.concat(":", t.segment.cast("string"))
    t = t.mutate(journey_id=journey_id, touch=touch)
    seq = ibis.row_number().over(group_by=t.journey_id, order_by=[t.ts, t.event_id]) + 1
    return t.select(
        journey_id=t.journey_id,
        person_id=t.person_id,
        seq=seq.cast("int64"),
        ts=t.ts,
        channel=t.channel,
        action=t.is_share.ifelse(ibis.literal(SHARE_RECEIVED), t.action),
        campaign_id=t.campaign_id,
        content_id=t.content_id,
        sharer=t.is_share.ifelse(t.parent_user_id, ibis.null("string")),
        touch=t.touch,
        converted=t.conversion_ts.notnull(),
        value=t.c_value.fill_null(0.0),
        conversion_ts=t.conversion_ts,
    )


def journey_path_table(touches: ir.Table, *, sep: str = " > ") -> ir.Table:
    """Aggregate a journey table to ChannelAttribution's path format, in the engine.

    Returns an Ibis table with ``path``, ``total_conversions``, ``total_conversion_value``
    and ``total_null``, one row per distinct path.
    """
    # Ordered aggregation (group_concat/collect with order_by) is not portable (Ibis's PySpark backend
    # refuses it); collecting (seq, touch) pairs and sorting the array by seq gives the same path on
    # every engine (seq is unique within a journey).
    pairs = ibis.struct({"seq": touches.seq, "touch": touches.touch}).collect()
    per_journey = touches.group_by("journey_id").aggregate(
        path=pairs.sort().map(lambda pair: pair.touch).join(sep),
        converted=touches.converted.cast("int64").max(),
        value=touches.value.max(),
    )
    return (
        per_journey.group_by("path")
        .aggregate(
            total_conversions=per_journey.converted.sum().cast("float64"),
            total_conversion_value=per_journey.value.sum().cast("float64"),
            total_null=(1 - per_journey.converted).sum().cast("float64"),
        )
        .order_by("path")
    )


def journey_paths(touches: ir.Table | pd.DataFrame, *, column: str = "touch") -> PathTable:
    """Bring a journey table into a :class:`PathTable`, one path row per journey.

    ``column`` picks the path element (``touch`` as keyed by :func:`journeys`, or
    ``channel``). Rows keep the journey order of ``touches`` sorted by
    ``journey_id`` (so :func:`~canyu.analytics.attribution.touch_credits` can map
    credits back to touches).
    """
    frame = _touch_frame(touches, column)
    codes, names = pd.factorize(frame[column].astype(str).to_numpy(), sort=True)
    starts = np.flatnonzero(
        np.r_[True, frame["journey_id"].to_numpy()[1:] != frame["journey_id"].to_numpy()[:-1]]
    )
    indptr = np.r_[starts, len(frame)].astype(np.int64)
    converted = frame["converted"].to_numpy(dtype=bool)[starts]
    value = frame["value"].to_numpy(dtype=np.float64)[starts]
    return PathTable(
        channels=tuple(str(n) for n in names),
        indptr=indptr,
        touches=codes.astype(np.int64),
        conversions=converted.astype(np.float64),
        value=np.where(converted, value, 0.0),
        nulls=(~converted).astype(np.float64),
    )


def _touch_frame(touches: ir.Table | pd.DataFrame, column: str) -> pd.DataFrame:
    """The touch table as pandas, sorted by journey and sequence."""
    frame = touches.to_pandas() if isinstance(touches, ir.Table) else touches
    missing = {"journey_id", "seq", "converted", "value", column} - set(frame.columns)
    if missing:
        raise InvalidArgumentError(
            "touches",
            sorted(missing),
            "a journey table with these columns",
            reason=f"journey table lacks columns {sorted(missing)}",
            reason_zh=f"旅程表缺少列 {sorted(missing)}",
        )
    return frame.sort_values(["journey_id", "seq"], kind="stable").reset_index(drop=True)
