"""Diagnosis rules: registered by name, each reads analysis results, states its test, emits findings.

A rule is a function ``(session) -> list[Finding]`` registered with
:func:`register_rule`. It reads registered analyses through
``session.run(name)`` (memoised, so every rule and the report share one
computation), applies the test it states, and returns findings only when the
test says the evidence is strong enough; where the data are too thin to judge
it says so with an ``info`` finding instead of guessing.

Adding a rule:

>>> from canyu.plan import Finding, register_rule
>>> @register_rule(
...     "no_orders",
...     reads=("activity",),
...     section="overview",
...     test=("fires when the period has active people but no conversion events",
...           "本期有活跃用户但没有转化事件时触发"),
... )
... def no_orders(session):
...     ...
...     return []
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import TYPE_CHECKING

from canyu import vocab
from canyu.analytics.registry import register_analysis
from canyu.errors import UnknownNameError
from canyu.plan._findings import Finding, rank_findings

if TYPE_CHECKING:
    from canyu.analytics.roles import ChannelRoles
    from canyu.session import AnalysisSession

__all__ = [
    "RULES",
    "RULE_MODULES",
    "Rule",
    "diagnose",
    "get_rule",
    "register_rule",
    "role_findings",
    "rule_names",
]

RuleFn = Callable[["AnalysisSession"], list[Finding]]


@dataclass(frozen=True)
class Rule:
    """A registered rule: its name, the analyses it reads, the test that makes it fire (en, zh),
    and the report section that shows its evidence."""

    name: str
    fn: RuleFn
    reads: tuple[str, ...]
    test: tuple[str, str]
    section: str


RULES: dict[str, Rule] = {}

# Modules that register rules when imported (loaded on first use).
RULE_MODULES: list[str] = ["canyu.plan._rules", "canyu.plan._agenda_rules"]


def register_rule(
    name: str, *, reads: Sequence[str], test: tuple[str, str], section: str
) -> Callable[[RuleFn], RuleFn]:
    """Register a diagnosis rule under ``name`` (a decorator).

    ``test`` says when it fires (en, zh); ``section`` is the report section that
    shows its evidence (its findings carry it).
    """

    def decorator(fn: RuleFn) -> RuleFn:
        RULES[name] = Rule(name, fn, tuple(reads), test, section)
        return fn

    return decorator


def _load() -> None:
    for module in RULE_MODULES:
        importlib.import_module(module)


def rule_names() -> tuple[str, ...]:
    _load()
    return tuple(RULES)


def get_rule(name: str) -> Rule:
    _load()
    try:
        return RULES[name]
    except KeyError:
        raise UnknownNameError("rule", name, tuple(RULES)) from None


def diagnose(
    session: AnalysisSession,
    *,
    rules: Sequence[str] | None = None,
    sections: Sequence[str] | None = None,
) -> list[Finding]:
    """Run ``rules`` (default: all registered; with ``sections``, those shown there) over ``session``.

    Findings come back most severe first, each naming its rule's section.
    """
    chosen = [get_rule(n) for n in rules] if rules is not None else [get_rule(n) for n in rule_names()]
    if sections is not None:
        chosen = [r for r in chosen if r.section in sections]
    findings: list[Finding] = []
    for rule in chosen:
        findings += [f if f.section else replace(f, section=rule.section) for f in rule.fn(session)]
    return rank_findings(findings)


@register_analysis("findings", title=("Findings", "诊断发现"))
def findings(session: AnalysisSession, *, rules: tuple[str, ...] = ()) -> list[Finding]:
    """The diagnosis: every registered rule's findings over the session, most severe first."""
    return diagnose(session, rules=list(rules) or None)


# -- channel roles -------------------------------------------------------------------------
ROLE_MIN_PEOPLE = 100
"""A channel with fewer active people in the role window is not judged (too thin)."""
ROLE_MARGIN = 0.10
"""The planned role's score must trail the played role's by more than this to fire."""

_ROLE_ACTIONS = {
    "broadcast": (
        "Use it to spread news and events (more posts built to be shared), or change its planned role.",
        "用它做传播（多发适合转发的内容、借势活动），或调整它的计划角色。",
    ),
    "service": (
        "Staff it for one-to-one conversation: answer every message, quickly.",
        "为一对一沟通配置人手：每条消息都要回复，且要快。",
    ),
    "retention": (
        "Give core users reasons to come back: community topics, member rights, regular activities.",
        "给核心用户回来的理由：社区话题、会员权益、固定活动。",
    ),
    "conversion": (
        "Shorten the path to purchase here: product links, coupons, limited offers.",
        "缩短这里的购买路径：商品链接、优惠券、限时活动。",
    ),
}


@register_rule(
    "channel_roles",
    reads=("roles",),
    section="roles",
    test=(
        f"fires when a channel with at least {ROLE_MIN_PEOPLE} active people plays another role than the product "
        f"profile plans and its planned role's score trails the played role's by more than {ROLE_MARGIN:.2f}; "
        "channels with fewer people are reported as too thin to judge",
        f"渠道活跃人数不少于 {ROLE_MIN_PEOPLE}、实际角色与产品定位不符且计划角色得分比实际角色低 {ROLE_MARGIN:.2f} 以上时触发；"
        "人数更少的渠道报告为数据不足",
    ),
)
def channel_roles_rule(session: AnalysisSession) -> list[Finding]:
    """Channels that do not play the role the product profile gives them."""
    return role_findings(session.run("roles"))


def role_findings(
    result: ChannelRoles, *, min_people: int = ROLE_MIN_PEOPLE, margin: float = ROLE_MARGIN
) -> list[Finding]:
    """The ``channel_roles`` rule's test applied to measured roles (see the rule's ``test``)."""
    out: list[Finding] = []
    metrics = result.metrics.set_index("channel") if "channel" in result.metrics else None
    for row in result.scores.to_dict("records"):
        channel = row["channel"]
        want = result.expected.get(channel)
        actual = row["actual_role"] if isinstance(row["actual_role"], str) else None
        if want is None or want == actual:
            continue
        people = 0
        if metrics is not None and "active_people" in metrics and channel in metrics.index:
            people = int(metrics.loc[channel, "active_people"] or 0)
        info = vocab.CHANNEL_INFO.get(channel)
        ch_en, ch_zh = (info.name_en, info.name_zh) if info else (channel, channel)
        want_zh = vocab.CHANNEL_ROLES[want]
        if people < min_people:
            out.append(
                Finding(
                    key=f"channel_role_thin:{channel}",
                    metric=(
                        f"{ch_en}: {people:,} active people in the role window, too few to judge its role",
                        f"{ch_zh}：角色评估窗口内仅 {people:,} 名活跃用户，数据不足以判断其角色",
                    ),
                    value=people,
                    expectation=(
                        f"at least {min_people} active people to judge the planned {want} role",
                        f"至少 {min_people} 名活跃用户才能判断计划的「{want_zh}」角色",
                    ),
                    severity="info",
                    action=(
                        "Collect more person-level events on this channel.",
                        "在该渠道收集更多用户级事件。",
                    ),
                    evidence={"active_people": people, "planned": want},
                    section="roles",
                )
            )
            continue
        best = float(row[actual]) if actual else float(row.get("top_score", 0.0))
        gap = best - float(row[want])
        if actual is not None and gap <= margin:
            continue
        evidence = {role: round(float(row[role]), 4) for role in vocab.CHANNEL_ROLES} | {
            "active_people": people,
            "gap": round(gap, 4),
        }
        if actual is None:
            metric = (
                f"{ch_en} plays no clear role (best score {row['top_score']:.2f}); its {want} score is {row[want]:.2f}",
                f"{ch_zh} 没有承担明确角色（最高得分 {row['top_score']:.2f}），「{want_zh}」得分 {row[want]:.2f}",
            )
        else:
            metric = (
                f"{ch_en} plays the {actual} role (score {row[actual]:.2f}); its {want} score is {row[want]:.2f}",
                f"{ch_zh} 实际承担「{vocab.CHANNEL_ROLES[actual]}」角色（得分 {row[actual]:.2f}），"
                f"「{want_zh}」得分仅 {row[want]:.2f}",
            )
        out.append(
            Finding(
                key=f"channel_role_mismatch:{channel}",
                metric=metric,
                value=actual or "none",
                expectation=(
                    f"the product profile gives {ch_en} the {want} role",
                    f"产品定位要求 {ch_zh} 承担「{want_zh}」角色",
                ),
                severity="high",
                action=_ROLE_ACTIONS[want],
                evidence=evidence,
                section="roles",
            )
        )
    return out


# -- data quality --------------------------------------------------------------------------
QUARANTINE_SHARE_LIMIT = 0.05
"""An import may quarantine this share of its rows before it is a finding."""
QUARANTINE_SHARE_HIGH = 0.20
"""...and past this share the finding is of high severity."""
QUARANTINE_ALPHA = 0.01


@register_rule(
    "quarantine_share",
    reads=("data_quality",),
    section="data_quality",
    test=(
        f"one-sided binomial test per import that its quarantined share exceeds {QUARANTINE_SHARE_LIMIT:.0%} "
        f"(p < {QUARANTINE_ALPHA}); high severity past {QUARANTINE_SHARE_HIGH:.0%}",
        f"对每次导入做单侧二项检验：隔离比例是否超过 {QUARANTINE_SHARE_LIMIT:.0%}（p < {QUARANTINE_ALPHA}）；"
        f"超过 {QUARANTINE_SHARE_HIGH:.0%} 为高严重度",
    ),
)
def quarantine_share_rule(session: AnalysisSession) -> list[Finding]:
    """Imports that quarantined significantly more than the tolerated share of their rows."""
    from scipy.stats import binomtest

    imports = session.run("data_quality").imports
    out = []
    for r in imports.itertuples(index=False):
        rows_in, bad = int(r.rows_in), int(r.rows_quarantined)
        if rows_in == 0 or bad / rows_in <= QUARANTINE_SHARE_LIMIT:
            continue
        p = float(binomtest(bad, rows_in, QUARANTINE_SHARE_LIMIT, alternative="greater").pvalue)
        if p >= QUARANTINE_ALPHA:
            continue
        share = bad / rows_in
        source = PurePath(str(r.source)).name
        limit = f"{QUARANTINE_SHARE_LIMIT:.0%}"
        out.append(
            Finding(
                key=f"quarantine_share:{r.batch_id}",
                metric=(
                    f"Quarantined rows in import of {source}: {bad:,} of {rows_in:,}",
                    f"{source} 导入中被隔离的行：{rows_in:,} 行中 {bad:,} 行",
                ),
                value=f"{share:.1%}",
                expectation=(f"At most {limit} of an import's rows", f"每次导入不超过 {limit} 的行"),
                severity="high" if share > QUARANTINE_SHARE_HIGH else "medium",
                action=(
                    f"Fix the rejected rows (canyu quarantine --batch {r.batch_id} --export DIR) and import them again.",
                    f"修正被拒绝的行（canyu quarantine --batch {r.batch_id} --export 目录）后重新导入。",
                ),
                evidence={
                    "batch_id": str(r.batch_id),
                    "source": source,
                    "table": str(r.table_name),
                    "rows_in": rows_in,
                    "rows_quarantined": bad,
                    "quarantined_share": round(share, 4),
                    "p_value": p,
                },
                section="data_quality",
            )
        )
    return sorted(out, key=lambda f: -float(f.evidence["quarantined_share"]))
