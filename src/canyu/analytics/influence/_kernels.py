"""Compiled kernels: cascades, reverse-reachable sets, max coverage, live-edge enumeration.

Randomness is counter-based (SplitMix64 finalizer, Steele, Lea, Flood 2014): the coin of edge
``e`` in run ``r`` is a hash of ``(seed, r, e)``. So run ``r`` samples one fixed live-edge world
whatever the seed set and whatever thread runs it: results do not depend on the thread count,
and Monte Carlo estimates over the same runs are exactly monotone and submodular in the seed set
(common random numbers), which CELF's lazy evaluation relies on.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__: list[str] = []

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
_IC = 0
_LT = 1


@njit(cache=True, inline="always")
def _mix(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _key(seed: int, run: int) -> np.uint64:
    return _mix(_mix(np.uint64(seed) + _GOLDEN) ^ (np.uint64(run) * _M1 + _GOLDEN))


@njit(cache=True, inline="always")
def _unit(key: np.uint64, i: int) -> float:
    """Uniform on [0, 1) for draw ``i`` under ``key``."""
    return float(_mix(key + (np.uint64(i) + np.uint64(1)) * _GOLDEN) >> np.uint64(11)) * _TO_UNIT


@njit(cache=True, inline="always")
def _skip(key: np.uint64, e: int, p: float, left: int) -> int:
    """Edges to skip before the next live one when each is live with probability ``p``
    (geometric jump; ``left`` or more means none is live)."""
    if p >= 1.0:
        return 0
    if p <= 0.0:
        return left
    gap = math.log1p(-_unit(key, e)) / math.log1p(-p)
    return left if gap >= left else int(gap)


# ---------------------------------------------------------------- forward Monte Carlo


@njit(cache=True, nogil=True)
def cascade_runs(
    indptr: np.ndarray,
    indices: np.ndarray,
    prob: np.ndarray,
    common: np.ndarray,
    seeds: np.ndarray,
    weights: np.ndarray,
    model: int,
    seed: int,
    first: int,
    out: np.ndarray,
) -> None:
    """Runs ``first .. first+len(out)`` of an IC or LT cascade; ``out[r]`` = weighted spread.

    Releases the GIL: callers run disjoint run ranges on several threads.
    """
    n = indptr.size - 1
    stamp = np.full(n, -1, np.int64)  # run in which the node became active
    seen = np.full(n, -1, np.int64)  # LT: run in which the node's threshold was drawn
    acc = np.zeros(n)
    thr = np.zeros(n)
    queue = np.empty(n, np.int32)
    for r in range(out.size):
        run = first + r
        key = _key(seed, run)
        head = 0
        tail = 0
        total = 0.0
        for s in seeds:
            if stamp[s] != run:
                stamp[s] = run
                queue[tail] = s
                tail += 1
                total += weights[s]
        while head < tail:
            u = queue[head]
            head += 1
            if model == _IC and common[u] >= 0.0:  # all out-edges alike: jump to the live ones
                e = indptr[u]
                end = indptr[u + 1]
                while e < end:
                    e += _skip(key, e, common[u], end - e)
                    if e >= end:
                        break
                    v = indices[e]
                    if stamp[v] != run:
                        stamp[v] = run
                        queue[tail] = v
                        tail += 1
                        total += weights[v]
                    e += 1
                continue
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                if stamp[v] == run:
                    continue
                if model == _IC:
                    hit = _unit(key, e) < prob[e]
                else:
                    if seen[v] != run:
                        seen[v] = run
                        acc[v] = 0.0
                        thr[v] = 1.0 - _unit(key, v)  # threshold in (0, 1]
                    acc[v] += prob[e]
                    hit = acc[v] >= thr[v]
                if hit:
                    stamp[v] = run
                    queue[tail] = v
                    tail += 1
                    total += weights[v]
        out[r] = total


@njit(cache=True, nogil=True)
def singletons(
    indptr: np.ndarray,
    indices: np.ndarray,
    prob: np.ndarray,
    common: np.ndarray,
    candidates: np.ndarray,
    weights: np.ndarray,
    model: int,
    seed: int,
    runs: int,
    out: np.ndarray,
) -> None:
    """``out[i]`` = mean weighted spread of ``candidates[i]`` alone over runs ``0 .. runs-1``
    (the same worlds as every other estimate with this seed: CELF's first round)."""
    vals = np.empty(runs)
    one = np.empty(1, np.int32)
    for i in range(candidates.size):
        one[0] = candidates[i]
        cascade_runs(indptr, indices, prob, common, one, weights, model, seed, 0, vals)
        out[i] = vals.mean()


@njit(cache=True, nogil=True)
def cascade_steps(
    indptr: np.ndarray, indices: np.ndarray, prob: np.ndarray, seeds: np.ndarray, seed: int, run: int
) -> np.ndarray:
    """One IC cascade: the step at which each node became active (-1: never; seeds: 0)."""
    n = indptr.size - 1
    step = np.full(n, -1, np.int64)
    key = _key(seed, run)
    frontier = np.empty(n, np.int32)
    nxt = np.empty(n, np.int32)
    size = 0
    for s in seeds:
        if step[s] < 0:
            step[s] = 0
            frontier[size] = s
            size += 1
    t = 0
    while size > 0:
        t += 1
        new = 0
        for i in range(size):
            u = frontier[i]
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                if step[v] < 0 and _unit(key, e) < prob[e]:
                    step[v] = t
                    nxt[new] = v
                    new += 1
        frontier, nxt = nxt, frontier
        size = new
    return step


# ---------------------------------------------------------------- reverse-reachable sets


@njit(cache=True, nogil=True)
def rr_sets(
    rev_indptr: np.ndarray,
    rev_indices: np.ndarray,
    rev_prob: np.ndarray,
    common: np.ndarray,
    root_cdf: np.ndarray,
    model: int,
    seed: int,
    first: int,
    count: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Random reverse-reachable sets ``first .. first+count`` (Borgs et al. 2014; Tang et al. 2015).

    IC: the nodes that reach a random root (uniform, or by ``root_cdf``) through live edges, each in-edge live with
    its probability. LT: a reverse random walk, each node picking at most one in-edge with
    probability equal to its weight, until it revisits a node or picks none.
    Returns the members of all sets back to back and ``count + 1`` offsets.
    """
    n = rev_indptr.size - 1
    stamp = np.full(n, -1, np.int64)
    cap = max(16, count * 4)
    flat = np.empty(cap, np.int32)
    offsets = np.empty(count + 1, np.int64)
    offsets[0] = 0
    pos = 0
    for j in range(count):
        idx = first + j
        key = _key(seed, idx)
        if root_cdf.size == 0:
            root = min(n - 1, int(_unit(key, -1) * n))
        else:  # root drawn in proportion to the node weights
            root = min(n - 1, int(np.searchsorted(root_cdf, _unit(key, -1), side="right")))
        if pos + 1 > cap:
            cap *= 2
            grown = np.empty(cap, np.int32)
            grown[:pos] = flat[:pos]
            flat = grown
        start = pos
        flat[pos] = root
        pos += 1
        stamp[root] = idx
        if model == _IC:
            head = start
            while head < pos:
                v = flat[head]
                head += 1
                pc = common[v]
                e = rev_indptr[v]
                end = rev_indptr[v + 1]
                while e < end:
                    if pc >= 0.0:  # all in-edges alike: jump to the next live one
                        e += _skip(key, e, pc, end - e)
                        if e >= end:
                            break
                        live = True
                    else:
                        live = _unit(key, e) < rev_prob[e]
                    u = rev_indices[e]
                    e += 1
                    if live and stamp[u] != idx:
                        stamp[u] = idx
                        if pos + 1 > cap:
                            cap *= 2
                            grown = np.empty(cap, np.int32)
                            grown[:pos] = flat[:pos]
                            flat = grown
                        flat[pos] = u
                        pos += 1
        else:
            v = root
            while True:
                x = _unit(key, v)
                chosen = -1
                lo = rev_indptr[v]
                deg = rev_indptr[v + 1] - lo
                if common[v] > 0.0:  # equal weights: pick the in-edge directly
                    pick = np.int64(x / common[v])
                    if pick < deg:
                        chosen = rev_indices[lo + pick]
                else:
                    for e in range(lo, lo + deg):
                        x -= rev_prob[e]
                        if x < 0.0:
                            chosen = rev_indices[e]
                            break
                if chosen < 0 or stamp[chosen] == idx:
                    break
                stamp[chosen] = idx
                if pos + 1 > cap:
                    cap *= 2
                    grown = np.empty(cap, np.int32)
                    grown[:pos] = flat[:pos]
                    flat = grown
                flat[pos] = chosen
                pos += 1
                v = chosen
        offsets[j + 1] = pos
    return flat[:pos].copy(), offsets


@njit(cache=True)
def _invert(flat: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Node -> ids of the RR sets that contain it (CSR)."""
    ptr = np.zeros(n + 1, np.int64)
    for v in flat:
        ptr[v + 1] += 1
    for v in range(n):
        ptr[v + 1] += ptr[v]
    fill = ptr[:-1].copy()
    sets = np.empty(flat.size, np.int64)
    for j in range(offsets.size - 1):
        for i in range(offsets[j], offsets[j + 1]):
            v = flat[i]
            sets[fill[v]] = j
            fill[v] += 1
    return ptr, sets


@njit(cache=True)
def max_coverage(
    flat: np.ndarray, offsets: np.ndarray, n: int, k: int, costs: np.ndarray, budget: float, ratio: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy maximum coverage of RR sets (the node selection of Tang et al. 2015).

    With ``budget < inf`` only nodes whose cost fits the remaining budget are eligible, and with
    ``ratio`` the gain is divided by the cost (the cost-benefit greedy of Leskovec et al. 2007).
    Returns the chosen nodes and the number of sets each newly covers.
    """
    ptr, sets = _invert(flat, offsets, n)
    gain = np.empty(n, np.int64)
    for v in range(n):
        gain[v] = ptr[v + 1] - ptr[v]
    covered = np.zeros(offsets.size - 1, np.bool_)
    chosen = np.zeros(n, np.bool_)
    picks = np.empty(min(k, n), np.int64)
    gains = np.empty(min(k, n), np.int64)
    left = budget
    m = 0
    while m < min(k, n):
        best = -1
        score = -1.0
        for v in range(n):
            if chosen[v] or costs[v] > left:
                continue
            s = gain[v] / costs[v] if ratio else float(gain[v])
            if s > score:
                score = s
                best = v
        if best < 0 or (budget < np.inf and gain[best] == 0):
            break
        chosen[best] = True
        left -= costs[best]
        picks[m] = best
        gains[m] = gain[best]
        m += 1
        for i in range(ptr[best], ptr[best + 1]):
            j = sets[i]
            if covered[j]:
                continue
            covered[j] = True
            for t in range(offsets[j], offsets[j + 1]):
                gain[flat[t]] -= 1
    return picks[:m], gains[:m]


@njit(cache=True)
def coverage(flat: np.ndarray, offsets: np.ndarray, members: np.ndarray) -> int:
    """How many RR sets contain at least one node flagged in ``members``."""
    hit = 0
    for j in range(offsets.size - 1):
        for i in range(offsets[j], offsets[j + 1]):
            if members[flat[i]]:
                hit += 1
                break
    return hit


# ---------------------------------------------------------------- exact spread


@njit(cache=True)
def _reach(
    indptr: np.ndarray, indices: np.ndarray, live: np.ndarray, seeds: np.ndarray, weights: np.ndarray
) -> float:
    n = indptr.size - 1
    seen = np.zeros(n, np.bool_)
    queue = np.empty(n, np.int64)
    tail = 0
    total = 0.0
    for s in seeds:
        if not seen[s]:
            seen[s] = True
            queue[tail] = s
            tail += 1
            total += weights[s]
    head = 0
    while head < tail:
        u = queue[head]
        head += 1
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            if live[e] and not seen[v]:
                seen[v] = True
                queue[tail] = v
                tail += 1
                total += weights[v]
    return total


@njit(cache=True)
def exact_ic(
    indptr: np.ndarray, indices: np.ndarray, prob: np.ndarray, seeds: np.ndarray, weights: np.ndarray
) -> float:
    """Expected weighted IC spread by summing over all ``2**m`` live-edge worlds (Kempe et al. 2003)."""
    m = indices.size
    live = np.zeros(m, np.bool_)
    total = 0.0
    for mask in range(1 << m):
        w = 1.0
        for e in range(m):
            on = (mask >> e) & 1
            live[e] = on == 1
            w *= prob[e] if on else 1.0 - prob[e]
        if w > 0.0:
            total += w * _reach(indptr, indices, live, seeds, weights)
    return total


@njit(cache=True)
def exact_lt(
    indptr: np.ndarray,
    indices: np.ndarray,
    prob: np.ndarray,
    rev_indptr: np.ndarray,
    rev_edge: np.ndarray,
    seeds: np.ndarray,
    weights: np.ndarray,
) -> float:
    """Expected weighted LT spread over all live-edge worlds: each node keeps at most one in-edge,
    edge ``e`` with probability ``prob[e]`` (Kempe, Kleinberg, Tardos 2003, Theorem 2.5)."""
    n = rev_indptr.size - 1
    m = indices.size
    choice = np.zeros(n, np.int64)  # 0: no in-edge; i > 0: the i-th in-edge
    live = np.zeros(m, np.bool_)
    total = 0.0
    while True:
        w = 1.0
        live[:] = False
        for v in range(n):
            lo = rev_indptr[v]
            if choice[v] == 0:
                rest = 1.0
                for i in range(lo, rev_indptr[v + 1]):
                    rest -= prob[rev_edge[i]]
                w *= max(rest, 0.0)
            else:
                e = rev_edge[lo + choice[v] - 1]
                live[e] = True
                w *= prob[e]
        if w > 0.0:
            total += w * _reach(indptr, indices, live, seeds, weights)
        v = 0
        while v < n:
            choice[v] += 1
            if choice[v] <= rev_indptr[v + 1] - rev_indptr[v]:
                break
            choice[v] = 0
            v += 1
        if v == n:
            break
    return total
