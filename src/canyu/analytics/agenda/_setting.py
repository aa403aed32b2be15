"""Whether the brand sets its audience's agenda: direction, lag and strength, per topic and channel.

How it is decided (see ``docs/agenda.md``):

* **Direction** — in each direction, the highest cross-lagged correlation over lags 1..``max_lag``
  (Kenny 1975) of the two series' innovations (each prewhitened by its own AR filter: Haugh 1976),
  pooled over topics, against the shuffled-series baseline (the same maximum at circular shifts far
  from the true alignment). ``brand_leads`` when only the brand's side is significant at ``alpha``,
  ``audience_leads`` for the reverse, ``reciprocal`` for both (unless the weaker side's peak is below
  ``ECHO_RATIO`` of the stronger's: an echo of the leader), ``none`` for neither. Per topic: Granger
  (1969) F-tests both ways in a bivariate VAR of the innovations whose lag order an information
  criterion chooses, with Benjamini & Hochberg (1995) q-values across topics.
* **Lag** — the lag 1..``max_lag`` of that highest correlation in the leading direction, with a
  moving-block bootstrap interval over days (Künsch 1989).
* **Strength** — the regression coefficient of the audience's salience on the brand's emphasis at
  that lag, pooled over topics and clipped to [0, 1]: with salience ``(1 - s) * own + s * emphasis``
  lagged (the simulator's model) it estimates ``s``; ``reverse_strength`` the same for the brand
  following the audience. Labels: ``weak`` below 0.2, ``moderate`` below 0.4, else ``strong``;
  ``none`` when the brand does not lead.
* **Rank correlation** — McCombs & Shaw (1972): Spearman's rho of topic ranks per week, at lag 0 and
  at the estimated lag.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from canyu.analytics.agenda._measures import (
    benjamini_hochberg,
    circular_ccf,
    granger_tests,
    lagged_ccf,
    rank_correlation,
    shuffled_max_ccf,
    var_order,
)
from canyu.analytics.agenda._series import AgendaDataError, PairedSeries, paired_series

__all__ = ["DIRECTIONS", "AgendaResult", "agenda_setting", "strength_label"]

DIRECTIONS = ("brand_leads", "audience_leads", "reciprocal", "none")
# Both sides significant: ``reciprocal`` only if the weaker peak correlation is at least this share of
# the stronger; below it the weaker is read as an echo of the leader (a leader's persistence and
# campaign-long level shifts leave a small correlation in the other direction too).
ECHO_RATIO = 1 / 3


def strength_label(strength: float, leads: bool) -> str:
    """``none`` unless the brand leads; then ``weak`` (< 0.2), ``moderate`` (< 0.4) or ``strong``."""
    if not leads or not np.isfinite(strength):
        return "none"
    return "weak" if strength < 0.2 else "moderate" if strength < 0.4 else "strong"


def _direction(brand_leads: bool, audience_leads: bool) -> str:
    if brand_leads and audience_leads:
        return "reciprocal"
    return "brand_leads" if brand_leads else "audience_leads" if audience_leads else "none"


@dataclass(frozen=True)
class AgendaResult:
    """The agenda-setting diagnosis of one brand (and its channels).

    Attributes
    ----------
    direction
        ``brand_leads``, ``audience_leads``, ``reciprocal`` or ``none``.
    lag_days, lag_interval
        The lag of the leading side (the brand's when it leads or both do, else the audience's; the
        brand's best lag when neither leads), with a 95% block-bootstrap interval.
    strength, strength_interval
        Brand → audience, 0..1, comparable to the simulator's ``agenda_strength``.
    reverse_strength, reverse_lag_days
        Audience → brand, 0..1, and its lag.
    p_brand_leads, p_audience_leads
        Shuffle-calibrated p-values of the pooled cross-lagged tests.
    topics
        One row per topic: ``topic, direction, lag_days, strength, reverse_strength, granger_order,
        p_brand_leads, q_brand_leads, p_audience_leads, q_audience_leads, brand_share, audience_share``.
    cross_lagged
        ``lag_days`` (positive: brand leads) ``-max_lag..max_lag``, ``corr`` (of the innovations, pooled
        over topics), ``null_low`` and ``null_high`` (2.5% and 97.5% of the shuffled baseline).
    rank_correlation
        ``period_start, lag_days, rho, p, topics`` (McCombs & Shaw 1972).
    channels
        One row per channel analysed (``channel, direction, lag_days, lag_low, lag_high, strength,
        strength_low, strength_high, reverse_strength, p_brand_leads, p_audience_leads, days, reason``),
        or an empty table.
    """

    direction: str
    lag_days: int
    lag_interval: tuple[int, int]
    strength: float
    strength_interval: tuple[float, float]
    strength_label: str
    reverse_strength: float
    reverse_lag_days: int
    p_brand_leads: float
    p_audience_leads: float
    alpha: float
    days: int
    topics: pd.DataFrame = field(repr=False)
    cross_lagged: pd.DataFrame = field(repr=False)
    rank_correlation: pd.DataFrame = field(repr=False)
    channels: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary with the per-topic and per-channel tables as lists of records."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            out = frame.copy()
            for col in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[col]):
                    out[col] = out[col].dt.strftime("%Y-%m-%d")
            return [
                {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
                for row in out.to_dict(orient="records")
            ]

        return {
            "direction": self.direction,
            "lag_days": self.lag_days,
            "lag_interval": list(self.lag_interval),
            "strength": round(self.strength, 4),
            "strength_interval": [round(v, 4) for v in self.strength_interval],
            "strength_label": self.strength_label,
            "reverse_strength": round(self.reverse_strength, 4),
            "reverse_lag_days": self.reverse_lag_days,
            "p_brand_leads": self.p_brand_leads,
            "p_audience_leads": self.p_audience_leads,
            "alpha": self.alpha,
            "days": self.days,
            "topics": records(self.topics),
            "channels": records(self.channels),
        }


@dataclass(frozen=True)
class _Core:
    direction: str
    lag: int
    lag_interval: tuple[int, int]
    strength: float
    strength_interval: tuple[float, float]
    reverse_strength: float
    reverse_lag: int
    p_brand: float
    p_audience: float
    ccf_brand: np.ndarray  # (max_lag + 1, topics): lags 0..max_lag
    ccf_audience: np.ndarray
    null_brand: tuple[float, float]
    null_audience: tuple[float, float]


def _slope(lead: np.ndarray, follow: np.ndarray, lag: int) -> np.ndarray:
    """Per topic: the least-squares coefficient of ``follow[t]`` on ``lead[t - lag]`` (series centred)."""
    n = lead.shape[0]
    a, b = lead[: n - lag], follow[lag:]
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    den = (a * a).sum(axis=0)
    return np.where(den > 0, (a * b).sum(axis=0) / np.where(den > 0, den, 1.0), np.nan)


def _block_bootstrap(
    rng: np.random.Generator,
    lead: np.ndarray,
    follow: np.ndarray,
    max_lag: int,
    lag: int,
    *,
    boot: int,
    block: int,
) -> tuple[tuple[int, int], tuple[float, float]]:
    """Moving-block bootstrap (Künsch 1989) over days of the lagged products: the best lag and the slope."""
    n = lead.shape[0]
    za = (lead - lead.mean(axis=0)) / np.where(lead.std(axis=0) > 0, lead.std(axis=0), np.inf)
    zb = (follow - follow.mean(axis=0)) / np.where(follow.std(axis=0) > 0, follow.std(axis=0), np.inf)
    t = np.arange(max_lag, n)
    prod = np.stack([(za[t - lag_] * zb[t]).sum(axis=1) for lag_ in range(1, max_lag + 1)])  # (max_lag, T)
    num = (lead[t - lag] * follow[t]).sum(axis=1)
    den = (lead[t - lag] ** 2).sum(axis=1)
    m = len(t)
    block = max(1, min(block, m // 3))
    n_blocks = -(-m // block)
    starts = rng.integers(0, m - block + 1, (boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)).reshape(boot, -1)[:, :m]
    best = 1 + np.argmax(prod[:, idx].sum(axis=2), axis=0)
    slopes = num[idx].sum(axis=1) / np.maximum(den[idx].sum(axis=1), 1e-300)
    lo, hi = np.percentile(best, [2.5, 97.5])
    s_lo, s_hi = np.clip(np.percentile(slopes, [2.5, 97.5]), 0.0, 1.0)
    return (int(np.floor(lo)), int(np.ceil(hi))), (float(s_lo), float(s_hi))


def _null_band(lead: np.ndarray, follow: np.ndarray, max_lag: int) -> tuple[float, float]:
    circ = np.nanmean(circular_ccf(lead, follow), axis=1)
    far = circ[max_lag + 1 : len(circ) - max_lag]
    lo, hi = np.percentile(far, [2.5, 97.5]) if len(far) else (np.nan, np.nan)
    return float(lo), float(hi)


def _core(
    ps: PairedSeries,
    *,
    max_lag: int,
    alpha: float,
    boot: int,
    block: int,
    seed: int,
    texts: np.ndarray | None = None,
) -> _Core:
    rng = np.random.default_rng(seed)
    xb, yb = ps.brand_white  # for the brand's strength: both filtered by the brand's AR filter
    ya, xa = ps.audience_white  # for the audience's: both filtered by the audience's
    eb, ea = ps.innovations  # for direction and lag: each filtered by its own
    lags = range(0, max_lag + 1)
    ccf_b, ccf_a = lagged_ccf(eb, ea, lags), lagged_ccf(ea, eb, lags)
    pooled_b, pooled_a = np.nanmean(ccf_b, axis=1), np.nanmean(ccf_a, axis=1)
    lag_b = 1 + int(np.nanargmax(pooled_b[1:]))
    lag_a = 1 + int(np.nanargmax(pooled_a[1:]))
    _, p_b = shuffled_max_ccf(eb, ea, max_lag)
    _, p_a = shuffled_max_ccf(ea, eb, max_lag)
    leads_b, leads_a = p_b < alpha, p_a < alpha
    if leads_b and leads_a:  # a weak reverse peak beside a strong one is the leader's echo
        peak_b, peak_a = float(pooled_b[lag_b]), float(pooled_a[lag_a])
        leads_b, leads_a = peak_b >= ECHO_RATIO * peak_a, peak_a >= ECHO_RATIO * peak_b
    direction = _direction(leads_b, leads_a)
    strength = float(np.clip(np.nansum(_num(xb, yb, lag_b)) / _den(xb, lag_b), 0.0, 1.0))
    reverse_raw = float(np.nansum(_num(ya, xa, lag_a)) / _den(ya, lag_a))
    reliability = _reliability(ps, texts, lag_a) if texts is not None else 1.0
    reverse = float(np.clip(reverse_raw / reliability, 0.0, 1.0))
    lead, follow, lag = (ea, eb, lag_a) if direction == "audience_leads" else (eb, ea, lag_b)
    lag_int, _ = _block_bootstrap(rng, lead, follow, max_lag, lag, boot=boot, block=block)
    _, str_int = _block_bootstrap(rng, xb, yb, max_lag, lag_b, boot=boot, block=block)
    return _Core(
        direction,
        lag_a if direction == "audience_leads" else lag_b,
        lag_int,
        strength,
        str_int,
        reverse,
        lag_a,
        p_b,
        p_a,
        ccf_b,
        ccf_a,
        _null_band(eb, ea, max_lag),
        _null_band(ea, eb, max_lag),
    )


def _reliability(ps: PairedSeries, texts: np.ndarray, lag: int) -> float:
    """Share of the prewhitened audience series' variance that is not sampling noise (Fuller 1987).

    A day's share of a topic counted from ``n`` texts has sampling variance ``p (1 - p) / n``; the AR
    filter ``1 - sum phi_j B^j`` multiplies a white noise's variance by ``1 + sum phi_j^2``. The slope
    of the brand on the audience is attenuated by this ratio (errors in the regressor), and divided by
    it to correct. Floored at 0.2.
    """
    p = np.clip(ps.audience_raw, 0.0, 1.0)
    noise = p * (1 - p) / np.maximum(np.asarray(texts, dtype=float), 1.0)[:, None]
    gain = np.array([1.0 + float(np.sum(phi**2)) for phi in ps.audience_filter])
    ya = ps.audience_white[0]
    n = ya.shape[0]
    used = noise[ps.order :][: n - lag] * gain
    total = float((ya[: n - lag] ** 2).sum())
    return max(0.2, 1.0 - float(used.sum()) / max(total, 1e-300))


def _num(lead: np.ndarray, follow: np.ndarray, lag: int) -> np.ndarray:
    n = lead.shape[0]
    return (lead[: n - lag] * follow[lag:]).sum(axis=0)


def _den(lead: np.ndarray, lag: int) -> float:
    n = lead.shape[0]
    return max(float((lead[: n - lag] ** 2).sum()), 1e-300)


def _topic_table(ps: PairedSeries, core: _Core, *, max_lag: int, alpha: float, ic: str) -> pd.DataFrame:
    eb, ea = ps.innovations
    orders = var_order(ea, eb, max_lag, ic=ic)
    g_b = granger_tests(ea, eb, orders)
    g_a = granger_tests(eb, ea, orders)
    q_b, q_a = benjamini_hochberg(g_b["p"].to_numpy()), benjamini_hochberg(g_a["p"].to_numpy())
    xb, yb = ps.brand_white
    ya, xa = ps.audience_white
    rows = []
    for j, topic in enumerate(ps.topics):
        direction = _direction(bool(q_b[j] < alpha), bool(q_a[j] < alpha))
        ccf = core.ccf_audience[:, j] if direction == "audience_leads" else core.ccf_brand[:, j]
        lag = 1 + int(np.nanargmax(ccf[1:])) if np.isfinite(ccf[1:]).any() else core.lag
        rows.append(
            {
                "topic": topic,
                "direction": direction,
                "lag_days": lag,
                "strength": float(np.clip(_slope(xb[:, [j]], yb[:, [j]], core.lag)[0], 0, 1)),
                "reverse_strength": float(np.clip(_slope(ya[:, [j]], xa[:, [j]], core.reverse_lag)[0], 0, 1)),
                "granger_order": int(g_b["order"][j]),
                "p_brand_leads": float(g_b["p"][j]),
                "q_brand_leads": float(q_b[j]),
                "p_audience_leads": float(g_a["p"][j]),
                "q_audience_leads": float(q_a[j]),
                "brand_share": float(ps.brand_raw[:, j].mean()),
                "audience_share": float(ps.audience_raw[:, j].mean()),
            }
        )
    return pd.DataFrame(rows)


def _cross_lagged(core: _Core, max_lag: int) -> pd.DataFrame:
    pooled_b, pooled_a = np.nanmean(core.ccf_brand, axis=1), np.nanmean(core.ccf_audience, axis=1)
    rows = [
        {
            "lag_days": -lag,
            "corr": float(pooled_a[lag]),
            "null_low": core.null_audience[0],
            "null_high": core.null_audience[1],
        }
        for lag in range(max_lag, 0, -1)
    ]
    rows += [
        {
            "lag_days": lag,
            "corr": float(pooled_b[lag]),
            "null_low": core.null_brand[0],
            "null_high": core.null_brand[1],
        }
        for lag in range(0, max_lag + 1)
    ]
    return pd.DataFrame(rows)


_CHANNEL_COLUMNS = [
    "channel",
    "direction",
    "lag_days",
    "lag_low",
    "lag_high",
    "strength",
    "strength_low",
    "strength_high",
    "reverse_strength",
    "p_brand_leads",
    "p_audience_leads",
    "days",
    "reason",
]


def agenda_setting(
    brand: pd.DataFrame,
    audience: pd.DataFrame,
    *,
    channels: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]] | None = None,
    audience_texts: pd.Series | None = None,
    max_lag: int = 10,
    alpha: float = 0.05,
    ic: str = "aic",
    boot: int = 200,
    block_days: int = 7,
    period_days: int = 7,
    seed: int = 0,
) -> AgendaResult:
    """Whether, how fast and how strongly the brand's topic emphasis moves its audience's discussion.

    Parameters
    ----------
    brand, audience
        Daily topic shares, ``days x topics`` (see :func:`topic_salience`): the brand's posts and the
        audience's texts. Days and topics are aligned on those both have.
    channels
        Optional ``{channel: (brand, audience)}``: the same per channel (pass the overall brand
        series where a channel's own posts are too few to make a daily series).
    audience_texts
        Optional number of audience texts per day (indexed by day): corrects ``reverse_strength``
        for the sampling noise of the audience's shares (errors in the regressor; Fuller 1987).
    max_lag
        Longest lag considered, in days (orders of the Granger tests, lags of the correlations).
    alpha
        Significance level of the direction calls (shuffle-calibrated, and BH q-values per topic).
    ic
        ``"aic"`` or ``"bic"``: the criterion choosing each topic's VAR lag order.
    boot, block_days
        Bootstrap replicates and block length (days) of the lag and strength intervals.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = rng.dirichlet(np.ones(6), 200)
    >>> own = rng.dirichlet(np.ones(6) * 5, 200)
    >>> y = 0.4 * own + 0.6 * np.roll(x, 3, axis=0)
    >>> r = agenda_setting(pd.DataFrame(x[3:]), pd.DataFrame(y[3:]))
    >>> r.direction, r.lag_days, round(r.strength, 1)
    ('brand_leads', 3, 0.6)
    """
    if ic not in ("aic", "bic"):
        from canyu.errors import UnknownNameError

        raise UnknownNameError("information criterion", ic, ("aic", "bic"))
    ps = paired_series(brand, audience, max_lag=max_lag)
    opts = dict(max_lag=max_lag, alpha=alpha, boot=boot, block=block_days, seed=seed)
    texts = None
    if audience_texts is not None:
        texts = pd.Series(audience_texts).reindex(ps.days).fillna(0).to_numpy(dtype=float)
    core = _core(ps, texts=texts, **opts)  # type: ignore[arg-type]
    topics = _topic_table(ps, core, max_lag=max_lag, alpha=alpha, ic=ic)
    lags = sorted({0, core.lag})
    ranks = rank_correlation(ps.brand_raw, ps.audience_raw, ps.days, lags=lags, period_days=period_days)
    rows = []
    for name, (b, a) in (channels or {}).items():
        try:
            c = _core(paired_series(b, a, max_lag=max_lag), **opts)  # type: ignore[arg-type]
        except AgendaDataError as err:
            rows.append({"channel": name, "direction": "none", "days": 0, "reason": err.reason})
            continue
        rows.append(
            {
                "channel": name,
                "direction": c.direction,
                "lag_days": c.lag,
                "lag_low": c.lag_interval[0],
                "lag_high": c.lag_interval[1],
                "strength": c.strength,
                "strength_low": c.strength_interval[0],
                "strength_high": c.strength_interval[1],
                "reverse_strength": c.reverse_strength,
                "p_brand_leads": c.p_brand,
                "p_audience_leads": c.p_audience,
                "days": len(b.index.intersection(a.index)),
                "reason": None,
            }
        )
    return AgendaResult(
        core.direction,
        core.lag,
        core.lag_interval,
        core.strength,
        core.strength_interval,
        strength_label(core.strength, core.direction in ("brand_leads", "reciprocal")),
        core.reverse_strength,
        core.reverse_lag,
        core.p_brand,
        core.p_audience,
        alpha,
        len(ps.days),
        topics,
        _cross_lagged(core, max_lag),
        ranks,
        pd.DataFrame(rows, columns=_CHANNEL_COLUMNS),
    )
