"""Edge probabilities learned from observed cascades (who acted on what, when).

Two maximum-likelihood estimators of IC edge probabilities from an action log:

- ``"bernoulli"``: Goyal, Bonchi, Lakshmanan 2010, "Learning Influence Probabilities in Social
  Networks" (WSDM), the static Bernoulli model ``p(v,u) = A_v2u / A_v``: of the items ``v`` acted
  on while ``u`` had not yet, the share that ``u`` acted on within ``window`` after ``v``.
- ``"em"``: Saito, Nakano, Kimura 2008, "Prediction of Information Diffusion Probabilities for
  Independent Cascade Model" (KES): the EM algorithm that splits the credit for ``u``'s action
  among all of its neighbours that acted in the window before it. It is the exact MLE for
  discrete-time IC with ``window = 1`` step; Bernoulli over-credits when several parents compete.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from canyu.analytics.influence import _kernels
from canyu.analytics.influence._graph import InfluenceGraph
from canyu.errors import UnknownNameError

__all__ = ["LEARNERS", "learn_probabilities", "simulate_cascades"]

LEARNERS = ("em", "bernoulli")
"""Names of the estimators of :func:`learn_probabilities`."""


@njit(cache=True)
def _trials(
    indptr: np.ndarray,
    indices: np.ndarray,
    item_ptr: np.ndarray,
    nodes: np.ndarray,
    times: np.ndarray,
    window: float,
    out_edge: np.ndarray,
    out_item: np.ndarray,
    out_target: np.ndarray,
    out_status: np.ndarray,
) -> int:
    """One record per (item, active source, out-edge): status 1 success, 2 failure, 0 no trial."""
    n = indptr.size - 1
    t_of = np.full(n, np.inf)
    pos = 0
    for j in range(item_ptr.size - 1):
        lo, hi = item_ptr[j], item_ptr[j + 1]
        for i in range(lo, hi):
            t_of[nodes[i]] = min(t_of[nodes[i]], times[i])
        for i in range(lo, hi):
            v = nodes[i]
            tv = t_of[v]
            if times[i] != tv:
                continue  # a repeated action by v; its first one counts
            for e in range(indptr[v], indptr[v + 1]):
                u = indices[e]
                tu = t_of[u]
                status = 0
                if tu > tv:
                    status = 1 if tu <= tv + window else 2
                out_edge[pos] = e
                out_item[pos] = j
                out_target[pos] = u
                out_status[pos] = status
                pos += 1
        for i in range(lo, hi):
            t_of[nodes[i]] = np.inf
    return pos


def learn_probabilities(
    graph: InfluenceGraph,
    actions: Any,
    *,
    item: str = "item",
    user: str = "user",
    time: str = "time",
    method: str = "em",
    window: float = 1.0,
    iterations: int = 200,
    tol: float = 1e-7,
) -> pd.DataFrame:
    """Estimate every edge's IC probability from an action log.

    Parameters
    ----------
    graph : InfluenceGraph
        Who can influence whom (edge ``v -> u``: ``u`` sees ``v``'s actions).
    actions : pandas.DataFrame or pyarrow.Table
        One row per (item, user, time): the user acted on (shared, adopted) the item at that
        time. Users not in the graph are ignored. Times are numbers (steps, or epoch seconds).
    method : {"em", "bernoulli"}
        Saito et al. 2008 EM, or Goyal et al. 2010 Bernoulli.
    window : float
        An action by ``u`` within ``window`` after ``v``'s counts as caused by ``v`` (1 for
        discrete steps).
    iterations, tol : EM stopping rule.

    Returns
    -------
    pandas.DataFrame
        One row per edge, in the graph's edge order: ``source``, ``target``, ``trials`` (items
        ``source`` acted on while ``target`` had not), ``successes`` and ``probability`` (0 where
        there were no trials). Feed ``probability`` to ``graph.with_probabilities``.
    """
    if method not in LEARNERS:
        raise UnknownNameError("probability learner", method, LEARNERS)
    frame = actions if isinstance(actions, pd.DataFrame) else actions.to_pandas()
    frame = frame[[item, user, time]].dropna()
    lookup = {}
    for i, lab in enumerate(graph.labels.tolist()):
        lookup[lab] = i
        lookup.setdefault(str(lab), i)
    node = frame[user].map(lambda x: lookup.get(x, lookup.get(str(x), -1))).to_numpy(dtype=np.int64)
    keep = node >= 0
    frame = frame.loc[keep].assign(_node=node[keep])
    codes, _ = pd.factorize(frame[item])
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    nodes = frame["_node"].to_numpy()[order].astype(np.int32)
    times = frame[time].to_numpy(dtype=np.float64)[order]
    n_items = int(codes.max()) + 1 if codes.size else 0
    item_ptr = np.zeros(n_items + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=n_items), out=item_ptr[1:])
    size = int(graph.out_degree()[nodes].sum())
    edge, itm, tgt = (np.empty(size, np.int64) for _ in range(3))
    status = np.empty(size, np.int8)
    used = _trials(graph.indptr, graph.indices, item_ptr, nodes, times, float(window), edge, itm, tgt, status)
    edge, itm, tgt, status = edge[:used], itm[:used], tgt[:used], status[:used]
    m = graph.n_edges
    tried = status > 0
    trials = np.bincount(edge[tried], minlength=m).astype(np.int64)
    win = status == 1
    successes = np.bincount(edge[win], minlength=m).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = np.where(trials > 0, successes / np.maximum(trials, 1), 0.0)
    if method == "em" and win.any():
        prob = _em(prob, trials, edge[win], itm[win] * graph.n_nodes + tgt[win], iterations, tol)
    return pd.DataFrame(
        {
            "source": graph.labels[graph.sources],
            "target": graph.labels[graph.indices],
            "trials": trials,
            "successes": successes,
            "probability": prob,
        }
    )


def _em(
    start: np.ndarray, trials: np.ndarray, s_edge: np.ndarray, s_key: np.ndarray, iterations: int, tol: float
) -> np.ndarray:
    """Saito et al. 2008, eq. (6): p_e <- sum over successes of p_e / P(target active) / trials_e."""
    _, group = np.unique(s_key, return_inverse=True)
    p = np.clip(start, 1e-6, 1.0 - 1e-6)
    p = np.where(trials > 0, p, 0.0)
    for _ in range(iterations):
        pe = p[s_edge]
        log_fail = np.bincount(group, weights=np.log1p(-np.minimum(pe, 1.0 - 1e-12)))
        hit = 1.0 - np.exp(log_fail)
        credit = np.bincount(s_edge, weights=pe / np.maximum(hit[group], 1e-300), minlength=p.size)
        new = np.where(trials > 0, credit / np.maximum(trials, 1), 0.0)
        if np.max(np.abs(new - p), initial=0.0) < tol:
            return new
        p = new
    return p


def simulate_cascades(
    graph: InfluenceGraph, *, cascades: int = 1_000, seeds_per_cascade: int = 1, seed: int = 0
) -> pd.DataFrame:
    """Simulate discrete-time IC cascades on the graph's probabilities (ground truth for tests).

    Returns a table ``item, user, time``: cascade number, node label and the step at which the
    node became active (seeds at step 0).
    """
    rng = np.random.default_rng(seed)
    items, users, steps = [], [], []
    for c in range(cascades):
        seeds = rng.choice(graph.n_nodes, size=min(seeds_per_cascade, graph.n_nodes), replace=False)
        step = _kernels.cascade_steps(
            graph.indptr, graph.indices, graph.prob, seeds.astype(np.int32), seed, c
        )
        active = np.flatnonzero(step >= 0)
        items.append(np.full(active.size, c))
        users.append(active)
        steps.append(step[active])
    users_all = np.concatenate(users) if users else np.empty(0, np.int64)
    return pd.DataFrame(
        {
            "item": np.concatenate(items) if items else np.empty(0, np.int64),
            "user": graph.labels[users_all],
            "time": np.concatenate(steps) if steps else np.empty(0, np.int64),
        }
    )
