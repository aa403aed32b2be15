"""The dated action plan on a simulated workspace: dates, budgets, KPIs, levers, exports, tracking."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from icalendar import Calendar
from openpyxl import load_workbook

import canyu
from canyu.errors import InvalidArgumentError
from canyu.plan._export import plan_ics, plan_json, plan_markdown, write_xlsx
from canyu.plan.actions import OWNERS, Plan, build_plan, load_plan, save_plan, track
from canyu.plan.levers import Levers
from canyu.report import build_report

PERIOD = "2026-09-01..2026-09-30"
BUDGET = 123_456.78


@pytest.fixture(scope="module")
def planned(sim_workspace: Callable[[str], Path]) -> Iterator[tuple[canyu.Workspace, Plan]]:
    with canyu.open(sim_workspace("default")) as ws:
        yield ws, build_plan(ws.session(), period=PERIOD, budget=BUDGET, objective="conversions")


def _local_events(ws: canyu.Workspace, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Raw events with their local (Asia/Shanghai) day, cut in pandas: an independent path."""
    ev = ws.to_pandas(ws.table("events").select("ts", "channel", "action", "person_id"))
    day = pd.to_datetime(ev["ts"]).dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai").dt.date
    return ev[(day >= start) & (day <= end)]


def test_tasks_are_dated_within_the_period_with_owners(planned: tuple[canyu.Workspace, Plan]) -> None:
    _, plan = planned
    assert plan.period.start == dt.date(2026, 9, 1) and plan.period.end == dt.date(2026, 9, 30)
    kinds = {t.kind for t in plan.tasks}
    assert {"paid", "seeding", "content", "service", "community", "hit", "fans", "node"} <= kinds
    for t in plan.tasks:
        assert plan.period.start <= t.start <= t.due <= plan.period.end, t.key
        assert t.owner in OWNERS
        assert t.conversions.lo <= t.conversions.mean <= t.conversions.hi + 1e-9, t.key
        assert t.evidence["section"]
    # 开学季 (back to school) overlaps September: a participation node up to 10 September
    node = next(t for t in plan.tasks if t.key == "node:back_to_school-2026")
    assert node.due == dt.date(2026, 9, 10)


def test_task_budgets_add_up_to_the_budget_to_the_fen(planned: tuple[canyu.Workspace, Plan]) -> None:
    _, plan = planned
    assert sum(round(t.budget * 100) for t in plan.tasks) == round(BUDGET * 100)
    assert all(t.budget >= 0 for t in plan.tasks)
    seeding = next(t for t in plan.tasks if t.kind == "seeding")
    fees = [s["fee"] for s in seeding.detail["seeds"]]
    assert seeding.budget == pytest.approx(sum(fees)) and seeding.detail["seeds"][0]["account"]
    # each seed's expected orders are its marginal reach times the baseline's orders per person
    gains = sum(sd["expected_reach"] for sd in seeding.detail["seeds"])
    assert gains == pytest.approx(seeding.detail["expected_reach"], abs=0.01 * len(fees))
    orders = sum(sd["expected_orders"] for sd in seeding.detail["seeds"])
    assert orders == pytest.approx(seeding.conversions.mean, rel=1e-3, abs=1e-3)


def test_priorities_follow_expected_conversions_per_yuan(planned: tuple[canyu.Workspace, Plan]) -> None:
    _, plan = planned
    ranked = sorted(plan.tasks, key=lambda t: t.rank)
    assert [t.rank for t in ranked] == list(range(1, len(ranked) + 1))
    per_yuan = [t.conversions_per_yuan for t in ranked]
    assert per_yuan == sorted(per_yuan, reverse=True)
    assert ranked[0].priority == "high" and ranked[-1].priority == "low"


def test_kpi_baselines_are_measured_from_the_data(planned: tuple[canyu.Workspace, Plan]) -> None:
    ws, plan = planned
    base = plan.baseline
    assert base.days == 30  # as many days as the plan's period, ending on the data's last day
    ev = _local_events(ws, base.start, base.end)  # type: ignore[arg-type]
    spend = ws.session(period=(base.start, base.end)).run("spend").set_index("channel")
    checked = 0
    for t in plan.tasks:
        k = t.kpi
        if k.metric == "active_people":
            assert k.baseline == ev[ev["channel"] == k.channel]["person_id"].nunique(), t.key
            checked += 1
        elif k.metric == "channel_orders":
            assert k.baseline == pytest.approx(spend.loc[k.channel, "orders"]), t.key
            checked += 1
        elif k.metric == "posts_per_day":
            ct = ws.to_pandas(ws.table("contents").select("channel", "published_at"))
            day = (
                pd.to_datetime(ct["published_at"])
                .dt.tz_localize("UTC")
                .dt.tz_convert("Asia/Shanghai")
                .dt.date
            )
            posts = int(((ct["channel"] == k.channel) & (day >= base.start) & (day <= base.end)).sum())
            assert k.baseline == pytest.approx(round(posts / 30, 3)), t.key
            checked += 1
    assert checked >= 5


def test_levers_round_trip_and_carry_the_whole_budget(planned: tuple[canyu.Workspace, Plan]) -> None:
    _, plan = planned
    raw = json.loads(plan_json(plan, "zh-CN"))
    levers = Levers.from_dict(raw["levers"])
    assert levers == plan.levers
    money = (
        levers.total_spend_per_day * plan.days
        + sum(s.fee for s in levers.seeds)
        + sum(c.budget for c in levers.campaigns)
    )
    assert money == pytest.approx(BUDGET, abs=0.01)
    assert all(plan.period.start <= c.start <= c.end <= plan.period.end for c in levers.campaigns)
    assert set(levers.reply_minutes) == {t.channel for t in plan.tasks if t.kind == "service"}
    # the plan itself round-trips through its JSON
    again = Plan.from_dict(raw)
    assert [t.key for t in again.tasks] == [t.key for t in plan.tasks]
    assert again.levers == plan.levers and again.budget == plan.budget


def test_ics_has_one_event_per_task_in_the_workspace_zone(planned: tuple[canyu.Workspace, Plan]) -> None:
    _, plan = planned
    for locale in ("zh-CN", "en"):
        cal = Calendar.from_ical(plan_ics(plan, locale))
        events = list(cal.walk("VEVENT"))
        assert len(events) == len(plan.tasks)
        by_uid = {str(e["uid"]): e for e in events}
        for t in plan.tasks:
            e = by_uid[f"{t.key}/{plan.period.start}@canyu"]
            start, end = e.decoded("dtstart"), e.decoded("dtend")
            assert start.date() == t.start and end.date() == t.due
            assert str(start.tzinfo) == "Asia/Shanghai" and start.hour == 9
            assert str(e["summary"]) == (t.title[1] if locale == "zh-CN" else t.title[0])


def test_xlsx_has_one_row_per_task_and_no_live_formulas(
    planned: tuple[canyu.Workspace, Plan], tmp_path: Path
) -> None:
    _, plan = planned
    evil = replace(plan.tasks[0], title=('=HYPERLINK("http://x")', "+cmd|' /C calc'!A0"))
    bad = replace(plan, tasks=(evil, *plan.tasks[1:]))
    for locale in ("en", "zh-CN"):
        path = write_xlsx(bad, tmp_path / f"plan.{locale}.xlsx", locale)
        sheet = load_workbook(path).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows) - 1 == len(plan.tasks)
        header = list(rows[0])
        budget_col = header.index("Budget (yuan)" if locale == "en" else "预算（元）")
        assert sum(round(r[budget_col] * 100) for r in rows[1:]) == round(BUDGET * 100)
        task_col = 2
        texts = [str(r[task_col]) for r in rows[1:]]
        assert not any(x[:1] in "=+-@" for x in texts)
        assert any(x.startswith("'=HYPERLINK") or x.startswith("'+cmd") for x in texts)


def test_markdown_lists_every_task_in_both_languages(planned: tuple[canyu.Workspace, Plan]) -> None:
    _, plan = planned
    en, zh = plan_markdown(plan, "en"), plan_markdown(plan, "zh-CN")
    assert "## Channel layout" in en and "## 渠道布局" in zh
    for t in plan.tasks:
        assert t.title[0].replace("|", "\\|") in en and t.title[1].replace("|", "\\|") in zh
    assert plan.split.reason[0] in en and plan.split.reason[1] in zh
    seeding = next(t for t in plan.tasks if t.kind == "seeding")
    assert "## Word-of-mouth seeds" in en and "## 口碑种子" in zh
    assert all(f"| {sd['account']} |" in en for sd in seeding.detail["seeds"])


def test_track_measures_each_kpi_and_revises_the_rest(sim_workspace: Callable[[str], Path]) -> None:
    with canyu.open(sim_workspace("default")) as ws:
        # the data's last local day, found independently
        every = _local_events(ws, dt.date(2000, 1, 1), dt.date(2100, 1, 1))
        last = max(pd.to_datetime(every["ts"]).dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai").dt.date)
        first = last - dt.timedelta(days=9)
        # a 20-day plan whose first 10 days are in the data
        plan = build_plan(ws.session(), period=f"{first}..{first + dt.timedelta(days=19)}", budget=20_000)
        res = track(ws.session(), plan)
        assert res.tracked.start == first and res.tracked.end == last
        assert res.elapsed_days == 10 and len(res.statuses) == len(plan.tasks)
        ev = _local_events(ws, first, last)
        checked = 0
        for s in res.statuses:
            k = s.task.kpi
            if k.metric == "active_people":
                assert s.actual == ev[ev["channel"] == k.channel]["person_id"].nunique()
                assert s.expected_by_now == pytest.approx(k.target * 10 / 20)
                assert s.on_track == (s.actual >= s.expected_by_now)
                checked += 1
        assert checked >= 1
        assert res.revised is not None
        assert res.revised.period.start == last + dt.timedelta(days=1)
        assert res.revised.period.days == 10 and res.revised.budget == pytest.approx(10_000.0)
        assert sum(round(t.budget * 100) for t in res.revised.tasks) == 1_000_000


def test_save_and_load_keep_the_latest_plan(planned: tuple[canyu.Workspace, Plan], tmp_path: Path) -> None:
    _, plan = planned
    path = save_plan(plan, tmp_path, locale="zh-CN")
    assert (tmp_path / "plans" / "latest.json").exists() and path.name == "plan-2026-09-01.json"
    back = load_plan(tmp_path / "plans" / "latest.json")
    assert back.levers == plan.levers and len(back.tasks) == len(plan.tasks)
    (tmp_path / "bad.json").write_text('{"schema": "nope"}', encoding="utf-8")
    with pytest.raises(InvalidArgumentError):
        load_plan(tmp_path / "bad.json")


def test_bad_arguments_are_refused(planned: tuple[canyu.Workspace, Plan]) -> None:
    ws, _ = planned
    with pytest.raises(InvalidArgumentError):
        build_plan(ws.session(), period=PERIOD, budget=-1)
    with pytest.raises(InvalidArgumentError):
        build_plan(ws.session(), period=PERIOD, objective="likes")
    with pytest.raises(InvalidArgumentError):
        build_plan(ws.session(), period="all")


def test_plan_section_comes_first_in_both_languages(copy_workspace: Callable[[str], Path]) -> None:
    with canyu.open(copy_workspace("default")) as ws:
        for locale, title in (("en", "Action plan"), ("zh-CN", "行动方案")):
            report = build_report(ws, locale=locale, sections=["overview", "plan"])
            assert [s.name for s in report.sections] == ["plan", "overview"]
            html = report.html
            assert title in html and html.index('id="section-plan"') < html.index('id="section-overview"')
            assert ("Paid promotion" if locale == "en" else "推广投放") in html


def test_a_task_without_budget_is_priced_at_the_plans_money_per_task(
    planned: tuple[canyu.Workspace, Plan],
) -> None:
    """An unfunded task ranks above a funded one only when it brings as many conversions as that
    funded task would with the plan's money per task (it used to count as costing one yuan)."""
    from canyu.plan.actions import _rank

    _, plan = planned
    per_task = BUDGET / len(plan.tasks)
    for t in plan.tasks:
        assert t.cost == pytest.approx(t.budget if t.budget > 0 else per_task), t.key
        assert t.conversions_per_yuan == pytest.approx(t.conversions.mean / t.cost), t.key
    paid = next(t for t in plan.tasks if t.budget > 0)
    free = replace(paid, key="free", budget=0.0, priced_at=0.0)
    small = replace(free, key="small", conversions=replace(free.conversions, mean=paid.conversions.mean / 10))
    ranked = _rank([small, paid], budget=2 * paid.budget)  # money per task: the paid task's budget
    assert [t.key for t in sorted(ranked, key=lambda t: t.rank)] == [paid.key, "small"]
    big = replace(free, key="big", conversions=replace(free.conversions, mean=paid.conversions.mean * 10))
    ranked = _rank([big, paid], budget=2 * paid.budget)
    assert [t.key for t in sorted(ranked, key=lambda t: t.rank)] == ["big", paid.key]


def test_cadence_goes_to_the_top_of_the_band_where_posts_convert(
    planned: tuple[canyu.Workspace, Plan],
) -> None:
    from canyu.plan.strategy import CADENCE

    ws, plan = planned
    spend = ws.session(period=(plan.baseline.start, plan.baseline.end)).run("spend").set_index("channel")
    if not spend["orders"].sum() > 0:  # a baseline that credits no order: the whole data are read
        spend = ws.session().run("spend").set_index("channel")
    content = {t.channel: t for t in plan.tasks if t.kind == "content"}
    raised = 0
    for ch, t in content.items():
        lo, hi = CADENCE[t.detail["role"]]
        orders = float(spend.loc[ch, "orders"]) if ch in spend.index else 0.0
        now = t.kpi.baseline
        if now > 0 and orders > 0:
            assert t.kpi.target == pytest.approx(max(hi, now), abs=1e-3), ch
            assert plan.levers.posts_per_day[ch] == pytest.approx(max(hi, now), abs=1e-3)
            raised += 1
        else:
            assert t.kpi.target == pytest.approx(min(max(now, lo), hi), abs=1e-3), ch
    assert raised >= 3


def test_attributed_orders_fall_back_to_all_the_data(planned: tuple[canyu.Workspace, Plan]) -> None:
    """A baseline in which the Markov model credits no order (here: days before the data) reads the
    whole data's credits instead, so that one quiet month does not stop every raise of cadence."""
    from canyu.plan.strategy import attributed_orders

    ws, plan = planned
    whole = ws.session().run("spend")
    assert whole["orders"].sum() > 0
    out, scope = attributed_orders(ws.session(period=(dt.date(2020, 1, 1), dt.date(2020, 1, 30))))
    assert scope == "all_data"
    assert out == pytest.approx({str(r.channel): float(r.orders) for r in whole.itertuples(index=False)})
    base, scope = attributed_orders(ws.session(period=(plan.baseline.start, plan.baseline.end)))
    assert scope == "baseline" and sum(base.values()) > 0


def test_for_revenue_only_hits_dearer_than_the_shops_average_order_are_pushed(
    planned: tuple[canyu.Workspace, Plan],
) -> None:
    """Pushing a hit shifts which product sells; under the revenue objective a hit whose revenue per order
    in the baseline is below the shop's (every purchase, read from the raw events in pandas) is not pushed,
    and the conversions objective's plan still pushes its best sellers whatever their price."""
    ws, plan = planned
    ev = ws.to_pandas(ws.table("events").select("action", "product_id", "value"))
    buy = ev[(ev["action"] == "purchase") & ev["product_id"].notna()]
    per_product = buy.groupby("product_id")["value"].agg(["sum", "count"])
    shop = float(per_product["sum"].sum() / per_product["count"].sum())
    value = per_product["sum"] / per_product["count"]
    revenue_plan = build_plan(ws.session(), period=PERIOD, budget=BUDGET, objective="revenue")
    pushed = [t.key.removeprefix("hit:") for t in revenue_plan.tasks if t.kind == "hit"]
    for product in pushed:
        assert value[product] >= shop - 1e-6, (product, value[product], shop)
    cheap = [t.key.removeprefix("hit:") for t in plan.tasks if t.kind == "hit" and value[t.key[4:]] < shop]
    assert set(cheap).isdisjoint(pushed)
