"""Retention (留存): N-day and unbounded retention by cohort, channel and campaign.

Definitions
-----------
unit
    Whose retention is measured: a person (``within=None``), or a person on one
    channel or in one campaign (``within="channel"`` / ``"campaign"``): then the
    start and the returns must both happen on that channel / in that campaign.
first seen
    A unit's first event whose action is in ``start_actions`` (default: the
    active actions of :mod:`canyu.analytics.activity`); ties in time are broken
    by ``event_id``. Its local day is ``first_day`` (day 0).
retained on day N (bounded, "N-day retention")
    The unit has at least ``min_times`` return events (action in
    ``return_actions``) on local day ``first_day + N``.
retained on day N or later (``unbounded=True``)
    At least ``min_times`` return events on days ``>= first_day + N``.
cohort
    ``first_week`` (the Monday of the week holding day 0), ``first_channel`` or
    ``first_campaign`` (of the first-seen event), or none.
eligible
    Only units whose day ``N`` is not after the last local day with data are
    counted in ``cohort_size`` for that ``N`` (a unit first seen yesterday cannot
    show 7-day retention yet).

``rate = retained / cohort_size``. Days are local days (see
:func:`canyu.analytics.activity.local_day`). The definitions follow Amplitude's
"N-day" and "unbounded" retention.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir

from canyu.analytics.activity import ACTIVE_ACTIONS, earliest
from canyu.analytics.calendar import Zone
from canyu.analytics.registry import register_analysis
from canyu.errors import InvalidArgumentError

if TYPE_CHECKING:
    import pandas as pd

    from canyu.session import AnalysisSession

__all__ = ["COHORTS", "Cohort", "first_seen", "retention"]

Cohort = Literal["first_week", "first_channel", "first_campaign"]
COHORTS: tuple[str, ...] = ("first_week", "first_channel", "first_campaign")
_WITHIN = {"channel": "channel", "campaign": "campaign_id"}


def _check(name: str, value: str | None, valid: Sequence[str]) -> None:
    if value is not None and value not in valid:
        from canyu.errors import UnknownNameError

        raise UnknownNameError(name, value, tuple(valid))


def first_seen(
    events: ir.Table,
    *,
    actions: Sequence[str] | None = None,
    within: Literal["channel", "campaign"] | None = None,
    zone: Zone,
    detail: bool = True,
) -> ir.Table:
    """Each unit's first event (see the module docstring).

    Returns
    -------
    ibis.Table
        ``person_id, [channel | campaign_id,] first_ts, first_day, first_week,
        first_channel, first_campaign`` (the last two only with ``detail``; without
        them the query is a plain ``min(ts)``, about twice as fast).
    """
    _check("within", within, tuple(_WITHIN))
    keys = ["person_id"] + ([_WITHIN[within]] if within else [])
    ev = events.filter(events.person_id.notnull() & events.action.isin(list(actions or ACTIVE_ACTIONS)))
    if within == "campaign":
        ev = ev.filter(ev.campaign_id.notnull())
    first = earliest(ev, keys, ("channel", "campaign_id") if detail else ())
    extra = {"first_channel": first.channel, "first_campaign": first.campaign_id} if detail else {}
    return first.select(
        *keys,
        first_ts=first.ts,
        first_day=zone.local_day(first.ts),
        first_week=zone.period_start(first.ts, "week"),
        **extra,
    )


def retention(
    events: ir.Table,
    *,
    days: Sequence[int] = (1, 7, 14, 30),
    unbounded: bool = False,
    cohort: Cohort | None = "first_week",
    within: Literal["channel", "campaign"] | None = None,
    start_actions: Sequence[str] | None = None,
    return_actions: Sequence[str] | None = None,
    min_times: int = 1,
    zone: Zone,
) -> ir.Table:
    """N-day (or unbounded) retention per cohort.

    Parameters
    ----------
    events
        The ``events`` table.
    days
        The ``N`` to report (each ``>= 1``).
    unbounded
        Count a return on day ``N`` *or later* instead of on day ``N`` exactly.
    cohort
        ``"first_week"``, ``"first_channel"``, ``"first_campaign"`` or ``None``.
    within
        ``"channel"`` or ``"campaign"``: retention inside each channel or campaign
        (the breakdown column is added to the result).
    start_actions, return_actions
        What starts a unit and what counts as a return (default: active actions).
    min_times
        "Did it N or more times": the returns needed on the day (or days).
    zone
        The workspace's time zone (the analysis session's ``zone``).

    Returns
    -------
    ibis.Table
        ``[channel | campaign_id,] [cohort column,] day, cohort_size, retained, rate``.

    Examples
    --------
    >>> retention(ws.table("events"), days=[1, 7], cohort="first_channel")  # doctest: +SKIP
    """
    _check("cohort", cohort, COHORTS)
    _check("within", within, tuple(_WITHIN))
    if any(int(n) < 1 for n in days) or min_times < 1:
        raise InvalidArgumentError(
            "days, min_times",
            (tuple(days), min_times),
            ">= 1",
            reason="days and min_times must be >= 1",
            reason_zh="days 与 min_times 必须 >= 1",
        )
    unit = ["person_id"] + ([_WITHIN[within]] if within else [])
    group = unit[1:] + ([cohort] if cohort else [])
    starts = first_seen(
        events,
        actions=start_actions,
        within=within,
        zone=zone,
        detail=cohort in ("first_channel", "first_campaign"),
    )
    ev = events.filter(events.person_id.notnull())
    horizon = zone.local_day(ev.ts).max().as_scalar()
    back = ev.filter(ev.action.isin(list(return_actions or ACTIVE_ACTIONS)))
    back = back.mutate(day=zone.local_day(back.ts)).select(*unit, "day")
    joined = back.join(starts, unit)
    joined = joined.mutate(offset=joined.day - joined.first_day)
    per_day = (
        joined.filter(joined.offset >= 1)
        .group_by(list(dict.fromkeys([*unit, *group, "offset"])))
        .aggregate(n=ibis._.count())
    )
    parts = []
    for n in sorted({int(x) for x in days}):
        size = (
            starts.filter(starts.first_day + n <= horizon)
            .group_by(group or [ibis.literal(1).name("_all")])
            .aggregate(cohort_size=ibis._.count())
        )
        hits = per_day.filter(per_day.offset >= n if unbounded else per_day.offset == n)
        units = hits.group_by(list(dict.fromkeys([*unit, *group]))).aggregate(times=hits.n.sum())
        units = units.filter(units.times >= min_times)
        kept = units.group_by(group or [ibis.literal(1).name("_all")]).aggregate(retained=ibis._.count())
        keys = group or ["_all"]
        part = size.left_join(kept, keys).select(
            *[size[k] for k in keys],
            day=ibis.literal(n, type="int64"),
            cohort_size=size.cohort_size.cast("int64"),
            retained=kept.retained.fill_null(0).cast("int64"),
        )
        parts.append(part)
    out = ibis.union(*parts) if len(parts) > 1 else parts[0]
    out = out.mutate(rate=out.retained.cast("float64") / out.cohort_size)
    if not group:
        out = out.drop("_all")
    return out.order_by([*group, "day"])


# -- workspace-level analyses ------------------------------------------------------------
@register_analysis(
    "retention", title=("Retention", "留存"), choices={"cohort": COHORTS, "within": tuple(_WITHIN)}
)
def retention_analysis(
    session: AnalysisSession,
    *,
    days: tuple[int, ...] = (1, 7, 30),
    cohort: str = "first_channel",
    within: str | None = None,
    unbounded: bool = False,
) -> pd.DataFrame:
    """N-day retention of the people first seen in the period, by cohort."""
    return session.to_pandas(
        retention(
            session.events(),
            days=tuple(int(d) for d in days),
            cohort=cohort,  # type: ignore[arg-type]
            within=within,  # type: ignore[arg-type]
            unbounded=unbounded,
            zone=session.zone,
        )
    )
