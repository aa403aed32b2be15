"""`canyu plan` and `canyu plan track` run for real on a simulated workspace, in both languages."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from icalendar import Calendar
from openpyxl import load_workbook
from typer.testing import CliRunner

from canyu.cli import app
from canyu.plan.levers import Levers

runner = CliRunner()


def test_plan_writes_each_format_and_keeps_the_latest(
    copy_workspace: Callable[[str], Path], tmp_path: Path
) -> None:
    ws = copy_workspace("default")
    r = runner.invoke(
        app,
        [
            "plan",
            str(ws),
            "--month",
            "2026-09",
            "--budget",
            "50000",
            "--format",
            "ics",
            "-o",
            str(tmp_path / "p.ics"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "Plan written" in r.stdout and "budget 50,000.00 CNY" in r.stdout
    latest = json.loads((ws / "plans" / "latest.json").read_text(encoding="utf-8"))
    tasks = latest["tasks"]
    assert latest["period"] == {"start": "2026-09-01", "end": "2026-09-30"}
    assert sum(round(t["budget"] * 100) for t in tasks) == 5_000_000
    cal = Calendar.from_ical((tmp_path / "p.ics").read_bytes())
    assert len(list(cal.walk("VEVENT"))) == len(tasks)
    assert Levers.from_dict(latest["levers"]).total_spend_per_day > 0

    r = runner.invoke(
        app,
        [
            "plan",
            str(ws),
            "--period",
            "2026-09-01..2026-09-14",
            "--objective",
            "revenue",
            "--format",
            "xlsx",
            "--locale",
            "zh-CN",
            "-o",
            str(tmp_path / "p.xlsx"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "计划已写出" in r.stdout and "项任务" in r.stdout
    rows = list(load_workbook(tmp_path / "p.xlsx").worksheets[0].iter_rows(values_only=True))
    latest = json.loads((ws / "plans" / "latest.json").read_text(encoding="utf-8"))
    assert rows[0][2] == "任务" and len(rows) - 1 == len(latest["tasks"])
    assert latest["objective"] == "revenue" and latest["period"]["end"] == "2026-09-14"

    r = runner.invoke(app, ["plan", str(ws), "--month", "2026-09", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["schema"] == "canyu.plan/1" and Levers.from_dict(out["levers"]).to_dict() == out["levers"]
    assert (ws / "plans" / "plan-2026-09-01.json").exists()


def test_plan_track_reports_kpis_and_revises(copy_workspace: Callable[[str], Path]) -> None:
    ws = copy_workspace("default")
    # a plan that started inside the data: 2026-08-22 .. 2026-09-10, the data end on 30/31 August
    r = runner.invoke(
        app, ["plan", str(ws), "--period", "2026-08-22..2026-09-10", "--budget", "20000", "--format", "md"]
    )
    assert r.exit_code == 0, r.output
    md = next((ws / "plans").glob("plan-2026-08-22.md")).read_text(encoding="utf-8")
    assert "## Tasks" in md
    r = runner.invoke(app, ["plan", "track", str(ws), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["tracked"]["start"] == "2026-08-22" and res["of_tasks"] == len(res["kpis"]) > 0
    assert res["on_track"] == sum(k["on_track"] for k in res["kpis"])
    revised = res["revised"]
    assert revised["period"]["end"] == "2026-09-10"
    left = (int(revised["period"]["end"][-2:]) + 31 - int(revised["period"]["start"][-2:]) + 1) % 31 or 31
    assert abs(sum(t["budget"] for t in revised["tasks"]) - revised["budget"]) < 0.01
    assert revised["budget"] == round(20000 * left / 20, 2)
    r = runner.invoke(
        app,
        ["plan", "track", str(ws), "--locale", "zh-CN", "--plan", str(ws / "plans" / "plan-2026-08-22.json")],
    )
    assert r.exit_code == 0, r.output
    assert "已跟踪" in r.stdout and "修订计划" in r.stdout
