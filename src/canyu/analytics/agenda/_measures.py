"""The agenda measures on prepared series: rank correlations, cross-lagged correlations, Granger tests.

All of them take ``days x topics`` arrays (see :mod:`._series`) and are vectorised over topics, so
365 days x 50 topics take well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "benjamini_hochberg",
    "circular_ccf",
    "granger_tests",
    "lagged_ccf",
    "rank_correlation",
    "shuffled_max_ccf",
    "var_order",
]


def _standardize(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sd > 0, sd, np.inf)


def lagged_ccf(lead: np.ndarray, follow: np.ndarray, lags: Sequence[int]) -> np.ndarray:
    """Correlation of ``lead[t - L]`` with ``follow[t]`` for each lag ``L`` (rows) and topic (columns).

    The cross-lagged correlation of a panel (Lazarsfeld 1946; Kenny 1975): a leader's topic shares
    correlate with the follower's ``L`` days later more than the other way round.
    """
    n = lead.shape[0]
    out = np.full((len(lags), lead.shape[1]), np.nan)
    for i, lag in enumerate(lags):
        if 0 <= lag < n - 2:
            a, b = _standardize(lead[: n - lag]), _standardize(follow[lag:])
            out[i] = (a * b).mean(axis=0)
    return out


def circular_ccf(lead: np.ndarray, follow: np.ndarray) -> np.ndarray:
    """Correlation of ``lead`` circularly shifted by every ``m`` with ``follow``: ``(n, topics)``.

    The shuffled-series baseline: a circular shift keeps each series' own autocorrelation and breaks
    the alignment between the two, so the values at shifts far from 0 are draws from the null.
    """
    a, b = _standardize(lead), _standardize(follow)
    spec = np.conj(np.fft.rfft(a, axis=0)) * np.fft.rfft(b, axis=0)
    return np.fft.irfft(spec, n=lead.shape[0], axis=0) / lead.shape[0]


def _batched_ols(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Residuals of least squares per topic: ``z`` (topics, T, m), ``y`` (topics, T, q)."""
    zz = np.swapaxes(z, 1, 2) @ z
    zy = np.swapaxes(z, 1, 2) @ y
    beta = np.linalg.solve(zz + 1e-12 * np.eye(zz.shape[1]), zy)
    return y - z @ beta


def var_order(effect: np.ndarray, cause: np.ndarray, max_lag: int, *, ic: str = "aic") -> np.ndarray:
    """The lag order of a bivariate VAR with a constant, per topic, by an information criterion.

    Every order is fitted on the same days (the first ``max_lag`` dropped), AIC or BIC on the
    maximum-likelihood residual covariance (Lütkepohl 2005, sec. 4.3), as statsmodels'
    ``VAR.select_order`` (the tests check they agree); orders 0..``max_lag``.
    """
    n, k = effect.shape
    t_obs = n - max_lag
    penalty = {"aic": 2.0 / t_obs, "bic": np.log(t_obs) / t_obs}[ic]
    y = np.stack([effect[max_lag:].T, cause[max_lag:].T], axis=2)  # (k, T, 2)
    best = np.zeros(k, dtype=np.int64)
    best_ic = np.full(k, np.inf)
    cols = [np.ones((k, t_obs))]
    for p in range(0, max_lag + 1):
        if p:
            cols += [effect[max_lag - p : n - p].T, cause[max_lag - p : n - p].T]
        resid = _batched_ols(np.stack(cols, axis=2), y)
        sign, logdet = np.linalg.slogdet(np.swapaxes(resid, 1, 2) @ resid / t_obs)
        ic_p = np.where(sign > 0, logdet, -np.inf) + penalty * (4 * p + 2)
        better = ic_p < best_ic
        best[better], best_ic[better] = p, ic_p[better]
    return best


def _f_test(y: np.ndarray, restricted: np.ndarray, full: np.ndarray) -> tuple[float, float, int, int]:
    """F statistic, p-value and degrees of freedom for adding ``full``'s extra columns to ``restricted``."""
    ssr = []
    for z in (restricted, full):
        beta, *_ = np.linalg.lstsq(z, y, rcond=None)
        ssr.append(float(np.sum((y - z @ beta) ** 2)))
    q, df = full.shape[1] - restricted.shape[1], len(y) - full.shape[1]
    if df <= 0 or ssr[1] <= 0:
        return float("nan"), float("nan"), q, df
    f = ((ssr[0] - ssr[1]) / q) / (ssr[1] / df)
    return f, float(stats.f.sf(f, q, df)), q, df


def granger_tests(effect: np.ndarray, cause: np.ndarray, orders: np.ndarray) -> pd.DataFrame:
    """Granger (1969) F-test per topic that ``cause``'s past improves the forecast of ``effect``.

    At each topic's lag order ``p`` (at least 1): ``effect_t`` on a constant and ``p`` lags of both
    series, against the model without the cause's lags, on the ``n - p`` days with all lags (the
    ``ssr_ftest`` of statsmodels' ``grangercausalitytests``, which the tests check it against).
    """
    n, k = effect.shape
    rows = []
    for j in range(k):
        p = max(1, int(orders[j]))
        y = effect[p:, j]
        own = [effect[p - lag : n - lag, j] for lag in range(1, p + 1)]
        other = [cause[p - lag : n - lag, j] for lag in range(1, p + 1)]
        restricted = np.column_stack([np.ones(n - p), *own])
        full = np.column_stack([restricted, *other])
        f, pval, q, df = _f_test(y, restricted, full)
        rows.append({"order": p, "f": f, "p": pval, "df_num": q, "df_den": df})
    return pd.DataFrame(rows)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini & Hochberg (1995) adjusted p-values (q-values); NaN stays NaN."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p, dtype=float)
    q = np.full(len(p), np.nan)
    ok = np.isfinite(p)
    if ok.any():
        q[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return q


def _lags(x: np.ndarray, first: int, last: int, start: int) -> np.ndarray:
    """Columns ``x[t - lag]`` for lag in first..last, t from ``start``, stacked over topics."""
    n = x.shape[0]
    return np.column_stack([x[start - lag : n - lag].T.ravel() for lag in range(first, last + 1)])


def shuffled_max_ccf(lead: np.ndarray, follow: np.ndarray, max_lag: int) -> tuple[float, float]:
    """The best pooled correlation of ``lead[t - L]`` with ``follow[t]`` over L = 1..``max_lag``, and
    its p-value against the shuffled-series baseline.

    The baseline is the same maximum over windows of ``max_lag`` consecutive circular shifts far from
    the true alignment (every shift from ``max_lag + 1`` to ``n - 2 * max_lag - 1``): a circular shift
    keeps both series' autocorrelation and breaks their alignment. ``p = (1 + #{null >= observed}) /
    (1 + #null)``; one-sided, since agenda setting raises the follower's salience.

    Returns ``(observed, p)``.
    """
    circ = np.nanmean(circular_ccf(lead, follow), axis=1)
    n = len(circ)
    observed = float(np.max(circ[1 : max_lag + 1]))
    offsets = np.arange(max_lag + 1, n - 2 * max_lag)
    if len(offsets) == 0:
        return observed, float("nan")
    windows = np.lib.stride_tricks.sliding_window_view(circ, max_lag)[offsets]
    null = windows.max(axis=1)
    return observed, float((1 + np.sum(null >= observed)) / (1 + len(null)))


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks along the last axis (ties share their mean rank)."""
    return np.apply_along_axis(stats.rankdata, -1, x) if x.size else x


def rank_correlation(
    brand: np.ndarray,
    audience: np.ndarray,
    days: pd.Index,
    *,
    lags: Sequence[int],
    period_days: int = 7,
) -> pd.DataFrame:
    """McCombs & Shaw (1972): Spearman's rho between the brand's and the audience's topic ranks per period.

    Each period of ``period_days`` days ranks the topics by the brand's total share and by the
    audience's total share over the same days ``lag`` days later; one row per period and lag, with
    the p-value of rho from the t distribution with ``topics - 2`` degrees of freedom (as scipy's
    ``spearmanr``).
    """
    n, k = brand.shape
    frames = []
    for lag in lags:
        starts = np.arange(0, n - lag - period_days + 1, period_days)
        if len(starts) == 0:
            continue
        b = np.stack([brand[lo : lo + period_days].sum(axis=0) for lo in starts])
        a = np.stack([audience[lo + lag : lo + lag + period_days].sum(axis=0) for lo in starts])
        rb, ra = _ranks(b), _ranks(a)
        rb, ra = rb - rb.mean(axis=1, keepdims=True), ra - ra.mean(axis=1, keepdims=True)
        den = np.sqrt((rb**2).sum(axis=1) * (ra**2).sum(axis=1))
        rho = np.where(den > 0, (rb * ra).sum(axis=1) / np.where(den > 0, den, 1.0), np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = rho * np.sqrt((k - 2) / np.maximum(1 - rho**2, 1e-300))
        p = 2 * stats.t.sf(np.abs(t), k - 2) if k > 2 else np.full(len(rho), np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "period_start": days[starts] if len(days) else starts,
                    "lag_days": lag,
                    "rho": rho,
                    "p": np.where(np.isfinite(rho), p, np.nan),
                    "topics": k,
                }
            )
        )
    columns = ["period_start", "lag_days", "rho", "p", "topics"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
