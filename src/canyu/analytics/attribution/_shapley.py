"""Shapley-value attribution over channels.

Channels are the players of a cooperative game whose worth ``v(S)`` is computed
from the journeys whose set of channels lies inside the coalition ``S``. Two
worths are offered:

``"conversions"``
    ``v(S)`` = conversions of the paths whose channel set is a subset of ``S``.
    This game is a sum of unanimity games, one per path, so the Shapley value
    has the closed form of Zhao, K., Mahboobi, S. H. and Bagheri, S. R. (2018),
    "Shapley Value Methods for Attribution Modeling in Online Advertising",
    arXiv:1804.05327 (the "simplified Shapley value"): each path's conversions
    are shared equally among its *distinct* channels. Exact for any number of
    channels, linear in the number of touches.
``"conversion_rate"``
    ``v(S)`` = conversions / journeys over the paths whose channel set is a
    subset of ``S`` (Shao, X. and Li, L. (2011), "Data-driven multi-touch
    attribution models", KDD), scaled so credits sum to total conversions.
    Exact by enumerating all ``2**n`` coalitions (subset sums by a zeta
    transform) up to ``max_exact`` channels; beyond, estimated by permutation
    sampling (Castro, J., Gómez, D. and Tejada, J. (2009), "Polynomial
    calculation of the Shapley value based on sampling", *Computers &
    Operations Research* 36(5)) with antithetic pairs of orders and standard
    errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numba
import numpy as np
import numpy.typing as npt

from canyu.analytics.attribution._paths import PathTable
from canyu.errors import InvalidArgumentError

__all__ = ["ShapleyResult", "shapley", "shapley_from_worths"]

FloatArray = npt.NDArray[np.float64]
ValueFunction = Literal["conversions", "conversion_rate"]
MAX_SAMPLED_CHANNELS = 62  # channel sets are bitmasks in an int64


@dataclass(frozen=True, eq=False)
class ShapleyResult:
    """Shapley credits per channel; standard errors are zero unless ``method == "sampled"``."""

    channels: tuple[str, ...]
    conversions: FloatArray
    value: FloatArray
    conversions_se: FloatArray
    value_se: FloatArray
    method: str
    value_function: str


def shapley(
    paths: PathTable,
    *,
    value_function: ValueFunction = "conversions",
    max_exact: int = 15,
    n_permutations: int = 2000,
    seed: int = 0,
) -> ShapleyResult:
    """Shapley value of each channel; credits sum to the total conversions (and value).

    Parameters
    ----------
    paths
        The journeys.
    value_function
        ``"conversions"`` (closed form of Zhao et al. 2018) or ``"conversion_rate"``
        (Shao & Li 2011); see the module docstring.
    max_exact
        With ``"conversion_rate"``, enumerate coalitions exactly up to this many
        channels (memory and time grow as ``2**n``); sample permutations beyond.
    n_permutations, seed
        Permutation sampling: number of channel orders (drawn as antithetic pairs: a
        random order and its reverse) and the seed.

    Examples
    --------
    >>> from canyu.analytics.attribution import PathTable, shapley
    >>> t = PathTable.from_sequences([["a", "b", "a"], ["b"]], conversions=[2, 1])
    >>> shapley(t).conversions.tolist()
    [1.0, 2.0]
    """
    c = paths.n_channels
    if value_function == "conversions":
        return _simplified(paths)
    if value_function != "conversion_rate":
        raise InvalidArgumentError("value_function", value_function, ("conversions", "conversion_rate"))
    masks, conv, journeys, value = _channel_sets(paths)
    if c <= max_exact:
        worth_conv = _rate(
            _subset_sums(_dense(masks, conv, c), c), _subset_sums(_dense(masks, journeys, c), c)
        )
        worth_value = _rate(
            _subset_sums(_dense(masks, value, c), c), _subset_sums(_dense(masks, journeys, c), c)
        )
        phi_c, phi_v = shapley_from_worths(worth_conv, c), shapley_from_worths(worth_value, c)
        se_c = se_v = np.zeros(c)
        method = "exact"
    else:
        if c > MAX_SAMPLED_CHANNELS:
            raise InvalidArgumentError(
                "paths",
                c,
                f"at most {MAX_SAMPLED_CHANNELS} channels",
                reason=f"conversion_rate Shapley supports at most {MAX_SAMPLED_CHANNELS} channels, got {c}",
            )
        # Antithetic pairs: each random order is also walked in reverse, and the pair's mean is
        # one draw. A channel that joins early in one order joins late in the other, which
        # cancels much of the noise of tiny coalitions' rates (about 1.6× fewer orders needed).
        pairs = max(1, (n_permutations + 1) // 2)
        rng = np.random.default_rng(seed)
        half = rng.permuted(np.tile(np.arange(c, dtype=np.int64), (pairs, 1)), axis=1)
        perms = np.ascontiguousarray(np.concatenate([half, half[:, ::-1]]))
        marg_c, marg_v = _sample_marginals(masks, conv, journeys, value, perms)
        draw_c = (marg_c[:pairs] + marg_c[pairs:]) / 2
        draw_v = (marg_v[:pairs] + marg_v[pairs:]) / 2
        phi_c, phi_v = draw_c.mean(axis=0), draw_v.mean(axis=0)
        ddof = 1 if pairs > 1 else 0
        se_c = draw_c.std(axis=0, ddof=ddof) / math.sqrt(pairs)
        se_v = draw_v.std(axis=0, ddof=ddof) / math.sqrt(pairs)
        method = "sampled"
    # Efficiency: Σφ = v(all channels) = overall rate; rescale to totals.
    scale_c = scale_v = float(journeys.sum())
    return ShapleyResult(
        channels=paths.channels,
        conversions=phi_c * scale_c,
        value=phi_v * scale_v,
        conversions_se=se_c * scale_c,
        value_se=se_v * scale_v,
        method=method,
        value_function=value_function,
    )


def shapley_from_worths(worths: FloatArray, n: int) -> FloatArray:
    """Exact Shapley values of a game given ``v`` on all ``2**n`` coalitions (bit ``i`` = player ``i``).

    ``φ_i = Σ_{S ∌ i} |S|! (n - |S| - 1)! / n! · (v(S ∪ {i}) - v(S))``.
    """
    masks = np.arange(1 << n, dtype=np.int64)
    size = np.bitwise_count(masks).astype(np.int64)
    weight = np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)])
    phi = np.zeros(n)
    for i in range(n):
        without = masks[(masks >> i) & 1 == 0]
        phi[i] = float(np.sum(weight[size[without]] * (worths[without | (1 << i)] - worths[without])))
    return phi


def _simplified(paths: PathTable) -> ShapleyResult:
    c = paths.n_channels
    pairs = np.sort(paths.touch_path * c + paths.touches)  # nearly sorted already: cheap
    if len(pairs):
        pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]  # distinct (path, channel)
    row, channel = pairs // c, pairs % c
    distinct = np.bincount(row, minlength=paths.n_paths)[row]
    zero = np.zeros(c)
    return ShapleyResult(
        channels=paths.channels,
        conversions=np.asarray(
            np.bincount(channel, weights=paths.conversions[row] / distinct, minlength=c), dtype=np.float64
        ),
        value=np.asarray(
            np.bincount(channel, weights=paths.value[row] / distinct, minlength=c), dtype=np.float64
        ),
        conversions_se=zero,
        value_se=zero,
        method="closed_form",
        value_function="conversions",
    )


def _channel_sets(paths: PathTable) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray, FloatArray]:
    """Distinct channel sets as bitmasks, with their conversions, journeys and value."""
    if paths.n_channels > MAX_SAMPLED_CHANNELS:
        raise InvalidArgumentError(
            "paths",
            paths.n_channels,
            f"at most {MAX_SAMPLED_CHANNELS} channels",
            reason=f"conversion_rate Shapley supports at most {MAX_SAMPLED_CHANNELS} channels",
        )
    bits = np.left_shift(np.int64(1), paths.touches)
    per_path = np.bitwise_or.reduceat(bits, paths.indptr[:-1]) if paths.n_paths else bits
    masks, inverse = np.unique(per_path, return_inverse=True)
    inverse = inverse.ravel()
    n = len(masks)
    return (
        masks,
        np.asarray(np.bincount(inverse, weights=paths.conversions, minlength=n), dtype=np.float64),
        np.asarray(
            np.bincount(inverse, weights=paths.conversions + paths.nulls, minlength=n), dtype=np.float64
        ),
        np.asarray(np.bincount(inverse, weights=paths.value, minlength=n), dtype=np.float64),
    )


def _dense(masks: npt.NDArray[np.int64], weights: FloatArray, n: int) -> FloatArray:
    out = np.zeros(1 << n)
    np.add.at(out, masks, weights)
    return out


def _subset_sums(f: FloatArray, n: int) -> FloatArray:
    """Zeta transform: ``g(S) = Σ_{T ⊆ S} f(T)`` in ``n · 2**n`` additions."""
    g = f.copy()
    for i in range(n):
        view = g.reshape(-1, 2, 1 << i)
        view[:, 1, :] += view[:, 0, :]
    return g


def _rate(num: FloatArray, den: FloatArray) -> FloatArray:
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


@numba.njit(cache=False)
def _sample_marginals(
    masks: npt.NDArray[np.int64],
    conv: FloatArray,
    journeys: FloatArray,
    value: FloatArray,
    perms: npt.NDArray[np.int64],
) -> tuple[FloatArray, FloatArray]:  # pragma: no cover - compiled
    n_perm, n = perms.shape
    marg_c = np.zeros((n_perm, n))
    marg_v = np.zeros((n_perm, n))
    pos = np.empty(n, dtype=np.int64)
    for p in range(n_perm):
        for i in range(n):
            pos[perms[p, i]] = i
        d_conv = np.zeros(n)
        d_jour = np.zeros(n)
        d_val = np.zeros(n)
        for j in range(len(masks)):
            # A channel set joins the coalition when its latest channel in the order does.
            mk = masks[j]
            bit = 0
            latest = -1
            while mk:
                if mk & 1 and pos[bit] > latest:
                    latest = pos[bit]
                mk >>= 1
                bit += 1
            if latest >= 0:
                d_conv[latest] += conv[j]
                d_jour[latest] += journeys[j]
                d_val[latest] += value[j]
        cum_c = 0.0
        cum_j = 0.0
        cum_v = 0.0
        prev_c = 0.0
        prev_v = 0.0
        for i in range(n):
            cum_c += d_conv[i]
            cum_j += d_jour[i]
            cum_v += d_val[i]
            rate_c = cum_c / cum_j if cum_j > 0 else 0.0
            rate_v = cum_v / cum_j if cum_j > 0 else 0.0
            marg_c[p, perms[p, i]] = rate_c - prev_c
            marg_v[p, perms[p, i]] = rate_v - prev_v
            prev_c = rate_c
            prev_v = rate_v
    return marg_c, marg_v
