"""Benchmark influence analytics: spread vs cynetdiff, IMM at scale, IMM vs CELF.

Run from the repository root: ``.venv/bin/python bench/influence.py`` (prints figures and
ratios, asserts nothing). Graphs: SNAP files under ``../shared/data/graphs`` and a seeded
synthetic power-law graph.
"""

from __future__ import annotations

import array
import time
from pathlib import Path

import numba
import numpy as np
import pandas as pd

from canyu.analytics.influence import (
    InfluenceGraph,
    celf,
    estimate_spread,
    graph_from_edges,
    imm,
    read_edge_list,
    uniform_probabilities,
    weighted_cascade_probabilities,
)

GRAPHS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "graphs"


def timed(fn, *args, repeat: int = 1, **kwargs):  # type: ignore[no-untyped-def]
    """Result and best wall time of ``repeat`` calls (the machine may be shared)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return out, best


def power_law_graph(n: int, m: int, *, exponent: float = 2.3, seed: int = 0) -> InfluenceGraph:
    """Directed Chung-Lu graph with exactly ``n`` nodes and ``m`` distinct edges: endpoints drawn
    with probability proportional to power-law weights (degree exponent ``exponent``)."""
    rng = np.random.default_rng(seed)
    weight = (1.0 - rng.random(n)) ** (-1.0 / (exponent - 1.0))
    cdf = np.cumsum(weight / weight.sum())
    edges = pd.DataFrame({"source": [], "target": []}, dtype=np.int64)
    while len(edges) < m:
        draw = int(1.2 * (m - len(edges))) + 1000
        src = np.minimum(np.searchsorted(cdf, rng.random(draw)), n - 1)
        dst = np.minimum(np.searchsorted(cdf, rng.random(draw)), n - 1)
        more = pd.DataFrame({"source": src, "target": dst})
        edges = pd.concat([edges, more[more["source"] != more["target"]]]).drop_duplicates()
    return graph_from_edges(edges.head(m), nodes=range(n))


def bench_spread_vs_cynetdiff() -> None:
    print("== spread estimation vs cynetdiff: facebook_combined (undirected), equal runs ==")
    try:
        from cynetdiff.models import IndependentCascadeModel, LinearThresholdModel
    except ImportError:
        print("cynetdiff not installed; skipped")
        return
    base = read_edge_list(GRAPHS / "facebook_combined.txt", undirected=True)
    seeds = [str(x) for x in base.labels[np.argsort(-base.out_degree(), kind="stable")[:10]]]
    idx = base.node_index(seeds).tolist()
    runs = 10_000
    for name, model, g in (
        ("IC p=0.01", "ic", uniform_probabilities(base, p=0.01)),
        ("WC (IC, 1/in-degree)", "ic", weighted_cascade_probabilities(base)),
        ("LT (1/in-degree)", "lt", weighted_cascade_probabilities(base)),
    ):
        estimate_spread(g, seeds, model=model, runs=10)  # load compiled kernels
        ours, t_ours = timed(estimate_spread, g, seeds, model=model, runs=runs, seed=1, repeat=2)
        starts = array.array("I", g.indptr[:-1].astype(np.uint32).tolist())
        edges = array.array("I", g.indices.astype(np.uint32).tolist())
        probs = array.array("f", g.prob.astype(np.float32).tolist())
        if model == "ic":
            cyn = IndependentCascadeModel(starts, edges, activation_probs=probs, rng=1)
        else:
            cyn = LinearThresholdModel(starts, edges, influence=probs, rng=1)
        theirs, t_theirs = timed(cyn.compute_marginal_gains, idx, [], runs, repeat=2)
        print(
            f"{name:22s} canyu {ours.mean:9.2f} ± {ours.stderr:.2f} in {t_ours:6.3f}s | "
            f"cynetdiff {theirs[0]:9.2f} in {t_theirs:6.3f}s | speed ratio (cynetdiff/canyu) "
            f"{t_theirs / t_ours:5.2f}x | diff {abs(ours.mean - theirs[0]) / ours.stderr:4.1f} SE"
        )


def bench_imm_large() -> None:
    print("== IMM k=50, epsilon=0.1 on a 100k-node, 1M-edge power-law graph ==")
    g, t_build = timed(power_law_graph, 100_000, 1_000_000, seed=7)
    print(f"graph built in {t_build:.1f}s: {g.n_nodes} nodes, {g.n_edges} edges")
    g = weighted_cascade_probabilities(g)
    imm(g, k=2, model="wc", epsilon=0.5)  # load compiled kernels
    for model in ("wc", "lt"):
        res, t = timed(imm, g, k=50, model=model, epsilon=0.1, seed=1)
        check = estimate_spread(g, list(res.seeds), model=model, runs=2_000, seed=5)
        print(
            f"{model}: {t:6.1f}s, {res.rr_sets} RR sets, spread (RR estimate) {res.spread:.0f}, "
            f"Monte Carlo check {check.mean:.0f} ± {check.stderr:.0f}"
        )


def bench_imm_vs_celf() -> None:
    print("== IMM vs CELF on CA-GrQc (5,242 nodes), weighted cascade ==")
    g = weighted_cascade_probabilities(read_edge_list(GRAPHS / "CA-GrQc.txt"))
    for k in (10, 25):
        fast, t_fast = timed(imm, g, k=k, model="wc", epsilon=0.1, seed=1)
        slow, t_slow = timed(celf, g, k=k, model="wc", runs=1_000, seed=1)
        s_fast = estimate_spread(g, list(fast.seeds), runs=20_000, seed=9)
        s_slow = estimate_spread(g, list(slow.seeds), runs=20_000, seed=9)
        print(
            f"k={k}: IMM {t_fast:6.2f}s spread {s_fast.mean:7.2f} ± {s_fast.stderr:.2f} | "
            f"CELF {t_slow:6.2f}s spread {s_slow.mean:7.2f} ± {s_slow.stderr:.2f} | "
            f"time ratio CELF/IMM {t_slow / t_fast:6.1f}x, spread ratio IMM/CELF "
            f"{s_fast.mean / s_slow.mean:.3f}, common seeds {len(set(fast.seeds) & set(slow.seeds))}"
        )


def main() -> None:
    print(f"numba threads: {numba.get_num_threads()}; best of 2 for spread timings")
    bench_spread_vs_cynetdiff()
    bench_imm_large()
    bench_imm_vs_celf()


if __name__ == "__main__":
    main()
