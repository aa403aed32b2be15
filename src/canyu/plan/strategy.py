"""The strategy: which role each channel plays, the three strategies and three tactics, the budget split.

The channel layout starts from the playbook's default roles (:data:`canyu.config.DEFAULT_ROLES`),
goes through :data:`LAYOUT_RULES` — a rule table from the product profile (category, price band,
purchase involvement, core users, lifecycle stage) to channel roles, each rule citing the playbook
(黎万强《参与感》: the 三三法则 of three strategies — 做爆品、做粉丝、做自媒体 — and three tactics —
开放参与节点、设计互动方式、扩散口碑事件) — then the brand's own ``product.roles`` in canyu.toml, and
finally the measured roles: a channel the ``channel_roles`` rule finds playing another role (its
test decides; nothing here re-judges the evidence) is laid out for the role it really plays, unless
that would leave a role the product needs with no channel. Every step leaves its reason (en, zh).

The budget split comes from the ``budget`` analysis (media mix) when it is registered and its fit
passed its diagnostics, otherwise last period's split of paid spend tilted (at most ±25%) by the
measured return per yuan of the ``spend`` analysis (orders, revenue or new followers per yuan, by
objective; a channel past saturation at its return times its elasticity), with the reason: the
``budget`` analysis's fallback rule, :func:`canyu.plan.budget.tilted_split`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from canyu import vocab
from canyu.config import DEFAULT_ROLES
from canyu.errors import CanyuError

if TYPE_CHECKING:
    import pandas as pd

    from canyu.config import ProductProfile
    from canyu.plan import Finding
    from canyu.session import AnalysisSession

__all__ = [
    "LAYOUT_RULES",
    "OBJECTIVES",
    "BudgetSplit",
    "ChannelRole",
    "LayoutRule",
    "RetailDate",
    "Strategy",
    "budget_split",
    "build_strategy",
    "channel_layout",
    "retail_dates",
]

Text = tuple[str, str]
OBJECTIVES = ("conversions", "revenue", "activity")

_SOURCE = ("Li Wanqiang, Participation (参与感), the 3-3 rule", "黎万强《参与感》三三法则")


@dataclass(frozen=True)
class LayoutRule:
    """One row of the layout table: when the profile says ``when``, channels take ``roles``."""

    key: str
    when: Mapping[str, tuple[str, ...]]
    roles: Mapping[str, str]
    reason: Text
    source: Text = _SOURCE

    def matches(self, profile: ProductProfile) -> bool:
        return all(str(getattr(profile, f, "")) in values for f, values in self.when.items())


#: The profile → channel-role table, applied in order (a later row overrides an earlier one).
LAYOUT_RULES: tuple[LayoutRule, ...] = (
    LayoutRule(
        "enthusiasts_forum_first",
        {"core_users": ("enthusiasts",)},
        {"forum": "retention", "weibo": "broadcast", "qzone": "broadcast", "wechat_oa": "service"},
        (
            "core users are enthusiasts: first build the forum to keep them, then spread on Weibo and "
            "QQ Zone; WeChat serves one to one (Xiaomi's 'forum keeps, Weibo spreads, WeChat serves')",
            "核心用户是发烧友：先建论坛留住他们，再在微博、QQ空间扩散；微信做一对一服务（小米：论坛沉淀、微博传播、微信客服）",
        ),
    ),
    LayoutRule(
        "high_involvement_one_to_one",
        {"involvement": ("high",)},
        {"wecom": "service", "wechat_oa": "service", "xiaohongshu": "broadcast", "bilibili": "broadcast"},
        (
            "a considered purchase: buyers ask before they buy, so WeChat and WeCom answer one to one "
            "while reviews spread on Xiaohongshu and Bilibili",
            "高参与度购买：买前要问，微信和企业微信做一对一答疑，测评在小红书、B站传播",
        ),
    ),
    LayoutRule(
        "high_price_private_domain",
        {"price_band": ("high",)},
        {"wecom": "service", "forum": "retention"},
        (
            "a high price needs trust built one to one and a community that vouches for the product",
            "高客单价需要一对一建立信任，以及为产品背书的社区",
        ),
    ),
    LayoutRule(
        "impulse_short_path",
        {"involvement": ("low",), "price_band": ("low",)},
        {"douyin": "conversion", "kuaishou": "conversion", "mini_program": "conversion"},
        (
            "a low-price impulse buy: sell where people watch (live and short-video shops), shortest path to order",
            "低价冲动型购买：在用户观看的地方直接成交（直播、短视频小店），下单路径最短",
        ),
    ),
    LayoutRule(
        "young_users_video",
        {"core_users": ("young",)},
        {"bilibili": "broadcast", "douyin": "broadcast", "qzone": "broadcast"},
        (
            "young core users gather on Bilibili, Douyin and QQ Zone: spread there",
            "年轻核心用户聚集在B站、抖音和QQ空间：在那里传播",
        ),
    ),
    LayoutRule(
        "professionals_long_form",
        {"core_users": ("professionals",)},
        {"wechat_oa": "broadcast", "forum": "retention", "wecom": "service"},
        (
            "professional users read long-form articles and discuss in depth: WeChat articles spread, "
            "the forum keeps, WeCom serves",
            "专业用户读长文、深度讨论：公众号文章传播，论坛留存，企业微信服务",
        ),
    ),
    LayoutRule(
        "launch_reach_and_seed_users",
        {"stage": ("launch",)},
        {"weibo": "broadcast", "douyin": "broadcast", "forum": "retention"},
        (
            "at launch the product needs reach and its first hundred core users (小米's first 100 "
            "dream testers): spread on Weibo and Douyin, keep the first fans in the forum",
            "上市期需要声量和第一批核心用户（小米的100个梦想赞助商）：微博、抖音扩散，论坛留住第一批粉丝",
        ),
    ),
    LayoutRule(
        "mature_keep_and_rebuy",
        {"stage": ("mature",)},
        {"wecom": "retention", "forum": "retention"},
        (
            "a mature product grows by keeping buyers and selling to them again: the private domain retains",
            "成熟期靠留住老用户、促复购增长：私域做留存",
        ),
    ),
)


@dataclass(frozen=True)
class ChannelRole:
    """The role a channel plays in the plan, with its reason and the steps that led there."""

    channel: str
    role: str
    reason: Text
    steps: tuple[Text, ...] = ()
    default_role: str | None = None
    measured_role: str | None = None
    evidence: str = ""
    has_data: bool = True

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        zh = locale.lower().startswith("zh")
        return {
            "channel": self.channel,
            "role": self.role,
            "default_role": self.default_role,
            "measured_role": self.measured_role,
            "reason": self.reason[1] if zh else self.reason[0],
            "reason_en": self.reason[0],
            "reason_zh": self.reason[1],
            "evidence": self.evidence,
            "has_data": self.has_data,
        }


def _name(channel: str) -> Text:
    info = vocab.CHANNEL_INFO.get(channel)
    return (info.name_en, info.name_zh) if info else (channel, channel)


def _role_zh(role: str | None) -> str:
    return vocab.CHANNEL_ROLES.get(role or "", role or "无")


def channel_layout(
    profile: ProductProfile,
    channels: Sequence[str],
    findings: Sequence[Finding] = (),
    measured: Mapping[str, str | None] | None = None,
) -> dict[str, ChannelRole]:
    """The role of each channel: playbook default → :data:`LAYOUT_RULES` → canyu.toml → measured.

    ``channels`` are those with data; channels a matching rule names join the layout (a channel to
    open). ``findings`` are the diagnosis: a ``channel_role_mismatch:<channel>`` finding (the
    ``channel_roles`` rule's test passed) moves that channel to the role it is measured to play,
    unless that leaves a role the layout needs without any channel; ``measured`` are the roles
    analysis's measured roles (shown, not judged).
    """
    measured = dict(measured or {})
    roles: dict[str, str] = {}
    steps: dict[str, list[Text]] = {}
    reasons: dict[str, Text] = {}
    for ch in channels:
        default = DEFAULT_ROLES.get(ch)
        if default:
            roles[ch] = default
            r = (
                f"the playbook's default role for {_name(ch)[0]}: {default}",
                f"手册对{_name(ch)[1]}的默认定位：{_role_zh(default)}",
            )
            reasons[ch], steps[ch] = r, [r]
    for rule in LAYOUT_RULES:
        if not rule.matches(profile):
            continue
        for ch, role in rule.roles.items():
            reasons[ch] = (f"{rule.reason[0]} [{rule.source[0]}]", f"{rule.reason[1]}（{rule.source[1]}）")
            steps.setdefault(ch, []).append(reasons[ch])
            roles[ch] = role
    for ch, role in profile.roles.items():
        if DEFAULT_ROLES.get(ch) != role and ch in (set(channels) | set(roles)):
            roles[ch] = role
            reasons[ch] = (
                f"canyu.toml product.roles sets {ch} = {role}",
                f"canyu.toml 的 product.roles 设定 {ch} = {_role_zh(role)}",
            )
            steps.setdefault(ch, []).append(reasons[ch])
    needed = set(roles.values())
    evidence: dict[str, str] = {}
    mismatches = {f.key.split(":", 1)[1]: f for f in findings if f.key.startswith("channel_role_mismatch:")}
    for ch, finding in sorted(mismatches.items()):
        actual = measured.get(ch) or (finding.value if isinstance(finding.value, str) else None)
        want = roles.get(ch)
        if want is None or actual in (None, "none", want) or actual not in vocab.CHANNEL_ROLES:
            continue
        others = [c for c, r in roles.items() if r == want and c != ch]
        if not others and want in needed:
            reasons[ch] = (
                f"measured: {_name(ch)[0]} plays {actual}, not {want}; no other channel plays {want}, "
                f"so it keeps {want} and the plan repairs it",
                f"实测：{_name(ch)[1]}承担「{_role_zh(actual)}」而非「{_role_zh(want)}」；没有其他渠道承担"
                f"「{_role_zh(want)}」，保留该角色并在计划中修复",
            )
        else:
            roles[ch] = str(actual)
            reasons[ch] = (
                f"measured: {_name(ch)[0]} really plays {actual} (the channel_roles test fired), so the "
                f"plan uses it for {actual}; {want} is covered by {', '.join(_name(c)[0] for c in others)}",
                f"实测：{_name(ch)[1]}实际承担「{_role_zh(actual)}」（渠道角色检验触发），计划按实际使用；"
                f"「{_role_zh(want)}」由{'、'.join(_name(c)[1] for c in others)}承担",
            )
        steps.setdefault(ch, []).append(reasons[ch])
        evidence[ch] = finding.key
    out = {}
    for ch in sorted(roles):
        m = measured.get(ch)
        out[ch] = ChannelRole(
            channel=ch,
            role=roles[ch],
            reason=reasons[ch],
            steps=tuple(steps.get(ch, ())),
            default_role=DEFAULT_ROLES.get(ch),
            measured_role=m if isinstance(m, str) else None,
            evidence=evidence.get(ch, ""),
            has_data=ch in channels,
        )
    return out


# -- the calendar --------------------------------------------------------------------------
# Lunar dates have no closed form worth writing: the Spring Festival and Qixi (七夕, the 7th day of
# the 7th lunar month) for the years canyu plans, from the Chinese calendar (紫金山天文台 历书).
_SPRING_FESTIVAL = {
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
    2031: dt.date(2031, 1, 23),
}
_QIXI = {
    2025: dt.date(2025, 8, 29),
    2026: dt.date(2026, 8, 19),
    2027: dt.date(2027, 8, 8),
    2028: dt.date(2028, 8, 26),
    2029: dt.date(2029, 8, 16),
    2030: dt.date(2030, 8, 5),
    2031: dt.date(2031, 8, 24),
}


@dataclass(frozen=True)
class RetailDate:
    """A participation node on the Chinese retail calendar: its warm-up start, its day, its name."""

    key: str
    start: dt.date
    day: dt.date
    name: Text
    kind: str = "retail"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "start": self.start.isoformat(),
            "day": self.day.isoformat(),
            "name_en": self.name[0],
            "name_zh": self.name[1],
            "kind": self.kind,
        }


def _year_dates(year: int) -> list[RetailDate]:
    d = dt.date
    out = [
        RetailDate(f"520-{year}", d(year, 5, 13), d(year, 5, 20), ("520 (I love you day)", "520 表白日")),
        RetailDate(f"618-{year}", d(year, 6, 1), d(year, 6, 18), ("618 mid-year sale", "618 年中大促")),
        RetailDate(
            f"back_to_school-{year}", d(year, 8, 15), d(year, 9, 10), ("Back-to-school season", "开学季")
        ),
        RetailDate(f"double11-{year}", d(year, 10, 20), d(year, 11, 11), ("Double 11", "双11")),
        RetailDate(f"double12-{year}", d(year, 12, 1), d(year, 12, 12), ("Double 12", "双12")),
    ]
    if year in _QIXI:
        q = _QIXI[year]
        out.append(
            RetailDate(f"qixi-{year}", q - dt.timedelta(days=7), q, ("Qixi (Chinese Valentine's)", "七夕"))
        )
    if year + 1 in _SPRING_FESTIVAL:
        sf = _SPRING_FESTIVAL[year + 1]
        # 年货节 runs from about a month before the Spring Festival until shops close for it
        out.append(
            RetailDate(
                f"new_year_goods-{year + 1}",
                sf - dt.timedelta(days=30),
                sf - dt.timedelta(days=8),
                ("New Year goods festival", "年货节"),
            )
        )
    return out


def retail_dates(
    start: dt.date, end: dt.date, *, launches: Mapping[str, str] | None = None
) -> list[RetailDate]:
    """The retail dates and product launches whose run overlaps ``start``..``end`` (clipped to it)."""
    found: list[RetailDate] = []
    for year in range(start.year - 1, end.year + 1):
        found += _year_dates(year)
    for day_text, name in (launches or {}).items():
        day = dt.date.fromisoformat(day_text)
        found.append(
            RetailDate(
                f"launch-{day_text}",
                day - dt.timedelta(days=7),
                day,
                (f"Launch: {name}", f"新品发布：{name}"),
                "launch",
            )
        )
    out = []
    for r in found:
        if r.day < start or r.start > end:
            continue
        out.append(RetailDate(r.key, max(r.start, start), min(r.day, end), r.name, r.kind))
    return sorted(out, key=lambda r: (r.start, r.key))


# -- the budget split --------------------------------------------------------------------
@dataclass(frozen=True)
class BudgetSplit:
    """Paid spend per channel (yuan over the period), where it came from and why."""

    allocation: dict[str, float]
    source: str  # "mmm" | "measured_roas" | "last_spend" | "even"
    reason: Text
    # objective units per yuan, measured (a channel past saturation: times its elasticity)
    returns: dict[str, float] = field(default_factory=dict)

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        zh = locale.lower().startswith("zh")
        return {
            "allocation": dict(self.allocation),
            "source": self.source,
            "reason": self.reason[1] if zh else self.reason[0],
            "returns": dict(self.returns),
        }


_RETURN_COLUMN = {"conversions": "orders", "revenue": "revenue", "activity": "new_followers"}


def _from_mmm(session: AnalysisSession, total: float, objective: str) -> BudgetSplit | None:
    from canyu.analytics.registry import ANALYSES

    if "budget" not in ANALYSES:
        return None
    try:
        res = session.run("budget", total=float(total), objective=objective)
    except (CanyuError, TypeError, ValueError):
        return None

    def get(key: str) -> Any:
        return res.get(key) if isinstance(res, Mapping) else getattr(res, key, None)

    alloc = get("allocation")
    source = get("source")
    if not isinstance(alloc, Mapping) or source != "mmm":
        return None
    reason, reason_zh = get("reason"), get("reason_zh")
    text: Text = (
        (str(reason[0]), str(reason[1]))
        if isinstance(reason, tuple | list) and len(reason) == 2
        else (
            str(reason or "the media-mix fit passed its diagnostics"),
            str(reason_zh or reason or "媒介组合模型通过诊断"),
        )
    )
    return BudgetSplit({str(k): float(v) for k, v in alloc.items()}, "mmm", text)


def budget_split(
    session: AnalysisSession,
    *,
    total: float,
    objective: str = "conversions",
    spend: pd.DataFrame | None = None,
) -> BudgetSplit:
    """Split ``total`` yuan of paid promotion across channels (see the module's docstring)."""
    mmm = _from_mmm(session, total, objective)
    if mmm is not None and mmm.allocation and sum(mmm.allocation.values()) > 0:
        scale = total / sum(mmm.allocation.values())
        return BudgetSplit({k: v * scale for k, v in mmm.allocation.items()}, mmm.source, mmm.reason)
    table = spend if spend is not None else safe_run(session, "spend")
    if table is None:
        import pandas as pd

        table = pd.DataFrame(columns=["channel", "cost", "orders", "revenue", "new_followers"])
    col = _RETURN_COLUMN[objective]
    rows = table[table["cost"] > 0] if len(table) else table
    returns = {str(r["channel"]): float(r[col] or 0.0) / float(r["cost"]) for r in rows.to_dict("records")}
    returns = {k: (v if math.isfinite(v) else 0.0) for k, v in returns.items()}
    from canyu.plan.budget import MEASURED_TILT, saturated_channels, saturation_note, tilted_split

    factors = saturated_channels(session) if any(v > 0 for v in returns.values()) else {}
    returns = {k: v * factors.get(k, 1.0) for k, v in returns.items()}
    what = {
        "conversions": ("orders", "订单"),
        "revenue": ("revenue", "销售额"),
        "activity": ("new followers", "新增粉丝"),
    }[objective]
    sat_en, sat_zh = saturation_note(factors)
    paid = rows[rows["spend"] > 0] if "spend" in rows.columns and len(rows) else rows.iloc[0:0]
    if len(paid) and sum(returns.values()) > 0:
        # The same rule as the budget analysis's fallback (plan.budget.tilted_split): last period's
        # split of paid spend, tilted by at most ±25% by the return per yuan. Until session 10 the split
        # followed the return per yuan alone, which moved spend far outside what any channel had been
        # seen to absorb: in the overspent world (bench/plan.py, 10 seeds) the tilt buys 28% more paid
        # impressions with the same money (+485 ± 76 a seed) and more expected revenue (+554 ± 329).
        _, alloc_arr, _ = tilted_split(paid, paid[col].fillna(0.0).to_numpy(dtype=float), total, factors)
        reason = (
            f"no media-mix fit passed its diagnostics, so last period's split of paid spend is tilted by measured "
            f"{what[0]} per yuan (spend analysis; attributed, not causal), at most ±{MEASURED_TILT:.0%} a channel"
            f"{sat_en}",
            f"没有通过诊断的媒介组合模型，按各渠道实测每元{what[1]}（spend 分析；归因值，非因果）调整上期的付费花费比例，"
            f"每个渠道最多 ±{MEASURED_TILT:.0%}{sat_zh}",
        )
        alloc = {str(c): float(a) for c, a in zip(paid["channel"], alloc_arr, strict=True)}
        return BudgetSplit(alloc, "measured_roas", reason, returns)
    if returns and sum(returns.values()) > 0:  # costs (fixed) but no paid spend to start from
        weight = sum(returns.values())
        alloc = {k: total * v / weight for k, v in returns.items() if v > 0}
        reason = (
            f"no media-mix fit passed its diagnostics and no paid spend was recorded, so the budget follows "
            f"measured {what[0]} per yuan of cost (spend analysis) channel by channel{sat_en}",
            f"没有通过诊断的媒介组合模型，也没有付费花费记录，预算按各渠道每元成本的实测{what[1]}（spend 分析）分配{sat_zh}",
        )
        return BudgetSplit(alloc, "measured_roas", reason, returns)
    if len(rows):
        cost = rows.set_index("channel")["cost"].astype(float)
        alloc = {str(k): total * float(v) / float(cost.sum()) for k, v in cost.items()}
        reason = (
            f"no channel has a measured return in {what[0]} yet, so the budget repeats last period's split of spend",
            f"尚无渠道测得{what[1]}回报，预算沿用上期的花费比例",
        )
        return BudgetSplit(alloc, "last_spend", reason, returns)
    return BudgetSplit(
        {},
        "even",
        (
            "no spend was recorded, so paid promotion goes evenly to the broadcast channels",
            "没有花费记录，推广预算平均分给传播渠道",
        ),
    )


# -- the strategy ------------------------------------------------------------------------
@dataclass(frozen=True)
class Strategy:
    """The strategy for one period: layout, three strategies, three tactics, service and community."""

    layout: dict[str, ChannelRole]
    hits: list[dict[str, Any]]
    fans: list[dict[str, Any]]
    cadence: dict[str, dict[str, Any]]
    topic_mix: dict[str, float]
    nodes: list[RetailDate]
    interactions: list[dict[str, Any]]
    service: list[dict[str, Any]]
    community: list[dict[str, Any]]
    findings: list[Finding]
    notes: tuple[Text, ...] = ()

    def roles(self) -> dict[str, str]:
        return {ch: r.role for ch, r in self.layout.items()}

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        zh = locale.lower().startswith("zh")
        return {
            "layout": [r.to_dict(locale) for r in self.layout.values()],
            "hits": self.hits,
            "fans": self.fans,
            "cadence": self.cadence,
            "topic_mix": self.topic_mix,
            "nodes": [n.to_dict() for n in self.nodes],
            "interactions": self.interactions,
            "service": self.service,
            "community": self.community,
            "notes": [n[1] if zh else n[0] for n in self.notes],
        }


#: Brand posts per day each role asks for (low, high): a channel outside its band is brought into it, and a
#: channel whose posts convert (more than CONVERTING_ORDERS orders attributed to it in the baseline, or in all
#: the data when the baseline credits none to any channel: :func:`attributed_orders`) goes
#: to the band's top, or keeps its cadence where that is higher (a converting channel is never cut back).
#: The tops are a stated prior, the heaviest cadence a team sustains per role: a broadcast channel up to
#: 8 posts a day and a community up to 6 threads (the market leader's Weibo and forum cadence that
#: bench/plan.py's follow-the-leader arm copies), a service account once a day (WeChat subscription
#: accounts get one mass push a day), a shop's own posts twice. On the simulator, posting more where posts
#: convert lifts orders and active people (bench/plan.py, docs/plan.md).
CADENCE = {"broadcast": (1.0, 8.0), "service": (0.3, 1.0), "retention": (1.0, 6.0), "conversion": (0.5, 2.0)}
CONVERTING_ORDERS = 0.0
#: Service targets: median first reply (minutes) and the share of messages answered.
REPLY_TARGET_MINUTES = 10.0
REPLY_TARGET_RATE = 0.95
#: Fan-stage growth asked of a period (a share of the stage's people), by lifecycle stage.
FAN_GROWTH = {"launch": 0.20, "growth": 0.15, "mature": 0.05, "": 0.10}


#: What an analysis raises when the workspace's data cannot feed it (too thin, a table empty): the
#: plan then leaves that part out instead of failing whole.
ANALYSIS_FAILURES: tuple[type[Exception], ...] = (CanyuError, ValueError, KeyError)


def safe_run(session: AnalysisSession, name: str, **opts: Any) -> Any:
    """A registered analysis, or None where it is not registered or the data cannot feed it."""
    from canyu.analytics.registry import get_analysis

    try:
        get_analysis(name)
    except CanyuError:
        return None
    try:
        return session.run(name, **opts)
    except ANALYSIS_FAILURES:
        return None


_safe = safe_run


def posts_per_day(session: AnalysisSession) -> dict[str, float]:
    """Brand posts per day per channel in the session's period (contents published), in the engine."""
    days = session.period.days or 1
    ct = session.on_channels(session.in_period("contents", "published_at"))
    own = list(session.own_accounts())
    if own:
        ct = ct.filter(ct.account_id.isnull() | ct.account_id.isin(own))
    out = session.to_pandas(ct.group_by("channel").aggregate(posts=ct.count()))
    return {str(r.channel): float(r.posts) / days for r in out.itertuples(index=False)}


def attributed_orders(session: AnalysisSession) -> tuple[dict[str, float], str]:
    """Orders the Markov model credits to each channel (spend analysis) over the baseline, and its scope.

    When the baseline credits no order to any channel (a thin baseline: at 1,500 people the model can
    credit nothing in 30 days), the workspace's whole data are read instead (``scope = "all_data"``),
    so that one quiet month does not read as "posting converts nowhere".
    """

    def read(s: AnalysisSession) -> dict[str, float]:
        sp = _safe(s, "spend")
        if sp is None or not len(sp) or "orders" not in sp:
            return {}
        return {str(r["channel"]): float(r["orders"] or 0.0) for r in sp.to_dict("records")}

    out = read(session)
    if sum(v for v in out.values() if v == v) > 0:
        return out, "baseline"
    whole = read(session.with_period(None))
    if sum(v for v in whole.values() if v == v) > 0:
        return whole, "all_data"
    return out, "baseline"


def _topic_mix(session: AnalysisSession, findings: Sequence[Finding]) -> tuple[dict[str, float], Text]:
    """The own content's topic mix (自媒体), from the agenda analysis and its finding.

    A brand that does not set its audience's agenda (the ``agenda_join_audience`` finding) joins it:
    its posts take the topics in the shares its audience talks about them (the agenda analysis'
    ``audience_share``). A brand that leads its audience, or whose lead cannot be judged yet, keeps
    its own mix: moving it would give up the one lever that works, or act on noise.
    """
    joins = next((f for f in findings if f.key == "agenda_join_audience"), None)
    if joins is None:
        return {}, (
            "topic mix unchanged: no finding that the brand fails to set its audience's agenda",
            "话题配比不变：没有品牌未能设置受众议程的发现",
        )
    agenda = _safe(session, "agenda")
    result = getattr(agenda, "result", None)
    table = getattr(result, "topics", None)
    if table is None or "audience_share" not in getattr(table, "columns", ()):
        return {}, (
            "topic mix unchanged: the agenda analysis has no topic shares",
            "话题配比不变：议程分析没有话题占比",
        )
    shares = table.groupby("topic")["audience_share"].sum()
    shares = shares[shares > 0]
    if not len(shares):
        return {}, (
            "topic mix unchanged: the audience's texts name no topic",
            "话题配比不变：受众讨论没有涉及任何话题",
        )
    total = float(shares.sum())
    mix = {str(k): float(v) / total for k, v in shares.items()}
    last = sorted(mix)[-1]  # shares that sum to exactly 1, for the levers' check
    mix[last] = 1.0 - sum(v for k, v in mix.items() if k != last)
    top = sorted(mix, key=lambda k: -mix[k])[:3]
    return mix, (
        "topic mix joins the audience's agenda (finding agenda_join_audience): posts take the topics in the shares"
        f" the audience talks about them, most {', '.join(f'{k} {mix[k]:.0%}' for k in top)}",
        "话题配比加入受众议程（发现 agenda_join_audience）：按受众讨论各话题的占比发布，最多的是"
        + "、".join(f"{k} {mix[k]:.0%}" for k in top),
    )


def plan_findings(session: AnalysisSession) -> list[Finding]:
    """The diagnosis the plan stands on: every rule but the data-quality ones (an import's
    quarantined rows are fixed by re-importing, not by a marketing plan)."""
    from canyu.plan import get_rule, rule_names

    names = tuple(n for n in rule_names() if get_rule(n).section != "data_quality")
    return list(safe_run(session, "findings", rules=names) or []) if names else []


def build_strategy(session: AnalysisSession, *, period_start: dt.date, period_end: dt.date) -> Strategy:
    """The strategy for ``period_start``..``period_end`` from ``session`` (the baseline period's data)."""
    profile = session.config.product
    notes: list[Text] = []
    findings_all = plan_findings(session)
    roles_res = _safe(session, "roles")
    measured: dict[str, str | None] = {}
    channels: set[str] = set()
    if roles_res is not None:
        measured = {k: (v if isinstance(v, str) else None) for k, v in dict(roles_res.actual).items()}
        channels |= set(measured)
    spend = _safe(session, "spend")
    if spend is not None and len(spend):
        channels |= {str(c) for c in spend["channel"]}
    cadence_now = posts_per_day(session)
    channels |= set(cadence_now)
    layout = channel_layout(profile, sorted(channels), findings_all, measured)

    # 做爆品: declared hits first, then the best sellers that grow
    hits: list[dict[str, Any]] = []
    products = _safe(session, "products")
    if products is not None and len(products):
        total_orders = int(products["orders"].sum())
        total_revenue = float(products["revenue"].fillna(0).sum()) if "revenue" in products else 0.0
        declared = set(profile.hit_products)
        ranked = products.assign(
            declared=products["declared_hit"]
            | products["product_id"].isin(declared)
            | products["name"].isin(declared)
        ).sort_values(["declared", "orders"], ascending=[False, False])
        for r in ranked.head(3).to_dict("records"):
            growth = r.get("growth")
            growth = float(growth) if growth is not None and math.isfinite(float(growth)) else None
            hits.append(
                {
                    "product_id": str(r["product_id"]),
                    "name": str(r["name"]),
                    "orders": int(r["orders"]),
                    "of_orders": total_orders,
                    "revenue": float(r.get("revenue") or 0.0),
                    "of_revenue": total_revenue,
                    "share": float(r["share"]),
                    "growth": growth,
                    "declared": bool(r["declared"]),
                }
            )
    # 做粉丝: stage targets
    fans: list[dict[str, Any]] = []
    life = _safe(session, "lifecycle")
    growth_share = FAN_GROWTH.get(profile.stage, FAN_GROWTH[""])
    if life is not None and len(life):
        for r in life.to_dict("records"):
            if r["stage"] in ("active_fan", "core_fan", "advocate"):
                base = int(r["people"])
                fans.append(
                    {
                        "stage": str(r["stage"]),
                        "people": base,
                        "of_people": int(r.get("of_people", 0) or 0),
                        "target": math.ceil(base * (1 + growth_share)) if base else 10,
                    }
                )
    # 做自媒体: cadence per channel by role, raised where the channel's posts convert
    cadence: dict[str, dict[str, Any]] = {}
    attributed, evidence_scope = attributed_orders(session)
    if evidence_scope == "all_data":
        notes.append(
            (
                "the baseline credits no order to any channel, so where posting converts is read from all the data",
                "基线期没有订单归因到任何渠道，各渠道发布是否带来转化按全部数据判断",
            )
        )
    for ch, cr in layout.items():
        now = 0.0 if ch not in cadence_now and not cr.has_data else cadence_now.get(ch, 0.0)
        if vocab.CHANNEL_INFO.get(ch) and vocab.CHANNEL_INFO[ch].kind == "commerce":
            continue
        lo, hi = CADENCE[cr.role]
        orders = attributed.get(ch, 0.0)
        # where the channel's own posts were followed by orders (attributed orders over posts > 0),
        # the data say posting there converts: the cadence goes to the top of its role's band; elsewhere
        # it is only brought into the band (no evidence to post more, none to post less)
        converts = now > 0 and orders > CONVERTING_ORDERS
        target = max(hi, now) if converts else min(max(now, lo), hi)
        cadence[ch] = {
            "now": round(now, 3),
            "target": round(target, 3),
            "role": cr.role,
            "orders": round(orders, 3),
            "orders_per_post": round(orders / (now * max(session.period.days or 1, 1)), 5)
            if now > 0
            else 0.0,
            "reason": "converts" if converts else "band",
            "evidence": evidence_scope,
        }
    topic_mix, note = _topic_mix(session, findings_all)
    notes.append(note)
    nodes = retail_dates(period_start, period_end, launches=profile.launches)
    # interaction designs that lifted activity (campaigns analysis; lift > 1 on matched people)
    interactions: list[dict[str, Any]] = []
    camp = _safe(session, "campaigns")
    if camp is not None and len(camp) and "activity_lift" in camp:
        good = camp[(camp["activity_lift"] > 1.0) & (camp["matched_participants"] >= 10)]
        for r in good.sort_values("activity_lift", ascending=False).head(2).to_dict("records"):
            interactions.append(
                {
                    "campaign_id": str(r["campaign_id"]),
                    "name": str(r["name"]),
                    "kind": str(r["kind"]),
                    "activity_lift": float(r["activity_lift"]),
                    "conversion_lift": float(r["conversion_lift"])
                    if r["conversion_lift"] == r["conversion_lift"]
                    else 0.0,
                    "participants": int(r["participants"]),
                    "audience": int(r["audience"]),
                }
            )
    # service: reply targets on the channels laid out for service
    service: list[dict[str, Any]] = []
    svc = _safe(session, "service")
    svc_rows = {str(r["channel"]): r for r in svc.to_dict("records")} if svc is not None and len(svc) else {}
    for ch, cr in layout.items():
        if cr.role != "service":
            continue
        r = svc_rows.get(ch)
        med = float(r["median_seconds"]) / 60 if r and r["median_seconds"] == r["median_seconds"] else None
        rate = float(r["answer_rate"]) if r else None
        service.append(
            {
                "channel": ch,
                "messages": int(r["messages"]) if r else 0,
                "answered": int(r["answered"]) if r else 0,
                "median_minutes": med,
                "answer_rate": rate,
                "target_minutes": min(REPLY_TARGET_MINUTES, med) if med is not None else REPLY_TARGET_MINUTES,
                "target_rate": max(REPLY_TARGET_RATE, rate or 0.0),
            }
        )
    # community: groups to grow
    community: list[dict[str, Any]] = []
    com = _safe(session, "community")
    if com is not None and len(com):
        last = com.sort_values("period_index").groupby("channel").tail(1)
        joins = com.groupby("channel")["joins"].sum()
        for r in last.to_dict("records"):
            ch = str(r["channel"])
            members = int(r["members"])
            community.append(
                {
                    "channel": ch,
                    "members": members,
                    "joins": int(joins.get(ch, 0)),
                    "posters": int(r["posters"]),
                    "target_members": math.ceil(members * (1 + growth_share)) if members else 20,
                }
            )
    return Strategy(
        layout=layout,
        hits=hits,
        fans=fans,
        cadence=cadence,
        topic_mix=topic_mix,
        nodes=nodes,
        interactions=interactions,
        service=service,
        community=community,
        findings=findings_all,
        notes=tuple(notes),
    )
