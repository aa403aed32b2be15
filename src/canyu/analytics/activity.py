"""User activity (活跃度): active people per period, stickiness and the activity lifecycle.

Xiaomi's playbook makes activity the operating goal, so every other analysis in
``canyu.analytics`` starts from the same definitions, kept here.

Definitions
-----------
active event
    An event whose ``action`` is in :data:`ACTIVE_ACTIONS`: anything a person
    does, i.e. every action except ``expose`` (an impression is shown *to*
    someone; they did nothing) and ``reply`` (written by the brand). Events
    without a ``person_id`` are ignored everywhere.
local day
    Times are stored in UTC; a day is the workspace's local calendar day,
    ``floor((epoch_seconds(ts) + utc_offset_hours * 3600) / 86400)``. China
    keeps no daylight saving time, so one fixed offset (default ``+8``,
    Asia/Shanghai) is exact.
period
    ``day``, ``week`` (Monday to Sunday) or ``month`` of the local time. Each
    period has an integer index (``period_index``: days since 1970-01-01,
    weeks since the Monday 1969-12-29, or ``12 * year + month - 1``) and a
    ``period_start`` date.
active people (DAU / WAU / MAU)
    Distinct ``person_id`` with at least one active event in the period,
    overall or per channel.

Everything is an Ibis expression and runs unchanged on DuckDB and Spark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import ibis
import ibis.expr.types as ir

from canyu.vocab import ACTIONS

__all__ = [
    "ACTIVE_ACTIONS",
    "PERIODS",
    "Period",
    "active_events",
    "active_people",
    "activity_lifecycle",
    "local_day",
    "period_index",
    "period_start",
    "stickiness",
]

Period = Literal["day", "week", "month"]
PERIODS: tuple[str, ...] = ("day", "week", "month")
ACTIVE_ACTIONS: tuple[str, ...] = tuple(a for a in ACTIONS if a not in ("expose", "reply"))
"""Actions that make a person active: all but ``expose`` and ``reply``."""

_DAY_S = 86_400
# 1970-01-01 was a Thursday: adding 3 days makes weeks start on Monday.
_MONDAY_SHIFT = 3


def _check_period(period: str) -> None:
    if period not in PERIODS:
        from canyu.errors import UnknownNameError

        raise UnknownNameError("period", period, PERIODS)


def local_day(ts: ir.TimestampValue, *, utc_offset_hours: float = 8) -> ir.IntegerValue:
    """The local day number (days since 1970-01-01) of a UTC timestamp."""
    seconds = ts.epoch_seconds() + round(utc_offset_hours * 3600)
    return (seconds // _DAY_S).cast("int64")


def period_index(
    ts: ir.TimestampValue, period: Period = "day", *, utc_offset_hours: float = 8
) -> ir.IntegerValue:
    """The integer index of the local ``period`` that holds ``ts`` (consecutive periods differ by 1)."""
    _check_period(period)
    day = local_day(ts, utc_offset_hours=utc_offset_hours)
    if period == "day":
        return day
    if period == "week":
        return ((day + _MONDAY_SHIFT) // 7).cast("int64")
    local = ts + ibis.interval(seconds=round(utc_offset_hours * 3600))
    return (local.year().cast("int64") * 12 + local.month().cast("int64") - 1).cast("int64")


def period_start(
    ts: ir.TimestampValue, period: Period = "day", *, utc_offset_hours: float = 8
) -> ir.DateValue:
    """The local date on which the ``period`` holding ``ts`` starts."""
    _check_period(period)
    local = ts + ibis.interval(seconds=round(utc_offset_hours * 3600))
    unit = {"day": "D", "week": "W", "month": "M"}[period]
    return local.truncate(unit).date()


def active_events(events: ir.Table, *, actions: Sequence[str] | None = None) -> ir.Table:
    """Events that make their person active (see :data:`ACTIVE_ACTIONS`), with a ``person_id``."""
    acts = list(actions) if actions is not None else list(ACTIVE_ACTIONS)
    return events.filter(events.person_id.notnull() & events.action.isin(acts))


def active_people(
    events: ir.Table,
    *,
    period: Period = "day",
    by_channel: bool = False,
    actions: Sequence[str] | None = None,
    utc_offset_hours: float = 8,
) -> ir.Table:
    """Active people per period (DAU for ``day``, WAU for ``week``, MAU for ``month``).

    Parameters
    ----------
    events
        The ``events`` table.
    period
        ``"day"``, ``"week"`` or ``"month"``.
    by_channel
        One row per channel and period instead of one per period (a person
        active on two channels counts once overall and once on each).
    actions
        The actions that count as active (default :data:`ACTIVE_ACTIONS`).
    utc_offset_hours
        The workspace's offset from UTC.

    Returns
    -------
    ibis.Table
        ``[channel,] period_index, period_start, active``, ordered by period.

    Examples
    --------
    >>> dau = active_people(ws.table("events"), period="day")  # doctest: +SKIP
    """
    ev = active_events(events, actions=actions)
    ev = ev.mutate(period_index=period_index(ev.ts, period, utc_offset_hours=utc_offset_hours))
    keys = (["channel"] if by_channel else []) + ["period_index"]
    # The start date is derived after grouping (from any time in the period): cheaper than grouping by it.
    out = ev.group_by(keys).aggregate(active=ev.person_id.nunique(), _ts=ev.ts.min())
    out = out.mutate(period_start=period_start(out._ts, period, utc_offset_hours=utc_offset_hours))
    return out.select(*keys, "period_start", "active").order_by(keys[::-1])


def stickiness(
    events: ir.Table,
    *,
    by_channel: bool = False,
    actions: Sequence[str] | None = None,
    utc_offset_hours: float = 8,
) -> ir.Table:
    """Monthly stickiness: average DAU over the month divided by MAU.

    The average DAU of a month is the sum of daily active people divided by
    the number of *observed* days of that month: days on which anyone in the
    workspace was active. A channel with no one active on an observed day
    counts zero for that day, so stickiness is comparable across channels.

    Returns
    -------
    ibis.Table
        ``[channel,] period_index, period_start, avg_dau, mau, stickiness``.
    """
    ev = active_events(events, actions=actions)
    ev = ev.mutate(
        day=local_day(ev.ts, utc_offset_hours=utc_offset_hours),
        period_index=period_index(ev.ts, "month", utc_offset_hours=utc_offset_hours),
    )
    group = ["channel"] if by_channel else []
    month = ["period_index"]
    daily = ev.group_by([*group, *month, "day"]).aggregate(dau=ev.person_id.nunique())
    summed = daily.group_by([*group, *month]).aggregate(dau_sum=daily.dau.sum())
    mau = ev.group_by([*group, *month]).aggregate(mau=ev.person_id.nunique(), _ts=ev.ts.min())
    mau = mau.mutate(period_start=period_start(mau._ts, "month", utc_offset_hours=utc_offset_hours))
    observed = ev.group_by("period_index").aggregate(days=ev.day.nunique())
    month = ["period_index", "period_start"]
    out = (
        summed.join(mau, [*group, "period_index"])
        .join(observed, "period_index")
        .mutate(avg_dau=lambda t: t.dau_sum.cast("float64") / t.days)
    )
    out = out.mutate(stickiness=out.avg_dau / out.mau)
    return out.select(*group, *month, "avg_dau", "mau", "stickiness").order_by([*month, *group])


def activity_lifecycle(
    events: ir.Table,
    *,
    period: Period = "week",
    actions: Sequence[str] | None = None,
    utc_offset_hours: float = 8,
) -> ir.Table:
    """How the active people of each period came to be active (growth accounting).

    For period ``p`` and a person ``x``:

    ``new``
        ``x`` is active in ``p`` and in no earlier period.
    ``returning``
        ``x`` is active in ``p`` and in ``p - 1``.
    ``resurrecting``
        ``x`` is active in ``p``, not in ``p - 1``, but in some period before ``p - 1``.
    ``dormant``
        ``x`` was active in ``p - 1`` and is not active in ``p`` (counted in ``p``,
        for the periods up to the last period with any activity).

    ``new + returning + resurrecting`` is the period's active count, and
    ``active(p) - active(p - 1) = new + resurrecting - dormant``.

    Returns
    -------
    ibis.Table
        ``period_index, new, returning, resurrecting, dormant, active``, one row
        per period from the first to the last period with activity in which
        anyone was active or went dormant.
    """
    ev = active_events(events, actions=actions)
    ev = ev.mutate(p=period_index(ev.ts, period, utc_offset_hours=utc_offset_hours))
    pp = ev.select("person_id", "p").distinct()
    w = ibis.window(group_by="person_id", order_by="p")
    pp = pp.mutate(prev=pp.p.lag().over(w), nxt=pp.p.lead().over(w))
    last = pp.p.max().as_scalar()
    counted = pp.group_by("p").aggregate(
        new=pp.prev.isnull().sum().cast("int64"),
        returning=(pp.prev == pp.p - 1).sum().cast("int64"),
        resurrecting=(pp.prev < pp.p - 1).sum().cast("int64"),
    )
    gone = pp.filter(pp.nxt.isnull() | (pp.nxt > pp.p + 1)).mutate(p=pp.p + 1)
    gone = gone.filter(gone.p <= last)
    dormant = gone.group_by("p").aggregate(dormant=gone.count().cast("int64"))
    out = counted.outer_join(dormant, "p").select(
        p=ibis.coalesce(counted.p, dormant.p),
        new=counted.new.fill_null(0),
        returning=counted.returning.fill_null(0),
        resurrecting=counted.resurrecting.fill_null(0),
        dormant=dormant.dormant.fill_null(0),
    )
    out = out.mutate(active=out.new + out.returning + out.resurrecting).rename(period_index="p")
    return out.order_by("period_index")
