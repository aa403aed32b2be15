"""The dated action plan: tasks with owner, dates, budget, KPI and evidence, and the levers they set.

:func:`build_plan` reads the baseline — the last days of data, as many as the plan's period has —
builds the :class:`~canyu.plan.strategy.Strategy`, splits the budget, and turns the strategy into
:class:`Task`\\ s. Each task has a channel, an owner role (运营 ops, 内容 content, 客服 service,
投放 ads, 社群 community), start and due dates inside the period, a budget in yuan (the task
budgets add up to the plan's budget exactly, to the fen), a :class:`KPI` with its measured baseline,
its target and the expected effect with a 90% interval, the expected conversions with their
interval, a priority by expected conversions per yuan, and its evidence (a finding key where a rule
fired, and the report section that shows the numbers).

:func:`track` measures each KPI over new data against its target (pro rata for counts) and builds a
revised plan for the days left.

Expected effects are linear in the measured rates (orders per yuan, per reached person, per
campaign participant): the plan does not extrapolate past what was observed, and a media-mix fit
(the ``budget`` analysis) replaces the linear split of paid spend when it passes its diagnostics.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from canyu import vocab
from canyu.errors import CanyuError, InvalidArgumentError
from canyu.plan.levers import Campaign, Levers, Seed
from canyu.plan.strategy import OBJECTIVES, BudgetSplit, Strategy, budget_split, build_strategy, safe_run
from canyu.session import Period

if TYPE_CHECKING:
    import pandas as pd

    from canyu.plan import Finding
    from canyu.session import AnalysisSession

__all__ = [
    "INTERVAL",
    "KPI",
    "OWNERS",
    "PLANS_FOLDER",
    "PLAN_SCHEMA",
    "Effect",
    "KpiStatus",
    "Plan",
    "Task",
    "TrackResult",
    "baseline_period",
    "build_plan",
    "levers_from_tasks",
    "load_plan",
    "measure",
    "save_plan",
    "track",
]

from canyu.plan._tasks import (
    INTERVAL,
    KPI,
    OWNERS,
    PLAN_SCHEMA,
    PLANS_FOLDER,
    ZERO,
    Effect,
    Plan,
    Task,
    load_plan,
    save_plan,
)

#: Shares of the budget held for word-of-mouth seeding and for participation nodes / interactions,
#: when the data offer seeds and the calendar offers nodes; the rest is paid promotion.
SEED_SHARE = 0.15
NODE_SHARE = 0.15

Text = tuple[str, str]


# -- measuring -------------------------------------------------------------------------------
def _frame(session: AnalysisSession, name: str) -> pd.DataFrame:
    """A table analysis's result, or an empty table where the data cannot feed it."""
    import pandas as pd

    out = safe_run(session, name)
    return out if isinstance(out, pd.DataFrame) else pd.DataFrame(columns=_COLUMNS.get(name, ["channel"]))


_COLUMNS = {
    "spend": ["channel", "cost", "orders", "revenue", "new_followers"],
    "service": ["channel", "messages", "answered", "answer_rate", "median_seconds"],
    "community": ["channel", "period_index", "members", "joins", "posters"],
    "products": ["product_id", "name", "orders"],
    "lifecycle": ["stage", "people"],
}


def _count(session: AnalysisSession, expr: Any) -> int:
    return session.count(expr)


def measure(session: AnalysisSession, metric: str, channel: str | None = None, subject: str = "") -> float:
    """One KPI's value over the session's period (the plan's KPIs and ``plan track`` use this).

    Metrics: ``orders`` (conversion events, all channels), ``channel_orders`` / ``channel_revenue``
    (orders / revenue attributed to the channel, spend analysis), ``new_followers`` (follow events
    on the channel), ``active_people`` (distinct people with an event on the channel), ``shares``
    (share events on the channel), ``posts_per_day`` (brand contents published per day),
    ``reply_minutes`` / ``reply_rate`` (service analysis), ``members`` (community members at the
    period's end), ``product_orders`` (orders of product ``subject``), ``fan_stage`` (people in
    stage ``subject`` at the period's end).
    """
    ev = session.events()
    if metric == "orders":
        return float(_count(session, ev.filter(ev.action.isin(list(session.conversion_actions)))))
    if metric in ("channel_orders", "channel_revenue"):
        sp = _frame(session, "spend")
        row = sp[sp["channel"] == channel]
        col = "orders" if metric == "channel_orders" else "revenue"
        return float(row[col].iloc[0]) if len(row) else 0.0
    on = ev.filter(ev.channel == channel)
    if metric == "new_followers":
        return float(_count(session, on.filter(on.action == "follow")))
    if metric == "shares":
        return float(_count(session, on.filter(on.action == "share")))
    if metric == "active_people":
        out = session.to_pandas(on.aggregate(n=on.person_id.nunique()))
        return float(out["n"].iloc[0] or 0) if len(out) else 0.0
    if metric == "posts_per_day":
        from canyu.plan.strategy import posts_per_day

        return float(posts_per_day(session).get(str(channel), 0.0))
    if metric in ("reply_minutes", "reply_rate"):
        svc = _frame(session, "service")
        row = svc[svc["channel"] == channel]
        if not len(row):
            return math.nan
        if metric == "reply_rate":
            return float(row["answer_rate"].iloc[0])
        return float(row["median_seconds"].iloc[0]) / 60
    if metric == "members":
        com = _frame(session, "community")
        rows = com[com["channel"] == channel].sort_values("period_index")
        return float(rows["members"].iloc[-1]) if len(rows) else 0.0
    if metric == "product_orders":
        pr = _frame(session, "products")
        row = pr[(pr["product_id"] == subject) | (pr["name"] == subject)]
        return float(row["orders"].iloc[0]) if len(row) else 0.0
    if metric == "fan_stage":
        life = _frame(session, "lifecycle")
        row = life[life["stage"] == subject]
        return float(row["people"].iloc[0]) if len(row) else 0.0
    raise InvalidArgumentError("kpi.metric", metric, _METRICS)


_METRICS = (
    "orders",
    "channel_orders",
    "channel_revenue",
    "new_followers",
    "active_people",
    "shares",
    "posts_per_day",
    "reply_minutes",
    "reply_rate",
    "members",
    "product_orders",
    "fan_stage",
)


# -- intervals -----------------------------------------------------------------------------
def _poisson_rate(k: float, exposure: float) -> Effect:
    """Rate k/exposure with Garwood's exact Poisson 90% interval (chi-square quantiles)."""
    from scipy.stats import chi2

    if exposure <= 0:
        return ZERO
    a = (1 - INTERVAL) / 2
    n = max(k, 0.0)
    lo = 0.0 if n <= 0 else float(chi2.ppf(a, 2 * n)) / 2
    hi = float(chi2.ppf(1 - a, 2 * n + 2)) / 2
    return Effect(n / exposure, lo / exposure, hi / exposure)


def _wilson(k: float, n: float) -> Effect:
    """Share k/n with the Wilson score 90% interval."""
    from scipy.stats import norm

    if n <= 0:
        return ZERO
    z = float(norm.ppf(1 - (1 - INTERVAL) / 2))
    p = min(max(k / n, 0.0), 1.0)
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return Effect(p, max(mid - half, 0.0), min(mid + half, 1.0))


# -- budgets ------------------------------------------------------------------------------
def _split_fen(total: float, weights: Sequence[float]) -> list[float]:
    """``total`` yuan split by ``weights`` to the fen, adding up exactly (largest remainder)."""
    fen = round(total * 100)
    w = [max(float(x), 0.0) for x in weights]
    if not w:
        return []
    if sum(w) <= 0:
        w = [1.0] * len(w)
    raw = [fen * x / sum(w) for x in w]
    base = [math.floor(r) for r in raw]
    left = fen - sum(base)
    for i in sorted(range(len(w)), key=lambda i: (raw[i] - base[i], -i), reverse=True)[:left]:
        base[i] += 1
    return [b / 100 for b in base]


# -- the plan --------------------------------------------------------------------------------
def _local_date(ts: dt.datetime, zone: str) -> dt.date:
    return ts.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone)).date()


def baseline_period(session: AnalysisSession, days: int) -> Period:
    """The last ``days`` days of the workspace's data (local days), the plan's baseline."""
    whole = session.with_period(None)
    _, hi = whole.data_bounds()
    if hi is None:
        raise CanyuError(
            f"{session.workspace.path} has no events to plan from; import data first",
            message_zh=f"{session.workspace.path} 没有可用于制定计划的事件；请先导入数据",
        )
    end = _local_date(hi, session.timezone)
    return Period(end - dt.timedelta(days=days - 1), end)


def _name(channel: str | None) -> Text:
    if channel is None:
        return ("all channels", "全渠道")
    info = vocab.CHANNEL_INFO.get(channel)
    return (info.name_en, info.name_zh) if info else (channel, channel)


def _evidence(
    findings: Sequence[Finding], channel: str | None, section: str, prefixes: Sequence[str] = ()
) -> dict[str, str]:
    for f in findings:
        ch = f.key.split(":", 1)[1] if ":" in f.key else None
        if f.severity == "info":
            continue
        if (channel is not None and ch == channel) or any(f.key.startswith(p) for p in prefixes):
            return {"finding": f.key, "section": f.section or section}
    return {"finding": "", "section": section}


@dataclass
class _Ctx:
    base: AnalysisSession
    strategy: Strategy
    start: dt.date
    end: dt.date
    days: int
    base_days: int
    orders: float
    people: float
    seed_fees: tuple[float, float] = (500.0, 5.0)

    @property
    def conv_rate(self) -> Effect:
        """Orders per active person in the baseline (Wilson interval)."""
        return _wilson(self.orders, self.people)


def _kpi(
    ctx: _Ctx,
    metric: str,
    channel: str | None,
    label: Text,
    effect: Effect,
    *,
    of: Text = ("", ""),
    kind: str = "count",
    better: str = "higher",
    subject: str = "",
    target: float | None = None,
    baseline: float | None = None,
) -> KPI:
    if baseline is None:
        try:
            baseline = measure(ctx.base, metric, channel, subject)
        except CanyuError:
            baseline = 0.0
    if baseline != baseline:  # NaN: nothing measured
        baseline = 0.0
    scale = ctx.days / ctx.base_days if kind == "count" else 1.0
    base = baseline * scale
    tgt = target if target is not None else base + effect.mean
    return KPI(metric, channel, float(baseline), float(tgt), effect, label, of, kind, better, subject)


def _order_value(hit: Mapping[str, Any]) -> float:
    """A hit's revenue per order in the baseline."""
    return float(hit.get("revenue", 0.0)) / hit["orders"] if hit.get("orders") else 0.0


def _shop_order_value(hit: Mapping[str, Any]) -> float:
    """The shop's revenue per order in the baseline (every product), from a hit's record."""
    return float(hit.get("of_revenue", 0.0)) / hit["of_orders"] if hit.get("of_orders") else math.inf


def _tasks(ctx: _Ctx, split: BudgetSplit, budget: float, objective: str) -> list[Task]:
    s = ctx.strategy
    findings = s.findings
    out: list[Task] = []
    start, end = ctx.start, ctx.end
    spend = _frame(ctx.base, "spend")
    spend_rows = {str(r["channel"]): r for r in spend.to_dict("records")} if len(spend) else {}
    broadcast = [ch for ch, r in s.layout.items() if r.role == "broadcast" and r.has_data]
    roles_res = safe_run(ctx.base, "roles")
    active: dict[str, int] = {}
    if roles_res is not None and "active_people" in roles_res.metrics:
        active = {
            str(r.channel): int(r.active_people or 0) for r in roles_res.metrics.itertuples(index=False)
        }
    lead: str | None = (
        max(broadcast, key=lambda c: (active.get(c, 0), c))
        if broadcast
        else next(iter(sorted(s.layout)), None)
    )

    # money: seeds, nodes, paid
    seeds_res = None
    seed_channel = None
    for ch in ["weibo", *broadcast]:
        if ch not in s.layout:
            continue
        seeds_res = safe_run(
            ctx.base,
            "seeds",
            channel=ch,
            budget=max(budget * SEED_SHARE, 1.0),
            base_cost=ctx.seed_fees[0],
            cost_per_follower=ctx.seed_fees[1],
        )
        if seeds_res is not None:
            seed_channel = ch
            break
    # in fen, so that the three parts add up to the budget exactly
    budget_fen = round(budget * 100)
    seed_fen = round(float(seeds_res.cost) * 100) if seeds_res is not None and seeds_res.seeds else 0
    node_fen = round(budget_fen * NODE_SHARE) if (s.nodes or s.interactions) and lead else 0
    seed_money, node_money = seed_fen / 100, node_fen / 100
    paid_money = (budget_fen - seed_fen - node_fen) / 100
    alloc = {k: v for k, v in split.allocation.items() if v > 0}
    if not alloc and paid_money > 0:
        targets = broadcast or ([lead] if lead else [])
        alloc = {c: 1.0 for c in targets}
        if not alloc:  # nothing to pay for: hold it as one ads reserve task on all channels
            alloc = {"": 1.0}

    # -- paid promotion (投放) per channel
    cpy = {"conversions": "orders", "revenue": "revenue", "activity": "new_followers"}[objective]
    paid_channels = sorted(alloc)
    paid_budgets = _split_fen(paid_money, [alloc[c] for c in paid_channels]) if paid_money > 0 else []
    for ch, b in zip(paid_channels, paid_budgets, strict=True):
        r = spend_rows.get(ch)
        cost = float(r["cost"]) if r else 0.0
        orders_rate = _poisson_rate(float(r["orders"]) if r else 0.0, cost) if cost > 0 else ZERO
        conv = orders_rate.scaled(b)
        metric = {"conversions": "channel_orders", "revenue": "channel_revenue", "activity": "new_followers"}[
            objective
        ]
        unit_rate = _poisson_rate(float(r[cpy]) if r else 0.0, cost) if cost > 0 else ZERO
        base_units = float(r[cpy]) if r else 0.0
        # the new spend replaces last period's: the target is what it buys at the measured rate
        expected = unit_rate.scaled(b)
        effect = Effect(expected.mean - base_units, expected.lo - base_units, expected.hi - base_units)
        label = {
            "conversions": ("orders attributed to the channel", "归因到该渠道的订单"),
            "revenue": ("revenue attributed to the channel (yuan)", "归因到该渠道的销售额（元）"),
            "activity": ("new followers on the channel", "该渠道新增粉丝"),
        }[objective]
        chan = ch or None
        out.append(
            Task(
                key=f"paid:{ch or 'reserve'}",
                kind="paid",
                title=(
                    f"Paid promotion on {_name(chan)[0]}: {b:,.0f} yuan over {ctx.days} days",
                    f"{_name(chan)[1]}推广投放：{ctx.days} 天共 {b:,.0f} 元",
                ),
                channel=chan,
                owner="ads",
                start=start,
                due=end,
                budget=b,
                kpi=_kpi(
                    ctx,
                    metric,
                    chan,
                    label,
                    effect,
                    of=(
                        f"of {int(ctx.orders):,} orders in the baseline",
                        f"基线期 {int(ctx.orders):,} 笔订单中",
                    ),
                    baseline=base_units,
                    target=expected.mean,
                ),
                conversions=conv,
                evidence=_evidence(findings, chan, "spend", ("spend", "roas")),
                detail={"per_day": round(b / ctx.days, 2), "split_source": split.source},
            )
        )

    # -- word of mouth (seeds)
    if seeds_res is not None and seeds_res.seeds and seed_channel:
        day = start + dt.timedelta(days=min(3, ctx.days - 1))
        reach = float(seeds_res.spread)
        nodes = max(int(seeds_res.nodes), 1)
        frac = min(reach / nodes, 1.0)
        se = nodes * math.sqrt(frac * (1 - frac) / max(seeds_res.rr_sets, 1))
        reach_eff = Effect(reach, max(reach - 1.645 * se, 0.0), reach + 1.645 * se)
        rate = ctx.conv_rate
        conv = Effect(reach * rate.mean, reach_eff.lo * rate.lo, reach_eff.hi * rate.hi)
        costs = list(seeds_res.costs) or [0.0] * len(seeds_res.seeds)
        seeds = [
            {
                "account": a,
                "fee": round(float(c), 2),
                "expected_reach": round(float(g), 2),
                "expected_orders": round(float(g) * rate.mean, 4),
            }
            for a, g, c in zip(seeds_res.seeds, seeds_res.gains, costs, strict=False)
        ]
        out.append(
            Task(
                key=f"seeding:{seed_channel}",
                kind="seeding",
                title=(
                    f"Word-of-mouth event on {_name(seed_channel)[0]}: engage {len(seeds)} seed accounts",
                    f"{_name(seed_channel)[1]}口碑事件：邀请 {len(seeds)} 个种子账号",
                ),
                channel=seed_channel,
                owner="ops",
                start=day,
                due=min(day + dt.timedelta(days=7), end),
                budget=round(seed_money, 2),
                kpi=_kpi(
                    ctx,
                    "active_people",
                    seed_channel,
                    ("active people on the channel", "该渠道活跃人数"),
                    reach_eff,
                    of=(f"of {nodes:,} people in its follow graph", f"关注网络 {nodes:,} 人中"),
                ),
                conversions=conv,
                evidence=_evidence(findings, seed_channel, "seeds", ("viral", "wom", "cascade")),
                detail={"seeds": seeds, "expected_reach": round(reach, 2), "method": seeds_res.method},
            )
        )

    # -- participation nodes and interaction designs
    camp = safe_run(ctx.base, "campaigns")
    per_campaign = ZERO
    part = ZERO
    if camp is not None and len(camp):
        extra = (camp["conversion_lift"].fillna(0) * camp["participants"]).clip(lower=0)
        per_campaign = Effect(float(extra.mean()), float(extra.min()), float(extra.max()))
        p = camp["participants"].astype(float)
        part = Effect(float(p.mean()), float(p.min()), float(p.max()))
    node_items: list[tuple[str, Text, dt.date, dt.date, str, dict[str, Any], Effect, Effect]] = []
    for n in s.nodes:
        node_items.append(
            (
                f"node:{n.key}",
                (f"Participation node: {n.name[0]}", f"参与节点：{n.name[1]}"),
                n.start,
                n.day,
                "participation_node",
                {"day": n.day.isoformat(), "kind": n.kind},
                part,
                per_campaign,
            )
        )
    for i in s.interactions:
        # at the period's start: the activity lift it is chosen for stays with those who took part, so
        # the earlier it runs the more of the period it works in (it used to sit mid-period)
        mid = start
        node_items.append(
            (
                f"interaction:{i['campaign_id']}",
                (
                    f"Interaction design: run '{i['name']}' again (activity lift {i['activity_lift']:.2f}x)",
                    f"互动设计：再办「{i['name']}」（活跃提升 {i['activity_lift']:.2f} 倍）",
                ),
                mid,
                min(mid + dt.timedelta(days=6), end),
                "interaction",
                dict(i),
                _poisson_rate(float(i["participants"]), 1.0),
                _poisson_rate(float(i["participants"]), 1.0).scaled(max(float(i["conversion_lift"]), 0.0)),
            )
        )
    node_budgets = _split_fen(node_money, [1.0] * len(node_items))
    for (key, title, first, last, kind, detail, people_eff, conv_eff), money in zip(
        node_items, node_budgets, strict=True
    ):
        out.append(
            Task(
                key=key,
                kind="node" if kind == "participation_node" else "interaction",
                title=title,
                channel=lead,
                owner="ops" if kind == "participation_node" else "content",
                start=max(first, start),
                due=min(max(last, first), end),
                budget=money,
                kpi=_kpi(
                    ctx,
                    "active_people",
                    lead,
                    ("active people on the channel", "该渠道活跃人数"),
                    people_eff,
                    of=("people active on the channel in the baseline", "基线期该渠道活跃人数"),
                ),
                conversions=conv_eff,
                evidence=_evidence(findings, None, "campaigns", ("campaign", "interaction", "node")),
                detail=detail,
            )
        )

    # -- own media cadence (内容)
    for ch, c in sorted(s.cadence.items()):
        if not s.layout[ch].has_data and c["now"] == 0 and ch not in ("forum",):
            continue
        added = max(c["target"] - c["now"], 0.0) * ctx.days
        row = spend_rows.get(ch)
        posts_base = c["now"] * ctx.base_days
        per_post = _poisson_rate(float(row["orders"]) if row else 0.0, posts_base) if posts_base > 0 else ZERO
        out.append(
            Task(
                key=f"content:{ch}",
                kind="content",
                title=(
                    f"Own media on {_name(ch)[0]} ({c['role']}): {c['target']:.1f} posts a day (now {c['now']:.1f})",
                    f"{_name(ch)[1]}自媒体（{vocab.CHANNEL_ROLES[c['role']]}）：每天 {c['target']:.1f} 条（现为 {c['now']:.1f}）",
                ),
                channel=ch,
                owner="content",
                start=start,
                due=end,
                budget=0.0,
                kpi=_kpi(
                    ctx,
                    "posts_per_day",
                    ch,
                    ("brand posts per day", "品牌每日发布条数"),
                    Effect(c["target"] - c["now"], c["target"] - c["now"], c["target"] - c["now"]),
                    kind="level",
                    target=c["target"],
                    baseline=c["now"],
                    of=("posts per day in the baseline", "基线期每日发布数"),
                ),
                conversions=per_post.scaled(added),
                evidence=_evidence(findings, ch, "content", ("agenda", "content")),
                detail={"topic_mix": s.topic_mix, "role": c["role"]},
            )
        )

    # -- channel role repairs (the layout kept a role the data say the channel does not play)
    for ch, r in s.layout.items():
        if r.evidence and r.role != r.measured_role:
            out.append(
                Task(
                    key=f"repair:{ch}",
                    kind="repair",
                    title=(
                        f"Repair {_name(ch)[0]}'s role: make it play {r.role}",
                        f"修复{_name(ch)[1]}的角色：让它承担「{vocab.CHANNEL_ROLES[r.role]}」",
                    ),
                    channel=ch,
                    owner="ops",
                    start=start,
                    due=min(start + dt.timedelta(days=13), end),
                    budget=0.0,
                    kpi=_kpi(
                        ctx,
                        "active_people",
                        ch,
                        ("active people on the channel", "该渠道活跃人数"),
                        ZERO,
                        of=("people active on the channel in the baseline", "基线期该渠道活跃人数"),
                    ),
                    conversions=ZERO,
                    evidence={"finding": r.evidence, "section": "roles"},
                )
            )

    # -- service (客服)
    rate = ctx.conv_rate
    for sv in s.service:
        ch = sv["channel"]
        msgs = sv["messages"] * ctx.days / ctx.base_days
        gain = max(sv["target_rate"] - (sv["answer_rate"] or 0.0), 0.0) * msgs
        base_min = sv["median_minutes"]
        out.append(
            Task(
                key=f"service:{ch}",
                kind="service",
                title=(
                    f"Service on {_name(ch)[0]}: first reply within {sv['target_minutes']:.0f} minutes (median), "
                    f"answer {sv['target_rate']:.0%} of messages",
                    f"{_name(ch)[1]}客服：首次回复中位数不超过 {sv['target_minutes']:.0f} 分钟，回复率 {sv['target_rate']:.0%}",
                ),
                channel=ch,
                owner="service",
                start=start,
                due=end,
                budget=0.0,
                kpi=_kpi(
                    ctx,
                    "reply_minutes",
                    ch,
                    ("median first-reply minutes", "首次回复时长中位数（分钟）"),
                    Effect(
                        sv["target_minutes"] - (base_min or 0.0),
                        sv["target_minutes"] - (base_min or 0.0),
                        sv["target_minutes"] - (base_min or 0.0),
                    ),
                    kind="level",
                    better="lower",
                    target=sv["target_minutes"],
                    baseline=base_min if base_min is not None else math.nan,
                    of=(
                        f"over {sv['answered']:,} answered of {sv['messages']:,} messages",
                        f"基于 {sv['messages']:,} 条消息中已回复的 {sv['answered']:,} 条",
                    ),
                ),
                conversions=rate.scaled(gain),
                evidence=_evidence(findings, ch, "service", ("service", "reply")),
                detail={"target_rate": sv["target_rate"], "answer_rate": sv["answer_rate"]},
            )
        )

    # -- community (社群)
    for cm in s.community:
        ch = cm["channel"]
        add = max(cm["target_members"] - cm["members"], 0)
        out.append(
            Task(
                key=f"community:{ch}",
                kind="community",
                title=(
                    f"Grow the {_name(ch)[0]} group from {cm['members']:,} to {cm['target_members']:,} members",
                    f"{_name(ch)[1]}社群从 {cm['members']:,} 人发展到 {cm['target_members']:,} 人",
                ),
                channel=ch,
                owner="community",
                start=start,
                due=end,
                budget=0.0,
                kpi=_kpi(
                    ctx,
                    "members",
                    ch,
                    ("group members", "社群成员数"),
                    Effect(float(add), float(add), float(add)),
                    kind="level",
                    target=float(cm["target_members"]),
                    baseline=float(cm["members"]),
                    of=("members at the baseline's end", "基线期末成员数"),
                ),
                conversions=rate.scaled(add),
                evidence=_evidence(findings, ch, "community", ("community", "quiet")),
            )
        )

    # -- fans (做粉丝): stage targets
    stage_names = {
        "active_fan": ("active fans", "活跃粉丝"),
        "core_fan": ("core fans", "核心粉丝"),
        "advocate": ("advocates", "传播者"),
    }
    for fan in s.fans:
        name = stage_names.get(fan["stage"], (fan["stage"], fan["stage"]))
        add = max(fan["target"] - fan["people"], 0)
        out.append(
            Task(
                key=f"fans:{fan['stage']}",
                kind="fans",
                title=(
                    f"Fans: grow {name[0]} from {fan['people']:,} to {fan['target']:,} "
                    f"(of {fan['of_people']:,} people reached)",
                    f"做粉丝：{name[1]}从 {fan['people']:,} 人增长到 {fan['target']:,} 人（触达 {fan['of_people']:,} 人中）",
                ),
                channel=None,
                owner="ops" if fan["stage"] == "active_fan" else "community",
                start=start,
                due=end,
                budget=0.0,
                kpi=_kpi(
                    ctx,
                    "fan_stage",
                    None,
                    (f"people who are {name[0]}", f"{name[1]}人数"),
                    Effect(float(add), float(add), float(add)),
                    kind="level",
                    subject=fan["stage"],
                    target=float(fan["target"]),
                    baseline=float(fan["people"]),
                    of=(f"of {fan['of_people']:,} people reached", f"触达 {fan['of_people']:,} 人中"),
                ),
                conversions=rate.scaled(add),
                evidence=_evidence(findings, None, "lifecycle", ("lifecycle", "fan")),
                detail=dict(fan),
            )
        )

    # -- hits (爆品)
    conv_channel = next((ch for ch, r in s.layout.items() if r.role == "conversion" and r.has_data), lead)
    hits = s.hits[:2]
    if objective == "revenue":
        # pushing a hit shifts which product sells more than whether anyone buys, so for revenue only a
        # hit whose order value is at least the shop's average one is pushed (a cheap best seller would
        # lower the revenue per order)
        hits = [h for h in s.hits if _order_value(h) >= _shop_order_value(h)][:2]
    for h in hits:
        g = h["growth"] if h["growth"] is not None else 0.0
        base_orders = float(h["orders"])
        grow = max(min(g - 1.0, 1.0), 0.1) if g else 0.1
        eff = _poisson_rate(base_orders, 1.0).scaled(grow * ctx.days / ctx.base_days)
        out.append(
            Task(
                key=f"hit:{h['product_id']}",
                kind="hit",
                title=(
                    f"Push the hit {h['name']}: {h['orders']:,} of {h['of_orders']:,} orders in the baseline",
                    f"主推爆品 {h['name']}：基线期 {h['of_orders']:,} 笔订单中占 {h['orders']:,} 笔",
                ),
                channel=conv_channel,
                owner="ops",
                start=start,
                due=min(start + dt.timedelta(days=max(ctx.days // 2, 1)), end),
                budget=0.0,
                kpi=_kpi(
                    ctx,
                    "product_orders",
                    conv_channel,
                    (f"orders of {h['name']}", f"{h['name']} 的订单数"),
                    eff,
                    subject=h["product_id"],
                    baseline=base_orders,
                    of=(f"of {h['of_orders']:,} orders", f"共 {h['of_orders']:,} 笔订单中"),
                ),
                conversions=eff,
                evidence=_evidence(findings, None, "products", ("hit", "product")),
                detail=dict(h),
            )
        )
    return out


def _rank(tasks: list[Task], budget: float) -> list[Task]:
    """Priority by expected conversions per yuan; a task without a budget is priced at the plan's money
    per task (its staff time), so an unfunded task ranks first only when it is expected to bring as many
    conversions as a funded task with that budget."""
    per_task = budget / max(len(tasks), 1)
    tasks = [t if t.budget > 0 else replace(t, priced_at=per_task) for t in tasks]
    order = sorted(tasks, key=lambda t: (-t.conversions_per_yuan, -t.conversions.mean, t.key))
    n = len(order)
    out = []
    for i, t in enumerate(order):
        prio = "high" if i < math.ceil(n / 3) else "medium" if i < math.ceil(2 * n / 3) else "low"
        out.append(replace(t, rank=i + 1, priority=prio))
    return out


def levers_from_tasks(tasks: Sequence[Task], *, days: int, topic_mix: Mapping[str, float]) -> Levers:
    """The levers a plan's tasks set (documented in docs/plan.md)."""
    posts = {t.channel: float(t.kpi.target) for t in tasks if t.kind == "content" and t.channel}
    spend: dict[str, float] = {}
    for t in tasks:
        if t.kind == "paid" and t.channel:
            spend[t.channel] = spend.get(t.channel, 0.0) + t.budget / days
    seeds: list[Seed] = []
    campaigns: list[Campaign] = []
    for t in tasks:
        if t.kind == "seeding" and t.channel:
            fees = 0.0
            for s in t.detail.get("seeds", []):
                seeds.append(Seed(t.channel, str(s["account"]), float(s["fee"]), t.start))
                fees += float(s["fee"])
            campaigns.append(
                Campaign(
                    t.key, t.channel, t.start, t.due, "word_of_mouth", max(round(t.budget - fees, 2), 0.0)
                )
            )
        elif t.kind in ("node", "interaction") and t.channel:
            kind = "participation_node" if t.kind == "node" else "interaction"
            campaigns.append(Campaign(t.key, t.channel, t.start, t.due, kind, t.budget))
        elif t.kind == "hit" and t.channel:
            campaigns.append(Campaign(t.key, t.channel, t.start, t.due, "promotion", t.budget))
    reply_minutes = {t.channel: float(t.kpi.target) for t in tasks if t.kind == "service" and t.channel}
    reply_rate = {
        t.channel: float(t.detail.get("target_rate", 0.95))
        for t in tasks
        if t.kind == "service" and t.channel
    }
    return Levers(
        posts_per_day=posts,
        spend_per_day=spend,
        topic_mix=dict(topic_mix),
        seeds=tuple(seeds),
        reply_minutes=reply_minutes,
        reply_rate=reply_rate,
        campaigns=tuple(campaigns),
    )


def _period_of(period: Period | str, today: dt.date | None) -> Period:
    p = period if isinstance(period, Period) else Period.parse(period, today=today)
    if p.start is None or p.end is None:
        raise InvalidArgumentError(
            "period",
            period if isinstance(period, str) else p.label("en"),
            "next-Nd, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD",
            reason_zh="计划周期需要明确的起止日期（next-Nd、YYYY-MM 或 YYYY-MM-DD..YYYY-MM-DD）",
        )
    return p


def build_plan(
    session: AnalysisSession,
    *,
    period: Period | str = "next-30d",
    budget: float = 100_000.0,
    objective: str = "conversions",
    today: dt.date | None = None,
    seed_fees: tuple[float, float] = (500.0, 5.0),
) -> Plan:
    """A dated action plan for ``period`` with ``budget`` yuan, optimising ``objective``.

    Parameters
    ----------
    session
        Any session of the workspace; the baseline is the last days of its data, as many as the
        plan's period has.
    period
        ``next-30d`` (from ``today``), ``2026-12`` (a month), ``YYYY-MM-DD..YYYY-MM-DD`` or a Period.
    budget
        Yuan for the period (all of it goes to tasks; their budgets add up to it to the fen).
    objective
        ``conversions``, ``revenue`` or ``activity``: what paid spend is split by.
    seed_fees
        A word-of-mouth seed's fee: yuan per account plus yuan per follower (the ``seeds`` analysis's
        ``base_cost`` and ``cost_per_follower``); the seeds are chosen by IMM under the seeding budget.
    """
    if objective not in OBJECTIVES:
        raise InvalidArgumentError("objective", objective, OBJECTIVES, reason_zh=f"目标 {objective!r} 无效")
    if (
        isinstance(budget, bool)
        or not isinstance(budget, int | float)
        or not math.isfinite(budget)
        or budget < 0
    ):
        raise InvalidArgumentError(
            "budget", budget, "a number of yuan >= 0", reason_zh=f"预算 {budget!r} 无效，应为不小于 0 的金额"
        )
    p = _period_of(period, today)
    days = int(p.days or 1)
    base_period = baseline_period(session, days)
    base = session.with_period(base_period)
    strategy = build_strategy(base, period_start=p.start, period_end=p.end)  # type: ignore[arg-type]
    ev = base.events()
    orders = float(base.count(ev.filter(ev.action.isin(list(base.conversion_actions)))))
    people_df = base.to_pandas(ev.aggregate(n=ev.person_id.nunique()))
    people = float(people_df["n"].iloc[0] or 0) if len(people_df) else 0.0
    ctx = _Ctx(
        base,
        strategy,
        p.start,  # type: ignore[arg-type]
        p.end,  # type: ignore[arg-type]
        days,
        days,
        orders,
        people,
        (float(seed_fees[0]), float(seed_fees[1])),
    )
    paid_total = budget
    split = budget_split(base, total=max(paid_total, 1.0), objective=objective)
    tasks = _rank(_tasks(ctx, split, float(budget), objective), float(budget))
    levers = levers_from_tasks(tasks, days=days, topic_mix=strategy.topic_mix)
    notes = list(strategy.notes)
    notes.append(
        (
            f"baseline: {base_period.label('en')}, {int(orders):,} orders among {int(people):,} active people",
            f"基线期：{base_period.label('zh-CN')}，{int(people):,} 名活跃用户产生 {int(orders):,} 笔订单",
        )
    )
    return Plan(
        brand=session.config.brand,
        period=p,
        baseline=base_period,
        budget=round(float(budget), 2),
        objective=objective,
        currency=session.currency,
        timezone=session.timezone,
        tasks=tuple(sorted(tasks, key=lambda t: (t.start, t.rank))),
        levers=levers,
        split=split,
        strategy=strategy.to_dict(session.locale)
        | {"layout_en": [r.to_dict("en") for r in strategy.layout.values()]},
        created=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        notes=tuple(notes),
    )


# -- tracking ----------------------------------------------------------------------------
@dataclass(frozen=True)
class KpiStatus:
    """One task's KPI measured over the tracked days against what it should be by now."""

    task: Task
    actual: float
    expected_by_now: float
    on_track: bool

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        return {
            "task": self.task.key,
            "title": self.task.to_dict(locale)["title"],
            "metric": self.task.kpi.metric,
            "channel": self.task.kpi.channel,
            "baseline": self.task.kpi.baseline,
            "target": self.task.kpi.target,
            "expected_by_now": round(self.expected_by_now, 4),
            "actual": None if self.actual != self.actual else round(self.actual, 4),
            "on_track": self.on_track,
        }


@dataclass(frozen=True)
class TrackResult:
    plan: Plan
    tracked: Period
    elapsed_days: int
    statuses: tuple[KpiStatus, ...]
    revised: Plan | None

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        return {
            "plan_period": self.plan.period.to_dict(),
            "tracked": self.tracked.to_dict(),
            "elapsed_days": self.elapsed_days,
            "on_track": sum(s.on_track for s in self.statuses),
            "of_tasks": len(self.statuses),
            "kpis": [s.to_dict(locale) for s in self.statuses],
            "revised": self.revised.to_dict(locale) if self.revised else None,
        }


def track(session: AnalysisSession, plan: Plan, *, today: dt.date | None = None) -> TrackResult:
    """Each KPI's actual over the plan's days that have data, against its target; a revised plan.

    A count KPI is on track when its actual reaches its target's share for the elapsed days
    (``target * elapsed / period days``); a level KPI when it is at or past its target in the
    better direction. The revised plan covers the days left with the budget not yet due.
    """
    assert plan.period.start and plan.period.end
    _, hi = session.with_period(None).data_bounds()
    last = _local_date(hi, session.timezone) if hi is not None else plan.period.start - dt.timedelta(days=1)
    end = min(last, plan.period.end)
    if end < plan.period.start:
        raise CanyuError(
            f"no data yet in the plan's period {plan.period.label('en')} (data end {last}); import new data first",
            message_zh=f"计划周期 {plan.period.label('zh-CN')} 内尚无数据（数据截至 {last}）；请先导入新数据",
        )
    tracked = Period(plan.period.start, end)
    elapsed = int(tracked.days or 0)
    s = session.with_period(tracked)
    statuses = []
    for t in plan.tasks:
        k = t.kpi
        try:
            actual = measure(s, k.metric, k.channel, k.subject)
        except CanyuError:
            actual = math.nan
        expected = k.target * elapsed / max(plan.days, 1) if k.kind == "count" else k.target
        if actual != actual:
            ok = False
        elif k.better == "lower":
            ok = actual <= expected + 1e-9
        else:
            ok = actual >= expected - 1e-9
        statuses.append(KpiStatus(t, float(actual), float(expected), bool(ok)))
    revised = None
    if end < plan.period.end:
        left = Period(end + dt.timedelta(days=1), plan.period.end)
        money = round(plan.budget * (left.days or 0) / max(plan.days, 1), 2)
        revised = build_plan(session, period=left, budget=money, objective=plan.objective, today=today)
    return TrackResult(plan, tracked, elapsed, tuple(statuses), revised)
