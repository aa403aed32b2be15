"""Whom to seed: influence maximization by IMM (fast, with a guarantee) and CELF (slow reference).

- IMM: Tang, Shi, Xiao 2015, "Influence Maximization in Near-Linear Time: A Martingale Approach"
  (SIGMOD), with the fix of Chen 2018, "An Issue in the Martingale Analysis of the Influence
  Maximization Algorithm IMM" (fresh RR sets for the final selection). Returns a
  ``(1 - 1/e - epsilon)``-approximate seed set with probability at least ``1 - n**-ell``.
- CELF: Leskovec, Krause, Guestrin, Faloutsos, VanBriesen, Glance 2007, "Cost-effective Outbreak
  Detection in Networks" (KDD): lazy greedy on Monte Carlo spread estimates.
- Budgets: nodes have costs (a KOL costs more than a KOC); the better of the uniform-cost greedy
  and the cost-benefit greedy (Khuller, Moss, Naor 1999; Leskovec et al. 2007) is within
  ``(1 - 1/e) / 2`` of the best seed set within budget.
"""

from __future__ import annotations

import functools
import heapq
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from canyu.analytics.influence import _kernels
from canyu.analytics.influence._graph import InfluenceGraph, read_edge_list
from canyu.analytics.influence._spread import (
    _simulate,
    _singletons,
    _weights,
    diffusion_model,
    in_parallel,
    user_errors,
)
from canyu.errors import InvalidArgumentError

__all__ = ["SeedResult", "celf", "degree_costs", "imm", "seeds_from_file"]

_CHUNK = 1 << 14
_FINAL_STREAM = 1 << 40  # RR set ids from here on form an independent stream


@dataclass(frozen=True)
class SeedResult:
    """A seed set and its expected spread.

    ``gains`` are the marginal spread of each seed in the order chosen; ``spread`` is their sum,
    estimated on the RR sets (IMM) or by Monte Carlo (CELF). With a budget, ``costs`` are the
    seeds' costs and ``cost`` their total.
    """

    method: str
    model: str
    seeds: tuple[str, ...]
    gains: tuple[float, ...]
    spread: float
    k: int
    epsilon: float | None
    rr_sets: int
    runs: int
    budget: float | None
    costs: tuple[float, ...]
    cost: float
    nodes: int
    edges: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = asdict(self)
        for key in ("seeds", "gains", "costs"):
            out[key] = list(out[key])
        return out


def degree_costs(
    graph: InfluenceGraph, *, base: float = 1.0, slope: float = 1.0, power: float = 1.0
) -> np.ndarray:
    """Seeding cost of each node from its audience: ``base + slope * (out_degree / mean) ** power``.

    A node with the average audience costs ``base + slope``; a key opinion leader (KOL) with ten
    times the audience costs ``base + 10 * slope`` at ``power=1``, a key opinion consumer (KOC)
    with few followers little more than ``base``.
    """
    deg = graph.out_degree().astype(np.float64)
    mean = deg.mean() if deg.size and deg.mean() > 0 else 1.0
    return base + slope * (deg / mean) ** power


class _RRPool:
    """Reverse-reachable sets generated on demand in fixed chunks, on worker threads (nogil)."""

    def __init__(
        self, graph: InfluenceGraph, code: int, seed: int, first: int = 0, root_cdf: np.ndarray | None = None
    ) -> None:
        self.graph = graph
        self.root_cdf = np.empty(0) if root_cdf is None else root_cdf
        self.code = code
        self.seed = seed
        self.first = first
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []
        self.count = 0

    def _make(self, start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        g = self.graph
        return _kernels.rr_sets(
            g.rev_indptr,
            g.rev_indices,
            g.rev_prob,
            g.common_in(),
            self.root_cdf,
            self.code,
            self.seed,
            start,
            count,
        )

    def extend(self, target: int) -> None:
        jobs = []
        while self.count < target:
            count = min(_CHUNK, target - self.count)
            jobs.append((self.first + self.count, count))
            self.count += count
        if not jobs:
            return
        self.parts.extend(in_parallel([functools.partial(self._make, s, c) for s, c in jobs]))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        flats = [f for f, _ in self.parts]
        sizes = np.concatenate([np.diff(o) for _, o in self.parts])
        offsets = np.zeros(sizes.size + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        return np.concatenate(flats), offsets


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _select(
    graph: InfluenceGraph, pool: _RRPool, k: int, costs: np.ndarray, budget: float | None
) -> tuple[np.ndarray, np.ndarray]:
    flat, offsets = pool.arrays()
    n = graph.n_nodes
    if budget is None:
        return _kernels.max_coverage(flat, offsets, n, k, costs, np.inf, False)
    uniform = _kernels.max_coverage(flat, offsets, n, n, costs, float(budget), False)
    ratio = _kernels.max_coverage(flat, offsets, n, n, costs, float(budget), True)
    return uniform if uniform[1].sum() >= ratio[1].sum() else ratio


def imm(
    graph: InfluenceGraph,
    *,
    k: int = 10,
    model: str = "ic",
    epsilon: float = 0.1,
    ell: float = 1.0,
    costs: np.ndarray | None = None,
    budget: float | None = None,
    rates: Any = None,
    seed: int = 0,
) -> SeedResult:
    """Influence maximization by IMM (Tang, Shi, Xiao 2015) on the graph's edge probabilities.

    Samples random reverse-reachable (RR) sets until their number ``theta`` guarantees, with
    probability ``1 - n**-ell``, that greedy maximum coverage on them is a
    ``(1 - 1/e - epsilon)``-approximation (Algorithms 1-3 of the paper; the final selection uses a
    fresh batch of RR sets, the correction of Chen 2018).

    Parameters
    ----------
    graph : InfluenceGraph
        With IC probabilities or LT weights set.
    k : int
        Number of seeds (ignored when ``budget`` is given).
    model : {"ic", "wc", "lt"}
        RR sets by reverse live-edge search (IC) or reverse random walk (LT).
    epsilon, ell : float
        Approximation slack and failure exponent.
    costs, budget : optional
        Seeding cost per node and total budget: then the better of the uniform-cost and the
        cost-benefit greedy on the RR sets is returned (see module notes; the guarantee becomes
        ``(1 - 1/e) / 2`` of the best set within budget, up to epsilon). ``costs`` defaults to
        :func:`degree_costs`.
    rates : dict or array, optional
        Per-person conversion rate: maximize expected conversions instead of reach. RR sets then
        start from a root drawn in proportion to the rates, so coverage estimates the weighted
        spread (the weighted RR sets of Li, Zhang, Tan 2015, "Real-time targeted influence
        maximization for online advertisements", VLDB), and IMM's bounds use the total rate ``W``
        in place of ``n`` with ``OPT >= `` the sum of the ``k`` largest rates.
    seed : int
        Random seed.

    Examples
    --------
    >>> g = weighted_cascade_probabilities(read_edge_list("email-Eu-core.txt"))  # doctest: +SKIP
    >>> imm(g, k=10, model="wc").seeds  # doctest: +SKIP
    """
    spec = diffusion_model(model)
    start = time.perf_counter()
    n = graph.n_nodes
    if not 0.0 < epsilon < 1.0:
        raise InvalidArgumentError("epsilon", epsilon, "in (0, 1)")
    cost = _costs(graph, costs, budget)
    if budget is not None:
        k = min(n, max(1, int(np.sum(np.sort(cost).cumsum() <= budget))))
    k = int(min(k, n))
    if k < 1:
        raise InvalidArgumentError("k", k, ">= 1")
    ell = ell * (1.0 + math.log(2.0) / math.log(max(n, 3)))
    log_n = math.log(max(n, 3))
    log_cnk = _log_comb(n, k)
    if rates is None:
        total, floor, root_cdf = float(n), 1.0, None  # OPT >= 1, as in the paper
    else:
        w = _weights(graph, rates)
        total = float(w.sum())
        if total <= 0.0:
            raise InvalidArgumentError(
                "rates",
                0,
                "> 0 somewhere",
                reason="rates are all zero: nothing to maximize",
                reason_zh="转化率全为零：没有可最大化的目标",
            )
        floor = float(np.sort(w)[-k:].sum())  # the seeds themselves convert
        root_cdf = np.cumsum(w) / total
    # Sampling (Algorithm 2): find a lower bound LB of OPT by halving the guess x.
    rounds = max(2, int(math.log2(max(total / floor, 2.0))))
    eps_p = math.sqrt(2.0) * epsilon
    lam_p = (2.0 + 2.0 / 3.0 * eps_p) * (log_cnk + ell * log_n + math.log(rounds))
    lam_p *= total / eps_p**2
    pool = _RRPool(graph, spec.code, seed, root_cdf=root_cdf)
    lower = floor
    for i in range(1, rounds):
        x = total / 2.0**i
        pool.extend(math.ceil(lam_p / x))
        _, gains = _select(graph, pool, k, cost, budget)
        est = total * gains.sum() / pool.count
        if est >= (1.0 + eps_p) * x:
            lower = max(floor, est / (1.0 + eps_p))
            break
    alpha = math.sqrt(ell * log_n + math.log(2.0))
    beta = math.sqrt((1.0 - 1.0 / math.e) * (log_cnk + ell * log_n + math.log(2.0)))
    lam_star = 2.0 * total * ((1.0 - 1.0 / math.e) * alpha + beta) ** 2 / epsilon**2
    theta = math.ceil(lam_star / lower)
    # Node selection (Algorithm 1) on theta fresh RR sets (Chen 2018).
    final = _RRPool(graph, spec.code, seed, first=_FINAL_STREAM, root_cdf=root_cdf)
    final.extend(theta)
    picks, gains = _select(graph, final, k, cost, budget)
    scale = total / final.count
    return SeedResult(
        method="imm",
        model=model,
        seeds=tuple(str(x) for x in graph.labels[picks]),
        gains=tuple(float(g) * scale for g in gains),
        spread=float(gains.sum()) * scale,
        k=int(picks.size),
        epsilon=epsilon,
        rr_sets=final.count,
        runs=0,
        budget=budget,
        costs=tuple(float(c) for c in cost[picks]) if budget is not None else (),
        cost=float(cost[picks].sum()) if budget is not None else float(picks.size),
        nodes=n,
        edges=graph.n_edges,
        seconds=time.perf_counter() - start,
    )


def _costs(graph: InfluenceGraph, costs: np.ndarray | None, budget: float | None) -> np.ndarray:
    if budget is None and costs is None:
        return np.ones(graph.n_nodes)
    cost = degree_costs(graph) if costs is None else np.asarray(costs, dtype=np.float64)
    if cost.shape != (graph.n_nodes,) or not np.all(np.isfinite(cost)) or cost.min() <= 0:
        raise InvalidArgumentError(
            "costs",
            "…",
            "one positive number per node",
            reason="costs must be one positive number per node",
            reason_zh="费用必须是每个节点一个正数",
        )
    if budget is not None and budget < cost.min():
        raise InvalidArgumentError(
            "budget",
            budget,
            f">= {cost.min():.6g}, the cheapest seed's cost",
            reason=f"budget {budget:g} is below the cheapest seed's cost {cost.min():.6g}: no seed is affordable",
            reason_zh=f"预算 {budget:g} 低于最便宜种子的费用 {cost.min():.6g}：一个种子也请不起",
        )
    return cost


def celf(
    graph: InfluenceGraph,
    *,
    k: int = 10,
    model: str = "ic",
    runs: int = 1_000,
    costs: np.ndarray | None = None,
    budget: float | None = None,
    rates: Any = None,
    candidates: Sequence[Any] | None = None,
    seed: int = 0,
) -> SeedResult:
    """Lazy greedy (CELF, Leskovec et al. 2007) on Monte Carlo spread estimates.

    Every estimate uses the same ``runs`` live-edge worlds (common random numbers), so the
    estimated spread is itself monotone and submodular and lazy evaluation is exact for it.
    Slow (``O(n)`` Monte Carlo estimates in the first round): a reference for :func:`imm`.
    With ``budget``, returns the better of the uniform-cost and cost-benefit lazy greedy; with
    ``rates``, maximizes expected conversions (weighted spread).
    """
    spec = diffusion_model(model)
    start = time.perf_counter()
    n = graph.n_nodes
    cost = _costs(graph, costs, budget)
    weights = _weights(graph, rates)
    pool = np.arange(n) if candidates is None else graph.node_index(candidates).astype(np.int64)
    cache: dict[tuple[int, ...], float] = {}

    def spread(nodes: list[int]) -> float:
        key = tuple(sorted(nodes))
        if key not in cache:
            vals = _simulate(
                graph, np.asarray(key), kernel=spec.kernel, runs=runs, seed=seed, weights=weights
            )
            cache[key] = float(vals.mean())
        return cache[key]

    alone = _singletons(graph, pool, kernel=spec.kernel, runs=runs, seed=seed, weights=weights)
    cache.update({(int(v),): float(s) for v, s in zip(pool, alone, strict=True)})

    def lazy(ratio: bool) -> tuple[list[int], list[float]]:
        limit = math.inf if budget is None else budget
        heap = [(-spread([v]) / (cost[v] if ratio else 1.0), int(v), 0) for v in pool]
        heapq.heapify(heap)
        chosen: list[int] = []
        gains: list[float] = []
        current, spent = 0.0, 0.0
        while heap and (budget is not None or len(chosen) < k):
            score, v, rnd = heapq.heappop(heap)
            if spent + cost[v] > limit:
                continue  # never affordable again: spending only grows
            if rnd == len(chosen):
                chosen.append(v)
                gain = -score * (cost[v] if ratio else 1.0)
                gains.append(gain)
                current += gain
                spent += cost[v]
                continue
            gain = spread([*chosen, v]) - current
            heapq.heappush(heap, (-gain / (cost[v] if ratio else 1.0), v, len(chosen)))
        return chosen, gains

    picks, gains = lazy(False)
    if budget is not None:
        other = lazy(True)
        if sum(other[1]) > sum(gains):
            picks, gains = other
    idx = np.asarray(picks, dtype=np.int64)
    return SeedResult(
        method="celf",
        model=model,
        seeds=tuple(str(x) for x in graph.labels[idx]),
        gains=tuple(gains),
        spread=float(sum(gains)),
        k=len(picks),
        epsilon=None,
        rr_sets=0,
        runs=runs,
        budget=budget,
        costs=tuple(float(c) for c in cost[idx]) if budget is not None else (),
        cost=float(cost[idx].sum()) if budget is not None else float(len(picks)),
        nodes=n,
        edges=graph.n_edges,
        seconds=time.perf_counter() - start,
    )


def seeds_from_file(
    path: str | Path,
    *,
    model: str = "wc",
    k: int = 10,
    p: float | None = None,
    epsilon: float = 0.1,
    budget: float | None = None,
    undirected: bool = False,
    seed: int = 0,
) -> SeedResult:
    """Read an edge list and choose seeds by IMM (the ``canyu seeds`` command).

    Parameters
    ----------
    path : str or Path
        Edge-list file (see :func:`read_edge_list`).
    model : {"wc", "ic", "lt"}
        Diffusion model (:data:`MODELS`): ``wc`` sets p = 1/in-degree; ``ic`` uses ``p``, else
        the file's third column, else 0.01; ``lt`` uses ``p`` or the file's weights, else
        1/in-degree.
    k : int
        Number of seeds (without a budget).
    epsilon : float
        IMM's approximation slack: the seed set is ``(1 - 1/e - epsilon)``-approximate.
    budget : float, optional
        Total seeding budget, with each node's cost from :func:`degree_costs`.
    undirected : bool
        Treat each line as two directed edges.
    seed : int
        Random seed.
    """
    spec = diffusion_model(model)
    with user_errors():
        graph = spec.prepare(read_edge_list(path, undirected=undirected), p)
        return imm(graph, k=k, model=model, epsilon=epsilon, budget=budget, seed=seed)
