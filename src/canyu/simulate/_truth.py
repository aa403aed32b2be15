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

__all__ = ["STAGES", "lifecycle", "truth", "write_truth_tables"]

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
        "brand_emphasis": np.round(sim.brand_emphasis, 4).tolist(),
        "public_salience": np.round(sim.public_salience, 4).tolist(),
    }


def _best_seeds(sim: Simulation, ids: ChannelIds, *, k: int = 10, max_nodes: int = 300_000) -> dict[str, Any]:
    """The best seed set of size ``k`` on Weibo under the true IC model, by IMM (Tang, Shi, Xiao 2015).

    Skipped (and said so) for graphs of more than ``max_nodes`` members, where the reverse-reachable
    sets would cost more time and memory than the rest of the simulation.
    """
    import pandas as pd

    from canyu.analytics.influence import graph_from_edges, imm

    g = sim.world.graphs["weibo"]
    members = int(sim.world.member["weibo"].sum())
    if len(g.audience) == 0:
        return {"k": k, "seeds": [], "spread": 0.0}
    if members > max_nodes:
        return {"k": k, "seeds": [], "skipped": f"{members:,} Weibo members > {max_nodes:,}; run canyu seeds"}
    src = np.repeat(np.arange(sim.world.n, dtype=np.int64), g.degree())
    edges = pd.DataFrame({"source": src, "target": g.audience.astype(np.int64), "p": g.p.astype(np.float64)})
    result = imm(graph_from_edges(edges, probability="p"), k=k, model="ic", epsilon=0.2, seed=7)
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
