"""Local days, weeks and months in IANA zones, checked against Python's zoneinfo and pandas."""

from __future__ import annotations

from datetime import date, datetime

import ibis
import numpy as np
import pandas as pd
import pytest

from canyu.analytics.calendar import Zone, period_index_date, transition_instants
from canyu.errors import InvalidArgumentError

ZONES = ("Asia/Shanghai", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC")


def _instants(rng: np.random.Generator, n: int = 4000) -> pd.Series:
    lo = pd.Timestamp("2019-01-01").value // 10**9
    hi = pd.Timestamp("2031-01-01").value // 10**9
    secs = rng.integers(lo, hi, n)
    # and every minute around London's and New York's 2026 changes
    near = [
        pd.Timestamp(t).value // 10**9 + k * 60
        for t in ("2026-03-29 01:00", "2026-10-25 01:00", "2026-03-08 07:00", "2026-11-01 06:00")
        for k in range(-90, 91)
    ]
    return pd.Series(pd.to_datetime(np.concatenate([secs, near]), unit="s"), name="ts")


@pytest.mark.parametrize("name", ZONES)
def test_local_days_weeks_months_match_zoneinfo(name: str, rng: np.random.Generator) -> None:
    ts = _instants(rng)
    zone = Zone(name)
    t = ibis.memtable(pd.DataFrame({"ts": ts}))
    expr = t.select(
        "ts",
        offset=zone.offset_seconds(t.ts),
        day=zone.local_day(t.ts),
        week=zone.period_index(t.ts, "week"),
        month=zone.period_index(t.ts, "month"),
        month_start=zone.period_start(t.ts, "month"),
        hour=zone.local_hour(t.ts),
    )
    got = ibis.duckdb.connect().to_pyarrow(expr).to_pandas().sort_values("ts", ignore_index=True)
    local = got["ts"].dt.tz_localize("UTC").dt.tz_convert(name)
    want_offset = [int(x.utcoffset().total_seconds()) for x in local]
    assert got["offset"].tolist() == want_offset
    want_day = (local.dt.tz_localize(None).dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    assert got["day"].tolist() == want_day.tolist()
    assert got["hour"].tolist() == local.dt.hour.tolist()
    assert got["month"].tolist() == (local.dt.year * 12 + local.dt.month - 1).tolist()
    assert pd.to_datetime(got["month_start"]).tolist() == [pd.Timestamp(d.year, d.month, 1) for d in local]
    monday = local.dt.tz_localize(None).dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D")
    assert [period_index_date(int(w), "week") for w in got["week"]] == [d.date() for d in monday]


def test_london_evening_is_the_same_day() -> None:
    london = Zone("Europe/London")
    # 20:00 BST on 1 August is 19:00 UTC: still 1 August in London (the bug: +8 h made it 2 August)
    assert london.local_date(datetime(2026, 8, 1, 19, 0)) == date(2026, 8, 1)
    t = ibis.memtable(
        pd.DataFrame({"ts": [pd.Timestamp("2026-08-01 19:00"), pd.Timestamp("2026-08-01 23:30")]})
    )
    days = ibis.duckdb.connect().to_pyarrow(t.select(d=london.local_day(t.ts))).column("d").to_pylist()
    assert [period_index_date(d, "day") for d in days] == [date(2026, 8, 1), date(2026, 8, 2)]


def test_transitions_and_bounds() -> None:
    ny = Zone("America/New_York").within(date(2026, 1, 1), date(2026, 12, 31))
    assert transition_instants(ny) == [datetime(2026, 3, 8, 7, 0), datetime(2026, 11, 1, 6, 0)]
    assert Zone("Asia/Shanghai").within(date(2026, 1, 1), date(2026, 12, 31)).offsets()[0][1] == 8 * 3600
    # the 25-hour night: local 1 November starts at 04:00 UTC and 2 November at 05:00 UTC
    assert ny.utc_bounds(date(2026, 11, 1), date(2026, 11, 1)) == (
        datetime(2026, 11, 1, 4, 0),
        datetime(2026, 11, 2, 5, 0),
    )


def test_unknown_zone_is_a_clear_error() -> None:
    with pytest.raises(InvalidArgumentError, match="Mars/Olympus"):
        Zone("Mars/Olympus")
