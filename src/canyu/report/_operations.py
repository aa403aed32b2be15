"""Report sections for the operations analyses: channel roles, attribution, activity,
funnel, retention, service, community and hit products.

Each section queries through the analyses in ``canyu.analytics`` (Ibis, run by the
store's engine) and shows only aggregates.
"""

from __future__ import annotations

import plotly.graph_objects as go

from canyu.report._charts import channel_colors
from canyu.report._contracts import (
    FigureBlock,
    ReportContext,
    SectionResult,
    TableBlock,
    TextBlock,
    register_section,
)

__all__: list[str] = []

Blocks = list[TextBlock | TableBlock | FigureBlock]


def _empty(title: tuple[str, str]) -> SectionResult:
    return SectionResult(title=title, blocks=[TextBlock(("No events in this period.", "本期没有事件。"))])


def _has_events(ctx: ReportContext) -> bool:
    return bool(ctx.to_pandas(ctx.events().count().as_table()).iloc[0, 0])


@register_section("roles", order=15)
def roles(ctx: ReportContext) -> SectionResult:
    """Which role each channel plays (broadcast, service, retention, conversion) against the product profile."""
    title = ("Channel roles", "渠道角色")
    if not _has_events(ctx):
        return _empty(title)
    result = ctx.run("roles")
    scores = result.scores.drop(columns=["top_score"]).copy()
    scores["planned"] = scores["channel"].map(result.expected)
    scores["channel"] = scores["channel"].map(ctx.channel)
    fig = go.Figure()
    for role in ("broadcast", "service", "retention", "conversion"):
        fig.add_bar(name=role, x=scores["channel"], y=scores[role])
    fig.update_layout(
        barmode="group", title=ctx.text(("Role scores (1 = best channel)", "角色得分（1 = 最强渠道）"))
    )
    blocks: Blocks = [
        TextBlock(
            (
                "Each channel is scored on reach per post and share fan-out (broadcast), one-to-one traffic and reply "
                "rate (service), retained core members (retention) and orders per active person (conversion); the role "
                "it plays is its best score. A finding is raised where it differs from the product profile in canyu.toml.",
                "按单帖触达与分享裂变（传播）、一对一流量与回复率（服务）、核心成员留存（留存）、人均订单（转化）为每个渠道打分，"
                "得分最高者即其实际角色；与 canyu.toml 产品画像不符时给出发现。",
            )
        ),
        TableBlock(
            scores,
            labels={
                "channel": ("Channel", "渠道"),
                "actual_role": ("Plays", "实际角色"),
                "planned": ("Planned", "规划角色"),
            },
            formats={r: "{:.2f}" for r in ("broadcast", "service", "retention", "conversion")},
        ),
        FigureBlock(fig),
    ]
    return SectionResult(title=title, blocks=blocks)


@register_section("attribution", order=20)
def attribution(ctx: ReportContext) -> SectionResult:
    """Who earns the orders: heuristics and exact Markov attribution by channel."""
    title = ("Conversion attribution", "转化归因")
    attr = ctx.run("attribution", model="last_touch,linear,markov,shapley")
    result = attr.result
    if result is None:
        return SectionResult(
            title=title, blocks=[TextBlock(("No converting journeys in this period.", "本期没有转化路径。"))]
        )
    wide = result.wide("conversions").reset_index()
    wide["channel"] = wide["channel"].map(ctx.channel)
    fig = go.Figure()
    for model in ("last_touch", "markov", "shapley"):
        fig.add_bar(name=model, x=wide["channel"], y=wide[model])
    fig.update_layout(barmode="group", title=ctx.text(("Attributed orders by channel", "各渠道归因订单")))
    return SectionResult(
        title=title,
        blocks=[
            TextBlock(
                (
                    f"{attr.attributed:,.0f} of {attr.orders:,} orders had a social touch in the {attr.lookback_days} days "
                    f"before them and are attributed here; {attr.unattributed:,.0f} "
                    f"({attr.unattributed / max(attr.orders, 1):.1%}) had none. Markov: exact removal "
                    "effects of a first-order chain (Anderl et al. 2016); Shapley: Zhao et al. 2018.",
                    f"{attr.orders:,} 笔订单中有 {attr.attributed:,.0f} 笔在下单前 {attr.lookback_days} 天内有社交触点，在此归因；"
                    f"{attr.unattributed:,.0f} 笔（{attr.unattributed / max(attr.orders, 1):.1%}）没有。马尔可夫：一阶链的精确移除效应（Anderl 等 2016）；Shapley：Zhao 等 2018。",
                )
            ),
            TableBlock(
                wide,
                labels={"channel": ("Channel", "渠道")},
                formats={c: "{:.1f}" for c in wide.columns if c != "channel"},
            ),
            FigureBlock(fig),
        ],
    )


@register_section("activity", order=40)
def activity(ctx: ReportContext) -> SectionResult:
    """Daily active people per channel and stickiness (DAU/MAU)."""
    title = ("User activity", "用户活跃度")
    if not _has_events(ctx):
        return _empty(title)
    dau = ctx.run("activity", unit="day", by_channel=True)
    stick = ctx.run("stickiness", by_channel=True)
    fig = go.Figure()
    colors = channel_colors()
    for channel, part in dau.sort_values("period_start").groupby("channel"):
        fig.add_scatter(
            x=part["period_start"],
            y=part["active"],
            mode="lines",
            name=ctx.channel(str(channel)),
            line={"color": colors.get(str(channel))},
        )
    fig.update_layout(title=ctx.text(("Daily active people", "日活跃人数")))
    latest = stick.sort_values("period_start").groupby("channel").tail(1).copy()
    latest["channel"] = latest["channel"].map(ctx.channel)
    return SectionResult(
        title=title,
        blocks=[
            FigureBlock(fig),
            TableBlock(
                latest[["channel", "period_start", "avg_dau", "mau", "stickiness"]],
                caption=("Stickiness in the last month", "最近一个月的粘性"),
                labels={
                    "channel": ("Channel", "渠道"),
                    "period_start": ("Month", "月份"),
                    "avg_dau": ("Avg DAU", "平均日活"),
                    "mau": ("MAU", "月活"),
                    "stickiness": ("DAU/MAU", "日活/月活"),
                },
                formats={"stickiness": "{:.1%}", "avg_dau": "{:.1f}"},
            ),
        ],
    )


@register_section("funnel", order=45)
def funnel_section(ctx: ReportContext) -> SectionResult:
    """View → follow → purchase within 14 days, by first channel."""
    title = ("Conversion funnel", "转化漏斗")
    if not _has_events(ctx):
        return _empty(title)
    steps = ["view", "follow", *ctx.session.conversion_actions[:1]]
    table = ctx.run("funnels", steps=tuple(steps), window_days=14)
    return SectionResult(
        title=title,
        blocks=[
            TextBlock(
                (
                    f"Steps: {' → '.join(steps)}, within 14 days of the first step.",
                    f"步骤：{' → '.join(steps)}，首步之后 14 天内。",
                )
            ),
            TableBlock(table, formats={c: "{:.1%}" for c in table.columns if "rate" in c}),
        ],
    )


@register_section("retention", order=50)
def retention_section(ctx: ReportContext) -> SectionResult:
    """Day-1, day-7 and day-30 retention by first channel."""
    title = ("Retention", "留存")
    if not _has_events(ctx):
        return _empty(title)
    ret = ctx.run("retention", days=(1, 7, 30), cohort="first_channel")
    if ret.empty:
        return _empty(title)
    wide = ret.pivot_table(index="first_channel", columns="day", values="rate").reset_index()
    wide.columns = ["channel", *[f"day {c}" for c in wide.columns[1:]]]
    wide["channel"] = wide["channel"].map(ctx.channel)
    return SectionResult(
        title=title,
        blocks=[
            TableBlock(
                wide,
                labels={"channel": ("First channel", "首次接触渠道")},
                formats={c: "{:.1%}" for c in wide.columns if c != "channel"},
            )
        ],
    )


@register_section("service", order=60)
def service(ctx: ReportContext) -> SectionResult:
    """One-to-one service: answer rate and response times per channel."""
    title = ("One-to-one service", "一对一服务")
    table = ctx.run("service").copy()
    if table.empty:
        return SectionResult(
            title=title, blocks=[TextBlock(("No messages in this period.", "本期没有用户消息。"))]
        )
    table["channel"] = table["channel"].map(ctx.channel)
    for col in ("median_seconds", "p90_seconds"):
        table[col.replace("seconds", "minutes")] = table[col] / 60.0
    cols = ["channel", "messages", "answered", "answer_rate", "median_minutes", "p90_minutes"]
    return SectionResult(
        title=title,
        blocks=[
            TableBlock(
                table[cols],
                labels={"channel": ("Channel", "渠道")},
                formats={"answer_rate": "{:.1%}", "median_minutes": "{:.0f}", "p90_minutes": "{:.0f}"},
            )
        ],
    )


@register_section("community", order=70)
def community(ctx: ReportContext) -> SectionResult:
    """Forum and WeCom groups: members, posting share, replies per post, growth."""
    title = ("Community health", "社群健康度")
    table = ctx.run("community", unit="week")
    if table.empty:
        return SectionResult(
            title=title, blocks=[TextBlock(("No community activity in this period.", "本期没有社群活动。"))]
        )
    latest = table.sort_values("period_start").groupby("channel").tail(4).copy()
    latest["channel"] = latest["channel"].map(ctx.channel)
    cols = [
        c
        for c in ("channel", "period_start", "members", "posts", "poster_share", "replies_per_post", "growth")
        if c in latest
    ]
    return SectionResult(
        title=title,
        blocks=[
            TableBlock(
                latest[cols],
                caption=("Last four weeks", "最近四周"),
                formats={"poster_share": "{:.1%}", "growth": "{:.1%}", "replies_per_post": "{:.2f}"},
            )
        ],
    )


@register_section("products", order=80)
def products(ctx: ReportContext) -> SectionResult:
    """Hit products (爆品): orders, growth and share of conversions."""
    title = ("Hit products", "爆品")
    table = ctx.run("products")
    if table.empty:
        return SectionResult(title=title, blocks=[TextBlock(("No orders in this period.", "本期没有订单。"))])
    return SectionResult(
        title=title,
        blocks=[
            TableBlock(
                table.head(10), formats={"share": "{:.1%}", "growth": "{:+.0%}", "revenue": "¥{:,.0f}"}
            )
        ],
    )


@register_section("word_of_mouth", order=30)
def word_of_mouth(ctx: ReportContext) -> SectionResult:
    """Share cascades: their size and virality, the people who bring orders, K-factor per campaign."""
    title = ("Word of mouth", "口碑传播")
    wom = ctx.run("cascades", top=10)
    if wom.shares == 0:
        return SectionResult(title=title, blocks=[TextBlock(("No shares in this period.", "本期没有转发。"))])
    metrics, people, k_factor = wom.cascades, wom.people, wom.k_factor
    fig = go.Figure(go.Histogram(x=metrics["size"], nbinsx=40))
    fig.update_layout(title=ctx.text(("Cascade sizes", "传播级联规模")), yaxis_type="log")
    largest = metrics.head(10).copy()
    largest["channel"] = largest["channel"].map(ctx.channel)
    return SectionResult(
        title=title,
        blocks=[
            TextBlock(
                (
                    f"{len(metrics):,} cascades; {wom.inferred_share:.1%} of parent links were inferred from follows and timing. "
                    "Structural virality: mean distance between sharers in the tree (Goel et al. 2016).",
                    f"共 {len(metrics):,} 个传播级联；{wom.inferred_share:.1%} 的上级关系由关注关系与时间推断。"
                    "结构病毒性：传播树中转发者之间的平均距离（Goel 等 2016）。",
                )
            ),
            FigureBlock(fig),
            TableBlock(
                largest[
                    [
                        "cascade_id",
                        "channel",
                        "size",
                        "depth",
                        "max_breadth",
                        "structural_virality",
                        "reach",
                        "conversions",
                        "value",
                    ]
                ],
                caption=("Largest cascades", "最大的传播级联"),
                formats={"structural_virality": "{:.2f}", "value": "¥{:,.0f}"},
            ),
            TableBlock(
                people[
                    [
                        "rank",
                        "person",
                        "role",
                        "shares",
                        "downstream_reach",
                        "downstream_conversions",
                        "downstream_value",
                    ]
                ],
                caption=("People who bring orders (KOL/KOC)", "带来订单的人（KOL/KOC）"),
                formats={"downstream_value": "¥{:,.0f}"},
            ),
            TableBlock(
                k_factor,
                caption=("K-factor per campaign", "各活动的 K 因子"),
                formats={
                    "invites_per_sharer": "{:.2f}",
                    "invitee_conversion": "{:.2%}",
                    "k_factor": "{:.3f}",
                    "share_reproduction": "{:.2f}",
                },
            ),
        ],
    )
