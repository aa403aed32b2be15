"""The analysis session: the workspace's zone, period, channels and settings reach every analysis."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import canyu
from canyu.analytics.registry import analysis_names, as_tables, get_analysis, to_jsonable
from canyu.errors import InvalidArgumentError, UnknownNameError
from canyu.session import AnalysisSession, Period


def _workspace(tmp_path: Path, timezone: str, rows: list[tuple[str, str, str, str]]) -> canyu.Workspace:
    """A workspace in ``timezone`` with events ``(ts local, channel, action, user)`` imported from a file."""
    ws = canyu.create(tmp_path / timezone.replace("/", "_"), timezone=timezone, locale="en")
    frame = pd.DataFrame(rows, columns=["ts", "channel", "action", "user_id"])
    frame.insert(0, "event_id", [f"e{i}" for i in range(len(frame))])
    path = tmp_path / f"{timezone.replace('/', '_')}.csv"
    frame.to_csv(path, index=False)
    [res] = ws.import_files([path], table="events")
    assert res.rows_loaded == len(frame)
    return ws


def test_london_evening_counts_on_its_own_day(tmp_path: Path) -> None:
    # 20:00 and 23:30 on 1 August in London (BST): 19:00 and 22:30 UTC, both on 1 August locally;
    # with the old fixed +8 h offset both counted on 2 August.
    ws = _workspace(
        tmp_path,
        "Europe/London",
        [
            ("2026-08-01 20:00:00", "weibo", "view", "a"),
            ("2026-08-01 23:30:00", "weibo", "like", "b"),
            ("2026-08-02 00:30:00", "weibo", "view", "c"),
        ],
    )
    with ws:
        dau = ws.session().run("activity", unit="day", by_channel=False)
        assert dict(zip(pd.to_datetime(dau.period_start).dt.date, dau.active, strict=True)) == {
            date(2026, 8, 1): 2,
            date(2026, 8, 2): 1,
        }
        # the period is cut in the zone too
        one_day = ws.session(period="2026-08-01").run("activity", unit="day", by_channel=False)
        assert one_day.active.tolist() == [2]


def test_new_york_across_the_end_of_daylight_saving(tmp_path: Path) -> None:
    # 1 November 2026 has 25 hours in New York: 01:30 happens twice (EDT, then EST).
    rows = [
        ("2026-10-31 21:00:00", "wechat_oa", "view", "a"),  # a first seen 31 Oct (01:00 UTC 1 Nov)
        ("2026-11-01 18:00:00", "wechat_oa", "view", "a"),  # back on 1 Nov (23:00 UTC 1 Nov)
        ("2026-11-01 00:30:00-04:00", "wechat_oa", "view", "b"),
        ("2026-11-01 23:45:00", "wechat_oa", "view", "c"),  # 04:45 UTC 2 Nov
        ("2026-11-02 00:15:00", "wechat_oa", "view", "d"),
    ]
    ws = _workspace(tmp_path, "America/New_York", rows)
    with ws:
        s = ws.session()
        dau = s.run("activity", unit="day", by_channel=False)
        by_day = dict(zip(pd.to_datetime(dau.period_start).dt.date, dau.active, strict=True))
        assert by_day == {date(2026, 10, 31): 1, date(2026, 11, 1): 3, date(2026, 11, 2): 1}
        ret = s.run("retention", days=(1,), cohort="first_channel")
        # a: first seen 31 Oct local, back on 1 Nov local = day 1 (in UTC both were 1 Nov: day 0)
        assert int(ret.loc[ret.day == 1, "retained"].sum()) == 1
        weekly = s.run("activity", unit="week", by_channel=False)
        assert pd.to_datetime(weekly.period_start).dt.date.tolist() == [date(2026, 10, 26), date(2026, 11, 2)]
        assert weekly.active.tolist() == [3, 1]


def test_funnel_windows_are_instants_not_clock_times(tmp_path: Path) -> None:
    # The 25-hour night: 00:30 EDT to 23:45 EST is 24 h 15 min, outside a one-day window.
    ws = _workspace(
        tmp_path,
        "America/New_York",
        [
            ("2026-11-01 00:30:00", "weibo", "view", "a"),
            ("2026-11-01 23:45:00", "weibo", "follow", "a"),
            ("2026-11-02 00:30:00", "weibo", "view", "b"),
            ("2026-11-02 23:45:00", "weibo", "follow", "b"),
        ],
    )
    with ws:
        f = ws.session().run("funnels", steps=("view", "follow"), window_days=1)
        assert f["people"].tolist() == [2, 1]


def test_period_text() -> None:
    assert Period.parse("2026-10") == Period(date(2026, 10, 1), date(2026, 10, 31))
    assert Period.parse("2024-02") == Period(date(2024, 2, 1), date(2024, 2, 29))
    assert Period.parse("2026-10-01..2026-10-07").days == 7
    assert Period.parse("last-30d", today=date(2026, 12, 1)) == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert Period.parse("next-30d", today=date(2026, 12, 1)) == Period(date(2026, 12, 1), date(2026, 12, 30))
    assert Period.parse("") == Period() == Period.parse("all")
    for bad in ("2026-13", "yesterday", "2026-10-01..", "last-0d"):
        with pytest.raises(InvalidArgumentError):
            Period.parse(bad)


def test_session_settings_come_from_canyu_toml(tmp_path: Path) -> None:
    with canyu.create(tmp_path / "ws", timezone="Asia/Tokyo", conversion_actions=("purchase", "lead")) as ws:
        ws.update_config(accounts={"weibo": ("brand_w",)}, currency="JPY")
    with canyu.open(tmp_path / "ws") as ws:
        s = ws.session(channels="weibo,wecom")
        assert s.timezone == "Asia/Tokyo" and s.zone.name == "Asia/Tokyo"
        assert s.conversion_actions == ("purchase", "lead")
        assert s.currency == "JPY"
        assert s.own_accounts("weibo") == ("brand_w",) and s.own_accounts("wecom") == ()
        assert s.channels == ("weibo", "wecom")
        with pytest.raises(UnknownNameError, match="weibo"):
            ws.session(channels=["weibp"])


def test_every_registered_analysis_runs_and_presents(tmp_path: Path) -> None:
    from canyu.simulate import import_simulation, simulate

    sim = simulate(tmp_path / "sim", people=1500, days=21, seed=11)
    with canyu.create(tmp_path / "ws", locale="en") as ws:
        import_simulation(ws, sim.path)
        assert ws.config.accounts["weibo"] == ("brand_weibo",)  # the simulator declares the brand's accounts
        s = ws.session(period=(date(2026, 8, 1), date(2026, 8, 21)))
        names = analysis_names()
        for expected in (
            "activity",
            "retention",
            "lifecycle",
            "funnels",
            "products",
            "campaigns",
            "community",
            "service",
            "content",
            "roles",
            "attribution",
            "cascades",
            "seeds",
            "findings",
            "spend",
        ):
            assert expected in names
        for name in names:
            result = s.run(name)
            tables = as_tables(result)
            assert tables and all(isinstance(t, pd.DataFrame) for t in tables.values()), name
            to_jsonable(result)  # JSON-able
            assert s.run(name) is result  # memoised
        # seeding never picks the brand's own accounts
        seeds = s.run("seeds", channel="weibo", k=5)
        assert not any(node.startswith("brand_") for node in seeds.seeds)
        attr = s.run("attribution")
        assert 0 < attr.attributed <= attr.orders
        with pytest.raises(UnknownNameError, match="unit"):
            s.run("activity", unit="fortnight")
        with pytest.raises(UnknownNameError, match="option"):
            s.run("activity", bogus=1)
        assert get_analysis("seeds").option("k").parse("3") == 3


def test_campaign_filter_keeps_only_those_campaigns_events(tmp_path: Path) -> None:
    rows = [
        # (ts local, channel, action, user, campaign)
        ("2026-10-01 09:00:00", "weibo", "view", "a", "618"),
        ("2026-10-01 10:00:00", "weibo", "view", "b", "618"),
        ("2026-10-01 11:00:00", "wechat_oa", "view", "c", "double11"),
        ("2026-10-02 09:00:00", "weibo", "view", "a", "double11"),
        ("2026-10-02 09:30:00", "weibo", "view", "d", ""),  # no campaign
        ("2026-10-03 09:00:00", "wechat_oa", "view", "e", "618"),
    ]
    ws = canyu.create(tmp_path / "camp", timezone="Asia/Shanghai", locale="en")
    frame = pd.DataFrame(rows, columns=["ts", "channel", "action", "user_id", "campaign_id"])
    frame.insert(0, "event_id", [f"e{i}" for i in range(len(frame))])
    frame.to_csv(tmp_path / "camp.csv", index=False)
    [res] = ws.import_files([tmp_path / "camp.csv"], table="events")
    assert res.rows_loaded == 6
    with ws:
        every = ws.session()
        assert every.campaigns is None and every.count(every.events()) == 6
        s = ws.session(campaigns=["618"])
        assert s.campaigns == ("618",) and s.count(s.events()) == 3
        # the closed form: daily active people of campaign 618 only (a and b on 1 Oct, e on 3 Oct)
        dau = s.run("activity", unit="day", by_channel=False)
        got = {str(d)[:10]: int(n) for d, n in zip(dau["period_start"], dau["active"], strict=True)}
        assert got == {"2026-10-01": 2, "2026-10-03": 1}
        both = ws.session(campaigns="618,double11")  # text, as --campaigns gives it
        assert both.campaigns == ("618", "double11") and both.count(both.events()) == 5
        # with the channel and period filters: weibo, 1-2 October, 618 and double11: a, b, a
        narrow = ws.session(
            period="2026-10-01..2026-10-02", channels=["weibo"], campaigns=["618", "double11"]
        )
        assert narrow.count(narrow.events()) == 3
        assert narrow.count(narrow.events_until_end()) == 3
        # another period keeps the campaigns
        later = s.with_period("2026-10-03")
        assert later.campaigns == ("618",) and later.count(later.events()) == 1
        none = ws.session(campaigns=["no-such-campaign"])
        assert none.count(none.events()) == 0
        assert ws.session(campaigns=[" ", ""]).campaigns is None  # nothing chosen: all the data
        with pytest.raises(InvalidArgumentError):
            AnalysisSession(ws, campaigns="618")
