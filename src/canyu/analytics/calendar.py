"""Local days, weeks and months of UTC timestamps, in a workspace's IANA time zone.

Times are stored as naive UTC. An analysis cuts them into the workspace's local
calendar days, Monday-to-Sunday weeks and months; a :class:`Zone` builds the
portable Ibis expressions that do it, on DuckDB and Spark alike.

Why by hand: Ibis has no portable "convert to time zone" operation (DuckDB's
``timezone()`` and Spark's ``from_utc_timestamp`` differ, and neither is
exposed uniformly), so the zone's UTC offset is written as a piecewise-constant
function of the instant: the zone's transitions (from the IANA database through
:mod:`zoneinfo`) become a balanced tree of ``ifelse`` comparisons on the epoch
seconds. A zone without daylight saving in the span (Asia/Shanghai since 1991)
is one constant; Europe/London over ten years is a tree about five levels deep.
Months come from the calendar date of the local day number, so no timestamp
arithmetic with a column offset is needed on either engine.

Periods have an integer index (:func:`Zone.period_index`): days since
1970-01-01, weeks since the Monday 1969-12-29, or ``12 * year + month - 1``;
:func:`period_date` turns an index back into the local date it starts on.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import ibis.expr.types as ir

__all__ = [
    "PERIODS",
    "Unit",
    "Zone",
    "check_period",
    "day_to_period",
    "period_date",
    "period_index_date",
    "period_index_of",
]

Unit = Literal["day", "week", "month"]
"""A calendar unit: ``day``, ``week`` (Monday to Sunday) or ``month``."""
PERIODS: tuple[str, ...] = ("day", "week", "month")

_DAY_S = 86_400
# 1970-01-01 was a Thursday: adding 3 days makes weeks start on Monday.
_MONDAY_SHIFT = 3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The span searched for transitions when none is given (social-media data starts after 2000);
# an analysis session narrows it to its period or its data.
_SPAN = (date(2000, 1, 1), date(2060, 1, 1))


def check_period(period: str) -> None:
    """Raise :class:`~canyu.errors.UnknownNameError` unless ``period`` is day, week or month."""
    if period not in PERIODS:
        from canyu.errors import UnknownNameError

        raise UnknownNameError("period", period, PERIODS)


def _offset_at(tz: ZoneInfo, epoch: int) -> int:
    off = datetime.fromtimestamp(epoch, tz).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


@functools.lru_cache(maxsize=64)
def _transitions(name: str, lo: int, hi: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(instants, offsets)``: the offset before ``instants[0]`` is ``offsets[0]``, and so on.

    Sampled once a day (no zone changes its offset twice within a day), then each
    change located to the second by bisection.
    """
    tz = ZoneInfo(name)
    step = _DAY_S
    instants: list[int] = []
    offsets = [_offset_at(tz, lo)]
    prev_t, prev = lo, offsets[0]
    t = lo + step
    while t <= hi + step:
        cur = _offset_at(tz, t)
        if cur != prev:
            a, b = prev_t, t  # offset(a) == prev, offset(b) == cur
            while b - a > 1:
                mid = (a + b) // 2
                if _offset_at(tz, mid) == prev:
                    a = mid
                else:
                    b = mid
            instants.append(b)
            offsets.append(cur)
            prev = cur
        prev_t = t
        t += step
    return tuple(instants), tuple(offsets)


def _epoch(d: date) -> int:
    return int((datetime.combine(d, time.min, tzinfo=UTC) - _EPOCH).total_seconds())


@dataclass(frozen=True)
class Zone:
    """An IANA time zone, as portable expressions over UTC timestamps.

    Parameters
    ----------
    name
        An IANA zone name, e.g. ``"Asia/Shanghai"`` or ``"Europe/London"``.
    span
        The dates the data can fall in (a day of margin is added); transitions
        outside it are left out of the expressions. Default 2000 to 2060.

    Examples
    --------
    >>> z = Zone("Europe/London")
    >>> z.utc_offset(datetime(2026, 8, 1, 19, 0))  # BST
    3600
    >>> z.local_date(datetime(2026, 8, 1, 23, 30))  # 00:30 on 2 August in London
    datetime.date(2026, 8, 2)
    """

    name: str
    span: tuple[date, date] = _SPAN
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            tz = ZoneInfo(self.name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            from canyu.errors import InvalidArgumentError

            raise InvalidArgumentError(
                "timezone", self.name, "an IANA time zone such as Asia/Shanghai or Europe/London"
            ) from exc
        object.__setattr__(self, "_tz", tz)

    @property
    def tzinfo(self) -> ZoneInfo:
        return self._tz

    def within(self, start: date | None, end: date | None) -> Zone:
        """The same zone with its transitions restricted to ``start``..``end`` (open sides keep the default)."""
        return Zone(self.name, (start or self.span[0], end or self.span[1]))

    # -- Python side ---------------------------------------------------------------
    def utc_offset(self, ts: datetime) -> int:
        """Seconds east of UTC at the naive UTC instant ``ts``."""
        return _offset_at(self._tz, int((ts.replace(tzinfo=UTC) - _EPOCH).total_seconds()))

    def local_date(self, ts: datetime) -> date:
        """The local calendar date of the naive UTC instant ``ts``."""
        return ts.replace(tzinfo=UTC).astimezone(self._tz).date()

    def utc_start(self, d: date) -> datetime:
        """The naive UTC instant at which local day ``d`` begins (daylight saving included)."""
        local = datetime.combine(d, time.min, tzinfo=self._tz)
        return local.astimezone(UTC).replace(tzinfo=None)

    def utc_bounds(self, start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
        """``[lower, upper)`` naive UTC bounds of the local days ``start``..``end`` (both included)."""
        lower = self.utc_start(start) if start else None
        upper = self.utc_start(end + timedelta(days=1)) if end else None
        return lower, upper

    def _table(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        lo = _epoch(self.span[0]) - _DAY_S
        hi = _epoch(self.span[1]) + 2 * _DAY_S
        return _transitions(self.name, lo, hi)

    def offsets(self) -> list[tuple[int, int]]:
        """``(from_epoch_seconds, offset_seconds)`` pieces within the span (the first from the span's start)."""
        instants, offsets = self._table()
        starts = [_epoch(self.span[0]) - _DAY_S, *instants]
        return list(zip(starts, offsets, strict=True))

    # -- expressions ---------------------------------------------------------------
    def offset_seconds(self, ts: ir.TimestampValue) -> ir.IntegerValue:
        """The zone's UTC offset in seconds at each instant of ``ts`` (naive UTC)."""
        instants, offsets = self._table()
        if len(set(offsets)) == 1:
            return ibis.literal(offsets[0], type="int64")
        seconds = ts.epoch_seconds()

        def tree(lo: int, hi: int) -> ir.IntegerValue:
            # offsets[lo..hi]; offsets[i] holds from instants[i-1] (for i > 0) up to instants[i]
            if lo == hi:
                return ibis.literal(offsets[lo], type="int64")
            mid = (lo + hi + 1) // 2
            return ibis.ifelse(seconds < instants[mid - 1], tree(lo, mid - 1), tree(mid, hi))

        return tree(0, len(offsets) - 1)

    def local_seconds(self, ts: ir.TimestampValue) -> ir.IntegerValue:
        """Seconds since 1970-01-01 00:00 local wall-clock time."""
        return (ts.epoch_seconds() + self.offset_seconds(ts)).cast("int64")

    def local_day(self, ts: ir.TimestampValue) -> ir.IntegerValue:
        """The local day number (days since 1970-01-01) of each instant."""
        return (self.local_seconds(ts) // _DAY_S).cast("int64")

    def local_hour(self, ts: ir.TimestampValue) -> ir.IntegerValue:
        """The local hour of day, 0-23."""
        return ((self.local_seconds(ts) % _DAY_S) // 3600).cast("int64")

    def period_index(self, ts: ir.TimestampValue, period: Unit = "day") -> ir.IntegerValue:
        """The integer index of the local ``period`` holding each instant (consecutive periods differ by 1)."""
        check_period(period)
        return day_to_period(self.local_day(ts), period)

    def period_start(self, ts: ir.TimestampValue, period: Unit = "day") -> ir.DateValue:
        """The local date on which the ``period`` holding each instant starts."""
        return period_date(self.period_index(ts, period), period)

    def contains(self, ts: datetime) -> bool:
        """Whether ``ts`` (naive UTC) falls within the span, where the expressions are exact."""
        lo, hi = self.span
        return self.utc_start(lo) <= ts < self.utc_start(hi + timedelta(days=1))


def day_to_period(day: ir.IntegerValue, period: Unit) -> ir.IntegerValue:
    """Local day number → period index (see the module docstring)."""
    check_period(period)
    if period == "day":
        return day
    if period == "week":
        return ((day + _MONDAY_SHIFT) // 7).cast("int64")
    # The calendar date of the day number, then 12 * year + month - 1. (Integer civil-calendar
    # arithmetic would repeat the day expression, and with it the zone's offset tree, many
    # times over in the compiled SQL; this repeats it twice.)
    d = ibis.date(1970, 1, 1) + day.as_interval("D")
    return (d.year().cast("int64") * 12 + d.month().cast("int64") - 1).cast("int64")


def period_date(index: ir.IntegerValue, period: Unit = "day") -> ir.DateValue:
    """The local date on which period number ``index`` starts.

    Integer arithmetic on the (few) aggregated rows, so an aggregate need not
    carry a ``min(ts)`` only to name its period: next to a distinct count that
    extra aggregate made DuckDB split the query in two.
    """
    check_period(period)
    if period == "month":
        return ibis.date((index // 12).cast("int32"), (index % 12 + 1).cast("int32"), 1)
    days = index if period == "day" else index * 7 - _MONDAY_SHIFT
    return ibis.date(1970, 1, 1) + days.as_interval("D")


def period_index_of(d: date, period: Unit) -> int:
    """The index of the local ``period`` holding date ``d`` (Python side of :meth:`Zone.period_index`)."""
    check_period(period)
    day = (d - date(1970, 1, 1)).days
    if period == "day":
        return day
    if period == "week":
        return (day + _MONDAY_SHIFT) // 7
    return d.year * 12 + d.month - 1


def period_index_date(index: int, period: Unit) -> date:
    """The local date period number ``index`` starts on (Python side of :func:`period_date`)."""
    check_period(period)
    if period == "month":
        return date(index // 12, index % 12 + 1, 1)
    days = index if period == "day" else index * 7 - _MONDAY_SHIFT
    return date(1970, 1, 1) + timedelta(days=days)


def transition_instants(zone: Zone) -> Sequence[datetime]:
    """The zone's offset changes within its span, as naive UTC datetimes (for tests and docs)."""
    instants, _ = zone._table()
    return [datetime.fromtimestamp(t, UTC).replace(tzinfo=None) for t in instants]
