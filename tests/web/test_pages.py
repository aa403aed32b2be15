"""The pages show the analysis session's numbers (the same as ``canyu analyze``), in both languages,
cached per data version."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import canyu
from canyu.cli import app as cli
from canyu.web import AccountStore

from .conftest import DATA


def test_overview_numbers_are_the_engines(login, root: Path) -> None:  # type: ignore[no-untyped-def]
    s = login("viewer_b")
    html = s.client.get("/w/brand-b?channel=wechat_oa&channel=weibo&channel=ecommerce").text
    # events_basic.csv: 4 events by 3 people (user ids are per channel and no identity link joins
    # wechat_oa:u1 to ecommerce:u1); one purchase, by 1 of the 3
    kpis = re.findall(r'<span class="v">([^<]+)</span>', html)
    assert kpis[:4] == ["4", "3", "1", "33.3%"]
    assert "3 人中 1 人转化" in html  # the default language is zh-CN
    one = s.client.get("/w/brand-b?channel=weibo").text
    assert re.findall(r'<span class="v">([^<]+)</span>', one)[:3] == ["1", "1", "0"]
    oct2 = s.client.get("/w/brand-b?since=2026-10-02&until=2026-10-02").text
    assert re.findall(r'<span class="v">([^<]+)</span>', oct2)[:3] == ["1", "1", "1"]


def test_analysis_api_equals_canyu_analyze_json(login, root: Path) -> None:  # type: ignore[no-untyped-def]
    key = AccountStore(root).create_read_key("brand-a", "test", now=time.time())
    s = login("viewer_a")
    for name, period in (("activity", ""), ("data_quality", "2026-10"), ("funnels", "")):
        q = f"?period={period}" if period else ""
        api = s.client.get(f"/api/w/brand-a/analyze/{name}{q}", headers={"authorization": f"Bearer {key}"})
        assert api.status_code == 200, api.text
        args = ["analyze", str(root / "brand-a"), name, "--json"] + (["--period", period] if period else [])
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 0, r.output
        assert api.json() == json.loads(r.stdout), name
        page = s.client.get(f"/w/brand-a/analyze/{name}{q}")
        assert page.status_code == 200 and f'data-analysis="{name}"' in page.text


def test_findings_page_lists_the_sessions_findings(login, root: Path) -> None:  # type: ignore[no-untyped-def]
    s = login("viewer_a")
    html = s.client.get("/w/brand-a/findings").text
    with canyu.open(root / "brand-a") as ws:
        expected = ws.session().findings()
    assert html.count('class="finding sev-') == len(expected)
    for f in expected:
        assert f'data-key="{f.key}"' in html


def test_every_report_section_renders_live(login) -> None:  # type: ignore[no-untyped-def]
    from canyu.report import section_names

    s = login("viewer_a")
    for name in section_names():
        r = s.client.get(f"/w/brand-a/report?section={name}")
        assert r.status_code == 200, (name, r.text[:400])
        assert f'id="section-{name}"' in r.text
    r = s.client.get("/w/brand-a/report?section=overview")
    assert 'class="plotly-chart"' in r.text and "<script>" not in r.text  # figures as data, no inline script


def test_pages_follow_the_language_switch(login) -> None:  # type: ignore[no-untyped-def]
    s = login("viewer_a")
    s.client.get("/lang/en?next=/", follow_redirects=False)
    en = s.client.get("/w/brand-a/settings").text
    assert 'lang="en"' in en and "Product profile" in en
    s.client.get("/lang/zh-CN?next=/", follow_redirects=False)
    zh = s.client.get("/w/brand-a/settings").text
    assert 'lang="zh-CN"' in zh and "产品画像" in zh


def test_plan_page_without_and_with_a_plan(login, root: Path) -> None:  # type: ignore[no-untyped-def]
    s = login("viewer_b")
    assert 'id="no-plan"' in s.client.get("/w/brand-b/plan").text
    plans = root / "brand-b" / "plans"
    plans.mkdir(exist_ok=True)
    (plans / "plan-2026-10.json").write_text(
        json.dumps({"schema": "canyu.levers/1", "campaigns": [{"name": "双11"}, {"name": "x"}]}),
        encoding="utf-8",
    )
    html = s.client.get("/w/brand-b/plan").text
    assert "plan-2026-10.json" in html and "canyu.levers/1" in html and "双11" in html
    (plans / "plan-2026-10.json").unlink()


def test_results_are_cached_per_data_version(app, login, root: Path) -> None:  # type: ignore[no-untyped-def]
    s = login("viewer_b")
    cache = app.state.web.workspaces
    s.client.get("/w/brand-b/findings")
    misses = cache.misses
    s.client.get("/w/brand-b/findings")
    assert cache.misses == misses and cache.hits >= 1
    with canyu.open(root / "brand-b") as ws:  # new data: a new version
        ws.import_files([DATA / "events_broken.csv"], mapping="generic_events")
    s.client.get("/w/brand-b/findings")
    assert cache.misses == misses + 2  # the findings and the filter's campaign choices, computed again
    s.client.get("/w/brand-b/findings")
    assert cache.misses == misses + 2


def test_collector_page_counts(login, root: Path) -> None:  # type: ignore[no-untyped-def]
    from canyu.collect import create_ingest_key

    create_ingest_key(root / "brand-b", "H5 pages")
    s = login("viewer_b")
    html = s.client.get("/w/brand-b/collector").text
    assert "H5 pages" in html and 'data-accepted="0"' in html
    frag = s.client.get("/w/brand-b/collector", headers={"hx-request": "true"}).text
    assert "<html" not in frag and 'data-accepted="0"' in frag


@pytest.mark.parametrize(
    "path", ["/static/htmx.min.js", "/static/plotly.min.js", "/static/app.js", "/static/app.css"]
)
def test_vendored_assets_are_served(client, path: str) -> None:  # type: ignore[no-untyped-def]
    r = client.get(path)
    assert r.status_code == 200 and len(r.content) > 500
    if path.endswith("htmx.min.js"):
        assert b"htmx" in r.content[:2000]


def test_plan_page_shows_the_tasks_and_their_tracking(login, root: Path) -> None:  # type: ignore[no-untyped-def]
    from canyu.plan.actions import build_plan, save_plan, track
    from canyu.session import Period

    with canyu.open(root / "brand-b") as ws:
        plan = build_plan(
            ws.session(), period=Period.parse("2026-10"), budget=1_000.0, objective="conversions"
        )
        saved = save_plan(plan, root / "brand-b", locale="en")
        expected = track(ws.session(), plan).to_dict("en")
    try:
        s = login("viewer_b")
        s.client.get("/lang/en")
        html = s.client.get("/w/brand-b/plan").text
        rows = re.search(r'<table id="plan-tasks">.*?<tbody>(.*?)</tbody>', html, re.S)
        assert rows is not None and rows.group(1).count("<tr>") == len(plan.tasks) > 0
        assert f"{expected['on_track']} of {expected['of_tasks']} tasks on track" in html
        tracked = re.search(r'<table id="plan-tracking">.*?<tbody>(.*?)</tbody>', html, re.S)
        assert tracked is not None and tracked.group(1).count("<tr>") == expected["of_tasks"]
        zh = login("viewer_b")
        zh.client.get("/lang/zh-CN")
        assert (
            f"{expected['of_tasks']} 项任务中 {expected['on_track']} 项进度正常"
            in zh.client.get("/w/brand-b/plan").text
        )
    finally:
        for f in (saved, saved.parent / "latest.json"):
            f.unlink(missing_ok=True)


def test_campaign_filter_gives_canyu_analyzes_numbers(login, root: Path) -> None:  # type: ignore[no-untyped-def]
    key = AccountStore(root).create_read_key("brand-a", "campaigns", now=time.time())
    auth = {"authorization": f"Bearer {key}"}
    s = login("analyst_a")
    for name in ("funnels",):
        api = s.client.get(f"/api/w/brand-a/analyze/{name}?campaign=camp1", headers=auth)
        assert api.status_code == 200, api.text
        r = CliRunner().invoke(
            cli, ["analyze", str(root / "brand-a"), name, "--json", "--campaigns", "camp1"]
        )
        assert r.exit_code == 0, r.output
        assert api.json() == json.loads(r.stdout), name
    # the filter bites: events_broken.csv's rows have no campaign, so activity differs from the whole
    whole = s.client.get("/api/w/brand-a/analyze/activity", headers=auth).json()
    camp = s.client.get("/api/w/brand-a/analyze/activity?campaign=camp1", headers=auth).json()
    assert whole != camp
    with canyu.open(root / "brand-a") as ws:  # the same rows the session gives
        expect = ws.session(campaigns=["camp1"]).run("activity")
    assert len(camp["result"]) == len(expect) and sum(r["active"] for r in camp["result"]) == int(
        expect["active"].sum()
    )
    # the overview: camp1 is events_basic.csv's 4 events by 3 people, 1 of them converted
    html = s.client.get("/w/brand-a?campaign=camp1").text
    assert re.findall(r'<span class="v">([^<]+)</span>', html)[:3] == ["4", "3", "1"]
    assert re.search(r'<option value="camp1" selected>camp1（共 6 个事件中的 4 个）</option>', html), html
    none = s.client.get("/w/brand-a?campaign=no-such").text
    assert re.findall(r'<span class="v">([^<]+)</span>', none)[:2] == ["0", "0"]
    s.client.get("/lang/en?next=/", follow_redirects=False)
    en = s.client.get("/w/brand-a/analyze/activity?campaign=camp1")
    assert en.status_code == 200 and "campaigns camp1" in en.text
    assert '<option value="camp1" selected>camp1 (4 of 6 events)</option>' in en.text
    s.client.get("/lang/zh-CN?next=/", follow_redirects=False)
