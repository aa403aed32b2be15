"""Expected spread of a seed set under independent cascade (IC) and linear threshold (LT) models.

Both models are from Kempe, Kleinberg, Tardos 2003, "Maximizing the spread of influence through
a social network" (KDD). Spread counts the seeds. Monte Carlo runs are compiled with numba and
run in parallel; :func:`exact_spread` sums over every live-edge world for small graphs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numba
import numpy as np

from canyu.analytics.influence import _kernels
from canyu.analytics.influence._graph import (
    InfluenceGraph,
    _given,
    lt_weights,
    read_edge_list,
    uniform_probabilities,
    weighted_cascade_probabilities,
)
from canyu.errors import CanyuError, InvalidArgumentError, UnknownNameError

__all__ = [
    "MODELS",
    "DiffusionModel",
    "SpreadResult",
    "estimate_spread",
    "exact_spread",
    "expected_conversions",
    "spread_from_file",
]


@dataclass(frozen=True)
class DiffusionModel:
    """A named diffusion model: the cascade kernel and how edges get their probabilities.

    ``prepare(graph, p)`` returns the graph with the model's edge probabilities: ``p`` when
    given, else the file's probability column (if any) or the model's default.
    """

    name: str
    kernel: str  # "ic" or "lt"
    prepare: Callable[[InfluenceGraph, float | None], InfluenceGraph]
    description: str

    @property
    def code(self) -> int:
        return _kernels._IC if self.kernel == "ic" else _kernels._LT


def _prepare_ic(graph: InfluenceGraph, p: float | None) -> InfluenceGraph:
    if p is None and not graph.has_weights:
        return uniform_probabilities(graph, p=0.01)
    return _given(graph, p)


def _prepare_wc(graph: InfluenceGraph, p: float | None) -> InfluenceGraph:
    return weighted_cascade_probabilities(graph)


def _prepare_lt(graph: InfluenceGraph, p: float | None) -> InfluenceGraph:
    if p is None and not graph.has_weights:
        return weighted_cascade_probabilities(graph)
    return lt_weights(_given(graph, p))


MODELS: dict[str, DiffusionModel] = {
    "ic": DiffusionModel(
        "ic", "ic", _prepare_ic, "independent cascade; p per edge (default: file column, else 0.01)"
    ),
    "wc": DiffusionModel("wc", "ic", _prepare_wc, "weighted cascade: IC with p(u,v) = 1/in-degree(v)"),
    "lt": DiffusionModel(
        "lt",
        "lt",
        _prepare_lt,
        "linear threshold; weights p or the file column, scaled so each node's sum <= 1; default 1/in-degree",
    ),
}
"""Diffusion models by name (``ic``, ``wc``, ``lt``)."""


def diffusion_model(name: str) -> DiffusionModel:
    """Look up :data:`MODELS`; an unknown name raises :class:`UnknownNameError` listing the valid ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownNameError("diffusion model", name, list(MODELS)) from None


@dataclass(frozen=True)
class SpreadResult:
    """Monte Carlo estimate of expected spread (seeds included).

    ``mean`` and ``stderr`` are in people, or in conversions when per-person rates were given;
    ``low``/``high`` are a normal 95% interval.
    """

    model: str
    seeds: tuple[str, ...]
    runs: int
    mean: float
    stderr: float
    low: float
    high: float
    nodes: int
    edges: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = asdict(self)
        out["seeds"] = list(self.seeds)
        return out


_POOL: list[tuple[int, ThreadPoolExecutor]] = []  # (workers, pool), shared by all calls


def in_parallel(jobs: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run GIL-releasing compiled jobs on up to ``numba.get_num_threads()`` threads, in order.

    Plain threads instead of numba's ``parallel=True``: the kernels stay small to compile and
    the thread count is read at each call (``NUMBA_NUM_THREADS`` or ``numba.set_num_threads``).
    """
    workers = numba.get_num_threads()
    if workers <= 1 or len(jobs) <= 1:
        return [job() for job in jobs]
    if not _POOL or _POOL[0][0] < workers:  # grow the shared pool when asked for more
        _POOL[:] = [(workers, ThreadPoolExecutor(max_workers=workers, thread_name_prefix="canyu-influence"))]
    return list(_POOL[0][1].map(lambda job: job(), jobs))


def _spans(total: int, parts: int) -> list[tuple[int, int]]:
    size = -(-total // max(1, parts))
    return [(lo, min(total, lo + size)) for lo in range(0, total, size)]


def _weights(graph: InfluenceGraph, rates: Any) -> np.ndarray:
    if rates is None:
        return np.ones(graph.n_nodes)
    if isinstance(rates, dict):
        w = np.zeros(graph.n_nodes)
        if rates:
            w[graph.node_index(rates.keys())] = np.asarray(list(rates.values()), dtype=np.float64)
    else:
        w = np.asarray(rates, dtype=np.float64)
        if w.shape != (graph.n_nodes,):
            raise InvalidArgumentError("rates", w.shape, f"one value per node ({graph.n_nodes})")
    if not np.all(np.isfinite(w)) or (w.size and w.min() < 0):
        raise InvalidArgumentError(
            "rates", "…", "finite and >= 0", reason="rates must be finite and non-negative"
        )
    return w


def _simulate(
    graph: InfluenceGraph, seeds: np.ndarray, *, kernel: str, runs: int, seed: int, weights: np.ndarray
) -> np.ndarray:
    if runs < 1:
        raise InvalidArgumentError("runs", runs, ">= 1")
    code = _kernels._IC if kernel == "ic" else _kernels._LT
    out = np.empty(runs)
    seeds32 = np.asarray(seeds, dtype=np.int32)
    common = graph.common_out()

    def job(lo: int, hi: int) -> Callable[[], None]:
        return lambda: _kernels.cascade_runs(
            graph.indptr, graph.indices, graph.prob, common, seeds32, weights, code, seed, lo, out[lo:hi]
        )

    in_parallel([job(lo, hi) for lo, hi in _spans(runs, numba.get_num_threads())])
    return out


def _singletons(
    graph: InfluenceGraph, candidates: np.ndarray, *, kernel: str, runs: int, seed: int, weights: np.ndarray
) -> np.ndarray:
    """Mean spread of each candidate alone, on the same runs as :func:`_simulate` (CELF's first round)."""
    code = _kernels._IC if kernel == "ic" else _kernels._LT
    out = np.empty(candidates.size)
    cand = np.asarray(candidates, dtype=np.int32)
    common = graph.common_out()

    def job(lo: int, hi: int) -> Callable[[], None]:
        return lambda: _kernels.singletons(
            graph.indptr,
            graph.indices,
            graph.prob,
            common,
            cand[lo:hi],
            weights,
            code,
            seed,
            runs,
            out[lo:hi],
        )

    in_parallel([job(lo, hi) for lo, hi in _spans(cand.size, 4 * numba.get_num_threads())])
    return out


def estimate_spread(
    graph: InfluenceGraph,
    seeds: Sequence[Any],
    *,
    model: str = "ic",
    runs: int = 10_000,
    seed: int = 0,
    rates: Any = None,
) -> SpreadResult:
    """Monte Carlo expected spread of ``seeds`` with the graph's own edge probabilities.

    Parameters
    ----------
    graph : InfluenceGraph
        Edge probabilities already set (see :func:`weighted_cascade_probabilities`).
    seeds : sequence
        Seed node labels.
    model : {"ic", "lt"}
        Cascade kernel: independent cascade or linear threshold (Kempe et al. 2003). ``"wc"`` is
        accepted as IC.
    runs : int
        Number of simulated cascades; the standard error is ``std / sqrt(runs)``.
    seed : int
        Random seed; results do not depend on the number of threads.
    rates : dict or array, optional
        Per-person conversion rate: the result is then expected conversions (weighted spread).
    """
    kernel = diffusion_model(model).kernel
    start = time.perf_counter()
    idx = graph.node_index(seeds)
    values = _simulate(graph, idx, kernel=kernel, runs=runs, seed=seed, weights=_weights(graph, rates))
    mean = float(values.mean())
    stderr = float(values.std(ddof=1) / math.sqrt(runs)) if runs > 1 else math.nan
    return SpreadResult(
        model=model,
        seeds=tuple(str(s) for s in seeds),
        runs=runs,
        mean=mean,
        stderr=stderr,
        low=mean - 1.96 * stderr,
        high=mean + 1.96 * stderr,
        nodes=graph.n_nodes,
        edges=graph.n_edges,
        seconds=time.perf_counter() - start,
    )


def expected_conversions(
    graph: InfluenceGraph,
    seeds: Sequence[Any],
    *,
    rates: Any,
    model: str = "ic",
    runs: int = 10_000,
    seed: int = 0,
) -> SpreadResult:
    """Expected conversions from seeding ``seeds``: the spread with each person weighted by their
    conversion rate, ``E[sum of rate(v) over activated v]`` (Kempe et al. 2003's weighted
    influence function).

    Examples
    --------
    >>> res = expected_conversions(g, ["kol_1"], rates={"a": 0.05, "b": 0.2})  # doctest: +SKIP
    """
    return estimate_spread(graph, seeds, model=model, runs=runs, seed=seed, rates=rates)


_MAX_WORLDS = 1 << 22


def exact_spread(
    graph: InfluenceGraph, seeds: Sequence[Any], *, model: str = "ic", rates: Any = None
) -> float:
    """Exact expected spread, summing the spread of every live-edge world times its probability.

    Live-edge worlds (Kempe, Kleinberg, Tardos 2003): under IC each edge is live independently with
    its probability (``2**m`` worlds); under LT each node keeps at most one in-edge, edge ``e``
    with its weight (``prod(in_degree + 1)`` worlds). Only for small graphs (at most 2**22 worlds).
    """
    kernel = diffusion_model(model).kernel
    idx = graph.node_index(seeds).astype(np.int64)
    w = _weights(graph, rates)
    if kernel == "ic":
        worlds = 2.0**graph.n_edges
    else:
        worlds = float(np.prod(graph.in_degree().astype(np.float64) + 1.0))
    if worlds > _MAX_WORLDS:
        raise InvalidArgumentError(
            "graph",
            f"{worlds:.3g} worlds",
            f"at most {_MAX_WORLDS:.3g} live-edge worlds",
            reason=f"{worlds:.3g} live-edge worlds is too many to enumerate (limit {_MAX_WORLDS})",
        )
    if kernel == "ic":
        return float(_kernels.exact_ic(graph.indptr, graph.indices, graph.prob, idx, w))
    return float(
        _kernels.exact_lt(graph.indptr, graph.indices, graph.prob, graph.rev_indptr, graph.rev_edge, idx, w)
    )


def spread_from_file(
    path: str | Path,
    *,
    model: str = "ic",
    p: float | None = 0.01,
    seeds: Sequence[Any] = (),
    runs: int = 10_000,
    undirected: bool = False,
    seed: int = 0,
) -> SpreadResult:
    """Read an edge list and estimate the expected spread of ``seeds`` (the ``canyu spread`` command).

    Parameters
    ----------
    path : str or Path
        Edge-list file (see :func:`read_edge_list`).
    model : {"ic", "wc", "lt"}
        Diffusion model, see :data:`MODELS`.
    p : float or None, default 0.01
        Uniform edge probability (IC) or weight (LT); ``None`` uses the file's third column.
        Ignored by ``wc``.
    seeds : sequence of str
        Seed node labels as written in the file.
    runs, seed : int
        Monte Carlo runs and random seed.
    undirected : bool
        Treat each line as two directed edges.
    """
    spec = diffusion_model(model)
    if not seeds:
        raise CanyuError("give at least one seed node", message_zh="请至少给出一个种子节点")
    with user_errors():
        graph = spec.prepare(read_edge_list(path, undirected=undirected), p)
        return estimate_spread(graph, list(seeds), model=model, runs=runs, seed=seed)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a bad argument (``ValueError``) into a :class:`CanyuError`, which the CLI prints as one line."""
    try:
        yield
    except CanyuError:
        raise
    except ValueError as exc:
        raise CanyuError(str(exc), message_zh=f"参数不正确：{exc}") from exc
