"""The world's compiled draws give exactly what numpy's searches give."""

from __future__ import annotations

import numpy as np

from canyu.simulate._world import _draw_in_community, _sample_by_weight


def test_weighted_draws_match_searchsorted(rng: np.random.Generator) -> None:
    for weights in (rng.pareto(1.3, 5000) + 1.0, np.ones(7), rng.integers(1, 4, 100_000).astype(float)):
        cum = np.cumsum(weights)
        got = _sample_by_weight(np.random.default_rng(3), cum, 20_000)
        expected = np.searchsorted(cum, np.random.default_rng(3).random(20_000) * cum[-1], side="right")
        assert np.array_equal(got, expected)


def test_community_draws_match_searchsorted_over_all_members(rng: np.random.Generator) -> None:
    n = 3000
    community = rng.integers(0, 40, n).astype(np.int32)
    community[:5] = 40  # a community of five, and one of one
    community[5] = 41
    fitness = rng.pareto(1.3, n) + 1.0
    idx = np.flatnonzero(rng.random(n) < 0.8)
    idx = np.union1d(idx, np.arange(6))
    deg = rng.integers(1, 30, len(idx))
    src = np.repeat(idx, deg)
    order = np.argsort(community[idx], kind="stable")
    sorted_idx = idx[order]
    sorted_comm = community[sorted_idx]
    cum = np.cumsum(fitness[sorted_idx])
    comm_ids = np.arange(int(community.max()) + 1)
    s = np.searchsorted(sorted_comm, comm_ids, side="left")
    e = np.searchsorted(sorted_comm, comm_ids, side="right")
    local = rng.random(len(src)) < 0.7
    u = rng.random(len(src))
    dst = np.full(len(src), -1, dtype=np.int64)
    glob = np.zeros(len(src), dtype=bool)
    _draw_in_community(
        order, np.r_[0, np.cumsum(deg)], sorted_comm, s, e, cum, sorted_idx, local, u, dst, glob
    )
    # the vectorized formula: a search over all members, clipped to the community's range
    es, ee = s[community[src]], e[community[src]]
    base = np.where(es > 0, cum[np.maximum(es - 1, 0)], 0.0)
    target = base + u * (cum[np.maximum(ee - 1, 0)] - base)
    pick = np.clip(np.searchsorted(cum, target, side="right"), es, np.maximum(ee - 1, es))
    assert np.array_equal(glob, ~local | (ee - es <= 1))
    assert np.array_equal(dst[~glob], sorted_idx[pick][~glob])
    assert glob[np.isin(src, np.flatnonzero(community == 41))].all()
