"""Markov-chain attribution of order k, solved exactly through the absorbing chain.

Anderl, E., Becker, I., von Wangenheim, F. and Schumann, J. H. (2016), "Mapping the
customer journey: Lessons learned from graph-based online attribution modeling",
*International Journal of Research in Marketing* 33(3), 457-474.

Journeys are walks from a ``(start)`` state through touch states to one of two
absorbing states, ``(conversion)`` or ``(null)``. The probability of conversion
from ``(start)`` is the absorption probability of the chain, found here by one
sparse linear solve ``(I - Q) x = r`` (Q: transitions between touch states, r:
one-step conversion probabilities; sparse LU, or fixed-point iteration to
machine precision on large chains) instead of by simulating walks as the
ChannelAttribution package does. Removing a channel sends every state that holds
it to ``(null)``; its *removal effect* is the relative drop in conversion
probability, and each channel is credited ``total conversions × RE_c / Σ RE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from canyu.analytics.attribution._paths import PathTable
from canyu.errors import InvalidArgumentError

__all__ = ["MarkovChain", "MarkovResult", "markov_attribution", "markov_chain"]

History = Literal["windows", "padded"]
Weighting = Literal["journeys", "paths"]
MAX_ORDER = 4
DIRECT_SOLVE_LIMIT = 2000  # states; above it, iterate (see _solve)
MAX_ITERATIONS = 5000


@dataclass(frozen=True, eq=False)
class MarkovChain:
    """The estimated chain: touch states, their transitions and absorption rates.

    ``states[i]`` is state ``i`` as a tuple of channel codes (oldest first; fewer than
    ``order`` codes at the start of a path). ``transient`` is the row-stochastic part
    between touch states; ``start``, ``to_conversion``, ``to_null`` the probabilities
    out of ``(start)`` and into the absorbing states; ``value_rate`` the expected
    conversion value earned on the step out of each state.
    """

    channels: tuple[str, ...]
    order: int
    states: tuple[tuple[int, ...], ...]
    transient: sp.csr_matrix
    start: npt.NDArray[np.float64]
    to_conversion: npt.NDArray[np.float64]
    to_null: npt.NDArray[np.float64]
    value_rate: npt.NDArray[np.float64]
    membership: sp.csc_matrix  # states × channels, 1 where the state holds the channel

    def absorption(self, keep: npt.NDArray[np.bool_] | None = None) -> tuple[float, float]:
        """Conversion probability and expected value from ``(start)``, optionally on the sub-chain ``keep``.

        States outside ``keep`` are redirected to ``(null)``: their rows and columns
        drop out of the system, which is what removing a channel means.
        """
        q, r, rv, s = self.transient, self.to_conversion, self.value_rate, self.start
        if keep is not None:
            idx = np.flatnonzero(keep)
            q, r, rv, s = q[idx][:, idx], r[idx], rv[idx], s[idx]
        if len(s) == 0:
            return 0.0, 0.0
        x = _solve(sp.identity(len(s), format="csr") - q.tocsr(), np.column_stack((r, rv)))
        return float(s @ x[:, 0]), float(s @ x[:, 1])

    def transition_table(self) -> pd.DataFrame:
        """Transition probabilities as a tidy table (``state_from``, ``state_to``, ``probability``)."""
        names = np.asarray(self.channels, dtype=object)
        labels = [",".join(names[list(st)]) for st in self.states]
        coo = self.transient.tocoo()
        frames = [
            pd.DataFrame({"state_from": "(start)", "state_to": labels, "probability": self.start}),
            pd.DataFrame(
                {
                    "state_from": [labels[i] for i in coo.row],
                    "state_to": [labels[j] for j in coo.col],
                    "probability": coo.data,
                }
            ),
            pd.DataFrame(
                {"state_from": labels, "state_to": "(conversion)", "probability": self.to_conversion}
            ),
            pd.DataFrame({"state_from": labels, "state_to": "(null)", "probability": self.to_null}),
        ]
        table = pd.concat(frames, ignore_index=True)
        return table[table["probability"] > 0].reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class MarkovResult:
    """Channel credits of a Markov model, with the quantities behind them."""

    channels: tuple[str, ...]
    conversions: npt.NDArray[np.float64]
    value: npt.NDArray[np.float64]
    removal_effects: npt.NDArray[np.float64]
    removal_effects_value: npt.NDArray[np.float64]
    conversion_probability: float
    chain: MarkovChain


def markov_chain(
    paths: PathTable,
    *,
    order: int = 1,
    collapse_repeats: bool = False,
    history: History = "windows",
    weighting: Weighting = "journeys",
) -> MarkovChain:
    """Estimate the order-``order`` chain from a path table (vectorized; no loop over paths).

    Parameters
    ----------
    paths
        The journeys.
    order
        1 to 4. A state is the last ``order`` touches.
    collapse_repeats
        Merge runs of one channel (``a > a > b`` → ``a > b``) before estimating. It changes
        nothing at order 1 (a self-loop does not move absorption probabilities; this is
        why ChannelAttribution can leave self-loops out of its order-1 transition
        matrix while this chain keeps them) but does at higher orders, where ``a,a`` is
        a state of its own.
    history
        How the first touches of a path form states when ``order > 1``.
        ``"windows"`` (ChannelAttribution's convention): the states of a path are its
        windows of ``order`` consecutive touches, and a path shorter than ``order`` is
        one state made of all its touches. ``"padded"``: every touch starts a state
        holding up to ``order`` touches that end at it (the classic k-order chain with
        ``(start)`` padding).
    weighting
        ``"journeys"`` (ChannelAttribution): a path row weighs its journeys,
        ``total_conversions + total_null``; its last state moves to ``(conversion)`` with
        weight ``total_conversions`` and to ``(null)`` with ``total_null``.
        ``"paths"``: every row with a journey weighs 1, split between the absorbing
        states in the same proportion.
    """
    if not 1 <= order <= MAX_ORDER:
        raise InvalidArgumentError("order", order, f"between 1 and {MAX_ORDER}")
    if collapse_repeats:
        paths = paths.collapse_repeats()
    journeys = paths.conversions + paths.nulls
    if weighting == "journeys":
        w, w_conv, w_null, w_value = journeys, paths.conversions, paths.nulls, paths.value
    elif weighting == "paths":
        w = (journeys > 0).astype(np.float64)
        share = np.divide(1.0, journeys, out=np.zeros_like(journeys), where=journeys > 0)
        w_conv, w_null, w_value = paths.conversions * share, paths.nulls * share, paths.value * share
    else:
        raise InvalidArgumentError("weighting", weighting, ("journeys", "paths"))

    row, pos, touches = paths.touch_path, paths.touch_position, paths.touches
    length = paths.lengths[row]
    base = np.int64(paths.n_channels + 1)
    if float(base) ** order >= 2.0**62:
        raise InvalidArgumentError(
            "order",
            order,
            "a lower order",
            reason=f"{paths.n_channels} channels are too many for an order-{order} chain",
            reason_zh=f"{paths.n_channels} 个渠道对 {order} 阶马尔可夫链而言太多",
        )
    code = np.zeros(len(touches), dtype=np.int64)
    for lag in range(order):  # digit `lag` holds the touch `lag` steps back, 0 = before the path
        back = np.maximum(np.arange(len(touches)) - lag, 0)
        code += np.where(pos >= lag, touches[back] + 1, 0) * base**lag
    if history == "windows":
        is_state = pos >= np.minimum(order, length) - 1
    elif history == "padded":
        is_state = np.ones(len(touches), dtype=bool)
    else:
        raise InvalidArgumentError("history", history, ("windows", "padded"))
    code, row = code[is_state], row[is_state]

    if float(base) ** order <= 2**24:  # small code space: a lookup table beats sorting
        present = np.zeros(int(base) ** order, dtype=bool)
        present[code] = True
        codes = np.flatnonzero(present).astype(np.int64)
        sid = (np.cumsum(present) - 1)[code]
    else:
        codes, sid = np.unique(code, return_inverse=True)
        sid = sid.ravel()
    n = len(codes)
    first = np.ones(len(sid), dtype=bool)
    first[1:] = row[1:] != row[:-1]
    last = np.ones(len(sid), dtype=bool)
    last[:-1] = row[:-1] != row[1:]
    step = ~last  # a transition from touch i to touch i + 1 of the same path

    start = np.asarray(np.bincount(sid[first], weights=w[row[first]], minlength=n), dtype=np.float64)
    nxt = np.flatnonzero(step)
    counts = sp.coo_matrix((w[row[nxt]], (sid[nxt], sid[nxt + 1])), shape=(n, n)).tocsr()
    conv = np.asarray(np.bincount(sid[last], weights=w_conv[row[last]], minlength=n), dtype=np.float64)
    null = np.asarray(np.bincount(sid[last], weights=w_null[row[last]], minlength=n), dtype=np.float64)
    value = np.asarray(np.bincount(sid[last], weights=w_value[row[last]], minlength=n), dtype=np.float64)
    out = np.asarray(counts.sum(axis=1)).ravel() + conv + null
    inv = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    transient = sp.diags(inv) @ counts
    total_start = start.sum()

    digits = np.stack([(codes // base**lag) % base for lag in range(order)], axis=1) - 1  # -1: no touch
    states = tuple(tuple(int(d) for d in reversed(ds) if d >= 0) for ds in digits)
    st_idx, lag_idx = np.nonzero(digits >= 0)
    membership = sp.csc_matrix(
        (np.ones(len(st_idx)), (st_idx, digits[st_idx, lag_idx])), shape=(n, paths.n_channels)
    )
    membership.data[:] = 1.0  # a state holding a channel twice still holds it once
    return MarkovChain(
        channels=paths.channels,
        order=order,
        states=states,
        transient=sp.csr_matrix(transient),
        start=start / total_start if total_start > 0 else start,
        to_conversion=conv * inv,
        to_null=null * inv,
        value_rate=value * inv,
        membership=membership,
    )


def markov_attribution(
    paths: PathTable,
    *,
    order: int = 1,
    collapse_repeats: bool = False,
    history: History = "windows",
    weighting: Weighting = "journeys",
) -> MarkovResult:
    """Exact Markov-chain attribution (Anderl et al. 2016) with removal effects.

    The options are those of :func:`markov_chain`. Each channel's removal effect
    ``RE_c = 1 - P(conversion | c removed) / P(conversion)`` comes from one sparse
    LU solve of the sub-chain without ``c``; attributed conversions are
    ``total_conversions × RE_c / Σ RE``. Value is attributed the same way with the
    value removal effect, where the absorbing reward is the mean conversion value
    of the journeys ending in each state (so channels on high-value paths earn more
    value, as in ChannelAttribution's ``removal_effects_conversion_value``).

    ChannelAttribution estimates the same quantities by simulating walks on the
    same chain, capped at the longest observed path (``max_step``); its figures
    converge to these as the number of simulations and the cap grow.

    Examples
    --------
    >>> from canyu.analytics.attribution import PathTable, markov_attribution
    >>> t = PathTable.from_sequences([["a", "b"], ["b"]], conversions=[1, 0], nulls=[0, 1])
    >>> r = markov_attribution(t)
    >>> r.conversions.round(3).tolist(), r.removal_effects.round(3).tolist()
    ([0.333, 0.667], [0.5, 1.0])
    """
    chain = markov_chain(
        paths, order=order, collapse_repeats=collapse_repeats, history=history, weighting=weighting
    )
    p_conv, e_value = chain.absorption()
    c = paths.n_channels
    re_conv = np.zeros(c)
    re_value = np.zeros(c)
    held = chain.membership
    for ch in range(c):
        holds = np.zeros(len(chain.states), dtype=bool)
        holds[held.indices[held.indptr[ch] : held.indptr[ch + 1]]] = True
        if not holds.any():
            continue
        p_c, e_c = chain.absorption(~holds)
        re_conv[ch] = 1.0 - p_c / p_conv if p_conv > 0 else 0.0
        re_value[ch] = 1.0 - e_c / e_value if e_value > 0 else 0.0
    # Removal can only lose conversions, but a solve can leave -1e-16; keep RE in [0, 1].
    re_conv = np.clip(re_conv, 0.0, 1.0)
    re_value = np.clip(re_value, 0.0, 1.0)
    return MarkovResult(
        channels=paths.channels,
        conversions=_share(re_conv, paths.total_conversions),
        value=_share(re_value, paths.total_value),
        removal_effects=re_conv,
        removal_effects_value=re_value,
        conversion_probability=p_conv,
        chain=chain,
    )


def _solve(system: sp.csr_matrix, rhs: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Solve ``(I - Q) x = rhs`` exactly (to rounding) for an absorbing chain.

    Small chains: sparse LU. Large ones: higher-order chains are de Bruijn-like
    graphs whose LU factors fill in badly (order 4, 8k states: 1.5M non-zeros,
    ~0.5 s per factorisation), while ``x = rhs + Q x`` converges geometrically
    (Q is sub-stochastic and journeys are short), so it is iterated to a change
    below 1e-15 of ``max |x|``; GMRES, then LU, are the fallbacks if it stalls.
    """
    n = system.shape[0]
    if n > DIRECT_SOLVE_LIMIT:
        q = sp.identity(n, format="csr") - system
        x = rhs.copy()
        scale = max(float(np.abs(rhs).max()), 1e-300)
        for _ in range(MAX_ITERATIONS):
            nxt = rhs + q @ x
            change = float(np.abs(nxt - x).max())
            x = nxt
            if change <= 1e-15 * max(float(np.abs(x).max()), scale):
                return np.asarray(x)
        columns = []
        for b in rhs.T:
            col, info = spla.gmres(system, b, rtol=1e-13, atol=0.0, restart=50, maxiter=200)
            if info != 0:
                break
            columns.append(col)
        else:
            return np.column_stack(columns)
    return np.asarray(spla.splu(system.tocsc()).solve(rhs))


def _share(weights: npt.NDArray[np.float64], total: float) -> npt.NDArray[np.float64]:
    s = weights.sum()
    return weights * (total / s) if s > 0 else np.zeros_like(weights)
