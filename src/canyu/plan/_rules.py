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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING

from canyu import vocab
from canyu.analytics.registry import register_analysis
from canyu.errors import UnknownNameError
from canyu.plan._findings import Finding, rank_findings

if TYPE_CHECKING:
    import pandas as pd

    from canyu.analytics.roles import ChannelRoles
    from canyu.session import AnalysisSession

__all__ = [
    "RULES",
    "RULE_MODULES",
    "Rule",
    "benjamini_hochberg",
    "diagnose",
    "get_rule",
    "register_rule",
    "role_findings",
    "role_p_values",
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
RULE_MODULES: list[str] = ["canyu.plan._rules", "canyu.plan._agenda_rules", "canyu.plan._diagnosis"]


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
ROLE_FLOOR = 0.5
"""A channel scoring at least this (of 1) in its planned role still does its planned job, whatever else it
does better: not a mismatch. In the default scenario at 50,000 people Qzone (planned and truly broadcast)
scored 0.77 as a broadcaster and 1.00 on retention, and the bootstrap, tight at that size, called the
0.23 gap significant in 2 of 5 seeds; the wrong-roles scenario's misplayed channels score 0.01-0.10 in
their planned roles."""
ROLE_FDR = 0.05
"""Benjamini–Hochberg false discovery rate across the channels judged."""
ROLE_DAYS = 30
"""The roles analysis's window (days) on either side of its pivot."""
ROLE_REPLICATES = 2000
"""Bootstrap replicates (Poisson weights over people; the smallest p-value is 1/2001). At 400 the p-value's
own Monte Carlo error (±0.004 near 0.01) straddled the Benjamini–Hochberg threshold of the wrong-roles
scenario's Weibo (p ≈ 0.006 against 0.0125), so the finding came and went with the workspace's hashing key."""

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
        f"profile plans, its planned role's score is below {ROLE_FLOOR:.1f} of 1 and trails the best role's by more "
        f"than {ROLE_MARGIN:.2f} in a "
        f"person-level bootstrap ({ROLE_REPLICATES} Poisson-weighted replicates over people, the scores "
        f"recomputed from the resampled counts), significant at a Benjamini–Hochberg false discovery rate of "
        f"{ROLE_FDR:.0%} across the channels judged; channels with fewer people (and, for the retention role, "
        f"fewer than {ROLE_DAYS * 4 // 3} full days of data) are reported as too thin to judge, a mismatch that is not "
        "significant as unclear",
        f"渠道活跃人数不少于 {ROLE_MIN_PEOPLE}、实际角色与产品定位不符，且在按人自助抽样（{ROLE_REPLICATES} 次泊松加权重抽样，"
        f"从重抽样计数重算得分）中计划角色得分低于 {ROLE_FLOOR:.1f}（满分 1）且比最高角色低 {ROLE_MARGIN:.2f} 以上、经 Benjamini–Hochberg "
        f"错误发现率 {ROLE_FDR:.0%} 校正后显著时触发；人数更少的渠道（以及完整数据不足 {ROLE_DAYS * 4 // 3} 天时的留存角色）"
        "报告为数据不足，不显著的不符报告为尚不明确",
    ),
)
def channel_roles_rule(session: AnalysisSession) -> list[Finding]:
    """Channels that do not play the role the product profile gives them."""
    result = session.run("roles")
    # retention is measured over the role window before a pivot and the window after it: when less
    # than a third of the "before" window holds full days of data (a history of follows does not count),
    # its audience is not a real one and every channel scores about 0 on retention
    from canyu.plan._diagnosis import _local_days

    days = len(_local_days(session))
    return role_findings(
        result, p_values=role_p_values(session, result), data_days=days, retention_days=ROLE_DAYS * 4 // 3
    )


def _role_counts(session: AnalysisSession, *, days: int = 30) -> pd.DataFrame:
    """Per channel and person, the counts behind :func:`canyu.analytics.roles.channel_role_metrics`.

    Summed over people they give the analysis's metrics exactly (the test
    ``test_role_counts_sum_to_the_metrics`` holds them to it), so a bootstrap over
    people can recompute the metrics from resampled sums. Events without a person
    form one fixed row (``person_id`` null).
    """
    import ibis

    from canyu.analytics.activity import ACTIVE_ACTIONS
    from canyu.analytics.service import message_responses

    ev = session.events_until_end()
    _, hi = session.utc_bounds()
    conv = list(session.conversion_actions)
    active = ev.action.isin(list(ACTIVE_ACTIONS))
    base = ev.group_by(["channel", "person_id"]).aggregate(
        events=ev.count().cast("int64"),
        reach=ev.action.isin(["expose", "view"]).sum().cast("int64"),
        shares=(ev.action == "share").sum().cast("int64"),
        shared=(ev.parent_user_id.notnull() & ev.action.isin(["view", "share"])).sum().cast("int64"),
        one2one=ev.action.isin(["message", "reply"]).sum().cast("int64"),
        orders=ev.action.isin(conv).sum().cast("int64"),
        active=active.any().cast("int64"),
    )
    msgs = message_responses(ev)
    service = msgs.group_by(["channel", "person_id"]).aggregate(
        messages=msgs.count().cast("int64"), answered=msgs.answered.sum().cast("int64")
    )
    act = ev.filter(ev.person_id.notnull() & active)
    span = ibis.interval(days=days)
    as_of = None if hi is None else hi - timedelta(days=days)
    pivot = ibis.literal(as_of) if as_of is not None else (act.ts.max().as_scalar() - span)
    act = act.mutate(day=session.zone.local_day(act.ts), _pivot=pivot)
    before = act.filter((act.ts >= act._pivot - span) & (act.ts < act._pivot))
    aud = before.group_by(["channel", "person_id"]).aggregate(n=before.day.nunique())
    after = act.filter((act.ts >= act._pivot) & (act.ts < act._pivot + span))
    after = after.select("channel", "person_id").distinct().mutate(_back=ibis.literal(1))
    core = aud.left_join(after, ["channel", "person_id"]).select(
        aud.channel,
        aud.person_id,
        audience=ibis.literal(1).cast("int64"),
        kept=((aud.n >= 3) & after._back.notnull()).cast("int64"),
    )
    frames = [session.to_pandas(t) for t in (base, service, core)]
    out = frames[0]
    for f in frames[1:]:
        out = out.merge(f, on=["channel", "person_id"], how="left")
    cols = ["messages", "answered", "audience", "kept"]
    out[cols] = out[cols].fillna(0).astype("int64")
    return out


def role_p_values(
    session: AnalysisSession,
    result: ChannelRoles,
    *,
    margin: float = ROLE_MARGIN,
    replicates: int = ROLE_REPLICATES,
    days: int = 30,
    seed: int = 20261,
) -> dict[str, float]:
    """Bootstrap p-values, per channel with a planned role, that its planned score trails the best by ``margin``.

    The bootstrap weights each person by an independent Poisson(1) draw (the
    Poisson bootstrap, Hanley & MacGibbon 2006), the same weight on every channel
    so the scores' normalisation across channels is resampled too; posts per
    channel and content-statistics reach are held fixed. A channel's p-value is
    ``(1 + replicates with gap <= margin) / (1 + replicates)``.
    """
    import numpy as np
    import pandas as pd

    from canyu.analytics.roles import ROLE_METRICS

    counts = _role_counts(session, days=days).reset_index(drop=True)
    if counts.empty:
        return {}
    channels = sorted(result.metrics["channel"])
    metrics = result.metrics.set_index("channel")
    people = counts["person_id"].astype(object).where(counts["person_id"].notna(), "\0none")
    codes, uniques = pd.factorize(people, sort=True)  # the same person gets the same weights on every run
    fixed_person = np.flatnonzero(np.asarray(uniques, dtype=object) == "\0none")
    rng = np.random.default_rng(seed)
    names = ["events", "reach", "shares", "shared", "one2one", "orders", "active", "messages", "answered",
             "audience", "kept"]  # fmt: skip
    values = counts[names].to_numpy(np.float32)
    # one person x (channel, count) matrix, so each chunk of replicates is a single matrix product
    chan = pd.Categorical(counts["channel"], categories=channels).codes
    cube = np.zeros((len(uniques), len(channels), len(names)), np.float32)
    keep = chan >= 0
    np.add.at(cube, (codes[keep], chan[keep]), values[keep])
    per_person = cube.reshape(len(uniques), -1)
    flat = np.zeros((replicates, len(channels) * len(names)))
    chunk = 50  # replicates at a time: 50 x people weights, a few MB even at 100,000 people
    for first in range(0, replicates, chunk):
        size = min(chunk, replicates - first)
        weights = rng.poisson(1.0, size=(size, len(uniques))).astype(np.float32)
        if len(fixed_person):
            weights[:, fixed_person[0]] = 1.0  # events with no person are not resampled
        flat[first : first + size] = weights @ per_person
    sums = flat.reshape(replicates, len(channels), len(names))
    s = {n: sums[:, :, i] for i, n in enumerate(names)}
    with np.errstate(divide="ignore", invalid="ignore"):
        # reach per post: the events' reach is resampled over a fixed effective number of posts (the
        # point reach over the analysis's reach per post), so content-statistics reach scales with it
        point_reach = np.array([float(counts.loc[counts["channel"] == c, "reach"].sum()) for c in channels])
        rpp = metrics.loc[channels, "reach_per_post"].to_numpy(np.float64)
        posts = np.where(point_reach > 0, point_reach / rpp, np.nan)
        reach_per_post = np.where(np.isfinite(posts) & (posts > 0), s["reach"] / posts, rpp)
        m = {
            "reach_per_post": reach_per_post,
            "share_fanout": np.where(s["shares"] > 0, s["shared"] / s["shares"], np.nan),
            "one_to_one_share": np.where(s["events"] > 0, s["one2one"] / s["events"], np.nan),
            "reply_rate": np.where(s["messages"] > 0, s["answered"] / s["messages"], np.nan),
            "core_retention": np.where(s["audience"] > 0, s["kept"] / s["audience"], np.nan),
            "orders_per_active": np.where(s["active"] > 0, s["orders"] / s["active"], np.nan),
        }
        scores = {}
        for role, parts in ROLE_METRICS.items():
            normed = []
            for metric in parts:
                col = np.clip(m[metric], 0, None)
                top = np.nanmax(np.where(np.isnan(col), -np.inf, col), axis=1, keepdims=True)
                normed.append(np.where((top > 0) & ~np.isnan(col), col / np.where(top > 0, top, 1), 0.0))
            scores[role] = sum(normed) / len(normed)
    stacked = np.stack([scores[r] for r in vocab.CHANNEL_ROLES], axis=2)  # replicate x channel x role
    best = stacked.max(axis=2)
    order = list(vocab.CHANNEL_ROLES)
    out = {}
    for j, ch in enumerate(channels):
        want = result.expected.get(ch)
        if want is None:
            continue
        gap = best[:, j] - stacked[:, j, order.index(want)]
        out[ch] = float((1 + np.sum(gap <= margin)) / (1 + replicates))
    return out


def benjamini_hochberg(p_values: Mapping[str, float], *, q: float) -> set[str]:
    """The keys whose p-values are discoveries at false discovery rate ``q`` (Benjamini & Hochberg 1995)."""
    if not p_values:
        return set()
    from scipy.stats import false_discovery_control

    keys = list(p_values)
    adjusted = false_discovery_control([p_values[k] for k in keys], method="bh")
    return {k for k, a in zip(keys, adjusted, strict=True) if a <= q}


def role_findings(
    result: ChannelRoles,
    *,
    p_values: Mapping[str, float] | None = None,
    min_people: int = ROLE_MIN_PEOPLE,
    margin: float = ROLE_MARGIN,
    fdr: float = ROLE_FDR,
    floor: float = ROLE_FLOOR,
    data_days: int | None = None,
    retention_days: int = ROLE_DAYS * 4 // 3,
) -> list[Finding]:
    """The ``channel_roles`` rule's test applied to measured roles (see the rule's ``test``).

    ``p_values`` are the bootstrap's (:func:`role_p_values`); without them every
    point-estimate mismatch past ``margin`` fires (the test of the point estimate alone).
    """
    out: list[Finding] = []
    metrics = result.metrics.set_index("channel") if "channel" in result.metrics else None

    def people_of(channel: str) -> int:
        if metrics is not None and "active_people" in metrics and channel in metrics.index:
            return int(metrics.loc[channel, "active_people"] or 0)
        return 0

    judged = {
        ch: p
        for ch, p in (p_values or {}).items()
        if people_of(ch) >= min_people and ch in set(result.scores["channel"])
    }
    significant = benjamini_hochberg(judged, q=fdr) if p_values is not None else None
    for row in result.scores.to_dict("records"):
        channel = row["channel"]
        want = result.expected.get(channel)
        actual = row["actual_role"] if isinstance(row["actual_role"], str) else None
        if want is None or want == actual:
            continue
        people = people_of(channel)
        info = vocab.CHANNEL_INFO.get(channel)
        ch_en, ch_zh = (info.name_en, info.name_zh) if info else (channel, channel)
        want_zh = vocab.CHANNEL_ROLES[want]
        if want == "retention" and data_days is not None and data_days < retention_days:
            out.append(
                Finding(
                    key=f"channel_role_thin:{channel}",
                    metric=(
                        f"{ch_en}: {data_days} full days of data, too short to measure retention",
                        f"{ch_zh}：仅有 {data_days} 天完整数据，不足以衡量留存",
                    ),
                    value=data_days,
                    expectation=(
                        f"at least {retention_days} full days of data to judge the planned retention role",
                        f"至少 {retention_days} 天完整数据才能判断计划的「{want_zh}」角色",
                    ),
                    severity="info",
                    action=(
                        "Judge this channel's role once more data are in.",
                        "数据更多后再判断该渠道的角色。",
                    ),
                    evidence={"data_days": data_days, "planned": want},
                    section="roles",
                )
            )
            continue
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
        if actual is not None and (gap <= margin or float(row[want]) >= floor):
            continue
        evidence: dict[str, float | str] = {role: round(float(row[role]), 4) for role in vocab.CHANNEL_ROLES}
        evidence |= {"active_people": people, "gap": round(gap, 4)}
        p = judged.get(channel)
        if p is not None:
            evidence |= {"p_value": round(p, 4), "test": "person bootstrap, BH across channels"}
        if significant is not None and channel not in significant:
            out.append(
                Finding(
                    key=f"channel_role_unclear:{channel}",
                    metric=(
                        f"{ch_en}: its {want} score trails by {gap:.2f} of 1, not significantly more than "
                        f"{margin:.2f} (bootstrap p = {p if p is not None else 1.0:.3f} over {people:,} active "
                        "people): too thin to judge its role",
                        f"{ch_zh}：「{want_zh}」得分落后 {gap:.2f}（满分 1），未显著超过 {margin:.2f}"
                        f"（{people:,} 名活跃用户的自助抽样 p = {p if p is not None else 1.0:.3f}）：数据不足以判断其角色",
                    ),
                    value=round(gap, 4),
                    expectation=(
                        f"the product profile gives {ch_en} the {want} role",
                        f"产品定位要求 {ch_zh} 承担「{want_zh}」角色",
                    ),
                    severity="info",
                    action=(
                        "Watch this channel's role as more data come in.",
                        "随着数据增加继续观察该渠道的角色。",
                    ),
                    evidence=evidence,
                    section="roles",
                )
            )
            continue
        if actual is None:
            metric = (
                f"{ch_en} plays no clear role (best score {row['top_score']:.2f} of 1); its {want} score is "
                f"{row[want]:.2f}",
                f"{ch_zh} 没有承担明确角色（最高得分 {row['top_score']:.2f}，满分 1），「{want_zh}」得分 {row[want]:.2f}",
            )
        else:
            metric = (
                f"{ch_en} plays the {actual} role (score {row[actual]:.2f} of 1); its {want} score is "
                f"{row[want]:.2f}",
                f"{ch_zh} 实际承担「{vocab.CHANNEL_ROLES[actual]}」角色（得分 {row[actual]:.2f}，满分 1），"
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
