"""Does the last yuan still buy anything? The dose-response test behind the ``overspent_channel`` rule.

A channel past its saturation point returns on average (what attribution and ROAS
see) but not at the margin: more spend buys hardly any more paid exposures. The
platform reports the exposures each day's paid spend bought (the ``impressions``
of the ``spend`` table), and always-on spend varies from day to day (flighting,
campaign budgets on top), so each channel carries its own dose-response curve.

The test, per channel
    Paid spend carries over: the adstock ``a_t = d a_(t-1) + (1 - d) s_t`` (geometric,
    steady spend ``s`` gives ``a = s``; started at the first week's mean spend). Daily
    paid impressions are regressed on ``log a_t`` by Poisson regression with a log link,
    ``E[impressions_t] = exp(c + b log a_t)``, for each carry-over ``d`` in
    :data:`DECAYS`; the ``d`` of the largest likelihood is kept. ``b`` is the
    elasticity of exposures to spend over the spend levels seen: 1 when exposures
    grow in proportion to spend, 0 when more spend buys none. Since a paid exposure's
    value does not depend on how much was spent (the platform shows the ad to members
    drawn the same way), ``b`` is also the marginal ROAS over the average ROAS: the
    last yuan returns ``b`` times what the average yuan does. Its standard error is
    Newey–West's (heteroscedasticity- and autocorrelation-consistent, :data:`HAC_LAGS`
    days), robust to overdispersion and to the curve not being a power law.
    The channel is saturated when ``b`` is significantly below :data:`BOUND`
    (one-sided z test).

Why exposures and not orders
    Exposures respond to the channel's own spend only, so the test is not confounded
    when every channel's spend follows one marketing calendar (the simulator's
    ``correlated-spend`` scenario), which a regression of orders or revenue on spend
    would be; and there are tens of exposures a day where there are a few orders.

With a media-mix fit that passed its diagnostics, the posterior response curve of the
fit gives the same ratio, ``marginal ROAS / ROAS`` at the current weekly spend, with
its draws (:func:`posterior_elasticity`): the channel is saturated when fewer than
``alpha`` of the draws reach :data:`BOUND`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import norm

if TYPE_CHECKING:
    from canyu.analytics.mmm import PosteriorResponse

__all__ = [
    "BOUND",
    "DECAYS",
    "HAC_LAGS",
    "MIN_DAYS",
    "MIN_IMPRESSIONS",
    "PosteriorElasticity",
    "SpendElasticity",
    "adstock",
    "posterior_elasticity",
    "spend_elasticity",
]

BOUND = 1.0 / 3.0
"""Saturated: the last yuan buys significantly less than a third of what the average yuan buys.

In the simulator's default scenario the true ratio (marginal over average ROAS at the mean spend,
truth.json["spend"]) is 0.48-0.97 per channel; the fitted slope, which averages the elasticity over
the spend levels seen (campaign bursts reach far up the curve), is 0.34-0.58 (bench/findings.py,
1,000-50,000 people). Douyin in the ``overspent`` scenario has a true ratio of 0.01 and fitted slopes
of -0.13 to 0.18."""
DECAYS = tuple(round(0.1 * i, 1) for i in range(10))
"""Carry-over values tried (0 to 0.9); the one of the largest Poisson likelihood is kept."""
HAC_LAGS = 7
"""Days of autocorrelation the Newey–West standard error allows for."""
MIN_DAYS = 28
"""Days with paid spend a channel needs before its curve is judged."""
MIN_IMPRESSIONS = 100
"""Paid impressions a channel needs over those days."""


def adstock(spend: np.ndarray, decay: float) -> np.ndarray:
    """Geometric carry-over ``a_t = decay * a_(t-1) + (1 - decay) * s_t``, started at the first week's mean.

    A hand loop: it is a first-order linear recursion over at most a few hundred days
    (``scipy.signal.lfilter`` would do it too, but needs the initial state worked out).
    """
    s = np.asarray(spend, dtype=float)
    out = np.empty_like(s)
    prev = float(s[:7].mean()) if len(s) else 0.0
    for t, x in enumerate(s):
        prev = decay * prev + (1.0 - decay) * x
        out[t] = prev
    return out


@dataclass(frozen=True)
class SpendElasticity:
    """The fitted elasticity of paid exposures to adstocked spend, and its test against ``bound``."""

    days: int
    impressions: int
    decay: float
    slope: float
    se: float
    bound: float
    high: float  # one-sided upper confidence bound at ``confidence``
    p_value: float  # one-sided: slope < bound
    log_spend_sd: float  # the spread of log adstock the slope is read from
    testable: bool  # could a flat response (slope 0) be significant with this standard error?


def spend_elasticity(
    spend: np.ndarray,
    impressions: np.ndarray,
    *,
    bound: float = BOUND,
    decays: tuple[float, ...] = DECAYS,
    confidence: float = 0.99,
    hac_lags: int = HAC_LAGS,
) -> SpendElasticity | None:
    """The module's test on one channel's daily spend and paid impressions (``None`` below the minimums).

    Days are consecutive; days without spend keep their carry-over but are left out of
    the fit when the carry-over is zero (the log of no spend). ``testable`` is False
    when even a slope of exactly 0 would not be significantly below ``bound`` (too thin).
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    s = np.asarray(spend, dtype=float)
    y = np.asarray(impressions, dtype=float)
    # the same days for every carry-over, so that their likelihoods compare: days with spend
    keep = s > 0
    if int(keep.sum()) < MIN_DAYS or float(y[keep].sum()) < MIN_IMPRESSIONS:
        return None
    best: tuple[float, float, object, np.ndarray] | None = None
    with warnings.catch_warnings():
        # an exact or flat fit (the simulator's saturated channel) is a result here, not a problem
        warnings.simplefilter("ignore", category=PerfectSeparationWarning)
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        for d in decays:
            x = np.log(adstock(s, d)[keep])
            design = sm.add_constant(x, has_constant="add")
            model = sm.GLM(y[keep], design, family=sm.families.Poisson())
            res = model.fit()
            if best is None or res.llf > best[0]:
                best = (float(res.llf), d, model, x)
        assert best is not None
        _, decay, model, x = best
        res = model.fit(cov_type="HAC", cov_kwds={"maxlags": hac_lags})  # type: ignore[attr-defined]
    slope, se = float(res.params[1]), float(res.bse[1])
    z = float(norm.ppf(confidence))
    p = float(norm.cdf((slope - bound) / se)) if se > 0 else (0.0 if slope < bound else 1.0)
    return SpendElasticity(
        days=int(keep.sum()),
        impressions=int(y[keep].sum()),
        decay=float(decay),
        slope=slope,
        se=se,
        bound=bound,
        high=slope + z * se,
        p_value=p,
        log_spend_sd=float(np.std(x)),
        testable=bool(z * se < bound),
    )


@dataclass(frozen=True)
class PosteriorElasticity:
    """Draws of ``marginal ROAS / ROAS`` at a channel's current weekly spend, from a media-mix posterior."""

    channel: str
    weekly_spend: float
    mean: float
    low: float  # 5% quantile
    high: float  # 95% quantile
    share_at_or_above: float  # share of draws with a ratio of at least ``bound``
    bound: float


def posterior_elasticity(
    response: PosteriorResponse, channel: str, *, bound: float = BOUND
) -> PosteriorElasticity:
    """``s f'(s) / f(s)`` per posterior draw of the channel's steady-state weekly response ``f`` at its spend ``s``.

    The derivative is a central difference of the curve (0.1% of the spend either side).
    """
    i = response.channels.index(channel)
    s = float(response.current_weekly[i])
    h = max(s * 1e-3, 1e-6)
    grid = np.array([max(s - h, 0.0), s, s + h])
    f = response.channel_curve(channel, grid)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(f[:, 1] > 0, (f[:, 2] - f[:, 0]) / (grid[2] - grid[0]) * s / f[:, 1], 0.0)
    return PosteriorElasticity(
        channel=channel,
        weekly_spend=s,
        mean=float(ratio.mean()),
        low=float(np.quantile(ratio, 0.05)),
        high=float(np.quantile(ratio, 0.95)),
        share_at_or_above=float((ratio >= bound).mean()),
        bound=bound,
    )
