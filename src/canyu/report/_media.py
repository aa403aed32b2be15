"""Report sections for money: cost and return per channel and campaign, the media mix, the budget.

``spend``
    Measured view (the ``spend`` analysis): cost, attributed orders and revenue, ROAS and cost per
    order per channel and per campaign. Shown whatever the media-mix model can do, with a line
    saying whether a model was fitted and why not.
``media_mix``
    What spend causes (the ``mmm`` analysis, fitted on the history up to the period's end): ROAS,
    marginal ROAS and contribution per channel with 90% intervals, the fit's diagnostics and holdout
    check, and the response curves. A fit that fails its diagnostics is shown as unreliable.
``budget``
    The ``budget`` analysis for the next 30 days at the current spend rate: the plan against the
    current split and the return of the last yuan per channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from canyu.analytics.mmm._workspace import OUTCOMES
from canyu.i18n import t
from canyu.report._charts import channel_colors, style_figure
from canyu.report._contracts import (
    FigureBlock,
    ReportContext,
    SectionResult,
    TableBlock,
    TextBlock,
    register_section,
)
from canyu.session import Period

if TYPE_CHECKING:
    from canyu.analytics.mmm import WorkspaceMediaMix
    from canyu.session import AnalysisSession

__all__: list[str] = []

Blocks = list[TextBlock | TableBlock | FigureBlock]
PLAN_DAYS = 30


def _history(ctx: ReportContext) -> AnalysisSession:
    """The media-mix model needs every week up to the report's end, not only the report's period."""
    if ctx.period.start is None:
        return ctx.session
    return ctx.session.with_period(Period(None, ctx.period.end))


def _mmm(ctx: ReportContext) -> WorkspaceMediaMix:
    return _history(ctx).run("mmm", target="revenue")


def _status_line(mm: WorkspaceMediaMix) -> TextBlock:
    if not mm.fitted:
        return TextBlock(
            (
                f"No media-mix model could be fitted: {mm.reason}. The figures here are measured (attributed), "
                "not what spend causes.",
                f"无法拟合媒体组合模型：{mm.reason_zh}。此处数字为实测（归因）值，而非花费的因果效果。",
            ),
            note=True,
        )
    if not mm.trusted:
        assert mm.fit is not None
        why = "; ".join(mm.fit.diagnostics.reasons)
        return TextBlock(
            (
                f"A media-mix model was fitted on {mm.weeks} weeks but failed its diagnostics ({why}): its figures "
                "are unreliable and not used.",
                f"已用 {mm.weeks} 周数据拟合媒体组合模型，但未通过诊断（{why}）：其数字不可靠，未采用。",
            ),
            note=True,
        )
    return TextBlock(
        (
            f"A media-mix model was fitted on {mm.weeks} weeks and passed its diagnostics: see the media-mix section "
            "for what spend causes.",
            f"已用 {mm.weeks} 周数据拟合媒体组合模型并通过诊断：花费的因果效果见媒体组合一节。",
        ),
        note=True,
    )


@register_section("spend", order=22)
def spend(ctx: ReportContext) -> SectionResult:
    """Cost and measured return per channel and per campaign: ROAS and cost per order."""
    title = ("Cost and return: ROAS and cost per order", "成本与回报：ROAS 与单笔订单成本")
    by_channel = ctx.run("spend")
    if by_channel.empty:
        return SectionResult(
            title=title,
            blocks=[
                TextBlock(
                    (
                        "No spend and no [channel_costs] in this period: import a spend sheet (canyu import DIR spend.csv "
                        "--table spend) to see ROAS and cost per order.",
                        "本期没有花费，也没有 [channel_costs]：请导入花费表（canyu import DIR spend.csv --table spend）"
                        "以查看 ROAS 与单笔订单成本。",
                    )
                )
            ],
        )
    of_orders = int(by_channel["of_orders"].iloc[0]) if len(by_channel) else 0
    cur = str(by_channel["currency"].iloc[0])
    ch = by_channel.copy()
    ch["channel"] = ch["channel"].map(ctx.channel)
    blocks: Blocks = [
        TextBlock(
            (
                f"Cost = paid spend in the period plus the prorated monthly [channel_costs] ({cur}). Orders and revenue are "
                f"those the exact Markov model credits to each channel, out of {of_orders:,} orders in the period. "
                "ROAS = attributed revenue ÷ cost; cost per order = cost ÷ attributed orders. Attribution credits the "
                "touches it sees; it is not what the spend caused.",
                f"成本 = 本期付费花费 + 按天折算的月度 [channel_costs]（{cur}）。订单与收入为精确马尔可夫模型归给各渠道的部分，"
                f"本期共 {of_orders:,} 笔订单。ROAS = 归因收入 ÷ 成本；单笔订单成本 = 成本 ÷ 归因订单。归因只记入可见的触点，"
                "并非花费的因果效果。",
            )
        ),
        TableBlock(
            ch[
                [
                    "channel",
                    "spend",
                    "fixed_cost",
                    "cost",
                    "orders",
                    "revenue",
                    "roas",
                    "cost_per_order",
                    "new_followers",
                    "cost_per_new_follower",
                ]
            ],
            caption=("Per channel", "各渠道"),
            labels={
                "channel": ("Channel", "渠道"),
                "spend": ("Paid spend", "付费花费"),
                "fixed_cost": ("Fixed cost", "固定成本"),
                "cost": ("Cost", "成本"),
                "orders": (f"Attributed orders (of {of_orders:,})", f"归因订单（共 {of_orders:,}）"),
                "revenue": ("Attributed revenue", "归因收入"),
                "roas": ("ROAS (revenue ÷ cost)", "ROAS（收入 ÷ 成本）"),
                "cost_per_order": ("Cost per order", "单笔订单成本"),
                "new_followers": ("New followers", "新增粉丝"),
                "cost_per_new_follower": ("Cost per new follower", "单个新粉丝成本"),
            },
            formats={
                "spend": "{:,.0f}",
                "fixed_cost": "{:,.0f}",
                "cost": "{:,.0f}",
                "orders": "{:,.1f}",
                "revenue": "{:,.0f}",
                "roas": "{:.2f}",
                "cost_per_order": "{:,.1f}",
                "new_followers": "{:,.0f}",
                "cost_per_new_follower": "{:,.1f}",
            },
        ),
    ]
    by_campaign = ctx.run("spend", by="campaign")
    if not by_campaign.empty:
        blocks.append(
            TableBlock(
                by_campaign[
                    ["campaign_id", "channels", "spend", "orders", "revenue", "roas", "cost_per_order"]
                ],
                caption=(
                    "Per campaign (paid spend only; fixed costs belong to channels)",
                    "各活动（仅付费花费；固定成本归渠道）",
                ),
                labels={
                    "campaign_id": ("Campaign", "活动"),
                    "channels": ("Channels", "渠道"),
                    "spend": ("Paid spend", "付费花费"),
                    "orders": (f"Attributed orders (of {of_orders:,})", f"归因订单（共 {of_orders:,}）"),
                    "revenue": ("Attributed revenue", "归因收入"),
                    "roas": ("ROAS (revenue ÷ spend)", "ROAS（收入 ÷ 花费）"),
                    "cost_per_order": ("Cost per order", "单笔订单成本"),
                },
                formats={
                    "spend": "{:,.0f}",
                    "orders": "{:,.1f}",
                    "revenue": "{:,.0f}",
                    "roas": "{:.2f}",
                    "cost_per_order": "{:,.1f}",
                },
                max_rows=30,
            )
        )
    blocks.append(_status_line(_mmm(ctx)))
    return SectionResult(title=title, blocks=blocks)


def _curves_figure(ctx: ReportContext, mm: WorkspaceMediaMix) -> go.Figure:
    assert mm.fit is not None
    curves = mm.fit.response_curves(points=41, max_multiple=3.0)
    colors = channel_colors()
    fig = go.Figure()
    for i, (code, part) in enumerate(curves.groupby("channel", sort=False)):
        code = str(code)
        color = colors.get(code)
        name = ctx.channel(code)
        x = part["weekly_spend"].to_list()
        fig.add_trace(
            go.Scatter(
                x=x + x[::-1],
                y=part["hi"].to_list() + part["lo"].to_list()[::-1],
                fill="toself",
                fillcolor=color,
                opacity=0.18,
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                name=name,
            )
        )
        fig.add_trace(go.Scatter(x=x, y=part["mean"], mode="lines", name=name, line={"color": color}))
        now = float(mm.fit.response.current_weekly[i])
        y_now = float(mm.fit.response.channel_curve(code, pd.Series([now]).to_numpy()).mean())
        fig.add_trace(
            go.Scatter(
                x=[now],
                y=[y_now],
                mode="markers",
                marker={"color": color, "size": 9, "symbol": "diamond"},
                name=ctx.text((f"{name}: current", f"{name}：当前")),
                showlegend=False,
            )
        )
    style_figure(
        fig,
        title=ctx.text(
            (
                "Response curves: weekly revenue caused by a steady weekly spend (band: 90% interval; ◆ current)",
                "响应曲线：稳定周花费带来的周收入（阴影：90% 区间；◆ 当前）",
            )
        ),
        height=420,
    )
    fig.update_xaxes(title_text=ctx.text(("Weekly spend (yuan)", "周花费（元）")), rangemode="tozero")
    fig.update_yaxes(
        title_text=ctx.text(("Weekly revenue caused (yuan)", "带来的周收入（元）")), rangemode="tozero"
    )
    return fig


def _interval_frame(ctx: ReportContext, mm: WorkspaceMediaMix) -> pd.DataFrame:
    assert mm.fit is not None
    fit = mm.fit
    rows: list[dict[str, Any]] = []
    for code in fit.channels:
        row: dict[str, Any] = {
            "channel": ctx.channel(code),
            "spend": float(fit.metric("spend").loc[code, "mean"]),
        }
        for m in ("roas", "marginal_roas", "contribution", "alpha", "half_saturation"):
            v = fit.metric(m).loc[code]
            fmt = "{:,.0f}" if m in ("contribution", "half_saturation") else "{:.2f}"
            row[m] = f"{fmt.format(v['mean'])} [{fmt.format(v['lo'])}, {fmt.format(v['hi'])}]"
        rows.append(row)
    return pd.DataFrame(rows)


@register_section("media_mix", order=23)
def media_mix(ctx: ReportContext) -> SectionResult:
    """What spend causes: the media-mix model's ROAS, marginal ROAS and response curves, with intervals."""
    title = ("Media mix: what spend causes", "媒体组合：花费带来的效果")
    mm = _mmm(ctx)
    if not mm.fitted or mm.fit is None:
        return SectionResult(
            title=title,
            blocks=[
                TextBlock(
                    (
                        f"No media-mix model: {mm.reason}. The model needs weekly spend per channel that varies, over at "
                        f"least {mm.need} weeks here; until then see the measured ROAS in the cost-and-return section.",
                        f"没有媒体组合模型：{mm.reason_zh}。模型需要各渠道有变化的周花费，此处至少 {mm.need} 周；"
                        "在此之前请参考成本与回报一节的实测 ROAS。",
                    )
                )
            ],
        )
    fit = mm.fit
    d, h = fit.diagnostics, fit.holdout
    blocks: Blocks = []
    if not d.ok:
        why = "; ".join(d.reasons)
        blocks.append(
            TextBlock(
                (
                    f"Unreliable: the sampler failed its diagnostics ({why}). The figures below are not findings.",
                    f"不可靠：采样器未通过诊断（{why}）。以下数字不能作为结论。",
                )
            )
        )
    total_rev = float(mm.frame["revenue"].sum())
    blocks.append(
        TextBlock(
            (
                f"Bayesian media-mix model ({_FORMS[fit.adstock][0]}, {_FORMS[fit.saturation][0]}, trend"
                f"{', yearly seasonality' if 'without' not in ' '.join(fit.notes) else ''}, festival weeks) on {mm.weeks} "
                f"weeks {fit.start} — {fit.end} of revenue ({total_rev:,.0f} yuan in all). ROAS = revenue caused per yuan "
                "over these weeks; marginal ROAS = revenue of one more yuan at the current spend; contribution = revenue "
                "the channel caused, of all revenue; [90% credible interval].",
                f"贝叶斯媒体组合模型（{_FORMS[fit.adstock][1]}、{_FORMS[fit.saturation][1]}、趋势{'、年度季节性' if 'without' not in ' '.join(fit.notes) else ''}、"
                f"节日周），数据为 {fit.start} — {fit.end} 共 {mm.weeks} 周的收入（合计 {total_rev:,.0f} 元）。ROAS = 每元花费带来的收入；"
                "边际 ROAS = 在当前花费上多花一元带来的收入；贡献 = 该渠道带来的收入（占全部收入）；[90% 可信区间]。",
            )
        )
    )
    blocks.append(
        TableBlock(
            _interval_frame(ctx, mm),
            labels={
                "channel": ("Channel", "渠道"),
                "spend": ("Spend (yuan, all weeks)", "花费（元，全部周）"),
                "roas": ("ROAS [90%]", "ROAS [90%]"),
                "marginal_roas": ("Marginal ROAS [90%]", "边际 ROAS [90%]"),
                "contribution": (
                    f"Revenue caused (of {total_rev:,.0f}) [90%]",
                    f"带来的收入（共 {total_rev:,.0f}）[90%]",
                ),
                "alpha": ("Carry-over α [90%]", "延续效应 α [90%]"),
                "half_saturation": ("Half saturation (yuan/week) [90%]", "半饱和点（元/周）[90%]"),
            },
            formats={"spend": "{:,.0f}"},
        )
    )
    blocks.append(_effects_block(fit))
    blocks.append(
        TextBlock(
            (
                f"Diagnostics: max R-hat {d.max_rhat:.3f} (≤ 1.05), min effective sample size {d.min_ess:,.0f} (≥ 100), "
                f"{d.divergences} divergent of {d.chains * d.draws:,} draws."
                + (
                    f" Holdout: the last {h.weeks} weeks, unseen by the fit, predicted within {h.mape:.1%} on average; "
                    f"{round(h.coverage * h.weeks)} of {h.weeks} weeks inside the 90% interval."
                    if h is not None
                    else ""
                ),
                f"诊断：最大 R-hat {d.max_rhat:.3f}（≤ 1.05），最小有效样本量 {d.min_ess:,.0f}（≥ 100），"
                f"{d.chains * d.draws:,} 次抽样中 {d.divergences} 次发散。"
                + (
                    f"留出检验：模型未见过的最后 {h.weeks} 周，平均预测误差 {h.mape:.1%}；{h.weeks} 周中 "
                    f"{round(h.coverage * h.weeks)} 周落在 90% 区间内。"
                    if h is not None
                    else ""
                ),
            ),
            note=True,
        )
    )
    blocks.append(FigureBlock(_curves_figure(ctx, mm)))
    if mm.excluded:
        blocks.append(
            TextBlock(
                (
                    "Left out of the model: "
                    + "; ".join(f"{ctx.channel(k)} ({v})" for k, v in mm.excluded.items()),
                    "未纳入模型：" + "；".join(f"{ctx.channel(k)}（{v}）" for k, v in mm.excluded.items()),
                ),
                note=True,
            )
        )
    return SectionResult(title=title, blocks=blocks)


@register_section("budget", order=24)
def budget(ctx: ReportContext) -> SectionResult:
    """The next 30 days at the current spend rate: the plan against the current split, and the last yuan's return."""
    title = ("Budget: where the next 30 days' money goes", "预算：未来 30 天的钱投向哪里")
    hist = _history(ctx)
    mm = hist.run("mmm", target="revenue")
    if mm.fitted and mm.fit is not None:
        weekly = float(mm.fit.response.current_weekly.sum())
    else:
        spent = ctx.run("spend")
        days = ctx.period.days or 0
        if spent.empty or not days:
            cols = [c for c in mm.frame.columns if c not in ("week", *OUTCOMES)]
            weekly = float(mm.frame[cols].to_numpy().sum(axis=1).mean()) if cols and len(mm.frame) else 0.0
        else:
            weekly = float(spent["spend"].sum()) / days * 7
    if not weekly > 0:
        return SectionResult(
            title=title,
            blocks=[TextBlock(("No spend recorded: nothing to allocate.", "没有花费记录：无可分配的预算。"))],
        )
    total = round(weekly * PLAN_DAYS / 7, -2)
    res = hist.run("budget", total=float(total), objective="revenue", days=PLAN_DAYS)
    blocks: Blocks = [
        TextBlock(
            (
                f"{total:,.0f} yuan over the next {PLAN_DAYS} days (the current spend rate), split to maximise revenue. "
                + (
                    f"From the media-mix curves: {res.reason}."
                    if res.source == "mmm"
                    else f"From measured ROAS, not a media-mix model: {res.reason}."
                ),
                f"未来 {PLAN_DAYS} 天共 {total:,.0f} 元（按当前花费速度），以收入最大化分配。"
                + (
                    f"依据媒体组合模型的响应曲线：{res.reason_zh}。"
                    if res.source == "mmm"
                    else f"依据实测 ROAS，而非媒体组合模型：{res.reason_zh}。"
                ),
            )
        )
    ]
    if res.table.empty:
        return SectionResult(title=title, blocks=blocks)
    tab = res.table.copy()
    tab["current_share"] = tab["current"] / res.total
    tab["plan_share"] = tab["allocation"] / res.total
    tab["channel"] = tab["channel"].map(ctx.channel)
    ret_label = (
        ("Revenue of the last yuan [90%]", "最后一元带来的收入 [90%]")
        if res.source == "mmm"
        else ("Measured revenue per yuan (average, not marginal)", "实测每元收入（平均值，非边际）")
    )
    if res.source == "mmm":
        tab["marginal_return"] = [
            f"{m:.2f} [{lo:.2f}, {hi:.2f}]"
            for m, lo, hi in zip(tab["marginal_return"], tab["marginal_lo"], tab["marginal_hi"], strict=True)
        ]
    blocks.append(
        TableBlock(
            tab[
                [
                    "channel",
                    "current",
                    "current_share",
                    "allocation",
                    "plan_share",
                    "change",
                    "marginal_return",
                ]
            ],
            labels={
                "channel": ("Channel", "渠道"),
                "current": ("Current split (yuan)", "当前分配（元）"),
                "current_share": (f"Share of {total:,.0f}", f"占 {total:,.0f} 比例"),
                "allocation": ("Plan (yuan)", "建议分配（元）"),
                "plan_share": (f"Plan share of {total:,.0f}", f"建议占 {total:,.0f} 比例"),
                "change": ("Change (yuan)", "变化（元）"),
                "marginal_return": ret_label,
            },
            formats={
                "current": "{:,.0f}",
                "allocation": "{:,.0f}",
                "change": "{:+,.0f}",
                "current_share": "{:.0%}",
                "plan_share": "{:.0%}",
                **({"marginal_return": "{:.2f}"} if res.source != "mmm" else {}),
            },
        )
    )
    if res.plan is not None:
        e, plan = res.plan.expected, res.plan
        fields = plan.caution_fields()
        if plan.kept:
            blocks.append(
                TextBlock(
                    (
                        t("budget.kept", "en", target="revenue", days=PLAN_DAYS, **fields),
                        t("budget.kept", "zh-CN", target="收入", days=PLAN_DAYS, **fields),
                    )
                )
            )
        else:
            blocks.append(
                TextBlock(
                    (
                        f"Expected revenue caused over the {PLAN_DAYS} days: {e['current']['mean']:,.0f} yuan with the current "
                        f"split, {e['optimal']['mean']:,.0f} with the plan [90%: {e['optimal']['lo']:,.0f} – "
                        f"{e['optimal']['hi']:,.0f}]; the plan beats the current split in {plan.prob_better:.0%} of "
                        f"{mm.fit.response.draws if mm.fit else 0:,} posterior draws.",
                        f"{PLAN_DAYS} 天内预期带来的收入：当前分配 {e['current']['mean']:,.0f} 元，建议分配 "
                        f"{e['optimal']['mean']:,.0f} 元 [90%：{e['optimal']['lo']:,.0f} – {e['optimal']['hi']:,.0f}]；在 "
                        f"{mm.fit.response.draws if mm.fit else 0:,} 次后验抽样中有 {plan.prob_better:.0%} 建议分配更优。",
                    )
                )
            )
        if not plan.kept and plan.move < 1.0:
            blocks.append(
                TextBlock((t("budget.caution", "en", **fields), t("budget.caution", "zh-CN", **fields)))
            )
        if plan.shifted > 0:
            blocks.append(
                TextBlock((t("budget.shifted", "en", **fields), t("budget.shifted", "zh-CN", **fields)))
            )
    return SectionResult(title=title, blocks=blocks)


#: The model's adstock and saturation forms as the report names them (English, Chinese).
_FORMS = {
    "geometric": ("geometric carry-over", "几何延续效应"),
    "delayed": ("delayed carry-over", "延迟延续效应"),
    "logistic": ("logistic saturation", "logistic 饱和"),
    "hill": ("Hill saturation", "Hill 饱和"),
    "average": ("Hill and logistic saturation averaged", "Hill 与 logistic 饱和取平均"),
}

_FESTIVAL_NAMES = {
    "618": ("618", "618"),
    "double11": ("Double 11", "双11"),
    "double12": ("Double 12", "双12"),
    "new_year_goods": ("New Year goods festival", "年货节"),
    "nianhuo": ("New Year goods festival", "年货节"),
}


def _effects_block(fit: Any) -> TextBlock:
    """Festival lifts and controls with their intervals, and whether lift tests calibrated the fit."""
    import re

    en, zh = [], []
    for r in fit.effects.itertuples(index=False):
        iv = f"{r.mean:,.0f} [{r.lo:,.0f}, {r.hi:,.0f}]"
        if r.kind == "holiday":
            name_en, name_zh = _FESTIVAL_NAMES.get(str(r.name), (str(r.name), str(r.name)))
            en.append(f"{name_en} week {iv}")
            zh.append(f"{name_zh}周 {iv}")
        else:
            en.append(f"{r.name} {iv} per unit")
            zh.append(f"{r.name} 每单位 {iv}")
    text_en = "Festivals and controls, revenue per week [90%]: " + ("; ".join(en) if en else "none") + "."
    text_zh = "节日与控制变量，每周收入 [90%]：" + ("；".join(zh) if zh else "无") + "。"
    found = re.search(r"calibrated by (\d+) of (\d+) lift test", " ".join(fit.notes))
    if found:
        used, of = found.groups()
        text_en += f" Calibrated by {used} of {of} lift tests from the experiments table."
        text_zh += f" 已用实验表中 {of} 个增量实验中的 {used} 个校准。"
    else:
        text_en += " No lift test calibrated this fit."
        text_zh += " 本次拟合没有增量实验校准。"
    return TextBlock((text_en, text_zh))
