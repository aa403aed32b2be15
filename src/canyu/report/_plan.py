"""The report's first section: the action plan (channel layout, budget split, tasks by priority).

It shows the workspace's latest saved plan (``plans/latest.json``, written by ``canyu plan``);
without one it builds a plan for the 30 days after the data, with last 30 days' spend (the status
quo's budget) as its budget. Where the data are too thin to plan it says why.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from canyu import vocab
from canyu.errors import CanyuError
from canyu.plan._export import TASK_COLUMNS
from canyu.report._contracts import ReportContext, SectionResult, TableBlock, TextBlock, register_section

if TYPE_CHECKING:
    from canyu.plan.actions import Plan

__all__ = ["plan_section"]

DEFAULT_DAYS = 30
MAX_TASKS = 30


def _status_quo_budget(ctx: ReportContext, days: int) -> float:
    """Last ``days`` days' measured spend, the budget a status-quo plan would have."""
    from canyu.plan.actions import baseline_period

    base = ctx.session.with_period(baseline_period(ctx.session, days))
    from canyu.plan.strategy import safe_run

    spend = safe_run(base, "spend")
    return float(spend["cost"].sum()) if spend is not None and len(spend) else 0.0


def _plan(ctx: ReportContext) -> tuple[Plan, bool]:
    from canyu.plan.actions import PLANS_FOLDER, baseline_period, build_plan, load_plan

    latest = Path(ctx.workspace.path) / PLANS_FOLDER / "latest.json"
    if latest.exists():
        try:
            return load_plan(latest), True
        except CanyuError:
            pass
    end = baseline_period(ctx.session, 1).end
    assert end is not None
    start = end + dt.timedelta(days=1)
    budget = round(_status_quo_budget(ctx, DEFAULT_DAYS), 2)
    period = f"{start}..{start + dt.timedelta(days=DEFAULT_DAYS - 1)}"
    return build_plan(ctx.session, period=period, budget=budget, objective="conversions"), False


@register_section("plan", order=5)
def plan_section(ctx: ReportContext) -> SectionResult:
    """The action plan: channel layout with reasons, budget split, dated tasks by priority."""
    from canyu.plan._export import OBJECTIVE_LABELS, task_rows

    title = ("Action plan", "行动方案")
    try:
        plan, saved = _plan(ctx)
    except CanyuError as exc:
        return SectionResult(
            title=title,
            blocks=[
                TextBlock(
                    (
                        f"Too thin to plan: {exc.message}",
                        f"数据不足，无法制定计划：{getattr(exc, 'message_zh', None) or exc.message}",
                    )
                )
            ],
        )
    zh = ctx.locale.lower().startswith("zh")
    objective = OBJECTIVE_LABELS.get(plan.objective, (plan.objective, plan.objective))[1]
    src = (
        ("the latest plan saved by canyu plan", "canyu plan 保存的最新计划")
        if saved
        else (
            f"a plan for the {plan.days} days after the data, with last {plan.days} days' spend as its budget",
            f"数据之后 {plan.days} 天的计划，以前 {plan.days} 天的花费为预算",
        )
    )
    blocks: list[TextBlock | TableBlock] = [
        TextBlock(
            (
                f"{plan.period.start} — {plan.period.end}: {len(plan.tasks)} tasks, budget {plan.budget:,.2f} "
                f"{plan.currency}, objective {plan.objective} ({src[0]}). Baseline {plan.baseline.start} — "
                f"{plan.baseline.end}.",
                f"{plan.period.start} — {plan.period.end}：{len(plan.tasks)} 项任务，预算 {plan.budget:,.2f} "
                f"{plan.currency}，目标 {objective}（{src[1]}）。基线期 {plan.baseline.start} — "
                f"{plan.baseline.end}。",
            )
        )
    ]
    layout = pd.DataFrame(
        [
            {
                "channel": ctx.channel(r["channel"]),
                "role": vocab.CHANNEL_ROLES.get(r["role"], r["role"]) if zh else r["role"],
                "measured": (vocab.CHANNEL_ROLES.get(r["measured_role"], "") if zh else r["measured_role"])
                or "",
                "reason": r.get("reason_zh" if zh else "reason_en", ""),
            }
            for r in plan.strategy.get("layout", [])
        ],
        columns=["channel", "role", "measured", "reason"],
    )
    blocks.append(
        TableBlock(
            layout,
            caption=(
                "Channel layout: the role each channel plays, and why",
                "渠道布局：每个渠道的角色及理由",
            ),
            labels={
                "channel": ("Channel", "渠道"),
                "role": ("Role in the plan", "计划角色"),
                "measured": ("Measured role", "实测角色"),
                "reason": ("Reason", "理由"),
            },
        )
    )
    blocks.append(
        TextBlock(
            (
                f"Budget split ({plan.split.source}): {plan.split.reason[0]}",
                f"预算分配（{plan.split.source}）：{plan.split.reason[1]}",
            )
        )
    )
    rows = pd.DataFrame(task_rows(plan, ctx.locale))
    keep = [
        "rank",
        "priority",
        "task",
        "channel",
        "owner",
        "start",
        "due",
        "budget",
        "kpi",
        "baseline",
        "target",
        "conversions",
        "evidence",
    ]
    rows = rows[keep] if len(rows) else pd.DataFrame(columns=keep)
    blocks.append(
        TableBlock(
            rows,
            caption=(
                f"Tasks by priority (expected conversions per yuan): {len(plan.tasks)} tasks, "
                f"budgets adding up to {plan.budget:,.2f} {plan.currency}",
                f"按优先级排列的任务（每元预期转化）：共 {len(plan.tasks)} 项，预算合计 {plan.budget:,.2f} {plan.currency}",
            ),
            labels={k: TASK_COLUMNS[k] for k in keep},
            formats={"budget": "{:,.2f}", "baseline": "{:,.2f}", "target": "{:,.2f}"},
            max_rows=MAX_TASKS,
        )
    )
    for t in plan.tasks:
        if t.kind == "seeding" and t.detail.get("seeds"):
            seeds = pd.DataFrame(t.detail["seeds"])
            blocks.append(
                TableBlock(
                    seeds,
                    caption=(
                        f"Word-of-mouth seeds on {ctx.channel(t.channel)}: {len(seeds)} accounts, "
                        f"fees {seeds['fee'].sum():,.2f} of the {plan.budget:,.2f} budget",
                        f"{ctx.channel(t.channel)}口碑种子：{len(seeds)} 个账号，费用 {seeds['fee'].sum():,.2f}"
                        f"（总预算 {plan.budget:,.2f}）",
                    ),
                    labels={
                        "account": ("Account", "账号"),
                        "fee": ("Fee (yuan)", "费用（元）"),
                        "expected_reach": ("Expected reach (people)", "预期触达（人）"),
                        "expected_orders": ("Expected orders", "预期订单"),
                    },
                    formats={"fee": "{:,.2f}", "expected_reach": "{:,.1f}", "expected_orders": "{:,.2f}"},
                    max_rows=20,
                )
            )
    blocks.append(
        TextBlock(
            (
                "Write it out with canyu plan DIR --format md|xlsx|ics|json; track it with canyu plan track DIR.",
                "用 canyu plan 目录 --format md|xlsx|ics|json 导出；用 canyu plan track 目录 跟踪。",
            ),
            note=True,
        )
    )
    return SectionResult(title=title, blocks=blocks)
