"""Significance-tested diagnosis rules: word of mouth, service, community, changes, retention, spend, orders.

Every rule here states its test in its registration and fires only when that
test says the evidence is significant; where the data are too short to run
the test it returns an ``info`` finding that says so. The tests are exact
where an exact test exists:

* counts over time (sharers, posts, orders, active people) are compared as
  Poisson rates with the conditional binomial test: given ``x1 + x0`` events,
  ``x1 ~ Binomial(x1 + x0, r t1 / (r t1 + t0))`` under a rate ratio ``r``
  (Przyborowski & Wilenski 1940), with the Clopper–Pearson interval of the
  binomial proportion mapped to the rate ratio;
* shares (answered messages, retained people) with exact binomial tests or,
  for two samples, Fisher's exact test;
* many windows or channels tested at once are corrected (Bonferroni over
  scanned windows, Benjamini–Hochberg across channels).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import binomtest, fisher_exact

from canyu import vocab
from canyu.errors import CanyuError
from canyu.plan._findings import Finding
from canyu.plan._rules import benjamini_hochberg, register_rule
from canyu.plan._saturation import BOUND as SAT_BOUND
from canyu.plan._saturation import MIN_DAYS as SAT_MIN_DAYS
from canyu.plan._saturation import MIN_IMPRESSIONS as SAT_MIN_IMPRESSIONS
from canyu.plan._saturation import (
    PosteriorElasticity,
    SpendElasticity,
    posterior_elasticity,
    spend_elasticity,
)

if TYPE_CHECKING:
    from canyu.session import AnalysisSession

__all__ = [
    "RateRatio",
    "community_too_thin",
    "daily_paid",
    "overspend_findings",
    "rate_ratio_test",
    "saturation_tests",
]

ALPHA = 0.01
"""Significance level of every rule in this module (before corrections for multiple tests)."""


@dataclass(frozen=True)
class RateRatio:
    """The conditional binomial test of two Poisson rates ``(x1 / t1) / (x0 / t0)`` against ``ratio0``."""

    x1: int
    t1: float
    x0: int
    t0: float
    ratio: float
    low: float
    high: float
    p_value: float


def rate_ratio_test(
    x1: int,
    t1: float,
    x0: int,
    t0: float,
    *,
    ratio0: float = 1.0,
    alternative: str = "two-sided",
    confidence: float = 1 - ALPHA,
) -> RateRatio:
    """Exact test that the rate ratio ``(x1/t1)/(x0/t0)`` equals ``ratio0`` (``greater``/``less``: exceeds/trails it).

    Given ``n = x1 + x0`` the count ``x1`` is binomial with ``p = r t1 / (r t1 + t0)``;
    the interval is Clopper–Pearson's on ``p`` mapped back by ``r = p t0 / ((1 - p) t1)``.
    """
    n = int(x1 + x0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = float((x1 / t1) / (x0 / t0)) if x0 > 0 else float("inf")
    if n == 0:
        return RateRatio(x1, t1, x0, t0, float("nan"), 0.0, float("inf"), 1.0)
    p0 = ratio0 * t1 / (ratio0 * t1 + t0)
    res = binomtest(int(x1), n, p0, alternative=alternative)
    ci = res.proportion_ci(confidence_level=confidence, method="exact")

    def to_ratio(p: float) -> float:
        return float("inf") if p >= 1 else p * t0 / ((1 - p) * t1)

    return RateRatio(int(x1), t1, int(x0), t0, ratio, to_ratio(ci.low), to_ratio(ci.high), float(res.pvalue))


def _channel_names(channel: str) -> tuple[str, str]:
    info = vocab.CHANNEL_INFO.get(channel)
    return (info.name_en, info.name_zh) if info else (channel, channel)


def _thin(key: str, what: tuple[str, str], need: tuple[str, str], section: str, value: float) -> Finding:
    return Finding(
        key=key,
        metric=(f"{what[0]}: too thin to judge", f"{what[1]}：数据不足，无法判断"),
        value=value,
        expectation=need,
        severity="info",
        action=("Collect more data before judging this.", "积累更多数据后再判断。"),
        section=section,
    )


_EPOCH = date(1970, 1, 1)


def _date_of(day: int) -> date:
    """The local date of a day number from :meth:`Zone.local_day` (days since 1970-01-01)."""
    return _EPOCH + timedelta(days=int(day))


def _daily(session: AnalysisSession, expr_filter: object, *, distinct_people: bool) -> pd.Series:
    """Per local day number of the session: events (or distinct people) passing ``expr_filter``; 0 on days with none."""
    ev = session.events()
    sel = ev.filter(expr_filter(ev))  # type: ignore[operator]
    sel = sel.mutate(day=session.zone.local_day(sel.ts))
    n = sel.person_id.nunique() if distinct_people else sel.count()
    df = session.to_pandas(sel.group_by("day").aggregate(n=n))
    days = _local_days(session)
    if len(days) == 0:
        return pd.Series(dtype="int64")
    s = df.set_index(df["day"].astype("int64"))["n"] if len(df) else pd.Series(dtype="int64")
    return s.reindex(days, fill_value=0).astype("int64")


EDGE_SHARE = 0.5
"""Days at either edge of the data with fewer events than this share of the median day's are left out."""


def _local_days(session: AnalysisSession) -> range:
    """The local day numbers the session's data cover fully.

    From the first to the last local day with at least :data:`EDGE_SHARE` of the
    median day's events: partial days at the edges (an export cut mid-day, late
    refunds after it, a history of follows before tracking began) would look like
    collapses and surges to a test of change.
    """
    ev = session.events()
    day = session.zone.local_day(ev.ts)
    df = session.to_pandas(ev.group_by(day=day).aggregate(n=ev.count()))
    if df.empty:
        return range(0)
    full = df.loc[df["n"] >= EDGE_SHARE * float(df["n"].median()), "day"].astype("int64")
    lo, hi = int(full.min()), int(full.max())
    return range(lo, hi + 1)


# -- word of mouth ----------------------------------------------------------------------
WOM_WINDOW = 7
"""Days in the scanned window."""
WOM_RATIO = 4.0
"""The window's sharers per day must be significantly above this multiple of the other days' rate.

Not a test against 1x: an ordinary campaign week lifts sharing too. In the simulator's default
scenario (whose own word-of-mouth campaign doubles share probabilities) the best 7-day window of
1,000 people over 90 days reaches 4.1x-6.8x the rest (seeds 2, 3, 5; bench/findings.py), so a
window must be significantly above 4x to be an event; the viral launch (x4) reached 19x and 25x
(seeds 1, 2)."""
WOM_MIN_DAYS = 28
WOM_MIN_SHARERS = 30


@register_rule(
    "word_of_mouth_event",
    reads=("events",),
    section="word_of_mouth",
    test=(
        f"scans every {WOM_WINDOW}-day window for people sharing (distinct sharers per day, summed): fires when "
        f"the conditional binomial test says the window's rate exceeds {WOM_RATIO:g}x the rest of the period's "
        f"(one-sided, p < {ALPHA} after Bonferroni over the windows); too thin below {WOM_MIN_DAYS} days or "
        f"{WOM_MIN_SHARERS} sharer-days",
        f"扫描每个 {WOM_WINDOW} 天窗口的分享人数（每日去重分享人数之和）：条件二项检验表明窗口内速率超过其余时间的 "
        f"{WOM_RATIO:g} 倍时触发（单侧，按窗口数 Bonferroni 校正后 p < {ALPHA}）；不足 {WOM_MIN_DAYS} 天或 "
        f"{WOM_MIN_SHARERS} 人次时报告数据不足",
    ),
)
def word_of_mouth_event(session: AnalysisSession) -> list[Finding]:
    """A word-of-mouth burst: an opportunity to ride (seeds, repeat the format)."""
    daily = _daily(session, lambda ev: ev.action == "share", distinct_people=True)
    if daily.empty:
        return []  # no events at all: nothing to judge, not even thinly
    total = int(daily.sum())
    what = ("Word-of-mouth bursts (sharers per day)", "口碑爆发（每日分享人数）")
    if len(daily) < WOM_MIN_DAYS or total < WOM_MIN_SHARERS:
        return [
            _thin(
                "word_of_mouth_thin",
                what,
                (
                    f"at least {WOM_MIN_DAYS} days and {WOM_MIN_SHARERS} sharer-days; have {len(daily)} days, "
                    f"{total:,} sharer-days",
                    f"至少 {WOM_MIN_DAYS} 天、{WOM_MIN_SHARERS} 人次分享；现有 {len(daily)} 天、{total:,} 人次",
                ),
                "word_of_mouth",
                total,
            )
        ]
    win = daily.rolling(WOM_WINDOW).sum().dropna()
    n_windows = len(win)
    # the window most above the rest (largest ratio); its test is Bonferroni-corrected over all windows
    rest_days = len(daily) - WOM_WINDOW
    ratios = (win / WOM_WINDOW) / ((total - win).clip(lower=0.5) / rest_days)
    end = ratios.idxmax()
    x1 = int(win[end])
    t = rate_ratio_test(
        x1,
        WOM_WINDOW,
        total - x1,
        rest_days,
        ratio0=WOM_RATIO,
        alternative="greater",
        confidence=1 - ALPHA / n_windows,
    )
    p_adj = min(1.0, t.p_value * n_windows)
    first = int(end) - WOM_WINDOW + 1
    start, end_d = _date_of(first), _date_of(int(end))
    if p_adj >= ALPHA:
        if t.ratio <= WOM_RATIO:
            return []
        return [
            _thin(
                f"word_of_mouth_possible:{start.isoformat()}",
                (
                    f"A possible word-of-mouth burst {start}–{end_d}: {x1:,} sharer-days against {total - x1:,} "
                    f"in the other {rest_days} days ({t.ratio:.1f}x the usual rate, Bonferroni p = {p_adj:.3f})",
                    f"{start}–{end_d} 可能有口碑爆发：{x1:,} 人次分享，其余 {rest_days} 天 {total - x1:,} 人次"
                    f"（平时速率的 {t.ratio:.1f} 倍，Bonferroni p = {p_adj:.3f}）",
                ),
                (
                    f"significantly above {WOM_RATIO:g}x the usual rate (p < {ALPHA})",
                    f"显著超过平时速率的 {WOM_RATIO:g} 倍（p < {ALPHA}）",
                ),
                "word_of_mouth",
                round(t.ratio, 2),
            )
        ]
    ev = session.events()
    day = session.zone.local_day(ev.ts)
    inside = ev.filter((ev.action == "share") & (day >= first) & (day <= int(end)))
    by_ch = session.to_pandas(inside.group_by("channel").aggregate(sharers=inside.person_id.nunique()))
    by_ch = by_ch.sort_values("sharers", ascending=False)
    top = by_ch["channel"].head(3).tolist()
    top_en = ", ".join(_channel_names(c)[0] for c in top)
    top_zh = "、".join(_channel_names(c)[1] for c in top)
    rest = total - x1
    return [
        Finding(
            key=f"word_of_mouth_event:{start.isoformat()}",
            metric=(
                f"{x1:,} sharer-days in the {WOM_WINDOW} days {start}–{end_d} against {rest:,} in the other "
                f"{rest_days} days: {t.ratio:.1f}x the usual rate (99% lower bound {t.low:.1f}x), mostly on {top_en}",
                f"{start}–{end_d} 的 {WOM_WINDOW} 天内 {x1:,} 人次分享，其余 {rest_days} 天共 {rest:,} 人次："
                f"为平时速率的 {t.ratio:.1f} 倍（99% 下限 {t.low:.1f} 倍），主要在 {top_zh}",
            ),
            value=round(t.ratio, 2),
            expectation=(
                f"a word-of-mouth event is a rate above {WOM_RATIO:g}x the rest of the period",
                f"口碑事件：速率超过其余时间的 {WOM_RATIO:g} 倍",
            ),
            severity="medium",
            action=(
                "An opportunity: find what was shared and who spread it (canyu seeds), brief them as seeds for "
                "the next launch and repeat the format on the channels that carried it.",
                "这是机会：找出被转发的内容和传播者（canyu seeds），把他们作为下次发布的种子用户，并在承载传播的渠道复用这一形式。",
            ),
            evidence={
                "window_start": start.isoformat(),
                "window_end": end_d.isoformat(),
                "sharer_days_window": x1,
                "sharer_days_rest": rest,
                "days_rest": rest_days,
                "ratio": round(t.ratio, 3),
                "ratio_low": round(t.low, 3),
                "p_value_bonferroni": p_adj,
                "windows": n_windows,
                "channels": by_ch.head(5).to_dict("records"),
            },
            section="word_of_mouth",
        )
    ]


# -- service ----------------------------------------------------------------------------
SERVICE_ANSWER_TARGET = 0.80
"""Share of user messages a service channel should answer."""
SERVICE_HOUR_TARGET = 0.50
"""Share of answered messages a service channel should answer within an hour (median reply under an hour)."""
SERVICE_MIN_MESSAGES = 30


@register_rule(
    "slow_service",
    reads=("service",),
    section="service",
    test=(
        f"for each channel the product profile gives the service role, with at least {SERVICE_MIN_MESSAGES} "
        f"messages: fires when an exact one-sided binomial test says it answers fewer than "
        f"{SERVICE_ANSWER_TARGET:.0%} of messages, or answers fewer than {SERVICE_HOUR_TARGET:.0%} of the answered "
        f"within an hour (p < {ALPHA}, Benjamini–Hochberg across the tests); high severity when under half of "
        "messages are answered",
        f"对产品定位为服务角色且消息不少于 {SERVICE_MIN_MESSAGES} 条的渠道：精确单侧二项检验表明回复率低于 "
        f"{SERVICE_ANSWER_TARGET:.0%}，或已回复消息中一小时内回复的不足 {SERVICE_HOUR_TARGET:.0%} 时触发"
        f"（p < {ALPHA}，各检验间 Benjamini–Hochberg 校正）；回复不足一半为高严重度",
    ),
)
def slow_service(session: AnalysisSession) -> list[Finding]:
    """Service channels that answer too few messages, or too late."""
    levels = session.run("service")
    planned = [c for c, r in session.config.product.roles.items() if r == "service"]
    out: list[Finding] = []
    tests: dict[str, float] = {}
    rows: dict[str, dict[str, float]] = {}
    for r in levels.to_dict("records"):
        ch = str(r["channel"])
        if ch not in planned:
            continue
        en, zh = _channel_names(ch)
        msgs, answered = int(r["messages"]), int(r["answered"])
        if msgs < SERVICE_MIN_MESSAGES:
            out.append(
                _thin(
                    f"slow_service_thin:{ch}",
                    (f"{en}: {msgs:,} messages", f"{zh}：{msgs:,} 条消息"),
                    (
                        f"at least {SERVICE_MIN_MESSAGES} messages to judge the service level",
                        f"至少 {SERVICE_MIN_MESSAGES} 条消息才能判断服务水平",
                    ),
                    "service",
                    msgs,
                )
            )
            continue
        within_hour = round((float(r["under_5m"] or 0) + float(r["under_1h"] or 0)) * msgs)
        rows[ch] = {"messages": msgs, "answered": answered, "within_hour": within_hour}
        tests[f"{ch}|rate"] = binomtest(answered, msgs, SERVICE_ANSWER_TARGET, alternative="less").pvalue
        if answered:
            tests[f"{ch}|speed"] = binomtest(
                within_hour, answered, SERVICE_HOUR_TARGET, alternative="less"
            ).pvalue
    found = benjamini_hochberg({k: v for k, v in tests.items()}, q=ALPHA)
    for ch, r in rows.items():
        en, zh = _channel_names(ch)
        msgs, answered, hour = int(r["messages"]), int(r["answered"]), int(r["within_hour"])
        slow_rate, slow_speed = f"{ch}|rate" in found, f"{ch}|speed" in found
        if not (slow_rate or slow_speed):
            continue
        median = levels.loc[levels["channel"] == ch, "median_seconds"].iloc[0]
        median_min = float(median) / 60 if pd.notna(median) else float("nan")
        out.append(
            Finding(
                key=f"slow_service:{ch}",
                metric=(
                    f"{en} answered {answered:,} of {msgs:,} messages ({answered / msgs:.0%}); {hour:,} of the "
                    f"{answered:,} answered within an hour (median reply {median_min:,.0f} minutes)",
                    f"{zh} 的 {msgs:,} 条消息回复了 {answered:,} 条（{answered / msgs:.0%}）；已回复的 {answered:,} 条中 "
                    f"{hour:,} 条在一小时内回复（回复时间中位数 {median_min:,.0f} 分钟）",
                ),
                value=round(answered / msgs, 4),
                expectation=(
                    f"a service channel answers at least {SERVICE_ANSWER_TARGET:.0%} of messages, most within an hour",
                    f"服务渠道至少回复 {SERVICE_ANSWER_TARGET:.0%} 的消息，多数在一小时内",
                ),
                severity="high" if slow_rate and answered / msgs < 0.5 else "medium",
                action=(
                    f"Staff {en} for one-to-one service: a reply-time target of one hour, and every message answered.",
                    f"为 {zh} 配置一对一服务人手：一小时内回复，每条消息都要回复。",
                ),
                evidence={
                    "messages": msgs,
                    "answered": answered,
                    "answered_within_hour": hour,
                    "median_reply_minutes": None if np.isnan(median_min) else round(median_min, 1),
                    "p_value_rate": float(tests[f"{ch}|rate"]),
                    "p_value_speed": float(tests.get(f"{ch}|speed", 1.0)),
                    "answer_rate_low": slow_rate,
                    "reply_slow": slow_speed,
                },
                section="service",
            )
        )
    return out


# -- community --------------------------------------------------------------------------
COMMUNITY_WINDOW = 28
"""The fewest days in each third of the period compared (the last third against the first)."""
COMMUNITY_RATIO = 0.8
"""Posts per member-day must fall significantly below this multiple of the earlier window's."""


def community_too_thin(x0: int, t0: float, t1: float) -> bool:
    """Whether ``x0`` posts over ``t0`` member-days are too few for the ``community_quiet`` test.

    Too thin when no outcome could be significant: even a silent last third (no posts over ``t1``
    member-days) would not reject the ratio :data:`COMMUNITY_RATIO` at :data:`ALPHA`. Its p-value is
    ``(1 - p0) ** x0`` with ``p0 = r t1 / (r t1 + t0)``: with equal member-days, 8 posts are enough.
    """
    if t0 <= 0 or t1 <= 0:
        return True
    return rate_ratio_test(0, t1, x0, t0, ratio0=COMMUNITY_RATIO, alternative="less").p_value >= ALPHA


@register_rule(
    "community_quiet",
    reads=("community",),
    section="community",
    test=(
        "per community channel, posts per member-day in the last third of the period against the first third: "
        "fires when the conditional binomial test says the rate ratio is below "
        f"{COMMUNITY_RATIO:g} (one-sided, p < {ALPHA}, Benjamini–Hochberg across channels); too thin when even "
        f"no posts at all in the last third would not be significant (too few posts in the first third for the "
        f"test to see any fall) or thirds are under {COMMUNITY_WINDOW} days",
        f"对每个社群渠道，比较本期最后三分之一与最初三分之一的人均每日发帖：条件二项检验表明速率比低于 "
        f"{COMMUNITY_RATIO:g} 时触发（单侧，p < {ALPHA}，渠道间 Benjamini–Hochberg 校正）；若最后三分之一一帖也没有"
        f"仍不显著（最初三分之一帖子太少，检验看不出任何下降），或每段不足 {COMMUNITY_WINDOW} 天，报告数据不足",
    ),
)
def community_quiet(session: AnalysisSession) -> list[Finding]:
    """Communities whose members post less and less."""
    daily = session.run("community", unit="day")
    out: list[Finding] = []
    tests: dict[str, RateRatio] = {}
    halves: dict[str, int] = {}
    if daily.empty:
        return out
    span = _local_days(session)
    if len(span) == 0:
        return out
    days = pd.date_range(_date_of(span[0]), _date_of(span[-1]), freq="D")
    for ch, part in daily.groupby("channel"):
        en, zh = _channel_names(str(ch))
        d = part.assign(day=pd.to_datetime(part["period_start"])).set_index("day").sort_index()
        # members carry over days without events; days before the first event have none
        members = d["members"].reindex(d.index.union(days)).ffill().reindex(days).fillna(0)
        posts = d["posts"].reindex(days).fillna(0)
        # the first and the last third: a steady decay shows more between them than between halves
        half = len(days) // 3
        recent, earlier = days[-half:], days[:half]
        x0, x1 = int(posts[earlier].sum()), int(posts[recent].sum())
        t0, t1 = float(members[earlier].sum()), float(members[recent].sum())
        if half < COMMUNITY_WINDOW or community_too_thin(x0, t0, t1):
            out.append(
                _thin(
                    f"community_quiet_thin:{ch}",
                    (f"{en}: {x0:,} posts in the first {half} days", f"{zh}：最初 {half} 天 {x0:,} 帖"),
                    (
                        f"enough posts in the first third that a silent last third would be significant "
                        f"(p < {ALPHA}), and {COMMUNITY_WINDOW} days per third",
                        f"最初三分之一的帖子足够多，使最后三分之一完全沉寂时检验显著（p < {ALPHA}），且每段至少 "
                        f"{COMMUNITY_WINDOW} 天",
                    ),
                    "community",
                    x0,
                )
            )
            continue
        tests[str(ch)] = rate_ratio_test(x1, t1, x0, t0, ratio0=COMMUNITY_RATIO, alternative="less")
        halves[str(ch)] = half
    found = benjamini_hochberg({c: t.p_value for c, t in tests.items()}, q=ALPHA)
    for ch in sorted(found):
        t = tests[ch]
        en, zh = _channel_names(ch)
        r1, r0 = t.x1 / t.t1, t.x0 / t.t0
        out.append(
            Finding(
                key=f"community_quiet:{ch}",
                metric=(
                    f"{en}: {t.x1:,} posts over {t.t1:,.0f} member-days in the last {halves[ch]} days "
                    f"({r1 * 100:.2f} per 100 member-days) against {t.x0:,} over {t.t0:,.0f} in the first {halves[ch]} "
                    f"({r0 * 100:.2f}): {t.ratio:.2f}x (99% upper bound {t.high:.2f}x)",
                    f"{zh}：最近 {halves[ch]} 天 {t.t1:,.0f} 成员日中 {t.x1:,} 帖（每百成员日 {r1 * 100:.2f}），"
                    f"最初 {halves[ch]} 天 {t.t0:,.0f} 成员日中 {t.x0:,} 帖（{r0 * 100:.2f}）：为之前的 {t.ratio:.2f} 倍（99% 上限 {t.high:.2f} 倍）",
                ),
                value=round(t.ratio, 3),
                expectation=(
                    f"members post at least {COMMUNITY_RATIO:g}x as often as in the first third of the period",
                    f"成员发帖频率不低于本期最初三分之一的 {COMMUNITY_RATIO:g} 倍",
                ),
                severity="high" if t.high < 0.5 else "medium",
                action=(
                    f"Revive {en}: regular topics and activities for core members, answer their posts, invite new "
                    "members from the channels that bring engaged followers.",
                    f"激活 {zh}：为核心成员安排固定话题和活动，回应他们的帖子，从带来活跃粉丝的渠道邀请新成员。",
                ),
                evidence={
                    "posts_recent": t.x1,
                    "member_days_recent": round(t.t1),
                    "posts_earlier": t.x0,
                    "member_days_earlier": round(t.t0),
                    "ratio": round(t.ratio, 4),
                    "ratio_high": round(t.high, 4),
                    "p_value": t.p_value,
                },
                section="community",
            )
        )
    return out


# -- week over week, month over month ---------------------------------------------------
CHANGE_MIN = 0.20
"""A change must be significantly larger than this share (either way) to be a finding."""
CHANGE_SPANS = (("week", 7), ("month", 30))


def _changes(session: AnalysisSession) -> list[tuple[str, str, int, int, int, RateRatio]]:
    """(measure, span, days, recent, earlier, test) for orders and active people, week and month."""
    from canyu.analytics.activity import ACTIVE_ACTIONS

    days = _local_days(session)
    if len(days) == 0:
        return []
    last = days[-1]
    ev = session.events()
    out = []
    for span, n in CHANGE_SPANS:
        if len(days) < 2 * n:
            continue
        mid, lo = last - n, last - 2 * n
        for measure in ("orders", "active_people"):
            if measure == "orders":
                sel = ev.filter(ev.action.isin(list(session.conversion_actions)))
                sday = session.zone.local_day(sel.ts)
                res = session.to_pandas(
                    sel.aggregate(r=(sday > mid).sum(), e=((sday > lo) & (sday <= mid)).sum())
                )
            else:
                sel = ev.filter(ev.action.isin(list(ACTIVE_ACTIONS)) & ev.person_id.notnull())
                sday = session.zone.local_day(sel.ts)
                res = session.to_pandas(
                    sel.aggregate(
                        r=sel.person_id.nunique(where=sday > mid),
                        e=sel.person_id.nunique(where=(sday > lo) & (sday <= mid)),
                    )
                )
            x1, x0 = int(res["r"].iloc[0] or 0), int(res["e"].iloc[0] or 0)
            out.append((measure, span, n, x1, x0, rate_ratio_test(x1, n, x0, n)))
    return out


@register_rule(
    "period_change",
    reads=("events",),
    section="overview",
    test=(
        "orders and active people in the last 7 and 30 days against the 7 and 30 days before: fires when the "
        f"change exceeds {CHANGE_MIN:.0%} and the exact Poisson rate-ratio test (conditional binomial) rejects "
        f"both {1 - CHANGE_MIN:g}x and {1 + CHANGE_MIN:g}x on the side of the change at p < {ALPHA} "
        "(Bonferroni over the four tests); distinct people overlap between windows, which makes this test "
        "conservative for them",
        "最近 7 天与 30 天的订单数和活跃人数，对比之前的 7 天与 30 天：变化超过 "
        f"{CHANGE_MIN:.0%}，且精确泊松速率比检验（条件二项）在变化一侧显著（p < {ALPHA}，四个检验 Bonferroni 校正）时触发；"
        "两个窗口的活跃人群有重叠，故对人数而言检验偏保守",
    ),
)
def period_change(session: AnalysisSession) -> list[Finding]:
    """Week-over-week and month-over-month changes of orders and active people that are real."""
    tests = _changes(session)
    out: list[Finding] = []
    k = max(len(tests), 1)
    names = {"orders": ("orders", "订单"), "active_people": ("active people", "活跃人数")}
    spans = {"week": ("week over week", "周环比"), "month": ("month over month", "月环比")}
    for measure, span, n, x1, x0, t in tests:
        if x0 == 0 or x1 + x0 < 20:
            continue
        up = x1 > x0
        bound = (1 + CHANGE_MIN) if up else (1 - CHANGE_MIN)
        side = rate_ratio_test(x1, n, x0, n, ratio0=bound, alternative="greater" if up else "less")
        p_adj = min(1.0, side.p_value * k)
        if p_adj >= ALPHA:
            continue
        change = x1 / x0 - 1
        en, zh = names[measure]
        sen, szh = spans[span]
        out.append(
            Finding(
                key=f"period_change:{measure}:{span}",
                metric=(
                    f"{en.capitalize()} {sen}: {x1:,} in the last {n} days against {x0:,} in the {n} days before "
                    f"({change:+.0%})",
                    f"{zh}{szh}：最近 {n} 天 {x1:,}，之前 {n} 天 {x0:,}（{change:+.0%}）",
                ),
                value=round(change, 4),
                expectation=(
                    f"changes within ±{CHANGE_MIN:.0%} are ordinary",
                    f"±{CHANGE_MIN:.0%} 以内的变化属正常波动",
                ),
                severity="low" if up else "medium",
                action=(
                    (
                        "Find what drove the rise (campaigns, content, channels) and plan more of it.",
                        "找出上升的原因（活动、内容、渠道），在计划中加大投入。",
                    )
                    if up
                    else (
                        "Find what stopped (campaigns ended, channels, content) and plan to restore it.",
                        "找出下降的原因（活动结束、渠道、内容），并在计划中恢复。",
                    )
                ),
                evidence={
                    "recent": x1,
                    "earlier": x0,
                    "days": n,
                    "ratio_low": round(t.low, 4),
                    "ratio_high": round(t.high, 4),
                    "p_value_bonferroni": p_adj,
                },
                section="overview",
            )
        )
    return out


# -- retention --------------------------------------------------------------------------
RETENTION_DAY = 7
RETENTION_COHORTS = 4
"""Weekly cohorts in each of the two groups compared (latest complete ones against the ones before)."""
RETENTION_MIN_RETAINED = 10


@register_rule(
    "retention_drop",
    reads=("retention",),
    section="retention",
    test=(
        f"day-{RETENTION_DAY} retention of the latest {RETENTION_COHORTS} weekly cohorts whose day "
        f"{RETENTION_DAY} is observed, against the {RETENTION_COHORTS} before: fires when Fisher's exact test "
        f"says it is lower (one-sided, p < {ALPHA}) and by more than a fifth; too thin with fewer than "
        f"{RETENTION_MIN_RETAINED} retained people in the earlier cohorts",
        f"最近 {RETENTION_COHORTS} 个已可观察第 {RETENTION_DAY} 天的周新用户群，其第 {RETENTION_DAY} 天留存对比之前 "
        f"{RETENTION_COHORTS} 个：Fisher 精确检验表明更低（单侧，p < {ALPHA}）且降幅超过五分之一时触发；"
        f"之前各群留存人数不足 {RETENTION_MIN_RETAINED} 时报告数据不足",
    ),
)
def retention_drop(session: AnalysisSession) -> list[Finding]:
    """Newer cohorts keep significantly fewer of their people."""
    tab = session.run("retention", days=(RETENTION_DAY,), cohort="first_week")
    days = _local_days(session)
    if tab.empty or len(days) == 0:
        return []
    last = pd.Timestamp(_date_of(days[-1]))
    tab = tab.assign(start=pd.to_datetime(tab["first_week"]))
    # a cohort's day-N is observed for all its people once its last day plus N days has passed
    tab = tab[tab["start"] + pd.Timedelta(days=6 + RETENTION_DAY) <= last]
    if session.period.start is not None:
        tab = tab[tab["start"] >= pd.Timestamp(session.period.start)]
    tab = tab.sort_values("start")
    recent, earlier = tab.tail(RETENTION_COHORTS), tab.iloc[-2 * RETENTION_COHORTS : -RETENTION_COHORTS]
    n1, k1 = int(recent["cohort_size"].sum()), int(recent["retained"].sum())
    n0, k0 = int(earlier["cohort_size"].sum()), int(earlier["retained"].sum())
    what = (f"Day-{RETENTION_DAY} retention of weekly cohorts", f"周新用户群第 {RETENTION_DAY} 天留存")
    if len(earlier) < RETENTION_COHORTS or k0 < RETENTION_MIN_RETAINED:
        return [
            _thin(
                "retention_drop_thin",
                what,
                (
                    f"{2 * RETENTION_COHORTS} observed weekly cohorts and {RETENTION_MIN_RETAINED} retained people "
                    f"in the earlier ones; have {len(tab)} cohorts, {k0:,} retained",
                    f"需要 {2 * RETENTION_COHORTS} 个可观察的周新用户群，之前各群至少 {RETENTION_MIN_RETAINED} 人留存；"
                    f"现有 {len(tab)} 个群、{k0:,} 人留存",
                ),
                "retention",
                k0,
            )
        ]
    r1, r0 = k1 / n1 if n1 else 0.0, k0 / n0
    p = float(fisher_exact([[k1, n1 - k1], [k0, n0 - k0]], alternative="less").pvalue)
    if p >= ALPHA or r1 > 0.8 * r0:
        return []
    return [
        Finding(
            key="retention_drop",
            metric=(
                f"Day-{RETENTION_DAY} retention: {k1:,} of {n1:,} people in the latest {RETENTION_COHORTS} weekly "
                f"cohorts ({r1:.1%}) against {k0:,} of {n0:,} in the {RETENTION_COHORTS} before ({r0:.1%})",
                f"第 {RETENTION_DAY} 天留存：最近 {RETENTION_COHORTS} 个周新用户群 {n1:,} 人中 {k1:,} 人（{r1:.1%}），"
                f"之前 {RETENTION_COHORTS} 个群 {n0:,} 人中 {k0:,} 人（{r0:.1%}）",
            ),
            value=round(r1, 4),
            expectation=(f"no lower than {r0:.1%}", f"不低于 {r0:.1%}"),
            severity="medium",
            action=(
                "Look at where the newer people came from and what they met first; give them a reason to come "
                "back in their first week (welcome content, a community invitation, a first-order offer).",
                "查看新用户来自哪里、首先接触了什么；在第一周给他们回来的理由（欢迎内容、社群邀请、首单优惠）。",
            ),
            evidence={
                "recent_people": n1,
                "recent_retained": k1,
                "earlier_people": n0,
                "earlier_retained": k0,
                "p_value": p,
            },
            section="retention",
        )
    ]


# -- spend ------------------------------------------------------------------------------
SPEND_MIN_SHARE = 0.10
"""A channel must take at least this share of the cost to be judged overspent."""
SPEND_RATIO = 0.5
"""Its orders per yuan must be significantly below this multiple of the other channels'."""

Saturation = SpendElasticity | PosteriorElasticity


def _saturation_p(s: Saturation) -> float:
    """The saturation test's p-value: the z test's, or the posterior share of draws at or above the bound."""
    return s.p_value if isinstance(s, SpendElasticity) else s.share_at_or_above


def _saturation_text(ch: str, s: Saturation, currency: str, spend: float) -> tuple[str, str]:
    en, zh = _channel_names(ch)
    if isinstance(s, SpendElasticity):
        return (
            f"{en}: past saturation. Over {s.days} days with paid spend ({spend:,.0f} {currency}, "
            f"{s.impressions:,} paid impressions), 1% more adstocked spend went with {s.slope:+.2f}% paid "
            f"impressions (elasticity {s.slope:.2f}, 99% upper bound {s.high:.2f}; carry-over {s.decay:.1f}): "
            f"the last yuan buys about {max(s.slope, 0):.2f}x what the average yuan buys",
            f"{zh}：投放已过饱和点。在有投放的 {s.days} 天里（花费 {spend:,.0f} {currency}，付费曝光 {s.impressions:,} 次），"
            f"累积花费每多 1%，付费曝光只变化 {s.slope:+.2f}%（弹性 {s.slope:.2f}，99% 上限 {s.high:.2f}；延续率 {s.decay:.1f}）："
            f"最后一元买到的约为平均一元的 {max(s.slope, 0):.2f} 倍",
        )
    return (
        f"{en}: past saturation. The media-mix fit puts its marginal return at {s.mean:.2f}x its average return "
        f"at the current {s.weekly_spend:,.0f} {currency} a week (90% interval {s.low:.2f}-{s.high:.2f}; "
        f"{s.share_at_or_above:.1%} of the posterior draws reach {s.bound:.2f}x)",
        f"{zh}：投放已过饱和点。媒体组合模型估计，在当前每周 {s.weekly_spend:,.0f} {currency} 的花费下，"
        f"边际回报为平均回报的 {s.mean:.2f} 倍（90% 区间 {s.low:.2f}-{s.high:.2f}；后验抽样中 {s.share_at_or_above:.1%} "
        f"达到 {s.bound:.2f} 倍）",
    )


def _saturation_evidence(s: Saturation) -> dict[str, object]:
    if isinstance(s, SpendElasticity):
        return {
            "saturation_test": "daily dose-response",
            "elasticity": round(s.slope, 4),
            "elasticity_se": round(s.se, 4),
            "elasticity_high": round(s.high, 4),
            "elasticity_bound": round(s.bound, 4),
            "carry_over": s.decay,
            "days_with_spend": s.days,
            "paid_impressions": s.impressions,
            "p_value_saturation": s.p_value,
        }
    return {
        "saturation_test": "media-mix posterior",
        "elasticity": round(s.mean, 4),
        "elasticity_low": round(s.low, 4),
        "elasticity_high": round(s.high, 4),
        "elasticity_bound": round(s.bound, 4),
        "weekly_spend": round(s.weekly_spend, 2),
        "posterior_share_at_or_above": s.share_at_or_above,
    }


def overspend_findings(
    costs: pd.DataFrame,
    *,
    roles: Mapping[str, str] | None = None,
    currency: str = "CNY",
    saturation: Mapping[str, Saturation | None] | None = None,
) -> list[Finding]:
    """The ``overspent_channel`` rule's two tests on the ``spend`` analysis's table (see the rule's ``test``).

    Average return: orders per yuan are Poisson rates with the cost as exposure;
    attributed orders are fractional (Markov credits) and rounded to whole orders for
    the test. With ``roles`` (the product profile), a channel is compared with the
    other channels of its planned role only: a broadcast channel is not meant to
    convert like a shop. With a ``fixed_cost`` column (the ``spend`` analysis), only
    channels with a fixed cost are tested and compared: attribution credits every
    order a channel's posts touched, organic reach included, which paid spend alone
    does not buy (in the wrong-roles scenario at 50,000 people, Weibo's and
    Xiaohongshu's attributed orders per yuan were 0.19x and 0.32x their peers' while
    their true paid ROAS was 0.78x and 1.19x; Qzone's was highest while its true paid
    ROAS was the lowest, 0.19x).

    Marginal return: ``saturation`` maps a channel to its dose-response test
    (:func:`canyu.plan._saturation.spend_elasticity`, or the media-mix posterior's
    :func:`~canyu.plan._saturation.posterior_elasticity`), ``None`` where the data were
    below the test's minimums. Both tests' p-values go through one Benjamini–Hochberg
    correction.
    """
    need = {"channel", "cost", "orders", "revenue"}
    if costs.empty or not need <= set(costs.columns):
        return []
    df = costs[costs["cost"] > 0].copy()
    total_cost = float(df["cost"].sum())
    # The average-return test's orders are what the cost buys only where the cost pays for the channel's
    # whole operation (a fixed cost: staff, agency, 代运营). Attribution credits a channel with every order
    # its posts touched, organic reach included, which paid spend does not buy: a channel whose cost is
    # paid spend alone is judged at the margin only (the paid impressions its spend buys).
    operated = df["fixed_cost"] > 0 if "fixed_cost" in df.columns else pd.Series(True, index=df.index)
    tests: dict[str, RateRatio] = {}
    peers_of: dict[str, pd.DataFrame] = {}
    sat: dict[str, Saturation] = {}
    thin: list[Finding] = []
    for r in df.itertuples():
        ch = str(r.channel)
        if float(r.cost) < SPEND_MIN_SHARE * total_cost:  # type: ignore[arg-type]
            continue
        en, zh = _channel_names(ch)
        if saturation is not None and ch in saturation:
            s = saturation[ch]
            if s is not None and (not isinstance(s, SpendElasticity) or s.testable):
                sat[ch] = s
            else:
                thin.append(
                    _thin(
                        f"overspent_channel_curve_thin:{ch}",
                        (
                            f"{en}: whether its paid spend is past saturation"
                            + (
                                ""
                                if s is None
                                else f" ({s.days} days with spend, elasticity {s.slope:.2f} ± {s.se:.2f})"
                            ),
                            f"{zh}：付费投放是否已过饱和点"
                            + (
                                ""
                                if s is None
                                else f"（有投放 {s.days} 天，弹性 {s.slope:.2f} ± {s.se:.2f}）"
                            ),
                        ),
                        (
                            f"at least {SAT_MIN_DAYS} days with paid spend and {SAT_MIN_IMPRESSIONS} paid impressions, "
                            f"varied enough that a flat response would be significant (p < {ALPHA})",
                            f"至少 {SAT_MIN_DAYS} 天有投放、{SAT_MIN_IMPRESSIONS} 次付费曝光，且花费变化足以使平坦的响应显著"
                            f"（p < {ALPHA}）",
                        ),
                        "attribution",
                        0 if s is None else round(s.slope, 4),
                    )
                )
        if not bool(operated[r.Index]):
            continue
        peers = df[(df["channel"] != ch) & operated]
        if roles is not None:
            peers = peers[peers["channel"].map(lambda c: roles.get(str(c))) == roles.get(ch)]
        x1 = round(float(r.orders))  # type: ignore[arg-type]
        x0 = round(float(peers["orders"].sum()))
        t1, t0 = float(r.cost), float(peers["cost"].sum())  # type: ignore[arg-type]
        if t0 <= 0 or x0 <= 0:  # no peers, or peers with no orders: nothing to compare with
            continue
        # too thin when no outcome could be significant: even no orders at all on it would not be
        if rate_ratio_test(0, t1, x0, t0, ratio0=SPEND_RATIO, alternative="less").p_value >= ALPHA:
            thin.append(
                _thin(
                    f"overspent_channel_thin:{ch}",
                    (
                        f"{en}: {x1:,} attributed orders for {t1:,.0f} {currency}, its peers {x0:,} for {t0:,.0f}",
                        f"{zh}：花费 {t1:,.0f} {currency} 获得 {x1:,} 笔归因订单，同角色渠道花费 {t0:,.0f} 获得 {x0:,} 笔",
                    ),
                    (
                        f"enough attributed orders on its peers that none on {en} would be significant (p < {ALPHA})",
                        f"同角色渠道的归因订单足够多，使 {zh} 零订单时检验显著（p < {ALPHA}）",
                    ),
                    "attribution",
                    x0,
                )
            )
            continue
        peers_of[ch] = peers
        tests[ch] = rate_ratio_test(x1, t1, x0, t0, ratio0=SPEND_RATIO, alternative="less")
    p_values = {f"average:{c}": t.p_value for c, t in tests.items()}
    p_values |= {f"marginal:{c}": _saturation_p(s) for c, s in sat.items()}
    found = benjamini_hochberg(p_values, q=ALPHA)
    low_average = {k.split(":", 1)[1] for k in found if k.startswith("average:")}
    saturated = {k.split(":", 1)[1] for k in found if k.startswith("marginal:")}
    out: list[Finding] = thin
    for ch in sorted(low_average | saturated):
        row = df[df["channel"] == ch].iloc[0]
        en, zh = _channel_names(ch)
        cost = float(row["cost"])
        roas = float(row["revenue"]) / cost
        parts_en: list[str] = []
        parts_zh: list[str] = []
        evidence: dict[str, object] = {
            "cost": round(cost, 2),
            "cost_share": round(cost / total_cost, 4),
            "orders": round(float(row["orders"]), 2),
            "roas": round(roas, 4),
        }
        expect_en: list[str] = []
        expect_zh: list[str] = []
        if ch in low_average:
            t = tests[ch]
            others = float(peers_of[ch]["revenue"].sum()) / t.t0
            peer_en = "the other channels" if roles is None else f"the other {roles.get(ch, '')} channels"
            peer_zh = (
                "其他渠道"
                if roles is None
                else f"同为「{vocab.CHANNEL_ROLES.get(roles.get(ch, ''), '')}」角色的其他渠道"
            )
            parts_en.append(
                f"{en}: {float(row['orders']):,.1f} attributed orders for {t.t1:,.0f} {currency} "
                f"({t.t1 / total_cost:.0%} of all cost), ROAS {roas:.2f} against {others:.2f} on {peer_en}; "
                f"orders per yuan {t.ratio:.2f}x theirs (99% upper bound {t.high:.2f}x)"
            )
            parts_zh.append(
                f"{zh}：花费 {t.t1:,.0f} {currency}（占总成本 {t.t1 / total_cost:.0%}）获得 {float(row['orders']):,.1f} "
                f"笔归因订单，ROAS {roas:.2f}，{peer_zh} {others:.2f}；每元订单为其的 {t.ratio:.2f} 倍（99% 上限 {t.high:.2f} 倍）"
            )
            expect_en.append(f"orders per yuan at least {SPEND_RATIO:g}x the other channels'")
            expect_zh.append(f"每元订单不低于其他渠道的 {SPEND_RATIO:g} 倍")
            evidence |= {
                "roas_others": round(others, 4),
                "ratio_high": round(t.high, 4),
                "p_value": t.p_value,
            }
        if ch in saturated:
            s = sat[ch]
            spend = float(row["spend"]) if "spend" in row else cost
            s_en, s_zh = _saturation_text(ch, s, currency, spend)
            parts_en.append(s_en if not parts_en else s_en.split(": ", 1)[1])
            parts_zh.append(s_zh if not parts_zh else s_zh.split("：", 1)[1])
            expect_en.append(f"the last yuan buys at least {SAT_BOUND:.2f}x what the average yuan buys")
            expect_zh.append(f"最后一元买到的不少于平均一元的 {SAT_BOUND:.2f} 倍")
            evidence |= _saturation_evidence(s)
        out.append(
            Finding(
                key=f"overspent_channel:{ch}",
                metric=("; ".join(parts_en), "；".join(parts_zh)),
                value=round(roas, 4),
                expectation=("; ".join(expect_en), "；".join(expect_zh)),
                severity="medium",
                action=(
                    f"Move budget out of {en} to channels with a higher return at the margin (see the budget plan)"
                    + (", down to where more spend still buys more exposures." if ch in saturated else "."),
                    f"把 {zh} 的预算转移到边际回报更高的渠道（见预算方案）"
                    + ("，降到多花钱仍能买到更多曝光的水平。" if ch in saturated else "。"),
                ),
                evidence=evidence,
                section="attribution",
            )
        )
    return out


def daily_paid(session: AnalysisSession) -> dict[str, pd.DataFrame]:
    """Per channel: paid spend and impressions per day (``amount``, ``impressions``), every day of the spend
    table's range (0 on days without a row), grouped in the engine."""
    sp = session.on_channels(session.in_period("spend", "date"))
    df = session.to_pandas(
        sp.group_by(["channel", "date"]).aggregate(amount=sp.amount.sum(), impressions=sp.impressions.sum())
    )
    if df.empty:
        return {}
    df["date"] = pd.to_datetime(df["date"])
    days = pd.date_range(df["date"].min(), df["date"].max(), freq="D")
    out: dict[str, pd.DataFrame] = {}
    for ch, part in df.groupby("channel"):
        out[str(ch)] = (
            part.set_index("date")[["amount", "impressions"]]
            .reindex(days, fill_value=0)
            .astype({"amount": float, "impressions": float})
            .fillna(0.0)
        )
    return out


def saturation_tests(session: AnalysisSession) -> dict[str, Saturation | None]:
    """Each paid channel's saturation test: the media-mix posterior's when a fit passed its diagnostics,
    otherwise the daily dose-response of paid impressions on adstocked spend (``None``: too little data)."""
    out: dict[str, Saturation | None] = {}
    try:
        mm = session.run("mmm")
    except CanyuError:
        mm = None
    fit = getattr(mm, "fit", None) if mm is not None and getattr(mm, "trusted", False) else None
    if fit is not None:
        for ch in fit.channels:
            out[str(ch)] = posterior_elasticity(fit.response, str(ch))
    for ch, d in daily_paid(session).items():
        if ch in out or float(d["amount"].sum()) <= 0:
            continue
        out[ch] = spend_elasticity(d["amount"].to_numpy(), d["impressions"].to_numpy(), confidence=1 - ALPHA)
    return out


@register_rule(
    "overspent_channel",
    reads=("spend",),
    section="attribution",
    test=(
        f"per channel taking at least {SPEND_MIN_SHARE:.0%} of the cost (spend plus fixed costs), two tests: (1) "
        f"average return, on channels with a fixed cost (which pays for the whole operation, organic reach "
        f"included): the conditional binomial test of attributed orders per yuan (Markov credits, rounded) "
        f"says it is below {SPEND_RATIO:g}x that of the other such channels of its planned role (paid spend alone "
        f"does not buy the organic orders attribution credits, so it is judged at the margin only); (2) marginal return: "
        f"the elasticity of daily paid impressions to adstocked spend (Poisson regression on log spend, carry-over "
        f"0-0.9 by maximum likelihood, Newey-West standard error) is below {SAT_BOUND:.2f}, i.e. the last yuan "
        f"buys less than a third of what the average yuan buys (with a media-mix fit that passed its diagnostics: "
        f"under {ALPHA} of its posterior draws of marginal over average ROAS reach {SAT_BOUND:.2f}). One-sided, "
        f"p < {ALPHA}, Benjamini-Hochberg across both tests and the channels; too thin when even no orders, or a "
        f"flat response to spend, would not be significant, or under {SAT_MIN_DAYS} days with spend",
        f"对占总成本（投放加固定成本）至少 {SPEND_MIN_SHARE:.0%} 的渠道做两项检验：(1) 平均回报，仅用于有固定成本的渠道（固定成本支付整个运营，"
        f"含自然触达）：每元归因订单（马尔可夫归因，取整）的条件二项检验表明低于同一计划角色其他此类渠道的 {SPEND_RATIO:g} 倍"
        f"（归因计入的自然流量订单并非付费投放所买，只有投放的渠道只做边际检验）；(2) 边际回报：每日付费曝光对累积花费（adstock）的弹性"
        f"（对数花费的泊松回归，延续率 0-0.9 取最大似然，Newey-West 标准误）低于 {SAT_BOUND:.2f}，即最后一元买到的不到平均一元的"
        f"三分之一（若媒体组合模型通过诊断：其边际与平均 ROAS 之比的后验抽样中达到 {SAT_BOUND:.2f} 的不足 {ALPHA}）。单侧，"
        f"p < {ALPHA}，两项检验与各渠道合并做 Benjamini-Hochberg 校正；零订单或对花费完全无响应也不显著、或有投放不足 "
        f"{SAT_MIN_DAYS} 天时报告数据不足",
    ),
)
def overspent_channel(session: AnalysisSession) -> list[Finding]:
    """Channels that take a large share of the cost and return significantly less per yuan, on average or at the margin."""
    # no cost in the data, nothing to judge (and the spend analysis needs some to merge on)
    if (
        not session.config.channel_costs
        and session.count(session.on_channels(session.in_period("spend", "date"))) == 0
    ):
        return []
    return overspend_findings(
        session.run("spend"),
        roles=session.config.product.roles,
        currency=session.currency,
        saturation=saturation_tests(session),
    )


# -- order accounting -------------------------------------------------------------------
@register_rule(
    "order_accounting",
    reads=("attribution",),
    section="attribution",
    test=(
        "always states how the period's orders are accounted for (a count, not a test): those with a social "
        "touch within the attribution window, and the share with none",
        "始终说明本期订单的去向（计数，不是检验）：在归因窗口内有社交触点的订单，以及没有社交触点的占比",
    ),
)
def order_accounting(session: AnalysisSession) -> list[Finding]:
    """Every order accounted: attributed to social touches, or with no social touch (its share)."""
    attr = session.run("attribution", model="markov")
    orders = int(attr.orders)
    if orders == 0:
        return []
    touched, none = float(attr.attributed), float(attr.unattributed)
    share = none / orders
    return [
        Finding(
            key="order_accounting",
            metric=(
                f"{touched:,.0f} of {orders:,} orders had a social touch in the {attr.lookback_days} days before "
                f"them; {none:,.0f} ({share:.1%}) had none",
                f"{orders:,} 笔订单中 {touched:,.0f} 笔在下单前 {attr.lookback_days} 天内有社交触点；"
                f"{none:,.0f} 笔（{share:.1%}）没有",
            ),
            value=round(share, 4),
            expectation=(
                "every order is attributed to social touches or counted as having none",
                "每笔订单要么归因到社交触点，要么计为无社交触点",
            ),
            severity="info",
            action=(
                "Orders with no social touch come from other sources (search, stores, direct): link shop "
                "customers to social accounts (identity links) to see more of the path.",
                "无社交触点的订单来自其他来源（搜索、门店、直接访问）：关联店铺客户与社交账号（身份关联）以看到更多路径。",
            ),
            evidence={
                "orders": orders,
                "attributed": round(touched, 2),
                "no_social_touch": round(none, 2),
                "no_social_touch_share": round(share, 4),
                "lookback_days": attr.lookback_days,
            },
            section="attribution",
        )
    ]
