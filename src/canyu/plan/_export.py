"""A plan written out: JSON (with its levers), Markdown, XLSX and an ICS calendar, in zh-CN or en.

The JSON is :meth:`Plan.to_dict` (schema ``canyu.plan/1``, documented in docs/plan.md) with the
plan's ``canyu.levers/1`` object under ``"levers"``. The XLSX has one row per task (cells that a
spreadsheet would run as formulas are neutralised by the importer's own
:func:`canyu.ingest._validate.neutralize_cell`), the ICS one VEVENT per task, timed in the
workspace's zone (09:00 on the start day to 18:00 on the due day).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from canyu import vocab
from canyu.errors import InvalidArgumentError

if TYPE_CHECKING:
    from canyu.plan.actions import Plan, Task

__all__ = ["FORMATS", "plan_ics", "plan_json", "plan_markdown", "write_plan", "write_xlsx"]

FORMATS = ("md", "xlsx", "ics", "json")


def _zh(locale: str) -> bool:
    return locale.lower().startswith("zh")


def _l(pair: tuple[str, str], locale: str) -> str:
    return pair[1] if _zh(locale) else pair[0]


def _channel(code: str | None, locale: str) -> str:
    if not code:
        return _l(("all channels", "全渠道"), locale)
    info = vocab.CHANNEL_INFO.get(code)
    return (info.name_zh if _zh(locale) else info.name_en) if info else code


OBJECTIVE_LABELS = {
    "conversions": ("conversions", "转化"),
    "revenue": ("revenue", "销售额"),
    "activity": ("activity", "活跃"),
}
_PRIORITY = {"high": ("high", "高"), "medium": ("medium", "中"), "low": ("low", "低")}
TASK_COLUMNS = {
    "rank": ("#", "序号"),
    "priority": ("Priority", "优先级"),
    "task": ("Task", "任务"),
    "channel": ("Channel", "渠道"),
    "owner": ("Owner", "负责"),
    "start": ("Start", "开始"),
    "due": ("Due", "截止"),
    "budget": ("Budget (yuan)", "预算（元）"),
    "kpi": ("KPI", "KPI"),
    "baseline": ("Baseline", "基线"),
    "target": ("Target", "目标"),
    "effect": ("Expected effect (90% interval)", "预期效果（90% 区间）"),
    "conversions": ("Expected conversions (90% interval)", "预期转化（90% 区间）"),
    "per_yuan": ("Conversions per 10,000 yuan", "每万元转化"),
    "evidence": ("Evidence", "依据"),
}


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def _iv(e: Any) -> str:
    return f"{_num(e.mean)} [{_num(e.lo)}, {_num(e.hi)}]"


def _evidence(t: Task, locale: str) -> str:
    f, s = t.evidence.get("finding", ""), t.evidence.get("section", "")
    sec = _l(("report section", "报告章节"), locale)
    return f"{f} ({sec}: {s})" if f else f"{sec}: {s}"


def task_rows(plan: Plan, locale: str) -> list[dict[str, Any]]:
    """One flat row per task in ``locale`` (the Markdown, XLSX and report tables)."""
    from canyu.plan.actions import OWNERS

    rows = []
    for t in sorted(plan.tasks, key=lambda t: t.rank):
        k = t.kpi
        rows.append(
            {
                "rank": t.rank,
                "priority": _l(_PRIORITY.get(t.priority, (t.priority, t.priority)), locale),
                "task": _l(t.title, locale),
                "channel": _channel(t.channel, locale),
                "owner": OWNERS[t.owner][0 if _zh(locale) else 1],
                "start": t.start.isoformat(),
                "due": t.due.isoformat(),
                "budget": round(t.budget, 2),
                "kpi": f"{_l(k.label, locale)}" + (f" ({_l(k.of, locale)})" if any(k.of) else ""),
                "baseline": round(k.baseline, 2),
                "target": round(k.target, 2),
                "effect": _iv(k.effect),
                "conversions": _iv(t.conversions),
                "per_yuan": round(t.conversions_per_yuan * 10_000, 3) if t.budget > 0 else None,
                "evidence": _evidence(t, locale),
            }
        )
    return rows


def plan_json(plan: Plan, locale: str = "en") -> str:
    """The plan as JSON text (``canyu.plan/1``, with ``"levers"``)."""
    return json.dumps(plan.to_dict(locale), ensure_ascii=False, indent=2)


def plan_markdown(plan: Plan, locale: str = "en") -> str:
    """The plan as Markdown: summary, channel layout, budget split, tasks by priority, calendar."""
    zh = _zh(locale)
    p = plan.period
    objective = _l(OBJECTIVE_LABELS.get(plan.objective, (plan.objective, plan.objective)), locale)
    lines = [
        f"# {plan.brand} — " + _l(("action plan", "行动方案"), locale) + f" {p.start} — {p.end}",
        "",
        _l(
            (
                f"Budget {plan.budget:,.2f} {plan.currency} over {plan.days} days, objective: {objective}; "
                f"{len(plan.tasks)} tasks. Baseline: {plan.baseline.start} — {plan.baseline.end}.",
                f"预算 {plan.budget:,.2f} {plan.currency}，共 {plan.days} 天，目标：{objective}；"
                f"{len(plan.tasks)} 项任务。基线期：{plan.baseline.start} — {plan.baseline.end}。",
            ),
            locale,
        ),
        "",
        "## " + _l(("Channel layout", "渠道布局"), locale),
        "",
        "| "
        + " | ".join(_l(x, locale) for x in (("Channel", "渠道"), ("Role", "角色"), ("Reason", "理由")))
        + " |",
        "|---|---|---|",
    ]
    for r in plan.strategy.get("layout", []):
        role = vocab.CHANNEL_ROLES.get(r["role"], r["role"]) if zh else r["role"]
        reason = r.get("reason_zh" if zh else "reason_en", r.get("reason", ""))
        lines.append(f"| {_channel(r['channel'], locale)} | {role} | {_md(reason)} |")
    lines += [
        "",
        "## " + _l(("Budget split", "预算分配"), locale),
        "",
        _l(plan.split.reason, locale) + f" (`{plan.split.source}`)",
        "",
    ]
    rows = task_rows(plan, locale)
    cols = list(TASK_COLUMNS)
    lines += ["## " + _l(("Tasks", "任务"), locale), ""]
    lines.append("| " + " | ".join(_l(TASK_COLUMNS[c], locale) for c in cols) + " |")
    lines.append("|" + "---|" * len(cols))
    for row in rows:
        lines.append("| " + " | ".join(_md("" if row[c] is None else str(row[c])) for c in cols) + " |")
    for t in plan.tasks:
        if t.kind != "seeding" or not t.detail.get("seeds"):
            continue
        lines += [
            "",
            "## " + _l(("Word-of-mouth seeds", "口碑种子"), locale) + f" — {_channel(t.channel, locale)}",
            "",
        ]
        heads = (
            ("Account", "账号"),
            ("Fee (yuan)", "费用（元）"),
            ("Expected reach", "预期触达"),
            ("Expected orders", "预期订单"),
        )
        lines.append("| " + " | ".join(_l(h, locale) for h in heads) + " |")
        lines.append("|---|---|---|---|")
        for sd in t.detail["seeds"]:
            lines.append(
                f"| {_md(str(sd['account']))} | {sd['fee']:,.2f} | {sd['expected_reach']:,.1f} | "
                f"{sd.get('expected_orders', 0.0):,.2f} |"
            )
    lines += ["", "## " + _l(("Calendar", "日程"), locale), ""]
    for t in sorted(plan.tasks, key=lambda t: (t.start, t.rank)):
        lines.append(f"- {t.start} → {t.due}: {_md(_l(t.title, locale))} ({_channel(t.channel, locale)})")
    notes = plan.to_dict(locale)["notes"]
    if notes:
        lines += ["", "## " + _l(("Notes", "说明"), locale), ""] + [f"- {_md(n)}" for n in notes]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def write_xlsx(plan: Plan, path: Path, locale: str = "en") -> Path:
    """The tasks as a spreadsheet: one row per task under a header, plus a sheet of levers."""
    from openpyxl import Workbook

    from canyu.ingest._validate import neutralize_cell

    wb = Workbook()
    ws = wb.active
    ws.title = _l(("Tasks", "任务"), locale)
    cols = list(TASK_COLUMNS)
    ws.append([_l(TASK_COLUMNS[c], locale) for c in cols])
    for row in task_rows(plan, locale):
        ws.append([neutralize_cell(row[c]) for c in cols])
    lv = wb.create_sheet(_l(("Levers", "杠杆"), locale))
    lv.append(
        [_l(("Lever", "杠杆"), locale), _l(("Channel / key", "渠道/键"), locale), _l(("Value", "值"), locale)]
    )
    d = plan.levers.to_dict()
    for lever in ("posts_per_day", "spend_per_day", "topic_mix", "reply_minutes", "reply_rate"):
        for k, v in d[lever].items():
            lv.append([lever, neutralize_cell(k), float(v)])
    for s in d["seeds"]:
        lv.append(["seeds", neutralize_cell(f"{s['channel']}:{s['account']}"), float(s["fee"])])
    for c in d["campaigns"]:
        lv.append(["campaigns", neutralize_cell(c["key"]), float(c["budget"])])
    path = Path(path)
    wb.save(path)
    return path


def plan_ics(plan: Plan, locale: str = "en") -> bytes:
    """The tasks as an iCalendar file: one VEVENT per task, in the workspace's time zone."""
    from icalendar import Calendar, Event

    from canyu.plan.actions import OWNERS

    zone = ZoneInfo(plan.timezone)
    cal = Calendar()
    cal.add("prodid", "-//canyu//plan//" + ("ZH" if _zh(locale) else "EN"))
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{plan.brand} {plan.period.start} — {plan.period.end}")
    cal.add("x-wr-timezone", plan.timezone)
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for t in sorted(plan.tasks, key=lambda t: t.rank):
        ev = Event()
        ev.add("uid", f"{t.key}/{plan.period.start}@canyu")
        ev.add("dtstamp", stamp)
        ev.add("summary", _l(t.title, locale))
        ev.add("dtstart", dt.datetime.combine(t.start, dt.time(9, 0), tzinfo=zone))
        ev.add("dtend", dt.datetime.combine(t.due, dt.time(18, 0), tzinfo=zone))
        k = t.kpi
        desc = [
            f"{_l(('Owner', '负责'), locale)}: {OWNERS[t.owner][0 if _zh(locale) else 1]}",
            f"{_l(('Channel', '渠道'), locale)}: {_channel(t.channel, locale)}",
            f"{_l(('Budget', '预算'), locale)}: {t.budget:,.2f} {plan.currency}",
            f"KPI: {_l(k.label, locale)} {_num(k.baseline)} → {_num(k.target)}",
            f"{_l(('Priority', '优先级'), locale)}: {t.rank} ({_l(_PRIORITY.get(t.priority, (t.priority,) * 2), locale)})",
            f"{_l(('Evidence', '依据'), locale)}: {_evidence(t, locale)}",
        ]
        ev.add("description", "\n".join(desc))
        ev.add("categories", [t.kind])
        cal.add_component(ev)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def write_plan(plan: Plan, path: Path, *, fmt: str, locale: str = "en") -> Path:
    """Write ``plan`` to ``path`` as ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise InvalidArgumentError("--format", fmt, FORMATS)
    path = Path(path)
    if fmt == "xlsx":
        return write_xlsx(plan, path, locale)
    if fmt == "ics":
        path.write_bytes(plan_ics(plan, locale))
    elif fmt == "json":
        path.write_text(plan_json(plan, locale), encoding="utf-8")
    else:
        path.write_text(plan_markdown(plan, locale), encoding="utf-8")
    return path
