"""Diagnosis rules on agenda setting, topics and sentiment (the playbook's third pillar, and 舆情).

* ``agenda_join_audience`` — a brand that does not set its audience's agenda should join the
  audience's topics (借势) instead of trying to set its own; the topics the audience leads on are named.
* ``agenda_lead_topics`` — topics on which the brand does lead its audience and whose posts' engagers
  convert: named for the content plan.
* ``negative_spikes`` — days of negative discussion significantly above their trailing baseline,
  with the posts that carry them.

Each states its test; where the data are too short each says so (an ``info`` finding) instead of
guessing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from canyu.plan._findings import Finding
from canyu.plan._rules import register_rule

if TYPE_CHECKING:
    from canyu.analytics.agenda._workspace import AgendaAnalysis
    from canyu.session import AnalysisSession

__all__ = [
    "HIGH_Q",
    "HIGH_RATIO",
    "LEAD_MIN_CONVERTED",
    "SUSTAINED_DAYS",
    "WEAK_STRENGTH",
    "days_to_separate",
    "join_audience_findings",
    "lead_topic_findings",
]

WEAK_STRENGTH = 0.2
"""The brand sets the agenda only when its strength's 95% interval reaches at least this (0–1 scale)."""
HIGH_Q = 0.01
"""A negative spike is of high severity when its q-value is below this (the other rules' level, 0.01);
between it and 0.05 it is medium: with about 75 days tested, BH at 0.05 lets a quiet 90 days raise a
false spike in about one run in twenty (2 of 25 simulated runs without a crisis at 1,000 people did)."""
HIGH_RATIO = 1.3
"""High severity also needs a large effect: the day's negative share at least this multiple of its baseline.
At 50,000 people (about 1,000 audience texts a day) two neighbouring days of the default scenario, which
has no crisis, reached 60% and 59% negative against 50% (q = 0.017 and 0.043): significant, and adjacent
because the audience's topic mix persists from day to day, but a tenth more negative talk is no crisis.
The crisis scenario's days run 65-75% against 47% (1.4-1.6x)."""
SUSTAINED_DAYS = 3
"""A spike day with another within this many days is a sustained episode: high severity at any q < 0.05
(two false spikes so close together in one quiet period are far rarer than one)."""
LEAD_MIN_CONVERTED = 3
"""A lead topic "converts" when at least this many of its posts' engagers converted after engaging."""


MAX_DAYS_STATED = 3650
"""Beyond this many days (ten years) the unclear agenda finding says "more than" instead of a number."""


def days_to_separate(
    strength: float, interval: tuple[float, float], days: int, weak: float = WEAK_STRENGTH
) -> int:
    """The days of data like these after which the strength's 95% interval would clear ``weak``.

    The interval's half-width shrinks as one over the square root of the days, so it clears ``weak``
    once ``days * (half_width / |strength - weak|) ** 2`` days are in. The power limit the unclear
    finding states: at 1,000 simulated people (about 19 audience texts a day over 90 days) the
    strength's estimate has a standard deviation of about 0.039 at a true 0.1 (120 runs of the agenda
    process, bench/agenda_power.py), so about one run in four cannot call a strength of 0.1 weak.
    """
    half = (interval[1] - interval[0]) / 2
    gap = abs(strength - weak)
    if gap <= 0:
        return 10**9
    return int(np.ceil(days * (half / gap) ** 2))


def _thin(key: str, section: str, what: tuple[str, str], note: str | None) -> Finding:
    return Finding(
        key=key,
        metric=(
            f"{what[0]}: too thin to judge ({note or 'no data'})",
            f"{what[1]}：数据不足，无法判断（{note or '无数据'}）",
        ),
        value="too thin",
        expectation=(
            "enough days of brand posts and audience texts on the [topics] taxonomy (at least 3 x max_lag + 14 days)",
            "足够天数的品牌内容与受众讨论，且能归入 [topics] 话题体系（至少 3 × 最大滞后 + 14 天）",
        ),
        severity="info",
        action=(
            "Import the audience's comments and mentions (canyu import ... --table mentions) and declare the topic taxonomy in canyu.toml [topics].",
            "导入受众评论与提及（canyu import ... --table mentions），并在 canyu.toml 的 [topics] 中声明话题体系。",
        ),
        evidence={"note": note},
        section=section,
    )


@register_rule(
    "agenda_join_audience",
    reads=("agenda", "topics"),
    section="agenda",
    test=(
        "fires when the brand does not set its audience's agenda: the pooled cross-lagged correlation of the brand's "
        "topic emphasis with the audience's later salience is not above its shuffled-series baseline (p >= 0.05), or "
        f"it is but the strength's 95% block-bootstrap interval stays below {WEAK_STRENGTH}; the topics named are "
        "those where the audience leads (Granger test, Benjamini-Hochberg q < 0.05); unclear (info) when the brand "
        f"leads with a strength below {WEAK_STRENGTH} whose interval reaches it, or when neither side leads "
        f"significantly but the strength is at least {WEAK_STRENGTH}",
        "品牌未能设置受众议程时触发：品牌话题强调与受众随后讨论的合并交叉滞后相关不高于打乱序列基线（p ≥ 0.05），"
        f"或虽高于基线但强度的 95% 分块自助区间上限低于 {WEAK_STRENGTH}；列出的话题为受众领先的话题（Granger 检验，BH 校正 q < 0.05）；"
        f"品牌领先但强度低于 {WEAK_STRENGTH} 且区间上限达到它时，或双方都不显著领先但强度不低于 {WEAK_STRENGTH} 时，"
        "报告为不清楚（提示）",
    ),
)
def agenda_join_audience(session: AnalysisSession) -> list[Finding]:
    """A brand that does not move what its audience talks about: join the audience's topics (借势)."""
    topics = session.run("topics")
    if topics.brand_texts + topics.audience_texts == 0:  # no posts or discussion at all: nothing to judge
        return []
    return join_audience_findings(session.run("agenda"))


def _strength_evidence(r: Any) -> dict[str, Any]:
    """The pooled result's direction, strength with its interval, lead p-value and days: every agenda finding's evidence."""
    lo, hi = r.strength_interval
    return {
        "direction": r.direction,
        "strength": round(r.strength, 4),
        "strength_interval": [round(lo, 4), round(hi, 4)],
        "p_brand_leads": r.p_brand_leads,
        "days": r.days,
    }


def join_audience_findings(agenda: AgendaAnalysis, *, weak: float = WEAK_STRENGTH) -> list[Finding]:
    """The ``agenda_join_audience`` test applied to an agenda analysis."""
    r = agenda.result
    if r is None:
        return [_thin("agenda_thin", "agenda", ("Agenda setting", "议程设置"), agenda.note)]
    leads = r.direction in ("brand_leads", "reciprocal")
    if leads and r.strength_interval[1] >= weak:
        if r.strength >= weak or r.strength_interval[0] >= weak:
            return []
        # the brand leads and its strength is below `weak`, but its interval reaches `weak`: the data
        # cannot tell a weak agenda from one strong enough, and the rule says so instead of staying silent
        lo, hi = r.strength_interval
        need = days_to_separate(r.strength, (lo, hi), r.days, weak)
        need_en = f"about {need:,} days" if need <= MAX_DAYS_STATED else f"more than {MAX_DAYS_STATED:,} days"
        need_zh = f"约 {need:,} 天" if need <= MAX_DAYS_STATED else f"超过 {MAX_DAYS_STATED:,} 天"
        per_day = agenda.audience_texts / max(r.days, 1)
        return [
            Finding(
                key="agenda_weak_unclear",
                metric=(
                    f"The brand leads its audience's agenda, but weakly or not is unclear: strength {r.strength:.2f} "
                    f"(95% interval {lo:.2f}–{hi:.2f}) over {r.days} days, from {agenda.brand_texts:,} brand posts and "
                    f"{agenda.audience_texts:,} audience texts",
                    f"品牌领先受众议程，但是否偏弱尚不清楚：强度 {r.strength:.2f}（95% 区间 {lo:.2f}–{hi:.2f}），共 "
                    f"{r.days} 天、{agenda.brand_texts:,} 条品牌内容与 {agenda.audience_texts:,} 条受众讨论",
                ),
                value=round(r.strength, 4),
                expectation=(
                    f"a 95% interval of the strength entirely above or below {weak}",
                    f"强度的 95% 区间整体高于或低于 {weak}",
                ),
                severity="info",
                action=(
                    f"Too thin to judge: with {per_day:,.0f} audience texts a day the interval is ±{(hi - lo) / 2:.2f} "
                    f"wide, and telling {r.strength:.2f} from {weak} needs {need_en} of data like these (the interval "
                    "narrows as one over the square root of the days). Keep posting on the taxonomy's topics and import "
                    "more of the audience's comments and mentions; judge again with more days.",
                    f"数据不足，无法判断：每天 {per_day:,.0f} 条受众讨论时区间宽 ±{(hi - lo) / 2:.2f}，要区分 {r.strength:.2f} 与 "
                    f"{weak} 需要{need_zh}这样的数据（区间随天数的平方根收窄）。继续按话题体系发布内容，并导入更多受众评论与提及，"
                    "积累更多天数后再判断。",
                ),
                evidence={
                    **_strength_evidence(r),
                    "audience_texts_per_day": round(per_day, 2),
                    "days_to_separate": need,
                },
                section="agenda",
            )
        ]
    if r.direction == "none" and r.strength >= weak:
        # No side leads significantly, but the brand's emphasis and its audience's later talk move
        # together as strongly as an agenda the brand sets: absence of a significant lead is not
        # evidence that the brand cannot set the agenda (45 days of the default scenario: strength
        # 0.55, interval 0.44-0.57, shuffled-series p = 0.125).
        lo, hi = r.strength_interval
        return [
            Finding(
                key="agenda_lead_unclear",
                metric=(
                    f"Whether the brand sets its audience's agenda is unclear: its emphasis and the audience's later "
                    f"talk move together (strength {r.strength:.2f}, 95% interval {lo:.2f}–{hi:.2f}), but the brand's "
                    f"lead is not significant against shuffled series (p = {r.p_brand_leads:.3f}) over {r.days} days, "
                    f"from {agenda.brand_texts:,} brand posts and {agenda.audience_texts:,} audience texts",
                    f"品牌能否设置受众议程尚不清楚：品牌强调与受众随后的讨论同向变化（强度 {r.strength:.2f}，95% 区间 "
                    f"{lo:.2f}–{hi:.2f}），但相对打乱序列品牌领先并不显著（p = {r.p_brand_leads:.3f}），共 {r.days} 天、"
                    f"{agenda.brand_texts:,} 条品牌内容与 {agenda.audience_texts:,} 条受众讨论",
                ),
                value=round(r.strength, 4),
                expectation=(
                    "a lead of the brand that is significant against shuffled series (p < 0.05), or none with a strength "
                    f"below {weak}",
                    f"品牌领先相对打乱序列显著（p < 0.05），或不领先且强度低于 {weak}",
                ),
                severity="info",
                action=(
                    "Too thin to judge who leads: keep the brand's own topic plan, import more of the audience's "
                    "comments and mentions, and judge again with more days.",
                    "数据不足，无法判断谁在引领：保持品牌自己的话题计划，导入更多受众评论与提及，积累更多天数后再判断。",
                ),
                evidence=_strength_evidence(r),
                section="agenda",
            )
        ]
    t = r.topics
    followed = t[t["q_audience_leads"] < r.alpha].sort_values("q_audience_leads")
    named = followed["topic"].tolist()
    if named:
        topics_en = ", ".join(named)
        why_en = f"the audience leads on {len(named)} of {len(t)} topics: {topics_en}"
        why_zh = f"{len(t)} 个话题中受众领先 {len(named)} 个：{'、'.join(named)}"
    else:
        gap = (t["audience_share"] - t["brand_share"]).to_numpy()
        top = t.iloc[np.argsort(-gap)[:3]]
        named = top["topic"].tolist()
        why_en = f"no topic where the audience significantly leads; it talks more than the brand posts about {', '.join(named)}"
        why_zh = f"没有受众显著领先的话题；受众讨论多于品牌发布的话题：{'、'.join(named)}"
    lo, hi = r.strength_interval
    state_en = {
        "none": "neither side leads the other",
        "audience_leads": "the audience leads and the brand follows",
        "brand_leads": "the brand leads, but weakly",
        "reciprocal": "each side follows the other, the brand weakly",
    }[r.direction]
    state_zh = {
        "none": "双方互不领先",
        "audience_leads": "受众领先、品牌跟随",
        "brand_leads": "品牌领先但很弱",
        "reciprocal": "双方互相跟随，品牌一方很弱",
    }[r.direction]
    follows = r.direction in ("audience_leads", "reciprocal")
    follow_en = f" (today the brand follows about {r.reverse_lag_days} days later)" if follows else ""
    follow_zh = f"（目前品牌约晚 {r.reverse_lag_days} 天才跟上）" if follows else ""
    return [
        Finding(
            key="agenda_join_audience",
            metric=(
                f"The brand does not set its audience's agenda: {state_en} (strength {r.strength:.2f}, 95% interval "
                f"{lo:.2f}–{hi:.2f}; p brand leads = {r.p_brand_leads:.3f}) over {r.days} days, from {agenda.brand_texts:,} "
                f"brand posts and {agenda.audience_texts:,} audience texts on the taxonomy's topics; {why_en}",
                f"品牌未能设置受众议程：{state_zh}（强度 {r.strength:.2f}，95% 区间 {lo:.2f}–{hi:.2f}；品牌领先 p = "
                f"{r.p_brand_leads:.3f}），共 {r.days} 天、{agenda.brand_texts:,} 条品牌内容与 {agenda.audience_texts:,} 条受众讨论；{why_zh}",
            ),
            value=r.direction,
            expectation=(
                f"a brand that sets its audience's agenda leads it significantly with strength of at least {weak}",
                f"能设置受众议程的品牌应显著领先受众，且强度不低于 {weak}",
            ),
            severity="medium",
            action=(
                f"Join the audience's agenda instead of copying brands that set it (借势): post on {', '.join(named)} "
                f"as soon as your audience raises them{follow_en}, and tie campaigns to the talk that is already there.",
                f"与其模仿能设置议程的品牌，不如加入受众的议程（借势）：在受众提起 {'、'.join(named)} 时及时发布相关内容"
                f"{follow_zh}，把活动嫁接到已有的讨论上。",
            ),
            evidence={
                **_strength_evidence(r),
                "p_audience_leads": r.p_audience_leads,
                "topics": named,
                "audience_leads_topics": followed["topic"].tolist(),
            },
            section="agenda",
        )
    ]


@register_rule(
    "agenda_lead_topics",
    reads=("agenda",),
    section="agenda",
    test=(
        "names each topic where the brand's emphasis Granger-causes its audience's later salience (Benjamini-Hochberg "
        f"q < 0.05 across topics) and at least {LEAD_MIN_CONVERTED} people converted within the window after engaging "
        "with the brand's posts on it; lead topics with fewer conversions are reported as too thin to judge",
        f"列出品牌强调 Granger 引起受众随后讨论的话题（各话题 BH 校正 q < 0.05），且至少 {LEAD_MIN_CONVERTED} 人在互动该话题"
        "内容后的窗口内转化；转化更少的领先话题报告为数据不足",
    ),
)
def agenda_lead_topics(session: AnalysisSession) -> list[Finding]:
    """Topics where the brand leads its audience and that convert: for the content plan."""
    return lead_topic_findings(session.run("agenda"))


def lead_topic_findings(agenda: AgendaAnalysis, *, min_converted: int = LEAD_MIN_CONVERTED) -> list[Finding]:
    """The ``agenda_lead_topics`` test applied to an agenda analysis."""
    r = agenda.result
    if r is None:
        return []
    t = agenda.topics
    lead = t[t["q_brand_leads"] < r.alpha]
    if lead.empty:
        return []
    conv = lead.assign(converted=lead["converted"].fillna(0), engaged=lead["engaged"].fillna(0))
    good = conv[conv["converted"] >= min_converted].sort_values("converted", ascending=False)
    if good.empty:
        return [
            Finding(
                key="agenda_lead_topics_thin",
                metric=(
                    f"The brand leads its audience on {len(lead)} topics ({', '.join(lead['topic'])}), but too few "
                    f"people converted after engaging with them to judge which convert (most: "
                    f"{int(conv['converted'].max())} of {int(conv['engaged'].max()):,} engaged)",
                    f"品牌在 {len(lead)} 个话题上领先受众（{'、'.join(lead['topic'])}），但互动后转化的人太少，无法判断哪些话题带来转化"
                    f"（最多：{int(conv['engaged'].max()):,} 名互动者中 {int(conv['converted'].max())} 人）",
                ),
                value="too thin",
                expectation=(
                    f"at least {min_converted} conversions after engaging with a topic's posts",
                    f"互动某话题内容后至少 {min_converted} 次转化",
                ),
                severity="info",
                action=(
                    "Link posts to purchases (campaign codes, mini-program links) so conversions can be traced to topics.",
                    "为内容加上可追踪的购买入口（活动码、小程序链接），以便把转化追溯到话题。",
                ),
                evidence={"lead_topics": lead["topic"].tolist()},
                section="agenda",
            )
        ]
    names = good["topic"].tolist()
    detail_en = "; ".join(
        f"{row.topic}: {int(row.converted)} of {int(row.engaged):,} engaged people converted within {agenda.convert_days} days"
        for row in good.itertuples()
    )
    detail_zh = "；".join(
        f"{row.topic}：{int(row.engaged):,} 名互动者中 {int(row.converted)} 人在 {agenda.convert_days} 天内转化"
        for row in good.itertuples()
    )
    return [
        Finding(
            key="agenda_lead_topics",
            metric=(
                f"The brand sets its audience's agenda on {len(names)} topics that convert ({detail_en})",
                f"品牌在 {len(names)} 个能带来转化的话题上设置了受众议程（{detail_zh}）",
            ),
            value=", ".join(names),
            expectation=(
                "topics where the brand leads (Granger, BH q < 0.05) and its posts' engagers convert",
                "品牌领先（Granger 检验，BH q < 0.05）且内容互动者会转化的话题",
            ),
            severity="low",
            action=(
                f"Keep these topics in the content plan and post on them first: {', '.join(names)}; the audience follows "
                f"about {r.lag_days} days later.",
                f"把这些话题保留在内容计划中并率先发布：{'、'.join(names)}；受众约 {r.lag_days} 天后跟进。",
            ),
            evidence={
                "topics": names,
                "converted": {str(k): int(v) for k, v in zip(good["topic"], good["converted"], strict=True)},
                "engaged": {str(k): int(v) for k, v in zip(good["topic"], good["engaged"], strict=True)},
                "q_brand_leads": {
                    str(k): float(v) for k, v in zip(good["topic"], good["q_brand_leads"], strict=True)
                },
            },
            section="agenda",
        )
    ]


@register_rule(
    "negative_spikes",
    reads=("sentiment",),
    section="sentiment",
    test=(
        "one-sided Fisher exact test per day that the share of negative audience texts exceeds its pooled trailing "
        "28-day baseline (Benjamini-Hochberg q < 0.05 across days, at least 5 negative texts); high severity when "
        f"q < {HIGH_Q} (the level of the other rules) or another spike day lies within {SUSTAINED_DAYS} days "
        f"(a sustained episode), in both cases with a negative share at least {HIGH_RATIO:g}x the baseline; medium "
        "otherwise; too thin below 14 days of history",
        "逐日单侧 Fisher 精确检验：受众负面讨论占比是否高于此前 28 天合并基线（各日 BH 校正 q < 0.05，且至少 5 条负面）；"
        f"q < {HIGH_Q}（与其他规则同一水平）或 {SUSTAINED_DAYS} 天内另有高峰日（持续事件）为高严重度，否则为中；"
        f"两种情况均要求负面占比至少为基线的 {HIGH_RATIO:g} 倍；历史不足 14 天时为数据不足",
    ),
)
def negative_spikes_rule(session: AnalysisSession) -> list[Finding]:
    """Spikes of negative discussion (舆情), with the posts that carry them."""
    result = session.run("sentiment")
    if result.texts == 0:  # no discussion at all: nothing to judge
        return []
    if result.too_thin:
        return [
            _thin(
                "negative_spikes_thin", "sentiment", ("Negative-discussion spikes", "负面舆情"), result.note
            )
        ]
    out = []
    spike_days = pd.to_datetime(result.spikes["day"]).dt.normalize().tolist()
    for i, row in enumerate(result.spikes.itertuples()):
        # a sustained episode: another spike day within SUSTAINED_DAYS of this one
        sustained = any(
            j != i and abs((d - spike_days[i]).days) <= SUSTAINED_DAYS for j, d in enumerate(spike_days)
        )
        day = str(row.day)[:10]
        ids = list(row.post_ids)[:20]
        examples = list(row.examples)[:3]
        out.append(
            Finding(
                key=f"negative_spike:{day}",
                metric=(
                    f"Negative discussion on {day}: {int(row.negative):,} of {int(row.posts):,} audience texts negative "
                    f"({row.share:.0%}, against a baseline of {row.baseline_share:.0%}; q = {row.q_value:.2g})",
                    f"{day} 负面舆情：{int(row.posts):,} 条受众讨论中 {int(row.negative):,} 条为负面（{row.share:.0%}，"
                    f"基线 {row.baseline_share:.0%}；q = {row.q_value:.2g}）",
                ),
                value=f"{row.share:.1%}",
                expectation=(
                    f"a negative share near the trailing baseline of {row.baseline_share:.0%}",
                    f"负面占比应接近此前基线 {row.baseline_share:.0%}",
                ),
                severity="high"
                if (float(row.q_value) < HIGH_Q or sustained)
                and float(row.share) >= HIGH_RATIO * float(row.baseline_share)
                else "medium",
                action=(
                    "Answer the complaints in public and in private within the day, find the cause in the posts "
                    f"(e.g. {' / '.join(examples)}), and hold promotional posts until it is handled.",
                    f"当天在公开与私信中回应投诉，从这些帖子中找出原因（如：{' / '.join(examples)}），处理完之前暂停促销内容。",
                ),
                evidence={
                    "day": day,
                    "posts": int(row.posts),
                    "negative": int(row.negative),
                    "baseline_share": round(float(row.baseline_share), 4),
                    "p_value": float(row.p_value),
                    "q_value": float(row.q_value),
                    "post_ids": [str(i) for i in ids],
                    "examples": examples,
                },
                section="sentiment",
            )
        )
    return out
