"""Daily topic salience series, and the preparation every agenda measure shares.

A salience series is a ``days x topics`` table of shares (each row sums to 1 over the topics that
were discussed that day). Before any measure, each topic's series is detrended and its weekly
seasonality removed (a regression on a linear trend and day-of-week dummies, whose residuals are
kept), so that two series that merely share a trend or a weekday rhythm are not read as one
leading the other (Granger & Newbold 1974, spurious regressions). For lagged correlations the
leading candidate is then prewhitened with its own autoregressive filter, and the same filter is
applied to the other series (Box & Jenkins 1976, ch. 11), so the cross-correlation at a lag is not
smeared over the neighbouring lags by the leader's autocorrelation; for the direction tests each
series is filtered by its own filter (double prewhitening, Haugh 1976), so that under independence
the cross-correlations of the two innovation series are white at every lag, in both directions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from canyu.errors import CanyuError

__all__ = ["AgendaDataError", "PairedSeries", "ar_filter", "paired_series", "residualize", "topic_salience"]


class AgendaDataError(CanyuError):
    """The salience series cannot be analysed (too short, no common topics, bad values); ``reason`` says why."""

    def __init__(self, message: str, *, reason: str, message_zh: str | None = None) -> None:
        super().__init__(message, message_zh=message_zh)
        self.reason = reason


def topic_salience(
    records: pd.DataFrame,
    *,
    day: str = "day",
    topic: str = "topic",
    weight: str | None = None,
    by: str | None = None,
    topics: Sequence[str] | None = None,
    days: pd.DatetimeIndex | None = None,
) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """Daily topic shares from one row per text (a brand post, a comment, a mention).

    Parameters
    ----------
    records
        One row per text with its ``day`` (a date, already in the workspace's zone) and ``topic``;
        a text on several topics is one row per topic, with ``weight`` splitting it.
    weight
        Optional column of weights (default: each row counts 1).
    by
        Optional column (e.g. ``"channel"``): one table per value, as a dict.
    topics, days
        The columns and rows of the result (default: those seen). A day with no text gets the
        topic's mean share over the days with text (neutral after :func:`residualize`), not zeros.

    Returns
    -------
    DataFrame (or dict of them) indexed by day, one column per topic, rows summing to 1.
    """
    for col in (day, topic, *(c for c in (weight, by) if c)):
        if col not in records.columns:
            raise AgendaDataError(
                f"column {col!r} is missing; the records have {list(records.columns)}",
                message_zh=f"缺少列 {col!r}；现有列：{list(records.columns)}",
                reason="missing_column",
            )
    frame = records.assign(_day=pd.to_datetime(records[day]).dt.normalize())
    all_topics = list(topics) if topics is not None else sorted(frame[topic].dropna().unique().tolist())
    index = days if days is not None else pd.date_range(frame["_day"].min(), frame["_day"].max(), freq="D")
    if by is not None:
        return {
            str(key): _shares(part, topic, weight, all_topics, index)
            for key, part in frame.groupby(by, sort=True)
        }
    return _shares(frame, topic, weight, all_topics, index)


def _shares(
    frame: pd.DataFrame, topic: str, weight: str | None, topics: list[str], index: pd.DatetimeIndex
) -> pd.DataFrame:
    w = frame[weight] if weight else pd.Series(1.0, index=frame.index)
    counts = (
        w.groupby([frame["_day"], frame[topic]])
        .sum()
        .unstack(fill_value=0.0)
        .reindex(columns=topics, fill_value=0.0)
    )
    counts = counts.reindex(index, fill_value=0.0)
    total = counts.sum(axis=1)
    shares = counts.div(total.where(total > 0), axis=0)
    shares = shares.fillna(shares.mean()).fillna(1.0 / max(len(topics), 1))
    shares.index.name = "day"
    shares.columns.name = "topic"
    return shares


def residualize(values: np.ndarray, weekday: np.ndarray | None = None) -> np.ndarray:
    """Residuals of each column after a linear trend and day-of-week means (``days x topics``)."""
    n = values.shape[0]
    t = np.linspace(-1.0, 1.0, n)
    cols = [np.ones(n), t]
    if weekday is not None and n >= 21:
        cols += [(weekday == d).astype(float) for d in range(1, 7)]
    design = np.column_stack(cols)
    return values - design @ (np.linalg.pinv(design) @ values)


def ar_filter(x: np.ndarray, max_order: int) -> list[np.ndarray]:
    """Per column of ``x``, the AR coefficients (order by AIC, 0..``max_order``) of a least-squares fit.

    All orders are fitted on the same days (the first ``max_order`` dropped), without intercept (the
    series are residualized).
    """
    n, k = x.shape
    target = x[max_order:].T[:, :, None]  # (k, T, 1)
    t_obs = n - max_order
    best = [np.zeros(0) for _ in range(k)]
    best_aic = np.log(np.maximum((target[:, :, 0] ** 2).mean(axis=1), 1e-300))
    for p in range(1, max_order + 1):
        z = np.stack([x[max_order - j : n - j].T for j in range(1, p + 1)], axis=2)  # (k, T, p)
        zz = np.swapaxes(z, 1, 2) @ z + 1e-12 * np.eye(p)
        phi = np.linalg.solve(zz, np.swapaxes(z, 1, 2) @ target)
        resid = target - z @ phi
        aic = np.log(np.maximum((resid[:, :, 0] ** 2).mean(axis=1), 1e-300)) + 2 * p / t_obs
        for j in np.flatnonzero(aic < best_aic):
            best[j] = phi[j, :, 0]
        best_aic = np.minimum(best_aic, aic)
    return best


def _apply(series: np.ndarray, phis: list[np.ndarray], drop: int) -> np.ndarray:
    """``e_t = s_t - sum_j phi_j s_{t-j}`` per column, dropping the first ``drop`` days."""
    n = series.shape[0]
    out = series[drop:].copy()
    for k, phi in enumerate(phis):
        for j, c in enumerate(phi, start=1):
            out[:, k] -= c * series[drop - j : n - j, k]
    return out


@dataclass(frozen=True)
class PairedSeries:
    """Brand and audience series on common days and topics, residualized, and their prewhitened pairs."""

    topics: tuple[str, ...]
    days: pd.Index
    brand: np.ndarray  # residualized, days x topics
    audience: np.ndarray
    brand_raw: np.ndarray  # the shares as given (for the rank correlations)
    audience_raw: np.ndarray
    # prewhitened with the brand's filter (for "brand leads") and with the audience's (for "audience leads")
    brand_white: tuple[np.ndarray, np.ndarray]  # (brand, audience) filtered by the brand's AR filter
    audience_white: tuple[np.ndarray, np.ndarray]  # (audience, brand) filtered by the audience's
    innovations: tuple[np.ndarray, np.ndarray]  # (brand, audience), each filtered by its own (Haugh 1976)
    audience_filter: tuple[np.ndarray, ...]  # the audience's AR coefficients per topic
    order: int  # days dropped by the filters


def paired_series(brand: pd.DataFrame, audience: pd.DataFrame, *, max_lag: int) -> PairedSeries:
    """Align ``brand`` and ``audience`` on their common days and topics and prepare them."""
    for name, frame in (("brand", brand), ("audience", audience)):
        if not isinstance(frame, pd.DataFrame):
            raise AgendaDataError(
                f"{name} must be a DataFrame of daily topic shares (days x topics)",
                message_zh=f"{name} 必须是每日话题占比表（天 × 话题）",
                reason="not_a_table",
            )
    topics = [t for t in brand.columns if t in set(audience.columns)]
    days = brand.index.intersection(audience.index).sort_values()
    if not topics:
        raise AgendaDataError(
            "the brand and audience series share no topic",
            message_zh="品牌与受众的话题没有交集",
            reason="no_common_topics",
        )
    need = 3 * max_lag + 14
    if len(days) < need:
        raise AgendaDataError(
            f"{len(days)} common days; the agenda measures need at least {need} (3 x max_lag + 14)",
            message_zh=f"共同天数 {len(days)}；议程分析至少需要 {need} 天（3 × 最大滞后 + 14）",
            reason="too_short",
        )
    b = brand.loc[days, topics].to_numpy(dtype=float)
    a = audience.loc[days, topics].to_numpy(dtype=float)
    if not (np.isfinite(b).all() and np.isfinite(a).all()):
        raise AgendaDataError(
            "the salience series hold missing or infinite values",
            message_zh="话题显著度序列含缺失或无穷值",
            reason="not_finite",
        )
    weekday = np.asarray(pd.DatetimeIndex(days).day_of_week) if isinstance(days, pd.DatetimeIndex) else None
    br, ar = residualize(b, weekday), residualize(a, weekday)
    order = min(max_lag, 7)
    fb, fa = ar_filter(br, order), ar_filter(ar, order)
    return PairedSeries(
        tuple(str(t) for t in topics),
        days,
        br,
        ar,
        b,
        a,
        (_apply(br, fb, order), _apply(ar, fb, order)),
        (_apply(ar, fa, order), _apply(br, fa, order)),
        (_apply(br, fb, order), _apply(ar, fa, order)),
        tuple(fa),
        order,
    )
