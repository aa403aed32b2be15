"""Spikes of negative discussion (舆情): days whose negative share is far above the recent baseline.

The test, per day ``t`` with ``n_t`` posts of which ``x_t`` are negative:

- **Baseline**: the trailing ``window`` days before ``t`` (not ``t`` itself), pooled, leaving out
  days that themselves tested above their own baseline at level ``alpha / window`` — so a past spike does
  not lift the baseline and hide the next one (a robust trailing baseline). A day needs at least
  ``min_history`` baseline days with posts, else it is not tested.
- **Share test** (total posts known): one-sided Fisher exact test that day ``t``'s negative
  share exceeds the baseline's, i.e. ``P(X >= x_t)`` for ``X`` hypergeometric given the margins
  (Fisher 1935). Conditioning on the margins takes the baseline's own sampling error into
  account, so it is exact (and a little conservative) under the null of equal shares.
- **Overdispersion** (share test): real daily shares wander more than sampling alone allows (the
  day's topic mix changes what people complain about), so at thousands of posts a day a Fisher test
  alone calls ordinary days spikes. The day must also stand out against the baseline days' own
  spread: Laney's p′ chart (Laney 2002) scales the binomial standard error by ``σ_z``, the standard
  deviation of the baseline days' standardised shares (at least 1), and the day's one-sided
  Student-t p-value under it (σ_z is estimated from the window's days) is taken with Fisher's
  (the larger of the two decides). And the share must be at
  least ``min_ratio`` times the baseline's (an effect a brand would act on, not a wobble).
- **Count test** (no totals): for Poisson counts, ``x_t`` given ``x_t + S`` (``S`` the baseline's
  sum over ``m`` days) is binomial with ``p = 1/(m+1)`` under equal rates; one-sided
  (Przyborowski & Wilenski 1940).
- **Across days**: Benjamini–Hochberg q-values over every tested day (Benjamini & Hochberg 1995);
  a spike is a day with ``q <= alpha``, at least ``min_negative`` negative posts, and a share (or
  count) above the baseline's.
- **Too thin**: with fewer than ``min_history + 1`` days holding posts, or fewer than
  ``min_negative`` negative posts in all, nothing is tested and the result says so.

References
----------
Fisher, R. A. (1935). The logic of inductive inference. JRSS 98(1), 39–82.
Przyborowski, J. & Wilenski, H. (1940). Homogeneity of results in testing samples from Poisson
series. Biometrika 31(3/4), 313–323.
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57(1), 289–300.
Laney, D. B. (2002). Improved control charts for attributes. Quality Engineering 14(4), 531–537.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._errors import TextInputError

__all__ = ["SpikeResult", "benjamini_hochberg", "negative_share_spikes", "negative_spikes"]

_DAILY_COLUMNS = ["day", "posts", "negative", "share", "baseline_share", "p_value", "q_value", "spike"]


@dataclass(frozen=True)
class SpikeResult:
    """Negative-discussion spikes.

    Attributes
    ----------
    spikes:
        One row per spike day: ``day, posts, negative, share, baseline_share, ratio, p_value,
        q_value`` and ``post_ids`` (the negative posts of that day) when posts were given.
    daily:
        Every day: counts, baseline, p- and q-value (NaN where not tested), ``spike``.
    test:
        The test used, in words.
    note:
        ``"too thin: ..."`` when there was too little data to test; else ``None``.
    """

    spikes: pd.DataFrame
    daily: pd.DataFrame
    test: str
    note: str | None = None

    @property
    def too_thin(self) -> bool:
        """Whether there was too little data to test any day."""
        return self.note is not None and self.note.startswith("too thin")


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN stays NaN and is not counted."""
    p = np.asarray(p, dtype=np.float64)
    q = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    q[ok] = out
    return q


def negative_share_spikes(
    days: Sequence[Any],
    negative: Sequence[int] | np.ndarray,
    total: Sequence[int] | np.ndarray | None = None,
    *,
    window: int = 28,
    min_history: int = 14,
    min_negative: int = 5,
    alpha: float = 0.05,
    min_ratio: float = 1.1,
) -> SpikeResult:
    """Test each day's negative posts against its robust trailing baseline (see module doc).

    Parameters
    ----------
    days:
        The days, in order, one per entry (missing days should be present with zero counts).
    negative:
        Negative posts per day.
    total:
        All posts per day; ``None`` tests counts instead of shares.
    window:
        Trailing days in the baseline.
    min_history:
        Baseline days with posts a day needs to be tested.
    min_negative:
        Negative posts a spike day needs at least.
    alpha:
        False discovery rate across days (and the level that keeps a day out of later baselines).
    min_ratio:
        Share test: a spike's negative share is at least this multiple of the baseline's.

    Returns
    -------
    SpikeResult

    Examples
    --------
    >>> neg = [5] * 30 + [30]
    >>> r = negative_share_spikes(range(31), neg, [100] * 31)
    >>> r.spikes["day"].tolist()
    [30]
    """
    x = np.asarray(negative, dtype=np.int64)
    n = None if total is None else np.asarray(total, dtype=np.int64)
    d = list(days)
    if len(d) != len(x) or (n is not None and len(n) != len(x)):
        raise TextInputError(
            "days, negative and total must have the same length",
            message_zh="日期、负面数和总数的长度必须一致",
        )
    if n is not None and np.any(x > n):
        raise TextInputError(
            "a day has more negative posts than posts", message_zh="某天的负面帖子数多于帖子总数"
        )
    if np.any(x < 0) or (n is not None and np.any(n < 0)):
        raise TextInputError("counts must not be negative", message_zh="计数不能为负")
    share_mode = n is not None
    test = (
        f"one-sided Fisher exact test of the day's negative share against the pooled trailing "
        f"{window}-day baseline (days that tested above their own baseline left out) and against the "
        f"baseline days' own spread (Laney p' chart), Benjamini-Hochberg across days at {alpha}, "
        f"at least {min_negative} negative posts and {min_ratio:g}x the baseline share"
        if share_mode
        else f"one-sided conditional binomial test of the day's negative count against the trailing "
        f"{window}-day baseline (Poisson rates), Benjamini-Hochberg across days at {alpha}, "
        f"at least {min_negative} negative posts"
    )
    active = (n > 0) if n is not None else np.ones(len(x), dtype=bool)
    T = len(x)
    p = np.full(T, np.nan)
    p_decide = np.full(T, np.nan)  # share mode: the larger of Fisher's and the overdispersed p-value
    base_share = np.full(T, np.nan)
    excluded = np.zeros(T, dtype=bool)
    for t in range(T):
        lo = max(0, t - window)
        use = np.arange(lo, t)
        use = use[active[use] & ~excluded[use]]
        if len(use) < min_history:
            continue
        xb = int(x[use].sum())
        if share_mode:
            assert n is not None
            nb = int(n[use].sum())
            if n[t] == 0 or nb == 0:
                continue
            pb = xb / nb
            base_share[t] = pb
            # P(X >= x_t), X ~ Hypergeom(population nb+n_t, successes xb+x_t, draws n_t)
            p[t] = float(stats.hypergeom.sf(x[t] - 1, nb + n[t], xb + x[t], n[t]))
            p_decide[t] = max(p[t], _overdispersed_p(x[t], n[t], x[use], n[use], pb))
        else:
            base_share[t] = xb / len(use)  # the baseline's mean count per day
            p[t] = float(stats.binom.sf(x[t] - 1, xb + x[t], 1.0 / (len(use) + 1)))
            p_decide[t] = p[t]
        # only a clear outlier leaves later baselines (Bonferroni over the window): dropping every day
        # at the raw level would trim the baseline's upper tail, shrink its spread and cascade
        if p_decide[t] <= alpha / window:
            excluded[t] = True
    share = np.divide(x, n, out=np.full(T, np.nan), where=n > 0) if n is not None else x.astype(np.float64)
    daily = pd.DataFrame(
        {
            "day": d,
            "posts": n if n is not None else np.full(T, -1),
            "negative": x,
            "share": share,
            "baseline_share": base_share,
            "p_value": p,
        }
    )
    if n is None:
        daily = daily.drop(columns="posts")
    thin_days = int(active.sum()) < min_history + 1
    thin_neg = int(x.sum()) < min_negative
    if thin_days or thin_neg or np.isnan(p).all():
        why = (
            f"{int(active.sum())} days with posts (need {min_history + 1})"
            if thin_days or np.isnan(p).all()
            else f"{int(x.sum())} negative posts in all (need {min_negative})"
        )
        daily["q_value"] = np.nan
        daily["spike"] = False
        return SpikeResult(
            spikes=_spike_rows(daily.iloc[0:0]), daily=daily, test=test, note=f"too thin: {why}"
        )
    q = benjamini_hochberg(p_decide)
    daily["q_value"] = q
    above = share >= min_ratio * base_share if share_mode else share > base_share
    daily["spike"] = (q <= alpha) & (x >= min_negative) & above
    return SpikeResult(spikes=_spike_rows(daily[daily["spike"]]), daily=daily, test=test)


def _overdispersed_p(x_t: int, n_t: int, xs: np.ndarray, ns: np.ndarray, pb: float) -> float:
    """One-sided p-value of day ``t``'s share under Laney's p′ chart built on the baseline days."""
    if not 0.0 < pb < 1.0:
        return 0.0 if x_t > pb * n_t else 1.0
    keep = ns > 0
    se = np.sqrt(pb * (1.0 - pb) / ns[keep])
    z = (xs[keep] / ns[keep] - pb) / se
    sigma_z = max(1.0, float(np.std(z, ddof=1))) if len(z) > 1 else 1.0
    z_t = (x_t / n_t - pb) / (sigma_z * np.sqrt(pb * (1.0 - pb) / n_t))
    # Student's t, not the normal: sigma_z is estimated from the window's few days
    return float(stats.t.sf(z_t, df=max(len(z) - 1, 1)))


def _spike_rows(rows: pd.DataFrame) -> pd.DataFrame:
    out = rows.drop(columns="spike").reset_index(drop=True).copy()
    out["ratio"] = out["share"] / out["baseline_share"]
    return out


def negative_spikes(
    posts: pd.DataFrame,
    *,
    day: str = "day",
    post_id: str = "post_id",
    negative: str | None = "negative",
    sentiment: str | None = None,
    threshold: float = 0.5,
    window: int = 28,
    min_history: int = 14,
    min_negative: int = 5,
    alpha: float = 0.05,
) -> SpikeResult:
    """Spikes of negative posts in a posts table, with the ids of the posts that carry them.

    Parameters
    ----------
    posts:
        One row per post: an id, its day (date, or timestamp already in the workspace zone; it is
        floored to the day) and whether it is negative.
    day, post_id:
        Column names.
    negative:
        A 0/1 (or bool) column saying the post is negative; ignored when ``sentiment`` is given.
    sentiment:
        A column with the probability positive (from :func:`canyu.analytics.text.sentiment`);
        a post is negative when it is below ``threshold``.
    window, min_history, min_negative, alpha:
        As in :func:`negative_share_spikes` (share test; days without posts count as empty).

    Returns
    -------
    SpikeResult
        ``spikes`` has a ``post_ids`` column (the negative posts of each spike day).
    """
    need = [day, post_id, sentiment if sentiment is not None else negative]
    missing = [c for c in need if c is None or c not in posts.columns]
    if missing:
        raise TextInputError(
            f"posts have no column(s) {missing}; columns: {', '.join(map(str, posts.columns))}",
            message_zh=f"帖子表缺少列 {missing}；已有的列：{', '.join(map(str, posts.columns))}",
            column=str(missing[0]),
        )
    frame = pd.DataFrame({"post_id": posts[post_id].to_numpy()})
    frame["day"] = pd.to_datetime(posts[day].to_numpy()).floor("D")
    if sentiment is not None:
        frame["neg"] = posts[sentiment].to_numpy(dtype=np.float64) < threshold
    else:
        frame["neg"] = posts[negative].astype(bool).to_numpy()
    if frame.empty:
        daily_days = pd.DatetimeIndex([])
    else:
        daily_days = pd.date_range(frame["day"].min(), frame["day"].max(), freq="D")
    grouped = frame.groupby("day")["neg"].agg(["size", "sum"]).reindex(daily_days, fill_value=0)
    res = negative_share_spikes(
        [ts.date() for ts in daily_days],
        grouped["sum"].to_numpy(dtype=np.int64),
        grouped["size"].to_numpy(dtype=np.int64),
        window=window,
        min_history=min_history,
        min_negative=min_negative,
        alpha=alpha,
    )
    spikes = res.spikes.copy()
    ids_by_day = frame[frame["neg"]].groupby(frame["day"].dt.date)["post_id"].agg(list)
    spikes["post_ids"] = [ids_by_day.get(dd, []) for dd in spikes["day"]]
    return SpikeResult(spikes=spikes, daily=res.daily, test=res.test, note=res.note)
