"""The HTML report: section registry, findings first, both locales, offline, any workspace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

import canyu
from canyu.errors import CanyuError, UnknownNameError
from canyu.i18n import MESSAGES
from canyu.plan import Finding
from canyu.report import (
    SECTIONS,
    Period,
    ReportContext,
    SectionResult,
    TableBlock,
    TextBlock,
    build_report,
    get_section,
    register_section,
    section_names,
    write_report,
)
from canyu.report._charts import plotly_js

DATA = Path(__file__).parents[1] / "data"
# (file, table, mapping): events with a broken file among them, platform stats, campaigns.
FILES = (
    ("campaigns.csv", "campaigns", None),
    ("events_basic.csv", "events", "generic_events"),
    ("events_broken.csv", "events", "generic_events"),
    ("events_duplicates.csv", "events", "generic_events"),
    ("events.jsonl", "events", "generic_events"),
    ("xhs_notes.xlsx", "content_stats", "xiaohongshu_notes"),
)


@pytest.fixture(scope="module")
def data_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[canyu.Workspace]:
    """A workspace built from tests/data, shared by the read-only tests of this module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CANYU_HOME", str(tmp_path_factory.mktemp("report-home")))
        mp.delenv("CANYU_HMAC_KEY", raising=False)
        ws = canyu.create(tmp_path_factory.mktemp("report") / "ws", brand="测试品牌", locale="zh-CN")
        for name, table, mapping in FILES:
            ws.import_files([DATA / name], table=table, mapping=mapping)
        yield ws
        ws.close()


@pytest.fixture
def extra_section() -> Iterator[list[str]]:
    """Names registered by a test are removed afterwards."""
    added: list[str] = []
    yield added
    for name in added:
        SECTIONS.pop(name, None)


def _without_scripts(html: str) -> str:
    return re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S | re.I)


def _table(result: SectionResult, caption_key: str) -> pd.DataFrame:
    for block in result.blocks:
        if isinstance(block, TableBlock) and block.caption == MESSAGES[caption_key]:
            return block.frame
    raise AssertionError(f"no table {caption_key}")


# -- registry --------------------------------------------------------------------------
def test_builtin_sections_in_order() -> None:
    names = section_names()
    assert {"overview", "content", "data_quality"} <= set(names)
    assert names.index("overview") < names.index("content") < names.index("data_quality")


def test_unknown_section_lists_valid_names(workspace: canyu.Workspace) -> None:
    with pytest.raises(UnknownNameError) as info:
        get_section("overveiw")
    assert info.value.closest == "overview"
    assert {"overview", "content", "data_quality"} <= set(info.value.valid)
    assert "data_quality" in str(info.value) and "'overveiw'" in str(info.value)
    with pytest.raises(UnknownNameError, match="nope"):
        write_report(workspace, sections=["overview", "nope"])
    assert not list((workspace.path / "reports").iterdir())


def test_register_twice_is_an_error(extra_section: list[str]) -> None:
    extra_section.append("twice")

    @register_section("twice")
    def first(ctx: ReportContext) -> SectionResult:
        return SectionResult(title=("A", "甲"))

    def second(ctx: ReportContext) -> SectionResult:
        return SectionResult(title=("B", "乙"))

    with pytest.raises(ValueError, match="already registered"):
        register_section("twice")(second)
    assert SECTIONS["twice"].render is first
    register_section("twice", replace=True)(second)
    assert SECTIONS["twice"].render is second


def test_registered_section_runs_in_order_and_its_findings_rank_first(
    data_ws: canyu.Workspace, extra_section: list[str]
) -> None:
    extra_section += ["plugin_checks"]

    @register_section("plugin_checks", order=20)
    def plugin_checks(ctx: ReportContext) -> SectionResult:
        """A section as a later analysis would write it."""
        n = int(ctx.to_pandas(ctx.events().aggregate(n=ctx.events().count()))["n"][0])
        low = Finding("plugin:low", ("Low", "低"), 1.0, ("-", "-"), "low", ("Nothing", "无"))
        critical = Finding(
            "plugin:critical", ("Critical", "严重"), n, ("0", "0"), "critical", ("Act", "行动")
        )
        return SectionResult(
            title=("Plugin checks", "插件检查"),
            blocks=[TextBlock((f"{n} events", f"{n} 个事件"))],
            findings=[low, critical],
        )

    report = build_report(data_ws, locale="en", sections="data_quality,plugin_checks,overview")
    assert [s.name for s in report.sections] == ["overview", "plugin_checks", "data_quality"]
    keys = [f.key for f in report.findings]
    severities = [f.severity for f in report.findings]
    assert keys[0] == "plugin:critical" and keys[-1] == "plugin:low"
    assert severities == sorted(severities, key=["critical", "high", "medium", "low", "info"].index)
    # Findings without a section are attributed to the one that returned them.
    assert report.findings[0].section == "plugin_checks"
    html = report.html
    # The findings list comes before every section, in ranked order.
    positions = [html.index(f'data-key="{k}"') for k in keys]
    assert positions == sorted(positions)
    assert positions[-1] < html.index('id="section-overview"') < html.index('id="section-plugin_checks"')
    assert html.index('id="section-plugin_checks"') < html.index('id="section-data_quality"')
    assert 'href="#section-plugin_checks"' in html


def test_sections_below_findings_order_come_before_the_findings(
    data_ws: canyu.Workspace, extra_section: list[str]
) -> None:
    """A section ordered below FINDINGS_ORDER (as the action plan, 5) is drawn before the findings list,
    in the page and in its contents; one at exactly FINDINGS_ORDER goes after it."""
    from canyu.report import FINDINGS_ORDER

    extra_section += ["lead_plugin", "at_findings"]

    @register_section("lead_plugin", order=FINDINGS_ORDER - 1)
    def lead_plugin(ctx: ReportContext) -> SectionResult:
        flag = Finding("lead:high", ("High", "高"), 1, ("0", "0"), "high", ("Act", "行动"))
        return SectionResult(title=("Lead", "前置"), blocks=[TextBlock("first")], findings=[flag])

    @register_section("at_findings", order=FINDINGS_ORDER)
    def at_findings(ctx: ReportContext) -> SectionResult:
        return SectionResult(title=("After", "之后"), blocks=[TextBlock("after")])

    report = build_report(data_ws, locale="en", sections="overview,at_findings,lead_plugin")
    assert [s.name for s in report.sections] == ["lead_plugin", "at_findings", "overview"]
    html = report.html
    lead, findings = html.index('id="section-lead_plugin"'), html.index('id="findings"')
    assert lead < findings < html.index('data-key="lead:high"') < html.index('id="section-at_findings"')
    assert html.index('id="section-at_findings"') < html.index('id="section-overview"')
    nav = html[html.index("<nav>") : html.index("</nav>")]
    assert nav.index("#section-lead_plugin") < nav.index("#findings") < nav.index("#section-at_findings")


def test_section_must_return_a_section_result(workspace: canyu.Workspace, extra_section: list[str]) -> None:
    extra_section.append("broken_plugin")
    register_section("broken_plugin")(lambda ctx: "not a result")  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="broken_plugin"):
        build_report(workspace, sections=["broken_plugin"])


def test_text_from_sections_is_escaped(workspace: canyu.Workspace, extra_section: list[str]) -> None:
    extra_section.append("escaping")

    @register_section("escaping")
    def escaping(ctx: ReportContext) -> SectionResult:
        frame = pd.DataFrame({"name": ["<img src=x onerror=alert(1)>"], "n": [1]})
        return SectionResult(
            title=("<b>bold</b>", "<b>粗</b>"),
            blocks=[TextBlock("<script>alert(1)</script>"), TableBlock(frame)],
        )

    html = build_report(workspace, sections=["escaping"]).html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


# -- locales -----------------------------------------------------------------------------
# Every message in both languages, and locale names: tests/test_i18n.py.
def test_unknown_locale(workspace: canyu.Workspace) -> None:
    with pytest.raises(UnknownNameError, match="'fr'"):
        write_report(workspace, locale="fr")


def test_both_locales(data_ws: canyu.Workspace, tmp_path: Path) -> None:
    zh = write_report(data_ws, locale="zh-CN", path=tmp_path / "zh.html")
    en = write_report(data_ws, locale="en", path=tmp_path / "en.html")
    zh_html = zh.path.read_text(encoding="utf-8")
    en_html = en.path.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in zh_html and '<html lang="en">' in en_html
    for key in ("findings", "overview", "content", "data_quality", "rows_per_table", "import_log"):
        en_text, zh_text = MESSAGES[key]
        assert f">{zh_text}<" in zh_html and f">{en_text}<" in en_html, key
    # Fixed strings of one language do not leak into the other.
    assert MESSAGES["findings_intro"][1] not in en_html and MESSAGES["findings_intro"][0] not in zh_html
    assert "微博" in zh_html and "Weibo" in en_html
    for font in ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei"):
        assert font in zh_html
    assert [f.key for f in zh.findings] == [f.key for f in en.findings]


def test_default_path_and_workspace_locale(data_ws: canyu.Workspace) -> None:
    res = write_report(data_ws, sections=["overview"])
    today = datetime.now(ZoneInfo(data_ws.config.timezone)).date().isoformat()
    assert res.path == data_ws.path / "reports" / f"report-{today}.zh-CN.html"
    assert res.locale == "zh-CN" and res.sections == ("overview",)
    assert res.to_dict()["path"] == str(res.path)
    assert not [p for p in res.path.parent.iterdir() if p.name.endswith(".tmp")]


# -- offline -------------------------------------------------------------------------------
def test_report_opens_offline(data_ws: canyu.Workspace) -> None:
    html = build_report(data_ws, locale="en").html
    outside = _without_scripts(html)
    links = re.findall(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]+)""", outside, flags=re.I)
    assert links and all(link.startswith("#") for link in links), links
    assert not re.search(r"<script[^>]+src\s*=", html, flags=re.I)
    assert "<link" not in outside and "@import" not in html and "url(" not in outside
    # plotly.js from the installed package, inlined once; every chart calls it.
    assert html.count(plotly_js()[:300]) == 1
    charts = html.count('class="plotly-graph-div"')
    assert charts >= 2 and html.count("Plotly.newPlot(") == charts


# -- workspaces ------------------------------------------------------------------------------
def test_empty_workspace(workspace: canyu.Workspace) -> None:
    res = write_report(workspace)
    html = res.path.read_text(encoding="utf-8")
    assert res.path.name.endswith(".en.html") and res.findings == ()
    assert res.sections == section_names()
    assert MESSAGES["no_findings"][0] in html
    for key in ("no_events", "no_content_stats", "no_imports"):
        assert MESSAGES[key][0].split(":")[0] in html, key
    assert "plotly-graph-div" not in html and plotly_js()[:300] not in html


def test_overview_counts_match_the_tables(data_ws: canyu.Workspace) -> None:
    report = build_report(data_ws, locale="en", sections=["overview"])
    result = report.section("overview")
    rows = _table(result, "rows_per_table").set_index("table")["rows"]
    assert rows["events"] == data_ws.to_pandas("events").shape[0]
    assert rows["imports"] == len(FILES)
    channels = _table(result, "per_channel").set_index("channel")
    events = data_ws.to_pandas("events")
    expected = events.groupby("channel").agg(events=("event_id", "size"), people=("person_id", "nunique"))
    for code, row in expected.iterrows():
        assert channels.loc[report_label(str(code)), "events"] == row["events"]
        assert channels.loc[report_label(str(code)), "people"] == row["people"]
    assert channels.loc["Xiaohongshu", "stat_rows"] == data_ws.to_pandas("content_stats").shape[0]


def report_label(code: str) -> str:
    from canyu.i18n import channel_label

    return channel_label(code, "en")


def test_daily_events_follow_the_workspace_time_zone(data_ws: canyu.Workspace) -> None:
    """Cross-check the engine's hourly counts, moved to local days, against pandas on raw rows."""
    from canyu.report._sections import _daily_events

    ctx = ReportContext(session=data_ws.session(), locale="en")
    daily = _daily_events(ctx)
    events = data_ws.to_pandas("events")
    local = pd.to_datetime(events["ts"]).dt.tz_localize("UTC").dt.tz_convert(data_ws.config.timezone)
    expected = events.assign(day=local.dt.date).groupby(["channel", "day"]).size()
    got = daily[daily["events"] > 0].assign(day=daily["day"].dt.date).set_index(["channel", "day"])["events"]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    assert daily["events"].sum() == len(events)


def test_period_limits_events_to_local_days(data_ws: canyu.Workspace) -> None:
    day = date(2026, 10, 1)
    report = build_report(data_ws, locale="en", sections=["overview", "content"], period=(day, day))
    channels = _table(report.section("overview"), "per_channel").set_index("channel")
    events = data_ws.to_pandas("events")
    local = pd.to_datetime(events["ts"]).dt.tz_localize("UTC").dt.tz_convert(data_ws.config.timezone)
    on_day = events[local.dt.date == day]
    assert channels["events"].sum() == len(on_day) > 0
    top = _table(report.section("content"), "top_contents")
    assert top["content_id"].tolist() == ["国庆新品开箱"]
    assert "2026-10-01 — 2026-10-01" in report.html
    with pytest.raises(CanyuError, match="after it ends"):
        Period(date(2026, 10, 2), day)


def test_content_ranks_by_views(data_ws: canyu.Workspace) -> None:
    report = build_report(data_ws, locale="zh-CN", sections=["content"])
    top = _table(report.section("content"), "top_contents")
    stats = data_ws.to_pandas("content_stats").groupby("content_id")["views"].sum()
    assert top["content_id"].tolist() == stats.sort_values(ascending=False).index.tolist()
    assert top["views"].tolist() == sorted(stats.tolist(), reverse=True)
    first = top.iloc[0]
    engaged = first["likes"] + first["comments"] + first["shares"] + first["collects"]
    assert first["engagement"] == pytest.approx(engaged / first["views"])
    assert "国庆新品开箱" in report.html and "14.6%" in report.html


def test_quarantine_findings(data_ws: canyu.Workspace) -> None:
    report = build_report(data_ws, locale="en", sections=["data_quality"])
    imports = data_ws.to_pandas("imports")
    from scipy.stats import binomtest

    # The rule's test: one-sided binomial test that the quarantined share exceeds 5%, p < 0.01.
    # Small imports above 5% by chance are not flagged.
    share = imports["rows_quarantined"] / imports["rows_in"]
    p = [
        binomtest(int(q), int(n), 0.05, alternative="greater").pvalue if n else 1.0
        for q, n in zip(imports["rows_quarantined"], imports["rows_in"], strict=True)
    ]
    flagged = set(imports.loc[(share > 0.05) & (pd.Series(p) < 0.01), "batch_id"])
    assert flagged and flagged != set(imports.loc[share > 0.05, "batch_id"])
    assert {f.evidence["batch_id"] for f in report.findings} == flagged
    broken = next(f for f in report.findings if f.evidence["source"] == "events_broken.csv")
    assert broken.severity == "high" and broken.section == "data_quality"
    assert broken.value == f"{broken.evidence['rows_quarantined'] / broken.evidence['rows_in']:.1%}"
    assert broken.evidence["batch_id"] in broken.text("action", "en")
    reasons = _table(report.section("data_quality"), "top_reasons")
    assert reasons["rows"].sum() == data_ws.to_pandas("quarantine").shape[0] or len(reasons) == 10
    assert MESSAGES["broken_line"][0] in set(reasons["field"])


# -- command line ------------------------------------------------------------------------------
def _has_report_command() -> bool:
    import typer.main

    from canyu.cli import app

    group = typer.main.get_command(app)
    return "report" in getattr(group, "commands", {})


@pytest.mark.skipif(not _has_report_command(), reason="`canyu report` is not in canyu.cli yet")
def test_cli_report(tmp_path: Path) -> None:
    """The real CLI: default path, --locale/--out/--sections/--json, one-line errors."""
    import json
    import subprocess
    import sys

    def canyu_cli(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "canyu", *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=False)

    ws = tmp_path / "ws"
    assert canyu_cli("init", str(ws), "--locale", "zh-CN").returncode == 0
    imported = canyu_cli("import", str(ws), str(DATA / "events_broken.csv"), "-m", "generic_events")
    assert imported.returncode == 0, imported.stderr
    done = canyu_cli("report", str(ws))
    assert done.returncode == 0, done.stderr
    assert "已写出" in done.stdout and "高 1" in done.stdout
    assert len(list((ws / "reports").glob("report-*.zh-CN.html"))) == 1
    out = tmp_path / "r.html"
    done = canyu_cli(
        "report",
        str(ws),
        "--locale",
        "en",
        "--out",
        str(out),
        "--sections",
        "data_quality,overview",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    res = json.loads(done.stdout)
    assert res["path"] == str(out) and res["sections"] == ["overview", "data_quality"]
    assert res["findings"][0]["severity"] == "high" and out.exists()
    bad = canyu_cli("report", str(ws), "--sections", "overveiw")
    assert bad.returncode == 2 and "overview" in bad.stderr and "Traceback" not in bad.stderr


def test_sections_on_a_small_workspace(tmp_path: Path) -> None:
    """The sections' tables and findings on hand-counted files (DuckDB; that Spark gives the same
    report, every section of it, is tests/store/test_engine_analyses.py::test_report_is_the_same)."""
    with canyu.create(tmp_path / "ws", locale="en") as ws:
        ws.import_files([DATA / "events_basic.csv", DATA / "events_broken.csv"], mapping="generic_events")
        ws.import_files([DATA / "xhs_notes.xlsx"], table="content_stats", mapping="xiaohongshu_notes")
        report = build_report(
            ws, period=(date(2026, 10, 1), date(2026, 10, 3)), sections="overview,content,data_quality"
        )
    channels = _table(report.section("overview"), "per_channel").set_index("channel")
    assert channels["events"].to_dict() == {"E-commerce": 1, "WeChat OA": 2, "Weibo": 3, "Xiaohongshu": 0}
    assert channels.loc["Xiaohongshu", "stat_rows"] == 1  # 2026-10-10 is outside the period
    assert channels.loc["Weibo", "first"] == "2026-10-01 10:00"
    assert _table(report.section("content"), "top_contents")["views"].tolist() == [3400]
    # xhs_notes.xlsx quarantines a row of a handful: above 5%, but not significantly (binomial test)
    assert [f.evidence["source"] for f in report.findings] == ["events_broken.csv"]
    assert report.html.count('class="plotly-graph-div"') == 2
