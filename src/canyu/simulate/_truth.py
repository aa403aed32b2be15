"""The ground truth of a simulation: ``truth.json``, ``truth_people.parquet`` and ``truth_edges.parquet``.

What only the simulator knows (each person's lifecycle stage, the true spread
probability of every tried edge, the channels' true effects and roles), judged
on its own events before identities are lost to channel-scoped ids.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from canyu.simulate._engine import ACTIONS, DAY, Simulation
from canyu.simulate._ids import ChannelIds
from canyu.simulate._text import TOPICS
from canyu.simulate._world import CHANNELS, GRAPH_OF

__all__ = ["STAGES", "lifecycle", "paid_value", "spend_truth", "truth", "write_truth_tables"]

STAGES = ("none", "exposed", "engaged", "follower", "active_fan", "core_fan", "advocate")
# Rows per Parquet row group (pyarrow's default); the truth tables are written this many rows at a time.
_ROW_GROUP = 1 << 20


def _unique(a: np.ndarray) -> np.ndarray:
    """Sorted unique values (sort-based: faster than numpy's hash-based unique on large integer arrays)."""
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def lifecycle(sim: Simulation, cols: dict[str, np.ndarray]) -> np.ndarray:
    """Each person's stage at the end of the period, by the rules in truth.json['lifecycle']['rules'].

    Judged on the simulator's own events (before identities are lost to channel-scoped ids),
    strictly before the end of the last day.
    """
    n, days = sim.world.n, sim.days
    A = {a: i for i, a in enumerate(ACTIONS)}
    cut = cols["t"] < days * DAY
    act, person, t = cols["act"][cut], cols["person"][cut], cols["t"][cut]
    ch, parent = cols["ch"][cut], cols["parent_person"][cut]
    del cut
    active = ~np.isin(act, [A["expose"], A["reply"]])
    engaged_ev = np.isin(act, [A[a] for a in ("like", "comment", "collect", "share", "message")])
    interactions = np.bincount(person[engaged_ev], minlength=n)
    del engaged_ev
    follower = np.zeros(n, dtype=bool)
    follower[person[act == A["follow"]]] = True  # nobody unfollows in the simulation
    recent = active & (t >= (days - 30) * DAY)
    span = days + 100  # days run from -30 (follows before the period) to days + 30 (late refunds)
    pd_key = _unique(person[recent].astype(np.int64) * span + t[recent] // DAY + 30)
    del recent
    active_days = np.bincount(pd_key // span, minlength=n)
    del pd_key
    community = np.isin(ch, [CHANNELS.index("forum"), CHANNELS.index("wecom")])
    member = np.zeros(n, dtype=bool)
    for code in (CHANNELS.index("forum"), CHANNELS.index("wecom")):
        on = ch == code
        last_join = np.full(n, -(10**12))
        last_leave = np.full(n, -(10**12))
        np.maximum.at(last_join, person[on & (act == A["join"])], t[on & (act == A["join"])])
        np.maximum.at(last_leave, person[on & (act == A["leave"])], t[on & (act == A["leave"])])
        member |= last_join > last_leave
    posted = np.zeros(n, dtype=bool)
    posted[person[community & (act == A["post"])]] = True
    led = active & (parent >= 0) & (parent != person)
    advocate = np.zeros(n, dtype=bool)
    advocate[parent[led]] = True
    stage = np.zeros(n, dtype=np.int8)
    stage[person] = 1
    stage[interactions > 0] = 2
    stage[follower] = 3
    stage[follower & (active_days >= 3)] = 4
    stage[follower & (posted | member | (interactions >= 10))] = 5
    stage[advocate] = 6
    return stage


def truth(
    sim: Simulation,
    stage: np.ndarray,
    ids: ChannelIds,
    *,
    seed: int,
    start: dt.date,
    dirty_rows: dict[str, int],
) -> dict[str, Any]:
    """The contents of ``truth.json``."""
    w, sc = sim.world, sim.scenario
    edges = {
        g: {
            "mean_p": float(graph.p.mean()) if len(graph.p) else 0.0,
            "edges": len(graph.p),
            "nodes_with_audience": int((graph.degree() > 0).sum()),
        }
        for g, graph in w.graphs.items()
    }
    koc_weibo = w.koc[w.member["weibo"][w.koc]][:500]
    return {
        "seed": seed,
        "scenario": sc.name,
        "description": sc.description,
        "people": w.n,
        "days": sim.days,
        "start": start.isoformat(),
        "timezone": "Asia/Shanghai",
        "events": int(sim.log.n),
        "channel_effects": {
            "definition": "extra daily purchase probability of a person touched (viewed, engaged, messaged, posted) on the "
            "channel in the last 7 days; additive over channels",
            "base_daily_purchase": sc.base_purchase,
            "effects": {ch: sc.channels[ch].effect for ch in sc.channels},
        },
        "channel_roles": dict(sc.true_roles),
        "spread": {
            "model": "independent cascade: a sharer's audience (followers, or friends) each share on with the edge's "
            "probability p (boosted during the launch/word-of-mouth campaigns); others open the share without "
            "passing it on with probability 0.12",
            "graphs": edges,
            "edge_probabilities_file": "truth_edges.parquet",
            "best_seeds": _best_seeds(sim, ids),
            "launch_share_boost": sc.launch_share_boost,
            "kol": {
                _first_channel(g): ids.of(_first_channel(g), v[:50]).to_pylist() for g, v in w.kol.items()
            },
            "koc_weibo_ids": ids.of("weibo", koc_weibo).to_pylist(),
        },
        "agenda": {
            "lag_days": sc.agenda_lag_days,
            "strength": sc.agenda_strength,
            "direction": sim.agenda.direction,
            "topics": list(TOPICS),
            "definition": "brand_leads: the audience's daily topic salience is (1 - strength) * its own agenda + "
            "strength * the brand's topic shares lag_days earlier; audience_leads: the brand's posting weights are "
            "(1 - strength) * its plan + strength * the audience's salience lag_days earlier; none: strength 0",
            "texts_file": "truth_texts.parquet",
        },
        "crisis": (
            {
                "start_day": sc.crisis_start,
                "days": sc.crisis_days,
                "topic": sc.crisis_topic,
                "positive_share": sc.crisis_positive_share,
                "start": (start + dt.timedelta(days=sc.crisis_start)).isoformat(),
            }
            if sc.crisis_start >= 0
            else None
        ),
        "lifecycle": {
            "stages": list(STAGES),
            "rules": {
                "exposed": "any event before the end of the period",
                "engaged": "a like, comment, collect, share or message",
                "follower": "follows the brand on a channel (a follow event, from before the period too)",
                "active_fan": "follower active (any action but expose and reply) on >= 3 distinct local days in the last 30",
                "core_fan": "follower who posted in or is a member of the forum or a WeCom group, or made >= 10 interactions",
                "advocate": "someone else acted (any action but expose and reply) on an event naming this person as parent",
            },
            "counts": {s: int((stage == i).sum()) for i, s in enumerate(STAGES)},
            "per_person_file": "truth_people.parquet",
        },
        "products": {
            "hit_products": [w.product_names[i] for i in w.hit_products],
            "launch_day": sc.launch_day,
        },
        "campaigns": [
            {k: (list(v) if isinstance(v, tuple) else v) for k, v in c.items()} for c in sim.campaigns
        ],
        "dirty_rows": dirty_rows,
        "spend": spend_truth(sim, first_day=sim.start_day),
        "brand_emphasis": np.round(sim.brand_emphasis, 4).tolist(),
        "public_salience": np.round(sim.public_salience, 4).tolist(),
    }


def true_weibo_graph(sim: Simulation) -> Any:
    """The true Weibo graph as an influence graph (``canyu.analytics.influence.InfluenceGraph``): an edge
    from each person to each member of their audience, with the true share probability; None when the
    graph has no edges. Node labels are the people's indices; a node's out-degree is its followers."""
    import pandas as pd

    from canyu.analytics.influence import graph_from_edges

    g = sim.world.graphs["weibo"]
    if len(g.audience) == 0:
        return None
    src = np.repeat(np.arange(sim.world.n, dtype=np.int64), g.degree())
    edges = pd.DataFrame({"source": src, "target": g.audience.astype(np.int64), "p": g.p.astype(np.float64)})
    return graph_from_edges(edges, probability="p")


def _best_seeds(sim: Simulation, ids: ChannelIds, *, k: int = 10, max_nodes: int = 300_000) -> dict[str, Any]:
    """The best seed set of size ``k`` on Weibo under the true IC model, by IMM (Tang, Shi, Xiao 2015).

    Skipped (and said so) for graphs of more than ``max_nodes`` members, where the reverse-reachable
    sets would cost more time and memory than the rest of the simulation.
    """
    from canyu.analytics.influence import imm

    g = sim.world.graphs["weibo"]
    members = int(sim.world.member["weibo"].sum())
    if len(g.audience) == 0:
        return {"k": k, "seeds": [], "spread": 0.0}
    if members > max_nodes:
        return {"k": k, "seeds": [], "skipped": f"{members:,} Weibo members > {max_nodes:,}; run canyu seeds"}
    result = imm(true_weibo_graph(sim), k=k, model="ic", epsilon=0.2, seed=7)
    return {
        "k": k,
        "channel": "weibo",
        "method": "IMM, epsilon 0.2",
        "seeds": [ids.one("weibo", int(s)) for s in result.seeds],
        "spread": round(float(result.spread), 3),
    }


def _first_channel(graph: str) -> str:
    return {"wechat": "wechat_oa"}.get(graph, graph)


def _batches(sizes: np.ndarray, limit: int) -> list[slice]:
    """Runs of consecutive items whose sizes add up to about ``limit`` (at most one item more)."""
    if len(sizes) == 0:
        return []
    cum = np.cumsum(sizes)
    cuts = np.searchsorted(cum, np.arange(limit, int(cum[-1]), limit), side="right")
    bounds = np.unique(np.r_[0, cuts, len(sizes)])
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def write_truth_tables(
    sim: Simulation, stage: np.ndarray, ids: ChannelIds, cols: dict[str, np.ndarray], out: Path
) -> None:
    """``truth_people.parquet`` (each person's ids, stage, activity, KOC flag) and ``truth_edges.parquet``.

    Both written a row group at a time, so memory does not grow with the population or the graphs.
    """
    w = sim.world
    is_koc = np.zeros(w.n, dtype=bool)
    is_koc[w.koc] = True
    stages = pa.array(STAGES, pa.string())
    writer: pq.ParquetWriter | None = None
    for lo in range(0, max(w.n, 1), _ROW_GROUP):
        who = np.arange(lo, min(lo + _ROW_GROUP, w.n))
        people = {f"id_{ch}": ids.of(ch, who) for ch in CHANNELS}
        people["stage"] = stages.take(pa.array(stage[who]))
        people["activity"] = pa.array(w.activity[who])
        people["is_koc"] = pa.array(is_koc[who])
        table = pa.table(people)
        if writer is None:
            writer = pq.ParquetWriter(out / "truth_people.parquet", table.schema, use_dictionary=["stage"])
        writer.write_table(table)
    if writer is not None:
        writer.close()

    shares = np.flatnonzero(cols["act"] == ACTIONS.index("share"))
    share_ch, share_person = cols["ch"][shares], cols["person"][shares]
    schema = pa.schema(
        [("channel", pa.string()), ("sharer", pa.string()), ("audience", pa.string()), ("p", pa.float32())]
    )
    with pq.ParquetWriter(out / "truth_edges.parquet", schema, use_dictionary=["channel"]) as edges:
        for gname, g in w.graphs.items():
            chan = _first_channel(gname)
            # the edges that were tried: out of people who shared on a channel that spreads over this graph
            on_graph = np.isin(share_ch, [CHANNELS.index(c) for c, gg in GRAPH_OF.items() if gg == gname])
            shared = np.zeros(w.n, dtype=bool)
            shared[share_person[on_graph]] = True
            sharers = np.flatnonzero(shared & (np.diff(g.indptr) > 0))
            sharer_ids = ids.all(chan)  # taken in person order (the audience's ids are not: made by ``of``)
            degree = np.diff(g.indptr)[sharers]
            for part in _batches(degree, _ROW_GROUP):
                batch, counts = sharers[part], degree[part]
                starts = g.indptr[batch]
                offsets = np.repeat(starts - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(
                    counts.sum()
                )
                edges.write_table(
                    pa.table(
                        {
                            "channel": pa.repeat(chan, len(offsets)),
                            "sharer": sharer_ids.take(pa.array(np.repeat(batch, counts))),
                            "audience": ids.of(chan, g.audience[offsets]),
                            "p": pa.array(g.p[offsets].astype(np.float32)),
                        },
                        schema=schema,
                    )
                )


def paid_value(sim: Simulation, channel: str) -> dict[str, float]:
    """Expected revenue of one paid exposure on ``channel``, first order, from the true parameters.

    A paid exposure reaches a member who does not follow the brand, drawn uniformly; it becomes a view
    with probability ``clip(view * clip(K * interest in the post's topic, 0.2, 3), 0, 1)`` (averaged over
    the channel's non-following members and the brand's topic mix); a view raises the daily purchase
    probability by the channel's ``effect`` on that day and the 6 after (7 days), for people who can buy
    (shop or mini-program members); an order is worth the appeal-weighted mean price. Second-order paths
    (a paid viewer follows and sees later posts, shares and starts a cascade) and overlaps with other
    touches are left out: ``test_spend`` measures how far the counterfactual run is from this.
    """
    from canyu.simulate._world import SOCIAL

    w = sim.world
    prm = sim.state.channels[channel] if sim.state is not None else sim.scenario.channels[channel]
    members = w.member[channel]
    followers = np.zeros(w.n, dtype=bool)
    followers[sim.followers_end.get(channel, np.zeros(0, dtype=np.int64))] = True
    pool = np.flatnonzero(members & ~followers)
    if len(pool) == 0 or channel not in SOCIAL:
        return {"view": 0.0, "can_buy": 0.0, "order_value": 0.0, "revenue_per_exposure": 0.0}
    k = len(TOPICS)
    mix = sim.brand_emphasis.mean(axis=0) if len(sim.brand_emphasis) else np.full(k, 1.0 / k)
    mix = mix / mix.sum() if mix.sum() else np.full(k, 1.0 / k)
    aff = np.clip(k * w.interests[pool].astype(np.float64), 0.2, 3.0)
    p_view = float((np.clip(prm.view * aff, 0, 1) @ mix).mean())
    can_buy = float((w.member["ecommerce"] | w.member["mini_program"])[pool].mean())
    boost = np.ones(len(w.prices))
    days = max(sim.days, 1)
    launch = min(sim.scenario.launch_day, days - 1)
    boost_hit = boost.copy()
    boost_hit[w.hit_products[0]] = 3.0
    mean_before = float((w.prices * w.appeal).sum() / w.appeal.sum())
    mean_after = float((w.prices * w.appeal * boost_hit).sum() / (w.appeal * boost_hit).sum())
    order_value = (launch * mean_before + (days - launch) * mean_after) / days
    value = p_view * can_buy * 7 * prm.effect * order_value
    return {
        "view": round(p_view, 6),
        "can_buy": round(can_buy, 6),
        "order_value": round(order_value, 2),
        "revenue_per_exposure": round(value, 6),
    }


def spend_truth(sim: Simulation, *, first_day: int = 0) -> dict[str, Any]:
    """Each channel's true ROAS, marginal ROAS at its current spend and response curve (truth.json['spend']).

    Analytic, not counterfactual runs: the expected exposures a spend buys are known exactly (the curve
    ``paid_reach * members * sat(adstock)``), and each exposure's expected revenue is :func:`paid_value`.
    Re-running the world per channel and spend level would cost a simulation each and its difference would
    carry the purchase noise of hundreds of orders; ``tests/simulate/test_spend.py`` checks the analytic
    figures against such a counterfactual run (common random numbers) instead.
    """
    from canyu.simulate._engine import paid_curve
    from canyu.simulate._world import SOCIAL

    w = sim.world
    spend = sim.spend[first_day:]
    adstock = sim.adstock[first_day:]
    channels: dict[str, Any] = {}
    params = sim.state.channels if sim.state is not None else sim.scenario.channels
    for i, ch in enumerate(SOCIAL):
        prm = params[ch]
        members = int(w.member[ch].sum())
        value = paid_value(sim, ch)
        v = value["revenue_per_exposure"]
        total = float(spend[:, i].sum()) if len(spend) else 0.0
        mean = total / max(len(spend), 1)
        expected_exposures = float(paid_curve(prm, w.n, adstock[:, i]).sum() * members) if len(spend) else 0.0
        grid = np.round(np.linspace(0.0, 4.0, 17) * max(mean, prm.paid_half * w.n / 1000.0), 2)
        curve = paid_curve(prm, w.n, grid) * members * v
        h = max(mean, 1.0) * 1e-3
        marginal = float(
            (paid_curve(prm, w.n, mean + h) - paid_curve(prm, w.n, max(mean - h, 0.0))) * members * v
        )
        marginal /= mean + h - max(mean - h, 0.0)
        channels[ch] = {
            "spend": round(total, 2),
            "mean_daily_spend": round(mean, 2),
            "expected_paid_exposures": round(expected_exposures, 1),
            "paid_exposures": int(sim.paid_impressions[first_day:, i].sum()),
            "revenue": round(expected_exposures * v, 2),
            "roas": round(expected_exposures * v / total, 4) if total > 0 else None,
            "marginal_roas": round(marginal, 4) if prm.paid_reach > 0 else 0.0,
            "adstock": {"form": "geometric", "decay": prm.paid_decay},
            "saturation": {
                "form": prm.paid_curve,
                "half_daily_spend": round(prm.paid_half * w.n / 1000.0, 2),
                "shape": prm.paid_shape,
                "max_daily_reach": prm.paid_reach,
                "members": members,
            },
            "value_per_exposure": value,
            "response_curve": {
                "daily_spend": grid.tolist(),
                "daily_revenue": np.round(curve, 2).tolist(),
            },
        }
    return {
        "definition": "paid spend per day and channel (always-on promotion plus campaign budgets) is carried "
        "over by geometric adstock a_t = decay * a_(t-1) + (1 - decay) * spend_t (steady spend s gives a = s) and "
        "buys max_daily_reach * members * sat(a_t) exposures a day (Hill a^s / (a^s + half^s) or logistic "
        "(1 - e^(-l a)) / (1 + e^(-l a)), l = ln 3 / half) of the channel's latest post to members who do not "
        "follow the brand; they convert through the same view / engage / follow / purchase chain as organic "
        "exposures. roas = expected revenue of the period's paid exposures / spend; marginal_roas = d revenue / d "
        "daily spend at the mean daily spend (steady state); response_curve = steady-state daily revenue at each "
        "daily spend. Revenue per exposure is first order (value_per_exposure): see docs/simulate.md",
        "method": "analytic: exact expected exposures of the spend path x expected revenue per exposure",
        "file": "spend.csv",
        "channels": channels,
    }
