"""Weekly media-mix data with known truth: spend per channel drives revenue through carry-over and saturation.

The generating process is the one of Jin et al. (2017), "Bayesian Methods for Media Mix Modeling with
Carryover and Shape Effects" (Google): each channel's spend is carried over by a geometric (or delayed)
adstock over ``L`` weeks, passed through a Hill or logistic saturation curve, scaled by a coefficient,
and added to a baseline with trend, yearly seasonality, holidays (618, 双11, 年货节), control variables
and Gaussian noise. Because every parameter is known, each channel's true ROAS, marginal ROAS at the
current spend and response curve can be computed exactly and a fitted model scored against them.

Scenarios (:data:`MEDIA_MIX_SCENARIOS`):

``default``
    Channels spend independently (flighting: bursts and quiet weeks).
``correlated``
    One shared marketing calendar drives every channel's spend (pairwise correlation about 0.6-0.8)
    and spend rises in holiday weeks, the confounded case real brands have.
``overspent``
    Like ``default``, but ``douyin`` spends far past its saturation point, so its marginal ROAS at the
    current spend is a fraction of the others' and a budget optimiser must move money out of it.

>>> from canyu.simulate import simulate_media_mix
>>> data = simulate_media_mix(weeks=104, seed=1)
>>> sorted(data.truth.channels) == sorted(data.frame.columns[2:7])
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from canyu.errors import CanyuError

__all__ = [
    "DEFAULT_MEDIA_CHANNELS",
    "MEDIA_MIX_SCENARIOS",
    "MediaMixData",
    "MediaMixTruth",
    "adstock_weights",
    "holiday_frame",
    "saturate",
    "simulate_media_mix",
]

DEFAULT_MEDIA_CHANNELS: Final = ("weibo", "douyin", "xiaohongshu", "wechat_oa", "qzone")
MEDIA_MIX_SCENARIOS: Final = ("default", "correlated", "overspent")
ADSTOCK_LAGS: Final = 13
HOLIDAYS: Final = {"618": (6, 18), "double11": (11, 11), "nianhuo": (1, 20)}

# Per channel: mean weekly spend (yuan), carry-over, half-saturation as a multiple of mean spend, and
# the channel's contribution at its mean spend in revenue per yuan (average ROAS at the mean spend).
_CHANNEL_PROFILES: Final = {
    "weibo": (40_000.0, 0.30, 1.2, 2.2),
    "douyin": (60_000.0, 0.50, 1.0, 2.8),
    "xiaohongshu": (45_000.0, 0.60, 1.5, 3.0),
    "wechat_oa": (35_000.0, 0.15, 0.9, 2.0),
    "qzone": (35_000.0, 0.40, 1.1, 1.6),
    "bilibili": (20_000.0, 0.45, 1.3, 2.0),
    "kuaishou": (30_000.0, 0.35, 1.0, 1.6),
    "wechat_channels": (20_000.0, 0.25, 1.0, 1.5),
}

Saturation = Literal["hill", "logistic"]
Adstock = Literal["geometric", "delayed"]


def adstock_weights(
    alpha: np.ndarray | float, *, lags: int = ADSTOCK_LAGS, theta: np.ndarray | float | None = None
) -> np.ndarray:
    """Normalised adstock weights ``w[l]`` for lags ``0..lags-1`` (last axis), summing to 1.

    Geometric: ``w_l ∝ alpha**l``; delayed (Jin et al. 2017, eq. 1): ``w_l ∝ alpha**((l - theta)**2)``
    with the peak at lag ``theta``. Normalising keeps the adstocked series in spend units, so a steady
    weekly spend ``s`` has steady adstock ``s``.
    """
    a = np.asarray(alpha, dtype=float)[..., None]
    lag = np.arange(lags, dtype=float)
    w = a**lag if theta is None else a ** ((lag - np.asarray(theta, dtype=float)[..., None]) ** 2)
    return w / w.sum(axis=-1, keepdims=True)


def apply_adstock(spend: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Carry-over: ``out[t, c] = sum_l w[c, l] * spend[t - l, c]`` (spend before the first week is 0)."""
    t, c = spend.shape
    lags = weights.shape[-1]
    padded = np.vstack([np.zeros((lags - 1, c)), spend])
    out = np.zeros((t, c))
    for lag in range(lags):
        out += weights[:, lag] * padded[lags - 1 - lag : lags - 1 - lag + t]
    return out


def saturate(x: np.ndarray, *, kind: str, half: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Saturation in ``[0, 1)``: Hill ``x**s / (x**s + k**s)`` or logistic ``(1 - e^{-λx}) / (1 + e^{-λx})``.

    For Hill, ``half`` is the half-saturation point ``k`` and ``shape`` the slope ``s`` (Jin et al. 2017,
    eq. 3). For logistic, ``half`` is the point where the curve reaches one half, so ``λ = ln 3 / half``;
    ``shape`` is unused.
    """
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    if kind == "hill":
        xs = x**shape
        return xs / (xs + half**shape)
    lam = np.log(3.0) / half
    e = np.exp(-lam * x)
    return (1.0 - e) / (1.0 + e)


def holiday_frame(
    dates: pd.DatetimeIndex | Sequence[Any], holidays: Sequence[str] = tuple(HOLIDAYS)
) -> pd.DataFrame:
    """One 0/1 column per holiday: 1 in the week (Monday-start, 7 days) that contains the holiday's date.

    ``618`` is 18 June (JD's anniversary sale), ``double11`` 11 November (双11), ``nianhuo`` the New-Year
    goods festival (年货节), placed on 20 January as a fixed approximation of its moving date.
    """
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates)).to_numpy())
    out = {}
    for name in holidays:
        if name not in HOLIDAYS:
            from canyu.errors import UnknownNameError

            raise UnknownNameError("holiday", name, list(HOLIDAYS))
        month, day = HOLIDAYS[name]
        col = np.zeros(len(idx))
        for i, start in enumerate(idx):
            for year in {start.year, start.year + 1}:
                d = pd.Timestamp(year=year, month=month, day=day)
                if start <= d < start + pd.Timedelta(days=7):
                    col[i] = 1.0
        out[name] = col
    return pd.DataFrame(out, index=idx)


@dataclass(frozen=True)
class MediaMixTruth:
    """The parameters that generated a :class:`MediaMixData` frame, and what follows from them.

    Attributes
    ----------
    channels
        Channel codes, the spend columns of the frame.
    alpha, theta
        Carry-over per channel (and the delay peak for the delayed adstock; ``None`` for geometric).
    half, shape
        Saturation half point (yuan of adstocked weekly spend) and Hill slope.
    beta
        Revenue per week at full saturation, per channel.
    roas
        Total contribution over the frame's weeks divided by total spend, per channel.
    marginal_roas
        Extra revenue from one more yuan, spread in proportion to the channel's current spend.
    contribution
        Total revenue each channel caused over the frame's weeks.
    """

    channels: tuple[str, ...]
    saturation: str
    adstock: str
    alpha: np.ndarray
    theta: np.ndarray | None
    half: np.ndarray
    shape: np.ndarray
    beta: np.ndarray
    roas: np.ndarray
    marginal_roas: np.ndarray
    contribution: np.ndarray
    mean_spend: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)

    def weekly_response(self, weekly_spend: np.ndarray) -> np.ndarray:
        """Steady-state revenue per week for a constant weekly spend per channel (last axis = channels)."""
        s = np.asarray(weekly_spend, dtype=float)
        return self.beta * saturate(s, kind=self.saturation, half=self.half, shape=self.shape)

    def response_curve(self, channel: str, weekly_spend: np.ndarray) -> np.ndarray:
        """The true steady-state response of one channel, revenue per week, at each weekly spend."""
        i = self.channels.index(channel)
        s = np.asarray(weekly_spend, dtype=float)
        return self.beta[i] * saturate(s, kind=self.saturation, half=self.half[i], shape=self.shape[i])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready truth (lists, per channel)."""

        def per(a: np.ndarray | None) -> dict[str, float] | None:
            return None if a is None else {c: float(v) for c, v in zip(self.channels, a, strict=True)}

        return {
            "channels": list(self.channels),
            "saturation": self.saturation,
            "adstock": self.adstock,
            "alpha": per(self.alpha),
            "theta": per(self.theta),
            "half": per(self.half),
            "shape": per(self.shape),
            "beta": per(self.beta),
            "roas": per(self.roas),
            "marginal_roas": per(self.marginal_roas),
            "contribution": per(self.contribution),
            "mean_spend": per(self.mean_spend),
            "params": self.params,
        }


@dataclass(frozen=True)
class MediaMixData:
    """A wide weekly frame (``week``, ``revenue``, one spend column per channel, controls) and its truth."""

    frame: pd.DataFrame
    truth: MediaMixTruth
    date: str = "week"
    target: str = "revenue"
    controls: tuple[str, ...] = ("price_index", "competitor_promo")


def _spend_paths(
    rng: np.random.Generator, weeks: int, mean: np.ndarray, scenario: str, holidays: np.ndarray
) -> np.ndarray:
    c = len(mean)
    if scenario == "correlated":
        # One marketing calendar: a slow common cycle plus common shocks, and holiday pushes.
        common = np.zeros(weeks)
        for t in range(1, weeks):
            common[t] = 0.7 * common[t - 1] + rng.normal(0, 0.35)
        loading = rng.uniform(0.8, 1.0, c)
        own = rng.normal(0, 0.25, (weeks, c))
        log_level = common[:, None] * loading + own + 0.5 * holidays[:, None]
    else:
        log_level = np.zeros((weeks, c))
        for t in range(1, weeks):
            log_level[t] = 0.5 * log_level[t - 1] + rng.normal(0, 0.45, c)
    spend = np.exp(log_level)
    if scenario != "correlated":
        # Flighting: about one week in eight goes dark per channel, which real schedules do.
        spend *= rng.random((weeks, c)) > 0.12
    spend = spend / spend.mean(axis=0) * mean
    return np.round(spend, 0)


def simulate_media_mix(
    *,
    weeks: int = 150,
    channels: Sequence[str] = DEFAULT_MEDIA_CHANNELS,
    seed: int = 7,
    scenario: str = "default",
    saturation: Saturation = "hill",
    adstock: Adstock = "geometric",
    alpha: Sequence[float] | None = None,
    noise: float = 0.03,
    start: dt.date = dt.date(2023, 1, 2),
) -> MediaMixData:
    """Simulate weekly spend per channel and the revenue it causes, with the truth.

    Parameters
    ----------
    weeks
        Number of weeks (Monday-start) from ``start``.
    channels
        Channel codes (canyu's vocabulary); each has a built-in spend level, carry-over and strength.
    scenario
        One of :data:`MEDIA_MIX_SCENARIOS`.
    saturation, adstock
        ``hill`` or ``logistic``; ``geometric`` or ``delayed`` (peak after 1-2 weeks).
    alpha
        Carry-over per channel, overriding the profile (the correctness tests sweep 0.1-0.7).
    noise
        Standard deviation of the weekly noise as a share of mean baseline revenue.

    Returns
    -------
    MediaMixData
        ``frame`` with columns ``week``, ``revenue``, one per channel (spend in yuan),
        ``price_index``, ``competitor_promo``; ``truth`` with true ROAS, marginal ROAS and curves.
    """
    if scenario not in MEDIA_MIX_SCENARIOS:
        from canyu.errors import UnknownNameError

        raise UnknownNameError("media-mix scenario", scenario, MEDIA_MIX_SCENARIOS)
    unknown = [c for c in channels if c not in _CHANNEL_PROFILES]
    if unknown:
        from canyu.errors import UnknownNameError

        raise UnknownNameError("media-mix channel", unknown[0], list(_CHANNEL_PROFILES))
    if weeks < 20:
        raise CanyuError(
            "simulate_media_mix needs at least 20 weeks", message_zh="媒体组合模拟至少需要 20 周"
        )
    rng = np.random.default_rng(seed)
    chans = tuple(channels)
    c = len(chans)
    prof = np.array([_CHANNEL_PROFILES[ch] for ch in chans])
    mean_spend, carry, half_mult, roas_at_mean = prof.T
    carry = np.asarray(alpha, dtype=float) if alpha is not None else carry.copy()
    # Per-seed variety: strengths and half points vary by ±25% around the profile.
    roas_at_mean = roas_at_mean * rng.uniform(0.75, 1.25, c)
    half = mean_spend * half_mult * rng.uniform(0.8, 1.25, c)
    shape = rng.uniform(1.2, 2.0, c) if saturation == "hill" else np.ones(c)
    dates = pd.date_range(pd.Timestamp(start), periods=weeks, freq="7D")
    hol = holiday_frame(dates)
    spend = _spend_paths(rng, weeks, mean_spend, scenario, hol.to_numpy().sum(axis=1))
    if scenario == "overspent":
        i = chans.index("douyin") if "douyin" in chans else 0
        spend[:, i] *= 3.0  # run at three times the level its curve was drawn for
    theta = rng.uniform(1.0, 2.0, c) if adstock == "delayed" else None
    w = adstock_weights(carry, theta=theta)
    ad = apply_adstock(spend, w)
    sat_at_mean = saturate(mean_spend, kind=saturation, half=half, shape=shape)
    beta = roas_at_mean * mean_spend / sat_at_mean
    contrib_t = beta * saturate(ad, kind=saturation, half=half, shape=shape)

    media_total = float((roas_at_mean * mean_spend).sum())
    base_level = 1.2 * media_total  # media drives about 45% of revenue
    t = np.arange(weeks) / 52.0
    trend = base_level * (1.0 + 0.10 * t)
    season = base_level * (0.08 * np.sin(2 * np.pi * t) + 0.04 * np.cos(4 * np.pi * t + 1.0))
    holiday_effect = base_level * hol.to_numpy() @ np.array([0.35, 0.50, 0.20])
    price = np.exp(np.cumsum(rng.normal(0, 0.01, weeks)))
    price = price / price.mean()
    promo = (rng.random(weeks) < 0.1).astype(float)
    controls = base_level * (-0.6 * (price - 1.0) - 0.06 * promo)
    baseline = trend + season + holiday_effect + controls
    revenue = baseline + contrib_t.sum(axis=1) + rng.normal(0, noise * base_level, weeks)

    contribution = contrib_t.sum(axis=0)
    roas = contribution / spend.sum(axis=0)
    eps = 0.01
    ad_up = apply_adstock(spend * (1 + eps), w)
    extra = (beta * saturate(ad_up, kind=saturation, half=half, shape=shape)).sum(axis=0) - contribution
    mroas = extra / (eps * spend.sum(axis=0))

    frame = pd.DataFrame({"week": dates.date, "revenue": np.round(revenue, 2)})
    for j, ch in enumerate(chans):
        frame[ch] = spend[:, j]
    frame["price_index"] = np.round(price, 4)
    frame["competitor_promo"] = promo
    truth = MediaMixTruth(
        channels=chans,
        saturation=saturation,
        adstock=adstock,
        alpha=carry,
        theta=theta,
        half=half,
        shape=shape,
        beta=beta,
        roas=roas,
        marginal_roas=mroas,
        contribution=contribution,
        mean_spend=spend.mean(axis=0),
        params={
            "scenario": scenario,
            "seed": seed,
            "weeks": weeks,
            "lags": ADSTOCK_LAGS,
            "noise_sd": noise * base_level,
            "base_level": base_level,
            "holiday_effects": {"618": 0.35, "double11": 0.50, "nianhuo": 0.20},
        },
    )
    return MediaMixData(frame=frame, truth=truth)
